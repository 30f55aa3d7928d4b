"""OVERSELL: storefront orders placed while a sync runs, queued by the real webhook receiver, never
leave Shopify showing more than ERP available - pending units - safety stock."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

from erp_shopify.ingest.app import WEBHOOK_PATH, create_app
from erp_shopify.store.pending import PendingUnits
from erp_shopify.sync.inventory import InventorySync
from erp_shopify_sandbox.server import ServerThread
from erp_shopify_tests.test_sync.world import sku, world

ITEMS, SAFETY, ERP_STOCK = 40, 1, 12


def test_orders_during_a_sync_never_leave_shopify_above_available_to_sell(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    shop_extra = {"safety_stock": {"default": SAFETY}}
    with world(tmp_path, redis_url, key_prefix, items=ITEMS, stock=ERP_STOCK, shop_extra=shop_extra) as w:
        receiver = ServerThread(create_app(w.settings, redis_url=redis_url, key_prefix=key_prefix)).start()
        try:
            shopify = w.shops["shop-a"]
            shopify.control.subscribe("orders/create", receiver.url + WEBHOOK_PATH)
            xref = w.xref("shop-a").xref
            stale_retries: list[int] = []

            def sync(run_id: str, cursor: str | None) -> str | None:
                client, adapter = w.client("shop-a"), w.adapter()
                sync = InventorySync(w.shop("shop-a"), client, adapter, w.redis(), key_prefix, workers=1)
                result = sync.run(xref, cursor, run_id)
                stale_retries.append(result.stale_retries)
                return result.watermark

            cursor = sync("run-1", None)
            shopify.control.set_faults(latency_ms=40)  # a sync that takes long enough to be overtaken
            w.set_erp_stock({sku(n): ERP_STOCK - 2 for n in range(ITEMS)})  # every item changes in the ERP

            placed: list[str] = []
            shoppers = random.Random(7)

            def storefront() -> None:
                for _ in range(25):
                    choice = sku(shoppers.randrange(ITEMS))
                    shopify.control.place_order({choice: shoppers.randint(1, 2)})
                    placed.append(choice)
                    time.sleep(0.01)

            buyer = threading.Thread(target=storefront)
            buyer.start()
            sync("run-2", cursor)
            placed_during_sync = [len(placed)]
            buyer.join()
            shopify.control.set_faults(latency_ms=0)
            _wait_for_webhooks(shopify.sandbox.webhooks, PendingUnits(w.redis(), key_prefix), len(placed))

            pending = PendingUnits(w.redis(), key_prefix).totals("shop-a")
            location = w.shop("shop-a").locations["1010/0001"]
            shown = w.shopify_available("shop-a")
            oversold = {
                code: (shown[code], ERP_STOCK - 2 - pending.get((code, location), 0) - SAFETY)
                for code in (sku(n) for n in range(ITEMS))
                if shown[code] > max(0, ERP_STOCK - 2 - pending.get((code, location), 0) - SAFETY)
            }
            assert oversold == {}
            assert sum(pending.values()) > 0 and len(set(placed)) > 5
            assert placed_during_sync[0] > 0  # the orders really did overlap the sync's writes
        finally:
            receiver.stop()


def _wait_for_webhooks(dispatcher: object, pending: PendingUnits, orders: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if dispatcher.pending() == 0 and len(pending.orders("shop-a")) == orders:  # type: ignore[attr-defined]
            return
        time.sleep(0.05)
    raise AssertionError(f"only {len(pending.orders('shop-a'))} of {orders} orders reached the queue")
