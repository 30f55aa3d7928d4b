"""The oversell storm: 2,000 storefront orders in real time with 20 % of their ``orders/create``
webhooks 60 s late, against the same storm with none late.

Every part is the test harness's (``test_sync/storm.py``): the Shopify and SAP sandboxes, the
webhook receiver, real Redis, order delivery and the inventory sync, with the storm's ``Inbox``
holding webhooks until a forwarder thread's due time. Threads run as a deployment would: a
storefront placing orders under Shopify's DENY policy, the forwarder, delivery every second, an
inventory run every 5 s (a sensor-launched run's cadence) and a sampler every 0.5 s comparing what
Shopify offers with the truth the sync promises (``Storm.truth``).

Figures: units oversold (offered above max(0, truth)), integrated to unit-seconds, and their peak;
oversold sales (an accepted order larger than max(0, truth) just before it was placed); undersold
unit-seconds (offered below the truth), the cost of the safety; and whether every level equals the
truth once every webhook arrived, every order reached the ERP and the shop synced.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

import redis

from erp_shopify_tests.test_sync.storm import Held, Storm
from erp_shopify_tests.test_sync.world import sku, world

SEED, SHOP = 9, "shop-a"
ORDERS, SKUS, SPREAD_S = 2_000, 50, 100.0
LATE_SHARE, LATE_S = 0.20, 60.0
FORWARD_EVERY_S, DELIVER_EVERY_S, SYNC_EVERY_S, SAMPLE_EVERY_S = 0.2, 1.0, 5.0, 0.5
REDIS_URL = os.environ.get("ERP_SHOPIFY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class PlannedOrder:
    at: float  # seconds after the storm starts
    code: str
    quantity: int
    late: bool  # its orders/create is held LATE_S when the run has delays


def plan(seed: int) -> tuple[dict[str, int], list[PlannedOrder]]:
    """ERP stock per SKU and the orders (Poisson arrivals): demand averages 80 units a SKU against
    40 to 160 in stock, so about a third of the SKUs sell out."""
    rng = random.Random(seed)
    stock = {sku(n): rng.randint(40, 160) for n in range(SKUS)}
    at, orders = 0.0, []
    for _ in range(ORDERS):
        at += rng.expovariate(ORDERS / SPREAD_S)
        orders.append(PlannedOrder(at, sku(rng.randrange(SKUS)), rng.randint(1, 3), rng.random() < LATE_SHARE))
    return stock, orders


@dataclass
class Figures:
    accepted: int = 0
    oversold_sales: int = 0
    oversold_unit_s: float = 0.0
    peak_exposure: int = 0
    peak_at: str = ""  # where and when the peak was seen: SKU, seconds into the storm, shown and truth
    undersold_unit_s: float = 0.0
    placing_s: float = 0.0  # first to last order
    window_s: float = 0.0  # sampled: first order until the late webhooks had their effect
    sold_out: int = 0
    converged: bool = False


@dataclass
class StormRun:
    """One storm in real time; ``delays`` = whether late orders' webhooks are held."""

    storm: Storm
    orders: list[PlannedOrder]
    delays: bool
    figures: Figures = field(default_factory=Figures)
    due: dict[str, float] = field(default_factory=dict)  # order GID -> when its orders/create goes
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[BaseException] = field(default_factory=list)
    # Held by the storefront from the truth it reads to the order recorded, and by the sampler: a
    # sale Shopify made but the storm has not recorded yet would count as undersold.
    sale_lock: threading.Lock = field(default_factory=threading.Lock)

    def execute(self) -> Figures:
        start = time.monotonic()
        loops = [self._forward, self._deliver, self._sync, self._sample]
        threads = [self._thread(loop, start) for loop in loops]
        self._thread(self._storefront, start).join()
        self.figures.placing_s = time.monotonic() - start - self.orders[0].at
        # Let the last late webhook arrive, be delivered and be synced (two runs) before stopping.
        self.stop.wait(max(self.due.values(), default=start) - time.monotonic() + 2 * SYNC_EVERY_S + 2)
        self.stop.set()
        for thread in threads:
            thread.join()
        if self.errors:
            raise self.errors[0]
        self.figures.window_s = time.monotonic() - start - self.orders[0].at
        self._settle()
        return self.figures

    def _thread(self, loop: Callable[[float], None], start: float) -> threading.Thread:
        def guarded() -> None:
            try:
                loop(start)
            except BaseException as exc:  # reported by ``execute`` once every thread stopped
                self.errors.append(exc)
                self.stop.set()

        thread = threading.Thread(target=guarded, name=loop.__name__, daemon=True)
        thread.start()
        return thread

    def _storefront(self, start: float) -> None:
        for planned in self.orders:
            if self.stop.wait(start + planned.at - time.monotonic()):
                return
            with self.sale_lock:
                truth = self.storm.snapshot(SHOP)[0][planned.code]
                placed = self.storm.order(SHOP, planned.code, planned.quantity)
                if placed is None:
                    continue
                self.due[placed.gid] = time.monotonic() + (LATE_S if self.delays and planned.late else 0.0)
            self.figures.accepted += 1
            self.figures.oversold_sales += planned.quantity > max(0, truth)

    def _forward(self, start: float) -> None:
        """Other topics go at once; an order's create when due (held until the storefront gave it one)."""

        def due(held: Held) -> bool:
            return held.topic != "orders/create" or self.due.get(held.order, math.inf) <= time.monotonic()

        while not self.stop.wait(FORWARD_EVERY_S):
            self.storm.release(due)

    def _deliver(self, start: float) -> None:
        while not self.stop.wait(DELIVER_EVERY_S):
            self.storm.deliver()

    def _sync(self, start: float) -> None:
        adapter, redis_client = self.storm.w.adapter(), self.storm.w.redis()
        try:
            while not self.stop.wait(SYNC_EVERY_S):
                self.storm.sync(SHOP, via=(adapter, redis_client))
        finally:
            adapter.close()
            redis_client.close()

    def _sample(self, start: float) -> None:
        last = start + self.orders[0].at
        self.stop.wait(max(0.0, last - time.monotonic()))
        while not self.stop.wait(SAMPLE_EVERY_S):
            with self.sale_lock:
                truth, shown = self.storm.snapshot(SHOP)
            now = time.monotonic()
            over = sum(max(0, shown[c] - max(0, t)) for c, t in truth.items())
            under = sum(max(0, max(0, t) - max(0, shown[c])) for c, t in truth.items())
            self.figures.oversold_unit_s += over * (now - last)
            self.figures.undersold_unit_s += under * (now - last)
            if over > self.figures.peak_exposure:
                code = max(truth, key=lambda c: shown[c] - max(0, truth[c]))
                at = now - start
                self.figures.peak_at = f"{code} at {at:.0f} s: shown {shown[code]}, truth {truth[code]}"
                self.figures.peak_exposure = over
            last = now

    def _settle(self) -> None:
        """Every webhook forwarded, every order in the ERP, two runs: every level equals the truth."""
        self.storm.release(lambda held: True)
        self.storm.deliver_all()
        for _ in range(2):
            self.storm.sync(SHOP)
        truth, shown = self.storm.snapshot(SHOP)
        self.figures.converged = shown == {code: max(0, units) for code, units in truth.items()}
        self.figures.sold_out = sum(1 for units in shown.values() if units <= 0)


