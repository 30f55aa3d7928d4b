"""The inventory sync against the SAP and Shopify sandboxes and real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from erp_shopify.errors import SystemFailure
from erp_shopify.records import InventoryPage
from erp_shopify.shopify import documents
from erp_shopify.shopify.client import ShopifyUserErrors
from erp_shopify.store.fingerprints import Fingerprints, inventory_object_key
from erp_shopify.store.rechecks import Rechecks
from erp_shopify.sync.inventory import InventorySync
from erp_shopify_sandbox.shopify.ids import gid
from erp_shopify_tests.test_sync.world import PLANT_LOCATIONS, World, sku, world


def _sync(w: World, shop: str = "shop-a", adapter: Any = None, **options: Any) -> InventorySync:
    return InventorySync(w.shop(shop), w.client(shop), adapter or w.adapter(), w.redis(), w.key_prefix, **options)


def _watched_level(w: Any, xref: Any, n: int, key_prefix: str) -> tuple[str, Fingerprints]:
    """The loop-guard key of item ``n`` at the first location of shop-a, and the guard itself."""
    item = xref.set_index("item_code").loc[sku(n), "inventory_item_id"]
    return inventory_object_key(item, w.shop("shop-a").locations["1010/0001"]), Fingerprints(w.redis(), key_prefix)


def test_first_sync_sets_every_mapped_item_and_a_second_writes_nothing(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=300) as w:
        xref = w.xref("shop-a").xref
        first = _sync(w).run(xref, None, "run-1")
        assert first.written == 300 and first.write_calls == 2  # 250 + 50
        assert set(w.shopify_available("shop-a").values()) == {7}
        calls = w.write_calls("shop-a")

        second = _sync(w).run(xref, None, "run-2")  # the same journal again: nothing moved
        assert (second.written, second.unchanged) == (0, 300)
        assert w.write_calls("shop-a") == calls
        assert second.watermark is not None


def test_safety_stock_and_orders_the_erp_does_not_have_lower_what_shopify_shows(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    extra = {"inventory": {"max_unmapped_share": 0.5}}
    shop_extra = {"safety_stock": {"default": 0, "per_sku": {sku(2): 3}}}
    with world(tmp_path, redis_url, key_prefix, items=3, shop_extra=shop_extra, **extra) as w:
        # A storefront order the ERP does not have yet, whose webhook never reached us: Shopify
        # commits its units, and the on_hand we set leaves them out of what it sells.
        w.shops["shop-a"].sandbox.state.place_order([(sku(1), 5)])
        _sync(w).run(w.xref("shop-a").xref, None, "run-1")
        assert w.shopify_available("shop-a") == {sku(0): 7, sku(1): 2, sku(2): 4}


class _DyingAfterFirstPage:
    """The real SAP adapter, with Shopify revoking our token once the first page was handed out:
    the run dies between two batches, as a killed process would."""

    def __init__(self, w: World) -> None:
        self.adapter = w.adapter()
        self.sandbox = w.shops["shop-a"].sandbox

    def inventory_changes(self, cursor: str | None) -> Iterator[InventoryPage]:
        for n, page in enumerate(self.adapter.inventory_changes(cursor)):
            if n == 1:
                self.sandbox.faults.faults.unauthorized = True
            yield page

    def __getattr__(self, name: str) -> Any:
        return getattr(self.adapter, name)


def test_a_run_dying_between_batches_is_replayed_to_the_same_result(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=400, sap_page_size=150) as w:
        xref = w.xref("shop-a").xref
        with pytest.raises(SystemFailure):
            _sync(w, adapter=_DyingAfterFirstPage(w), workers=1).run(xref, None, "run-1")
        shown = w.shopify_available("shop-a")
        written_before_crash = sum(1 for v in shown.values() if v == 7)
        assert 0 < written_before_crash < 400

        w.shops["shop-a"].sandbox.faults.faults.unauthorized = False
        replay = _sync(w).run(xref, None, "run-2")  # the watermark never moved: same cursor
        assert set(w.shopify_available("shop-a").values()) == {7}
        assert replay.unchanged == written_before_crash
        assert replay.written == 400 - written_before_crash


def test_a_change_committed_during_a_sync_is_written_by_the_next_one(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=50) as w:
        xref = w.xref("shop-a").xref
        first = _sync(w).run(xref, None, "run-1")
        # Committed while run 1 was finishing, stamped a minute before its last read (a late commit).
        w.set_erp_stock({sku(3): 2}, minutes_ago=1)
        assert w.shopify_available("shop-a")[sku(3)] == 7

        second = _sync(w).run(xref, first.watermark, "run-2")
        assert w.shopify_available("shop-a")[sku(3)] == 2
        assert (second.changes_read, second.written) == (1, 1)


def test_an_order_whose_webhook_has_not_arrived_is_never_handed_back(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=5) as w:
        xref = w.xref("shop-a").xref
        first = _sync(w).run(xref, None, "run-1")
        # A storefront order takes 3 units of SKU 1; its webhook has not reached us yet.
        w.shops["shop-a"].sandbox.state.place_order([(sku(1), 3)])
        w.set_erp_stock({sku(1): 9})
        second = _sync(w).run(xref, first.watermark, "run-2")
        assert second.stale_retries == 0  # a sale moves available and committed, never on_hand
        assert w.shopify_available("shop-a")[sku(1)] == 6  # 9 in the ERP minus the 3 sold


def test_a_shipment_is_read_back_and_its_units_leave_awaiting_shipment(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=2) as w:
        from erp_shopify.store.pending import PendingLine, PendingUnits

        xref = w.xref("shop-a").xref
        state = w.shops["shop-a"].sandbox.state
        location = w.shop("shop-a").locations["1010/0001"]
        units = PendingUnits(w.redis(), key_prefix)
        order = state.place_order([(sku(0), 3)])
        units.add("shop-a", "order-1", [PendingLine(sku(0), location, 3)])
        first = _sync(w).run(xref, None, "run-1")
        units.release("shop-a", "order-1")  # delivered: the ERP takes the 3 units off its stock
        w.set_erp_stock({sku(0): 4})
        second = _sync(w).run(xref, first.watermark, "run-2")
        assert (w.shopify_available("shop-a")[sku(0)], state.quantity(0, 0, "on_hand")) == (4, 7)

        state.fulfill(order.index)  # Shopify ships it: on_hand and committed both fall by 3
        w.set_erp_stock({sku(0): 5})  # a receipt of one unit in the ERP
        third = _sync(w).run(xref, second.watermark, "run-3")  # levels awaiting shipment are read back
        assert (third.rechecked, third.stale_retries, third.shipped_units) == (1, 0, 3)
        assert units.awaiting("shop-a") == {}
        assert (w.shopify_available("shop-a")[sku(0)], state.quantity(0, 0, "on_hand")) == (5, 5)


def test_full_resync_repairs_drift_made_in_shopify(tmp_path: Path, redis_url: str, key_prefix: str) -> None:
    with world(tmp_path, redis_url, key_prefix, items=20) as w:
        xref = w.xref("shop-a").xref
        _sync(w).run(xref, None, "run-1")
        state = w.shops["shop-a"].sandbox.state
        state.set_quantity(0, 4, "available", 40)  # someone edits stock by hand in the admin
        full = _sync(w).run(xref, None, "run-2", full_resync=True)
        assert full.full_resync and full.written == 1 and full.unchanged == 19
        assert w.shopify_available("shop-a")[sku(4)] == 7


def test_writes_carry_the_projects_one_idempotency_key_for_run_and_content(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=1) as w:
        xref = w.xref("shop-a").xref
        _sync(w).run(xref, None, "run-1")
        sent = {
            "inventoryItemId": xref["inventory_item_id"].iloc[0],
            "locationId": w.shop("shop-a").locations["1010/0001"],
            "quantity": 7,
            "changeFromQuantity": 0,  # never written before: the base is read from Shopify
        }
        key = documents.idempotency_key("inventory_set_quantities", [sent], scope="run-1")
        other = {"name": "on_hand", "reason": "correction", "quantities": [{**sent, "quantity": 8}]}
        with pytest.raises(ShopifyUserErrors) as refused:  # Shopify knows the key, bound to quantity 7
            w.client("shop-a").execute("inventory_set_quantities", {"input": other, "idempotencyKey": key})
        assert refused.value.codes == ("IDEMPOTENCY_KEY_PARAMETER_MISMATCH",)


def test_a_level_changed_by_hand_in_shopify_is_set_back_by_the_next_delta_run(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=3) as w:
        xref = w.xref("shop-a").xref
        first = _sync(w).run(xref, None, "run-1")
        w.shops["shop-a"].sandbox.state.set_quantity(0, 1, "available", 20)  # a merchant's edit in the admin
        key, guard = _watched_level(w, xref, 1, key_prefix)
        rechecks = Rechecks(w.redis(), key_prefix)
        rechecks.mark("shop-a", key, {"available": 20}, now=1.0)  # what the receiver does with its webhook

        second = _sync(w).run(xref, first.watermark, "run-2")  # the ERP journal has nothing new
        assert (second.changes_read, second.rechecked, second.shopify_moved, second.written) == (0, 1, 1, 1)
        assert w.shopify_available("shop-a") == {sku(0): 7, sku(1): 7, sku(2): 7}
        assert rechecks.read("shop-a") == {} and guard.conflicts("shop-a") == {}
        assert guard.is_echo("shop-a", key, {"available": 7})  # our overwrite's webhook will be dropped


class EditedDuringTheWrite(InventorySync):
    """A merchant edits the level again while the sync's overwrite is on its way, and the receiver
    marks it after the sync read its rechecks and before it clears them."""

    def __init__(self, *args: Any, edit: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        original = self.writer.write

        def write_then_edit(writes: Any, run_id: str) -> Any:
            outcome = original(writes, run_id)
            if len(writes):
                edit()
            return outcome

        self.writer.write = write_then_edit  # type: ignore[method-assign]


def test_a_recheck_marked_between_the_overwrite_and_the_clear_survives_for_the_next_run(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=2) as w:
        xref = w.xref("shop-a").xref
        first = _sync(w).run(xref, None, "run-1")
        key, _ = _watched_level(w, xref, 0, key_prefix)
        rechecks = Rechecks(w.redis(), key_prefix)
        state = w.shops["shop-a"].sandbox.state
        state.set_quantity(0, 0, "available", 20)
        rechecks.mark("shop-a", key, {"available": 20}, now=1.0)

        def edit_again() -> None:
            state.set_quantity(0, 0, "available", 12)
            rechecks.mark("shop-a", key, {"available": 12}, now=2.0)

        sync = EditedDuringTheWrite(
            w.shop("shop-a"), w.client("shop-a"), w.adapter(), w.redis(), key_prefix, edit=edit_again
        )
        second = sync.run(xref, first.watermark, "run-2")
        assert (second.shopify_moved, second.written) == (1, 1)  # 20 -> 7
        assert list(rechecks.read("shop-a")) == [key]  # the later edit was not lost
        assert w.shopify_available("shop-a")[sku(0)] == 12

        third = _sync(w).run(xref, second.watermark, "run-3")
        assert (third.shopify_moved, third.written) == (1, 1)
        assert w.shopify_available("shop-a")[sku(0)] == 7 and rechecks.read("shop-a") == {}


def test_a_recheck_of_a_level_that_did_not_really_move_is_cleared_without_a_write(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=2) as w:
        xref = w.xref("shop-a").xref
        first = _sync(w).run(xref, None, "run-1")
        key, _ = _watched_level(w, xref, 0, key_prefix)
        rechecks = Rechecks(w.redis(), key_prefix)
        w.shops["shop-a"].sandbox.state.place_order([(sku(0), 3)])  # a sale: available 4, on_hand still 7
        rechecks.mark("shop-a", key, {"available": 4}, now=1.0)

        second = _sync(w).run(xref, first.watermark, "run-2")
        assert (second.rechecked, second.shopify_moved, second.written, second.unchanged) == (1, 0, 0, 1)
        assert w.shopify_available("shop-a")[sku(0)] == 4
        assert rechecks.read("shop-a") == {}


def test_a_delta_touching_one_of_two_merged_warehouses_writes_their_whole_sum(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    one_store = {"locations": {code: gid("Location", 0) for code in PLANT_LOCATIONS}}
    with world(tmp_path, redis_url, key_prefix, items=3, shop_extra=one_store) as w:
        w.set_erp_stock({sku(2): 5}, location="1010/0002", minutes_ago=60)
        xref = w.xref("shop-a").xref
        first = _sync(w).run(xref, None, "run-1")
        assert w.shopify_available("shop-a") == {sku(0): 7, sku(1): 7, sku(2): 12}

        w.set_erp_stock({sku(2): 4}, location="1010/0002")  # only the second warehouse changes
        second = _sync(w).run(xref, first.watermark, "run-2")
        assert second.changes_read == 1 and second.siblings_reread == 1
        assert w.shopify_available("shop-a")[sku(2)] == 11  # 7 + 4, not 4


def test_an_item_without_a_variant_is_named_once_however_many_locations_stock_it(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=2) as w:
        for n in (10, 11):
            w.sap.store.add_material(sku(n))
        for location in PLANT_LOCATIONS:
            w.set_erp_stock({sku(10): 4, sku(11): 2, sku(0): 1}, location=location)
        result = _sync(w).run(w.xref("shop-a").xref, None, "run-1")
        assert result.unmapped_items == 2 * len(PLANT_LOCATIONS)  # rows: one per item and location
        assert result.unmapped_sample == [sku(10), sku(11)]
