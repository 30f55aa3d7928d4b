"""A storm of storefront orders against the whole inventory path, with the network and the process
under the test's control: webhooks held back, released late, twice or out of order; syncs killed
before or after a write Shopify applied; orders delivered, shipped and cancelled.

Every part is real: the Shopify and SAP sandboxes over HTTP, the webhook receiver, Redis, order
delivery and the inventory sync. Between the Shopify sandbox and the receiver sits ``Inbox``, a
loopback server that answers Shopify at once and forwards each webhook only when the test says:
a lagging network. A kill is a transport that lets a write through and then raises (the answer is
lost and the process is gone), or raises before sending it.

``truth`` is the bound the sync promises: for each SKU at the orders' location, what the ERP has
available, minus every unit sold in Shopify that the ERP does not have yet, plus units of orders
cancelled in Shopify that the ERP still holds, minus safety stock. A peer shop's sale reaches this
shop through its sync (the propagation the shared-stock sensor bounds), so a peer order counts from
this shop's first sync after its webhook reached us, and until then its delivery to the ERP does not.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from erp_shopify.delivery import QueueParts, deliver_batch
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.ingest.app import WEBHOOK_PATH, create_app
from erp_shopify.mapping.orders import external_ref
from erp_shopify.notify import Notifier
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.sync.holds import stock_peers
from erp_shopify.sync.inventory import InventorySync
from erp_shopify_sandbox.server import ServerThread
from erp_shopify_tests.test_sync.world import FAST_RETRY, World

TOPICS = ("orders/create", "orders/cancelled", "inventory_levels/update")
ERP_LOCATION = "1010/0001"  # every order is placed at the Shopify location this maps to


class Killed(BaseException):
    """The process died: nothing in the sync may catch this."""


@dataclass
class Held:
    shop: str
    topic: str
    body: bytes
    headers: dict[str, str]
    order: str = ""  # the order GID a webhook is about ("" for inventory levels)
    sent: int = 0


def _content(held: Held) -> tuple[str, str, str]:
    """A held webhook's identity without its times and ids: the same in every run of a seed."""
    payload = json.loads(held.body)
    timeless = {k: v for k, v in payload.items() if not k.endswith("_at")}
    return held.shop, held.topic, json.dumps(timeless, sort_keys=True)


