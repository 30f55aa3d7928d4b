"""The fulfillment sync against the SAP and Shopify sandboxes and real Redis: shipped deliveries
become fulfillments with tracking, partial ones partial, once, whatever is replayed or lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.fulfillment_ledger import FULFILLED, FulfillmentLedger
from erp_shopify.sync.fulfillments import FulfillmentSync
from erp_shopify_sandbox.shopify.ids import legacy_id
from erp_shopify_tests.test_sync.shipping import book_order, remaining, ship
from erp_shopify_tests.test_sync.world import FAST_RETRY, World, sku, world

TRACKED = {"fulfillment": {"tracking_company": "UPS", "tracking_url": "https://track.example/{number}"}}


def _sync(w: World, client: ShopifyClient | None = None, **options: Any) -> FulfillmentSync:
    options.setdefault("retry", FAST_RETRY)
    return FulfillmentSync(
        w.shop("shop-a"), client or w.client("shop-a"), w.adapter(), w.redis(), w.key_prefix, **options
    )


def _fulfillments(w: World) -> list[Any]:
    return list(w.shops["shop-a"].sandbox.state.fulfillment.fulfillments)


def test_a_partial_delivery_becomes_a_partial_fulfillment_with_tracking_and_the_rest_completes_it(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=3, shop_extra=TRACKED) as w:
        order, sales_order = book_order(w, {sku(0): 3, sku(1): 1})
        ship(w, sales_order, {sku(0): 2}, bill_of_lading="1Z0001")
        first = _sync(w).run(None)
        assert (first.fulfilled, first.data_errors) == (1, 0)
        assert remaining(w, order) == {sku(0): 1, sku(1): 1}
        (made,) = _fulfillments(w)
        assert [(t.company, t.number, t.url) for t in made.tracking] == [
            ("UPS", "1Z0001", "https://track.example/1Z0001")
        ]
        assert w.shops["shop-a"].sandbox.state.fulfillment.display_status(order) == "PARTIALLY_FULFILLED"

        ship(w, sales_order, {sku(0): 1, sku(1): 1}, bill_of_lading="1Z0002")
        second = _sync(w).run(first.watermark)
        assert (second.fulfilled, second.unchanged) == (1, 0)  # the first delivery is not read again
        assert remaining(w, order) == {}
        assert w.shops["shop-a"].sandbox.state.fulfillment.display_status(order) == "FULFILLED"


def test_replaying_every_delivery_fulfils_nothing_twice(tmp_path: Path, redis_url: str, key_prefix: str) -> None:
    with world(tmp_path, redis_url, key_prefix, items=2) as w:
        _, sales_order = book_order(w, {sku(0): 2})
        ship(w, sales_order, {sku(0): 1})
        _sync(w).run(None)
        again = _sync(w).run(None)  # from the beginning: the ledger knows the delivery
        assert (again.shipments_read, again.fulfilled, again.unchanged) == (1, 0, 1)
        assert len(_fulfillments(w)) == 1


def test_a_delivery_from_another_location_moves_the_fulfillment_order_there_first(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=2) as w:
        order, sales_order = book_order(w, {sku(0): 2}, location=0)
        ship(w, sales_order, {sku(0): 1}, storage_location="0002")  # 1010/0002 is Shopify location 1
        result = _sync(w).run(None)
        assert (result.moved, result.fulfilled) == (1, 1)
        (made,) = _fulfillments(w)
        assert made.location == 1
        state = w.shops["shop-a"].sandbox.state
        assert sorted((f.location, f.status) for f in state.fulfillment.of_order(order)) == [
            (0, "OPEN"),
            (1, "CLOSED"),
        ]


def test_a_later_tracking_change_updates_the_fulfillment(tmp_path: Path, redis_url: str, key_prefix: str) -> None:
    with world(tmp_path, redis_url, key_prefix, items=2) as w:
        _, sales_order = book_order(w, {sku(0): 1})
        delivery = ship(w, sales_order, bill_of_lading="OLD-1")
        first = _sync(w).run(None)
        w.sap.store.deliveries.set_bill_of_lading(delivery, "NEW-2")
        second = _sync(w).run(first.watermark)
        assert (second.tracking_updated, second.fulfilled) == (1, 0)
        (made,) = _fulfillments(w)
        assert [t.number for t in made.tracking] == ["NEW-2"]


def test_an_answer_lost_after_shopify_applied_the_create_is_resolved_by_a_read_not_sent_again(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=2) as w:
        order, sales_order = book_order(w, {sku(0): 3})
        ship(w, sales_order, {sku(0): 2}, bill_of_lading="LOST-1")
        w.shops["shop-a"].control.set_faults(timeout_after_commit_rate=1.0, hang_seconds=3)
        client = ShopifyClient.for_shop(w.shop("shop-a"), timeout=1.0, retry_policy=FAST_RETRY)
        with client:
            result = _sync(w, client).run(None)
        assert (result.fulfilled, result.resolved, result.data_errors) == (0, 1, 0)
        assert w.shops["shop-a"].sandbox.state.write_calls["fulfillmentCreate"] == 1
        assert remaining(w, order) == {sku(0): 1}
        entry = FulfillmentLedger(w.redis(), key_prefix).get("shop-a", "80000001")
        assert entry is not None and entry.state == FULFILLED
        assert entry.fulfillment == f"gid://shopify/Fulfillment/{legacy_id('Fulfillment', 0)}"


def test_bad_deliveries_are_kept_with_delivery_and_order_named_and_the_rest_flows(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=4) as w:
        _, good = book_order(w, {sku(0): 1})
        _, partly = book_order(w, {sku(1): 3})
        cancelled, cancelled_so = book_order(w, {sku(2): 1})
        by_hand, by_hand_so = book_order(w, {sku(3): 1})
        state = w.shops["shop-a"].sandbox.state
        state.cancel_order(cancelled)
        state.fulfill(by_hand)  # shipped by hand in Shopify: its fulfillment order is closed
        ship(w, good)
        ship(w, partly, {sku(1): 2})
        over = ship(w, partly, {sku(1): 2})  # 2 more of an order of 3: 1 remains
        shut = ship(w, cancelled_so)
        done = ship(w, by_hand_so)
        result = _sync(w).run(None)
        assert (result.fulfilled, result.data_errors) == (2, 3)
        kept = {e.document: e for e in FulfillmentLedger(w.redis(), key_prefix).errors("shop-a")}
        assert set(kept) == {over, shut, done}
        assert kept[over].error["codes"] == ["QUANTITY_ABOVE_REMAINING"]
        assert kept[over].message == f"delivery {over} for order #1002: 2 of {sku(1)} shipped, 1 remain to fulfil"
        assert kept[shut].error["codes"] == ["FULFILLMENT_ORDER_CLOSED"]
        assert "#1003" in kept[shut].message and "cancelled" in kept[shut].message
        assert "closed" in kept[done].message
        assert result.watermark is not None


def test_a_delivery_for_an_order_shopify_does_not_know_is_a_data_error_kept_for_replay(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=2) as w:
        _, sales_order = book_order(w, {sku(0): 1})
        w.sap.store.order(sales_order)["PurchaseOrderByCustomer"] = "shop-a-5600000000999"
        ship(w, sales_order)
        result = _sync(w).run(None)
        (kept,) = FulfillmentLedger(w.redis(), key_prefix).errors("shop-a")
        assert result.data_errors == 1 and kept.error["codes"] == ["ORDER_UNKNOWN"]
        assert "gid://shopify/Order/5600000000999" in kept.message
        replay = _sync(w).run(result.watermark, replay_errors=True)
        assert (replay.replayed, replay.data_errors) == (1, 1)  # still unknown: still kept, once
        assert len(FulfillmentLedger(w.redis(), key_prefix).errors("shop-a")) == 1
