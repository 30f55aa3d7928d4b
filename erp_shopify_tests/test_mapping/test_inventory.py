"""Available to sell: ERP available - pending - safety stock, never below zero; writes only changes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd

from erp_shopify.config import SafetyStock
from erp_shopify.mapping.inventory import (
    available_to_sell,
    batches,
    conflict_levels,
    items_with_partial_sums,
    pending_frame,
    plan_writes,
    quantities_input,
    recompute_after_stale,
    stock_frame,
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


def test_available_to_sell_subtracts_pending_and_safety_and_never_goes_negative() -> None:
    stock = stock_frame(
        [
            StockLevel(item_code="A", location="1010/0001", available=Decimal("10.7")),
            StockLevel(item_code="B", location="1010/0001", available=Decimal("3")),
            StockLevel(item_code="A", location="1010/0002", available=Decimal("8")),
        ]
    )
    pending = pending_frame({("A", LOC_A): 4, ("B", LOC_A): 5})
    safety = SafetyStock(default=1, per_location={"1010/0002": 3}, per_sku={"B": 0})
    result = available_to_sell(stock, _xref("A", "B"), LOCATIONS, pending, safety)
    got = {(r.sku, r.location_id): r.quantity for r in result.targets.itertuples()}
    # A@1: floor(10.7 - 4 - 1) = 5; B@1: 3 - 5 - 0 -> 0; A@2: 8 - 0 - 3 = 5
    assert got == {("A", LOC_A): 5, ("B", LOC_A): 0, ("A", LOC_B): 5}


def test_latest_journal_entry_wins_and_unplaceable_rows_are_reported() -> None:
    stock = stock_frame(
        [
            _change("A", "1010/0001", "9", 5, "d2"),
            _change("A", "1010/0001", "4", 1, "d1"),
            _change("GHOST", "1010/0001", "7", 2, "d3"),
            _change("A", "9999/0001", "7", 2, "d4"),
        ]
    )
    result = available_to_sell(stock, _xref("A"), LOCATIONS, pending_frame({}), SafetyStock())
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
    plan = plan_writes(targets, known)
    assert plan.unchanged == 1
    sent = quantities_input(plan.writes)
    assert sent == [
        {"inventoryItemId": "i2", "locationId": LOC_A, "quantity": 7, "changeFromQuantity": 6},
        {"inventoryItemId": "i3", "locationId": LOC_A, "quantity": 2, "changeFromQuantity": None},
    ]


def test_batches_hold_at_most_250() -> None:
    frame = pd.DataFrame({"n": range(600)})
    assert [len(b) for b in batches(frame)] == [250, 250, 100]


def _stale_batch(quantity: int, change_from: int, erp: float, pending: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "inventory_item_id": ["i1"],
            "location_id": [LOC_A],
            "sku": ["A"],
            "item_code": ["A"],
            "location": ["1010/0001"],
            "erp_available": [erp],
            "pending": [pending],
            "safety": [0.0],
            "quantity": [quantity],
            "change_from": pd.array([change_from], dtype="Int64"),
        }
    )


def test_stale_recompute_subtracts_an_order_whose_webhook_has_not_arrived() -> None:
    # We meant 10 -> 12 (ERP 12, nothing pending); meanwhile an order took 3 in Shopify (10 -> 7).
    batch = _stale_batch(quantity=12, change_from=10, erp=12, pending=0)
    fresh = pd.DataFrame({"inventory_item_id": ["i1"], "location_id": [LOC_A], "quantity": [7]})
    late = recompute_after_stale(batch, fresh, pending_frame({}))
    assert late[["quantity", "change_from"]].values.tolist() == [[9, 7]]
    # Once the order is pending, both answers agree: 12 - 3.
    arrived = recompute_after_stale(batch, fresh, pending_frame({("A", LOC_A): 3}))
    assert arrived["quantity"].tolist() == [9]


def test_stale_recompute_lets_the_erp_win_over_a_manual_raise_in_shopify() -> None:
    batch = _stale_batch(quantity=5, change_from=4, erp=5, pending=0)
    fresh = pd.DataFrame({"inventory_item_id": ["i1"], "location_id": [LOC_A], "quantity": [40]})
    assert recompute_after_stale(batch, fresh, pending_frame({}))["quantity"].tolist() == [5]


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
    targets = available_to_sell(completed, xref, MERGED, pending_frame({}), SafetyStock()).targets
    assert targets["quantity"].tolist() == [12]


def test_conflict_levels_keep_inventory_keys_only() -> None:
    shown = conflict_levels(
        {
            f"gid://shopify/InventoryItem/1@{LOC_A}": 20,
            f"gid://shopify/InventoryItem/2@{LOC_B}": None,
            "gid://shopify/ProductVariant/3": "19.90",  # a price conflict: not this sync's
        }
    )
    assert shown["inventory_item_id"].tolist() == ["gid://shopify/InventoryItem/1", "gid://shopify/InventoryItem/2"]
    assert shown["quantity"].tolist() == [20, pd.NA]