class Inbox:
    """The lagging network between Shopify and the receiver."""

    def __init__(self) -> None:
        self.held: list[Held] = []
        self.lock = threading.Lock()  # the server's thread appends while a storm thread releases
        self.app = Starlette(routes=[Route("/{shop}", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> JSONResponse:
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-shopify-")}
        topic = request.headers["x-shopify-topic"]
        order = json.loads(body)["admin_graphql_api_id"] if topic.startswith("orders/") else ""
        with self.lock:
            self.held.append(Held(request.path_params["shop"], topic, body, headers, order))
        return JSONResponse({"ok": True})


@dataclass
class PlacedOrder:
    shop: str
    legacy: int
    gid: str
    sku: str
    quantity: int
    cancelled: bool = False
    fulfilled: bool = False


class KillingTransport(httpx.HTTPTransport):
    """Dies at the ``at``-th inventory write: after Shopify applied it (``after``) or before sending."""

    def __init__(self, at: int, *, after: bool) -> None:
        super().__init__()
        self.at, self.after, self.writes = at, after, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if b"inventorySetQuantities" in request.content:
            self.writes += 1
            if self.writes == self.at and not self.after:
                raise Killed("killed before the write was sent")
            response = super().handle_request(request)
            if self.writes == self.at:
                response.read()
                raise Killed("killed after Shopify applied the write")
            return response
        return super().handle_request(request)


@dataclass
class Storm:
    w: World
    safety: int = 0
    orders: list[PlacedOrder] = field(default_factory=list)
    watermarks: dict[str, str | None] = field(default_factory=dict)
    seen_by: dict[str, set[str]] = field(default_factory=dict)  # peer orders received before a shop's last sync
    kills: int = 0

    def __post_init__(self) -> None:
        self.inbox = Inbox()
        self.inbox_server = ServerThread(self.inbox.app).start()
        app = create_app(self.w.settings, redis_url=self.w.redis_url, key_prefix=self.w.key_prefix)
        self.receiver = ServerThread(app).start()
        self.http = httpx.Client(timeout=10)
        self.redis = self.w.redis()
        # An event given back (a cancel before its order reached the ERP) is claimable at the next
        # ``deliver``: the storm's steps, not a lease timer, decide when delivery runs again.
        self.parts = QueueParts.connect(self.redis, self.w.key_prefix, reclaim_idle_ms=0)
        self.adapter = self.w.adapter()
        self.xrefs = {name: self.w.xref(name).xref for name in self.w.shops}
        for name, sandbox in self.w.shops.items():
            for topic in TOPICS:
                sandbox.control.subscribe(topic, f"{self.inbox_server.url}/{name}")
            self.watermarks[name] = None

    def close(self) -> None:
        self.http.close()
        self.adapter.close()
        self.redis.close()
        self.receiver.stop()
        self.inbox_server.stop()

    # -- the storefront and the warehouse -------------------------------------------------------
    def order(self, shop: str, code: str, quantity: int) -> PlacedOrder | None:
        """A checkout under Shopify's DENY policy: refused when Shopify shows too little."""
        control = self.w.shops[shop].control
        try:
            placed = control.place_order({code: quantity}, inventory_policy="DENY")
        except Exception as exc:  # the sandbox answers 409 for an out-of-stock checkout
            if "OUT_OF_STOCK" in str(exc):
                return None
            raise
        self._settle_webhooks(shop)
        order = PlacedOrder(shop, int(placed["legacy_id"]), placed["id"], code, quantity)
        self.orders.append(order)
        return order

    def cancel(self, order: PlacedOrder) -> None:
        self.w.shops[order.shop].control.cancel_order(order.legacy, restock=True)
        order.cancelled = True
        self._settle_webhooks(order.shop)

    def fulfill(self, order: PlacedOrder) -> None:
        self.w.shops[order.shop].control.fulfill_order(order.legacy)
        order.fulfilled = True
        self._settle_webhooks(order.shop)

    def hand_edit(self, shop: str, code: str, available: int) -> None:
        """A merchant sets ``available`` in the admin (Shopify sends ``inventory_levels/update``)."""
        self.w.shops[shop].control.edit_level(code, available)
        self._settle_webhooks(shop)

    def _settle_webhooks(self, shop: str) -> None:
        """Wait until the sandbox handed its webhooks to the inbox (it sends them from threads)."""
        dispatcher = self.w.shops[shop].sandbox.webhooks
        deadline = time.monotonic() + 10
        while dispatcher.pending() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert dispatcher.pending() == 0, "the sandbox did not hand its webhooks over"

    # -- the network -------------------------------------------------------------------------------
    def release(self, pick: Callable[[Held], bool], rng: random.Random | None = None, *, twice: bool = False) -> int:
        """Forward the held webhooks ``pick`` selects to the receiver (shuffled with ``rng``). They
        are considered in the order Shopify triggered them (arrival order depends on threads)."""
        with self.inbox.lock:
            self.inbox.held.sort(key=_content)
            chosen = [h for h in self.inbox.held if pick(h)]
        if rng is not None:
            rng.shuffle(chosen)
        for held in chosen:
            for _ in range(2 if twice else 1):
                answer = self.http.post(self.receiver.url + WEBHOOK_PATH, content=held.body, headers=held.headers)
                assert answer.status_code == 200, answer.text
            held.sent += 1
            with self.inbox.lock:
                self.inbox.held.remove(held)
        return len(chosen)

    def received(self, order: PlacedOrder) -> bool:
        """Whether the order's ``orders/create`` reached the receiver."""
        with self.inbox.lock:
            return not any(h.order == order.gid and h.topic == "orders/create" for h in self.inbox.held)

    # -- the middleware -------------------------------------------------------------------------------
    def deliver(self) -> None:
        """One delivery run over what is queued (events that must wait are given back)."""
        events = self.parts.stream.claim_batch("storm", 1000)
        if events:
            deliver_batch(events, self.adapter, self.parts, self.w.settings, Notifier(None), owner="storm")

    def deliver_all(self) -> None:
        """Delivery runs until the queue is empty: every event applied in its order's order."""
        for _ in range(10):
            if self.parts.stream.depth() == 0:
                return
            self.deliver()
        raise AssertionError(f"{self.parts.stream.depth()} events still queued after 10 delivery runs")

    def sync(
        self,
        shop: str,
        *,
        kill: tuple[int, bool] | None = None,
        full: bool = False,
        via: tuple[ErpAdapter, redis.Redis] | None = None,
    ) -> None:
        """One inventory run of ``shop``; ``kill`` = (write number, after Shopify applied it); ``via``
        = the ERP adapter and Redis client of a thread that syncs while another delivers."""
        adapter, redis_client = via or (self.adapter, self.redis)
        config = self.w.shop(shop)
        seen = {o.gid for o in self.orders if o.shop != shop and self.received(o)}
        transport = KillingTransport(*kill[:1], after=kill[1]) if kill else None
        client = ShopifyClient.for_shop(config, retry_policy=FAST_RETRY, transport=transport)
        sync = InventorySync(
            config,
            client,
            adapter,
            redis_client,
            self.w.key_prefix,
            peers=stock_peers(self.w.settings.shops, config),
            workers=1,
        )
        try:
            result = sync.run(self.xrefs[shop], self.watermarks[shop], f"run-{time.monotonic_ns()}", full_resync=full)
            self.watermarks[shop] = result.watermark
            self.seen_by[shop] = seen  # what a run that finished had received when it started
        except Killed:
            self.kills += 1  # nothing recorded: the next run starts from the same watermark
        finally:
            client.close()

    # -- the ERP ---------------------------------------------------------------------------------------
    def set_stock(self, code: str, quantity: int) -> None:
        self.w.set_erp_stock({code: quantity}, location=ERP_LOCATION)

    def erp_available(self, code: str) -> int:
        return int(self.w.sap.store.unrestricted(code, *ERP_LOCATION.split("/")))

    def erp_orders(self) -> dict[str, dict[str, Any]]:
        store = self.w.sap.store
        with store.lock:
            return {o["PurchaseOrderByCustomer"]: o for o in store.orders}

    # -- the promise --------------------------------------------------------------------------------
    def truth(self, shop: str) -> dict[str, int]:
        """What ``shop`` may offer of each SKU at the orders' location (see the module docstring)."""
        in_erp = self.erp_orders()
        peers = {p.name for p in stock_peers(self.w.settings.shops, self.w.shop(shop))}
        store = self.w.sap.store
        codes = list(self.w.shops[shop].sandbox.state.skus)
        truth = {code: float(store.unrestricted(code, *ERP_LOCATION.split("/"))) - self.safety for code in codes}
        for order in list(self.orders):  # a storefront thread may be appending
            erp = in_erp.get(external_ref(order.shop, str(order.legacy)))
            if order.shop != shop:
                if order.shop not in peers:
                    continue
                if order.gid in self.seen_by.get(shop, set()):
                    truth[order.sku] -= order.quantity if erp is None else 0
                elif erp is not None and erp["OverallSDDocumentRejectionSts"] != "C":
                    truth[order.sku] += order.quantity  # taken off ERP stock before this shop could know
                continue
            if erp is None and not order.cancelled:
                truth[order.sku] -= order.quantity  # sold, not in the ERP
            elif erp is not None and order.cancelled and erp["OverallSDDocumentRejectionSts"] != "C":
                truth[order.sku] += order.quantity  # cancelled in Shopify, still held by the ERP
        return {code: int(units // 1) for code, units in truth.items()}

    def snapshot(self, shop: str) -> tuple[dict[str, int], dict[str, int]]:
        """``truth`` and ``shown`` read at one instant while other threads sell, deliver and sync:
        the shop's and the ERP's locks are held, so no checkout, ERP order or write falls between."""
        with self.w.shops[shop].sandbox.state.lock, self.w.sap.store.lock:
            return self.truth(shop), self.shown(shop)

    def shown(self, shop: str) -> dict[str, int]:
        return self.w.shopify_available(shop, location_index=0)

    def oversold(self, shop: str) -> dict[str, tuple[int, int]]:
        """SKU -> (shown, truth) wherever Shopify offers more than the truth allows."""
        truth, shown = self.truth(shop), self.shown(shop)
        return {code: (shown[code], truth[code]) for code in truth if shown[code] > max(0, truth[code])}

    def undersold(self, shop: str) -> int:
        """Units Shopify holds back below the truth, over all SKUs."""
        truth, shown = self.truth(shop), self.shown(shop)
        return sum(max(0, max(0, truth[code]) - max(0, shown[code])) for code in truth)
