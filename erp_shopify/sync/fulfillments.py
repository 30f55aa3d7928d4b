"""One fulfillment sync of one shop: ERP shipments since a watermark -> Shopify fulfillments, once.

For each shipped delivery of this shop's orders: read the order's fulfillment orders (their
assigned locations and remaining quantities), move units to the location the ERP shipped from
when Shopify assigned them elsewhere, then ``fulfillmentCreate`` with the lines and quantities
shipped and the tracking. A delivery already fulfilled whose tracking changed gets
``fulfillmentTrackingInfoUpdate``.

Exactly once without ``@idempotent``: the ledger (``store/fulfillment_ledger.py``) records the
create before it is sent; a timeout, a 5xx or a crash leaves it ``sending``, and the next attempt
(in this run, through the one retry policy, or the next run replaying from the old watermark)
reads the remaining quantities before doing anything: applied means record it, not applied means
send again. ``fulfillmentCreate`` itself is sent once (``send_once``): the client's own retry would
send it again blind.

Bad data (an order Shopify does not know, more shipped than remains, a closed or cancelled
fulfillment order, an unmapped location) is kept with the shipment for replay; the rest flows.
The watermark is returned; the caller stores it only when the run ends, so a dead run is replayed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import redis

from erp_shopify.config import ShopConfig
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.errors import DataError
from erp_shopify.mapping import fulfillments as m
from erp_shopify.mapping.xref import SkuLookup
from erp_shopify.records import Shipment
from erp_shopify.retrying import RetryPolicy, call_with_retries
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.fulfillment_ledger import FULFILLED, SENDING, FulfillmentLedger, LedgerEntry
from erp_shopify.store.sku_table import SkuTable

DEFAULT_RETRY = RetryPolicy(max_attempts=5, initial_backoff=0.5, max_backoff=30.0)


@dataclass
class FulfillmentSyncResult:
    watermark: str | None
    shipments_read: int = 0
    fulfilled: int = 0
    moved: int = 0  # fulfillment orders moved to the location the ERP shipped from
    tracking_updated: int = 0
    unchanged: int = 0  # already fulfilled with the same tracking (an overlap re-read, a replay)
    resolved: int = 0  # creates left in flight (a lost answer, a crash) found applied by a read
    data_errors: int = 0
    replayed: int = 0  # kept errors tried again
    other_shops: int = 0  # shipments of orders that are not this shop's (or no Shopify order at all)
    cost_points: float = 0.0
    seconds: float = 0.0

    def metadata(self) -> dict[str, Any]:
        return dict(self.__dict__)


class FulfillmentSync:
    def __init__(
        self,
        shop: ShopConfig,
        client: ShopifyClient,
        adapter: ErpAdapter,
        redis_client: redis.Redis,
        key_prefix: str,
        *,
        workers: int = 4,
        retry: RetryPolicy = DEFAULT_RETRY,
        log: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.shop, self.client, self.adapter = shop, client, adapter
        self.ledger = FulfillmentLedger(redis_client, key_prefix)
        skus = SkuTable(redis_client, key_prefix)
        self.items = SkuLookup(shop.sku_overrides, published=lambda sku: skus.item_code(shop.name, sku))
        self.workers, self.retry, self.log = workers, retry, log
        self.moved = 0
        self._lock = threading.Lock()

    def run(self, cursor: str | None, *, replay_errors: bool = False) -> FulfillmentSyncResult:
        started, points = time.monotonic(), self.client.points_used
        result = FulfillmentSyncResult(watermark=cursor)
        if replay_errors:
            kept = [Shipment.model_validate(e.shipment) for e in self.ledger.errors(self.shop.name)]
            result.replayed = len(kept)
            self.fulfil_all(kept, result)
        for page in self.adapter.shipment_changes(cursor):
            result.shipments_read += len(page.shipments)
            self.fulfil_all(page.shipments, result)
            result.watermark = page.cursor
            self.log(f"{self.shop.name}: {result.shipments_read} shipments read, {result.fulfilled} fulfilled")
        result.cost_points = round(self.client.points_used - points, 1)
        result.seconds = round(time.monotonic() - started, 3)
        return result

    def fulfil_all(self, shipments: Iterable[Shipment], result: FulfillmentSyncResult) -> None:
        """This shop's shipments, orders in parallel and each order's deliveries one after the other
        (two deliveries of one order read and lower the same remaining quantities)."""
        by_order: dict[str, list[Shipment]] = {}
        for shipment in shipments:
            order = m.order_gid(self.shop.name, shipment.order_ref)
            if order is None:
                result.other_shops += 1
                continue
            by_order.setdefault(order, []).append(shipment)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = [
                pool.submit(self._fulfil_order, order, sorted(group, key=lambda s: (s.shipped_at, s.document)))
                for order, group in by_order.items()
            ]
            outcomes = [future.result() for future in futures]
        for outcome in (o for group in outcomes for o in group):
            setattr(result, outcome, getattr(result, outcome) + 1)
        result.moved = self.moved

    def _fulfil_order(self, order: str, shipments: list[Shipment]) -> list[str]:
        outcomes = []
        for shipment in shipments:
            try:
                outcomes.append(call_with_retries(partial(self.fulfil, shipment, order), self.retry))
            except DataError as exc:
                self.ledger.keep_error(self.shop.name, shipment, exc.to_dict())
                self.log(f"{self.shop.name}: {exc}")
                outcomes.append("data_errors")
        return outcomes

    def fulfil(self, shipment: Shipment, order: str) -> str:
        """One attempt, safe to repeat: whatever an earlier attempt left is read before any write.
        Answers the outcome's name (a ``FulfillmentSyncResult`` counter)."""
        shop, document = self.shop.name, shipment.document
        tracking = m.tracking_input(shipment, self.shop.fulfillment)
        digest = m.tracking_digest(tracking)
        entry = self.ledger.get(shop, document)
        if entry is not None and entry.state == FULFILLED:
            if entry.tracking == digest or not entry.fulfillment or tracking is None:
                return "unchanged"
            self._update_tracking(entry.fulfillment, tracking)
            self.ledger.fulfilled(shop, document, order, entry.fulfillment, digest)
            return "tracking_updated"
        current = self._read(shipment, order)
        if entry is not None and entry.state == SENDING and m.was_applied(shipment, current, entry.plan, entry.before):
            found = m.newest_fulfillment(current, tracking)
            self.ledger.fulfilled(shop, document, order, found, digest)
            return "resolved"
        plan = m.plan_fulfillment(shipment, current, self.shop.locations, self.items.get)
        if plan.moves:
            for fulfillment_order, lines in plan.moves.items():
                self._move(fulfillment_order, plan.location, lines)
            with self._lock:
                self.moved += len(plan.moves)
            current = self._read(shipment, order)
            plan = m.plan_fulfillment(shipment, current, self.shop.locations, self.items.get)
        planned, before = plan.ledger_plan()
        self.ledger.intend(shop, document, LedgerEntry(SENDING, order, planned, before))
        variables = {"fulfillment": plan.fulfillment_input(tracking, self.shop.fulfillment.notify_customer)}
        try:
            data = self.client.execute("fulfillment_create", variables, send_once=True)
        except DataError:
            self.ledger.abandon(shop, document)  # refused whole: nothing was applied
            raise
        self.ledger.fulfilled(shop, document, order, data["fulfillmentCreate"]["fulfillment"]["id"], digest)
        return "fulfilled"

    def _read(self, shipment: Shipment, order: str) -> dict[str, Any]:
        found = self.client.execute("order_fulfillment_orders", {"id": order})["order"]
        if found is None:
            raise m.refused(shipment, order, "Shopify has no such order", "ORDER_UNKNOWN")
        return found

    def _move(self, fulfillment_order: str, location: str, lines: list[tuple[m.OrderLine, int]]) -> None:
        """Sent once too: a lost answer is seen by the next attempt's read (the units are there)."""
        self.client.execute(
            "fulfillment_order_move",
            {
                "id": fulfillment_order,
                "newLocationId": location,
                "fulfillmentOrderLineItems": [{"id": line.id, "quantity": q} for line, q in lines],
            },
            send_once=True,
        )

    def _update_tracking(self, fulfillment: str, tracking: dict[str, Any]) -> None:
        self.client.execute(
            "fulfillment_tracking_info_update",
            {
                "fulfillmentId": fulfillment,
                "trackingInfoInput": tracking,
                "notifyCustomer": self.shop.fulfillment.notify_customer,
            },
        )
