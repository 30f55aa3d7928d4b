"""(c) Webhook-to-ERP latency under a real ``dagster dev`` (webserver + daemon) on the demo world.

The demo's sandboxes (two Shopify shops, the SAP sandbox) and webhook receiver run in this process,
``dagster dev`` runs as a child on a temporary ``DAGSTER_HOME``, and its daemon evaluates
``order_sensor`` at the configured interval and launches each ``deliver_orders`` run in a new
process, as in production. One warm-up order is delivered first (the daemon's first ticks and the
code server's start are set-up, not latency). Then ORDERS storefront orders are placed, one every
SPREAD/ORDERS seconds, and each one's latency runs from its checkout to the first moment the ERP
sandbox's control API lists a sales order with its external reference. Everything started here is
stopped, and the Redis keys of the run are deleted.
"""

from __future__ import annotations

import os
import socket
import statistics
import time
import uuid
from tempfile import TemporaryDirectory

import dagster as dg
import httpx

from erp_shopify.config import load_settings
from erp_shopify_sandbox.demo import DemoWorld, _forget_demo_state, dagster_home, demo_world
from erp_shopify_sandbox.demo_orders import StorefrontOrder, order_skus
from erp_shopify_sandbox.devserver import dagster_dev, first_sync

ORDERS = 30
SPREAD = 60.0  # seconds over which the orders are placed
WARM_UP_TIMEOUT = 240.0
TAIL_TIMEOUT = 90.0  # after the last order
GOAL_P95 = 15.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _erp_references(erp_url: str, http: httpx.Client) -> set[str]:
    return {o["PurchaseOrderByCustomer"] for o in http.get(f"{erp_url}/_sandbox/orders").json()["orders"]}


def _measure(world: DemoWorld, erp_url: str) -> tuple[list[float], int, float]:
    """(latencies of the orders that arrived, orders placed, warm-up seconds)."""
    skus = order_skus(world)
    shops = list(world.shops)
    with httpx.Client(timeout=10) as http:
        started = time.monotonic()
        warm = world.shops[shops[0]].control.place_order({skus[0]: 1})
        warm_ref = StorefrontOrder(shops[0], warm["name"], int(warm["legacy_id"]), {}).reference
        while warm_ref not in _erp_references(erp_url, http):
            if time.monotonic() - started > WARM_UP_TIMEOUT:
                raise RuntimeError(f"the warm-up order did not reach the ERP in {WARM_UP_TIMEOUT:.0f} s")
            time.sleep(0.5)
        warm_up = time.monotonic() - started

        placed_at: dict[str, float] = {}
        seen_at: dict[str, float] = {}
        begin = time.monotonic()
        deadline = begin + SPREAD + TAIL_TIMEOUT
        while time.monotonic() < deadline and (len(placed_at) < ORDERS or len(seen_at) < ORDERS):
            n = len(placed_at)
            if n < ORDERS and time.monotonic() >= begin + n * SPREAD / ORDERS:
                shop = shops[n % len(shops)]
                at = time.monotonic()
                answer = world.shops[shop].control.place_order({skus[n % len(skus)]: 1 + n % 3})
                placed_at[StorefrontOrder(shop, answer["name"], int(answer["legacy_id"]), {}).reference] = at
            now = time.monotonic()
            for ref in _erp_references(erp_url, http) & placed_at.keys() - seen_at.keys():
                seen_at[ref] = now
            time.sleep(0.2)
    return [seen_at[ref] - placed_at[ref] for ref in seen_at], len(placed_at), warm_up


def run() -> list[str]:
    with TemporaryDirectory(prefix="bench-latency-") as folder:
        os.environ["DAGSTER_HOME"] = folder
        home = dagster_home()
        prefix = f"bench-latency:{uuid.uuid4().hex[:12]}"
        with demo_world("sap", home, key_prefix=prefix) as world:
            try:
                first_sync(world)
                interval = load_settings().delivery.sensor_interval_seconds
                with dagster_dev(world, home, _free_port(), quiet=True):
                    latencies, placed, warm_up = _measure(world, world.erp.sandbox.url)
                with dg.DagsterInstance.get() as instance:
                    runs = instance.get_runs_count(dg.RunsFilter(job_name="deliver_orders"))
            finally:
                _forget_demo_state(world.config_path)
    if len(latencies) < 2:
        return [f"only {len(latencies)} of {placed} orders reached the ERP within {TAIL_TIMEOUT:.0f} s of the last"]
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20, method="inclusive")[18]
    return [
        f"{placed} storefront orders over {SPREAD:.0f} s under dagster dev, sensor interval {interval} s: "
        f"{len(latencies)} in the ERP, by {runs} deliver_orders run(s) (including the warm-up's)",
        f"webhook-to-ERP latency p50 {p50:.1f} s, p95 {p95:.1f} s, max {max(latencies):.1f} s",
        f"p95 / goal {GOAL_P95:.0f} s: {p95 / GOAL_P95:.2f}",
        f"p95 / sensor interval: {p95 / interval:.2f}; p50 / sensor interval: {p50 / interval:.2f}",
        f"set-up to the first order delivered (daemon start, first tick, first run): {warm_up:.0f} s",
    ]
