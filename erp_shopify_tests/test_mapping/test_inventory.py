"""The on_hand to set: sellable (ERP available - other shops' pending - safety stock, never below
zero) plus units awaiting shipment; writes only changes; re-based on Shopify's own on_hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd

from erp_shopify.config import SafetyStock
from erp_shopify.mapping.inventory import (
    after_shopify_read,
    available_to_sell,
    batches,
    combine_units,
    erp_units_frame,
    items_with_partial_sums,
    pending_frame,
    plan_writes,
    quantities_input,
    stock_frame,
    with_base,
    with_sibling_levels,
)
from erp_shopify.mapping.xref import build_xref, variants_frame
from erp_shopify.records import InventoryChange, StockLevel

LOC_A = "gid://shopify/Location/1"
LOC_B = "gid://shopify/Location/2"
LOCATIONS = {"1010/0001": LOC_A, "1010/0002": LOC_B}


def _xref(*skus: str) -> pd.DataFrame:
    variants = variants_frame(
        {
            "sku": sku,
            "variant_id": f"gid://shopify/ProductVariant/{n}",
            "inventory_item_id": f"gid://shopify/InventoryItem/{n}",
            "product_id": "gid://shopify/Product/1",
        }
        for n, sku in enumerate(skus, 1)
    )
    return build_xref(variants, skus).xref


def _change(item: str, location: str, available: str, minute: int, change_id: str) -> InventoryChange:
    return InventoryChange(
        item_code=item,
        location=location,
        available=Decimal(available),
        change_id=change_id,
        changed_at=datetime(2026, 11, 1, 10, minute, tzinfo=UTC),
    )


NO_UNITS = pending_frame({})
NO_OTHERS = erp_units_frame([])


def test_on_hand_is_sellable_after_other_shops_and_safety_plus_units_awaiting_shipment() -> None:
    stock = stock_frame(
        [
            StockLevel(item_code="A", location="1010/0001", available=Decimal("10.7")),
            StockLevel(item_code="B", location="1010/0001", available=Decimal("3")),
            StockLevel(item_code="A", location="1010/0002", available=Decimal("8")),
        ]
    )
    others = erp_units_frame([("A", "1010/0001", 4), ("B", "1010/0001", 5)])
    awaiting = pending_frame({("A", LOC_B): 2, ("B", LOC_A): 1})
    safety = SafetyStock(default=1, per_location={"1010/0002": 3}, per_sku={"B": 0})
    result = available_to_sell(stock, _xref("A", "B"), LOCATIONS, awaiting, others, safety)
    got = {(r.sku, r.location_id): (r.sellable, r.quantity) for r in result.targets.itertuples()}
    # A@1: floor(10.7 - 4 - 1) = 5; B@1: 3 - 5 - 0 = -2, + 1 awaiting -> 0; A@2: 8 - 0 - 3 = 5, + 2 awaiting
    assert got == {("A", LOC_A): (5, 5), ("B", LOC_A): (-2, 0), ("A", LOC_B): (5, 7)}


def test_latest_journal_entry_wins_and_unplaceable_rows_are_reported() -> None:
    stock = stock_frame(
        [
            _change("A", "1010/0001", "9", 5, "d2"),
            _change("A", "1010/0001", "4", 1, "d1"),
            _change("GHOST", "1010/0001", "7", 2, "d3"),
            _change("A", "9999/0001", "7", 2, "d4"),
        ]
    )
    result = available_to_sell(stock, _xref("A"), LOCATIONS, NO_UNITS, NO_OTHERS, SafetyStock())
    assert result.targets["quantity"].tolist() == [9]
    assert result.unmapped_items["item_code"].tolist() == ["GHOST"]
    assert result.unmapped_locations["location"].tolist() == ["9999/0001"]


def test_plan_writes_skips_values_already_written_and_keeps_the_base() -> None:
    targets = pd.DataFrame(
        {
            "inventory_item_id": ["i1", "i2", "i3"],
            "location_id": [LOC_A, LOC_A, LOC_A],
            "quantity": [5, 7, 2],
        }
    )
    known = pd.DataFrame({"inventory_item_id": ["i1", "i2"], "location_id": [LOC_A, LOC_A], "quantity": [5, 6]})
    plan = plan_writes(with_base(targets, known))
    assert plan.unchanged == 1 and plan.settled["inventory_item_id"].tolist() == ["i1"]
    sent = quantities_input(plan.writes)
    assert sent == [
        {"inventoryItemId": "i2", "locationId": LOC_A, "quantity": 7, "changeFromQuantity": 6},
        {"inventoryItemId": "i3", "locationId": LOC_A, "quantity": 2, "changeFromQuantity": None},
    ]


def test_batches_hold_at_most_250() -> None:
    frame = pd.DataFrame({"n": range(600)})
    assert [len(b) for b in batches(frame)] == [250, 250, 100]


def _written(quantity: int, change_from: int | None, sellable: int, awaiting: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "inventory_item_id": ["i1"],
            "location_id": [LOC_A],
            "sku": ["A"],
            "sellable": [sellable],
            "awaiting": [awaiting],
            "quantity": [quantity],
            "change_from": pd.array([change_from], dtype="Int64"),
        }
    )


def _shopify(on_hand: int) -> pd.DataFrame:
    return pd.DataFrame({"inventory_item_id": ["i1"], "location_id": [LOC_A], "on_hand": [on_hand]})


def test_on_hand_fallen_below_our_write_is_shipped_and_leaves_awaiting_shipment() -> None:
    # We set 10 (4 sellable + 6 awaiting); Shopify shipped 3 of those orders: on_hand 7.
    batch, shipped = after_shopify_read(_written(quantity=11, change_from=10, sellable=5, awaiting=6), _shopify(7))
    assert batch[["awaiting", "quantity", "change_from"]].values.tolist() == [[3, 8, 7]]
    assert shipped.values.tolist() == [["A", LOC_A, 3.0]]


def test_on_hand_raised_by_hand_is_set_back_and_ships_nothing() -> None:
    batch, shipped = after_shopify_read(_written(quantity=5, change_from=4, sellable=5, awaiting=0), _shopify(40))
    assert batch[["quantity", "change_from"]].values.tolist() == [[5, 40]] and shipped.empty


def test_a_level_never_written_counts_nothing_as_awaiting_shipment() -> None:
    # Without our last write nothing tells what shipped since: undersell until it ships, never oversell.
    batch, shipped = after_shopify_read(_written(quantity=9, change_from=None, sellable=4, awaiting=5), _shopify(6))
    assert batch[["awaiting", "quantity", "change_from"]].values.tolist() == [[0, 4, 6]]
    assert shipped["units"].tolist() == [5.0]


def test_two_reads_around_an_erp_read_combine_to_the_side_that_sells_less() -> None:
    before = pending_frame({("A", LOC_A): 2, ("B", LOC_A): 1})
    after = pending_frame({("A", LOC_A): 5})  # A: one more order; B: delivered (or cancelled) meanwhile
    keys = ["sku", "location_id"]
    added = combine_units(before, after, keys, "min")  # awaiting shipment is added back: take the lower
    held = combine_units(before, after, keys, "max")  # pending is subtracted: take the higher
    assert added.values.tolist() == [["A", LOC_A, 2.0]]
    assert sorted(held.values.tolist()) == [["A", LOC_A, 5.0], ["B", LOC_A, 1.0]]


MERGED = {"WH-1": LOC_A, "WH-2": LOC_A, "SHOP": LOC_B}  # two warehouses feed one Shopify location


def test_only_items_missing_a_merged_sibling_need_a_re_read() -> None:
    page = stock_frame(
        [
            StockLevel(item_code="A", location="WH-1", available=Decimal(1)),  # WH-2 missing: partial
            StockLevel(item_code="B", location="WH-1", available=Decimal(1)),
            StockLevel(item_code="B", location="WH-2", available=Decimal(2)),  # both present: whole
            StockLevel(item_code="C", location="SHOP", available=Decimal(3)),  # not merged
        ]
    )
    assert items_with_partial_sums(page, MERGED) == ["A"]
    assert items_with_partial_sums(page, {"WH-1": LOC_A, "WH-2": LOC_B}) == []


def test_sibling_levels_complete_the_page_and_fresh_rows_win() -> None:
    page = stock_frame([StockLevel(item_code="A", location="WH-2", available=Decimal(4))])
    fresh = stock_frame(
        [
            StockLevel(item_code="A", location="WH-1", available=Decimal(7)),
            StockLevel(item_code="A", location="WH-2", available=Decimal(5)),  # moved again since the page
            StockLevel(item_code="A", location="SHOP", available=Decimal(9)),  # not merged: not taken
        ]
    )
    completed = with_sibling_levels(page, fresh, MERGED)
    assert sorted(zip(completed["location"], completed["available"], strict=True)) == [("WH-1", 7.0), ("WH-2", 5.0)]
    xref = build_xref(variants_frame([{"sku": "A", "variant_id": "v1", "inventory_item_id": "i1"}]), ["A"]).xref
    targets = available_to_sell(completed, xref, MERGED, NO_UNITS, NO_OTHERS, SafetyStock()).targets
    assert targets["quantity"].tolist() == [12]