def storm_figures(stock: dict[str, int], orders: list[PlannedOrder], *, delays: bool) -> Figures:
    prefix = f"bench-oversell:{uuid.uuid4().hex[:12]}"
    try:
        with (
            TemporaryDirectory(prefix="bench-oversell-") as folder,
            world(Path(folder), REDIS_URL, prefix, items=SKUS, stock=None) as w,
        ):
            w.set_erp_stock(stock, minutes_ago=60)
            storm = Storm(w)
            try:
                storm.sync(SHOP)  # the levels exist before the storefront opens
                return StormRun(storm, orders, delays).execute()
            finally:
                storm.close()
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
        client.close()


def _line(figures: Figures) -> str:
    return (
        f"oversold {figures.oversold_unit_s:.1f} unit-s (peak exposure {figures.peak_exposure} units"
        f"{', ' + figures.peak_at if figures.peak_at else ''}, "
        f"{figures.oversold_sales} oversold sales), undersold {figures.undersold_unit_s:,.1f} unit-s over "
        f"{figures.window_s:.0f} s sampled; {figures.accepted:,} accepted, {figures.sold_out} SKUs sold out, "
        f"{'converged' if figures.converged else 'NOT converged'} after settling"
    )


def run() -> list[str]:
    began = time.monotonic()
    stock, orders = plan(SEED)
    late = storm_figures(stock, orders, delays=True)
    prompt = storm_figures(stock, orders, delays=False)
    ratio = f"{late.undersold_unit_s / prompt.undersold_unit_s:.2f}" if prompt.undersold_unit_s else "n/a (0 unit-s)"
    return [
        f"{ORDERS:,} orders over {late.placing_s:.0f} s (planned {SPREAD_S:.0f} s) across {SKUS} SKUs, "
        f"ERP stock 40-160 each, seed {SEED}, delivery every {DELIVER_EVERY_S:.0f} s, sync every {SYNC_EVERY_S:.0f} s",
        f"{LATE_SHARE:.0%} of order webhooks {LATE_S:.0f} s late: {_line(late)}",
        f"no delays (placed over {prompt.placing_s:.0f} s): {_line(prompt)}",
        f"undersold unit-s, late / no delays: {ratio}",
        f"run time {time.monotonic() - began:.0f} s (two storms)",
    ]
