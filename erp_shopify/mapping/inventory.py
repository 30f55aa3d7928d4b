"""ERP stock rows -> Shopify quantities to set: pure, vectorised (pandas).

available to sell = ERP available - units of this shop's orders not yet in the ERP - safety stock,
never below zero, in whole units (fractional ERP stock is floored: never promise what is not there).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from erp_shopify.config import SafetyStock
from erp_shopify.records import StockLevel

STOCK_COLUMNS = ["item_code", "location", "available", "changed_at", "change_id"]
TARGET_COLUMNS = [
    "inventory_item_id",
    "location_id",
    "sku",
    "item_code",
    "location",
    "erp_available",
    "pending",
    "safety",
    "quantity",
]
KNOWN_COLUMNS = ["inventory_item_id", "location_id", "quantity"]
MAX_QUANTITIES_PER_CALL = 250  # Shopify's input array limit


def stock_frame(rows: Iterable[StockLevel]) -> pd.DataFrame:
    """Stock levels or journal changes as a table (snapshot rows have no change id or time)."""
    records = [
        (
            r.item_code,
            r.location,
            float(r.available),
            getattr(r, "changed_at", None),
            getattr(r, "change_id", None),
        )
        for r in rows
    ]
    frame = pd.DataFrame.from_records(records, columns=STOCK_COLUMNS)
    return frame.astype({"item_code": "string", "location": "string", "available": "float64"})


def latest_levels(stock: pd.DataFrame) -> pd.DataFrame:
    """One row per (item, location): the latest absolute level (journal rows are absolute, so the
    newest wins and replays of an overlap window are harmless)."""
    if stock["changed_at"].notna().any():
        stock = stock.sort_values(["changed_at", "change_id"], kind="stable", na_position="first")
    return stock.drop_duplicates(["item_code", "location"], keep="last").reset_index(drop=True)


def pending_frame(totals: Mapping[tuple[str, str], int | float]) -> pd.DataFrame:
    """The queue's pending units ``{(sku, location_gid): units}`` as a table."""
    frame = pd.DataFrame(
        [(sku, location, units) for (sku, location), units in totals.items()],
        columns=["sku", "location_id", "pending"],
    )
    return frame.astype({"sku": "string", "location_id": "string", "pending": "float64"})


def by_item_code(xref: pd.DataFrame) -> pd.DataFrame:
    """The xref indexed by ERP item code (unique: each item maps to at most one variant)."""
    return xref if xref.index.name == "item_code" else xref.set_index("item_code", drop=False)


def merged_locations(locations: Mapping[str, str]) -> set[str]:
    """ERP locations that share their Shopify location with another: Shopify shows their sum."""
    shared = Counter(locations.values())
    return {erp for erp, shopify in locations.items() if shared[shopify] > 1}


def items_with_partial_sums(stock: pd.DataFrame, locations: Mapping[str, str]) -> list[str]:
    """Items whose rows at merged locations do not cover every sibling location.

    A journal page carries only the locations that changed; summing it alone would show Shopify
    one warehouse's stock instead of the total. These items need their siblings re-read.
    """
    merged = merged_locations(locations)
    if not merged:
        return []
    siblings = Counter(locations[erp] for erp in merged)
    rows = stock.loc[stock["location"].isin(merged), ["item_code", "location"]].drop_duplicates()
    rows = rows.assign(location_id=rows["location"].map(dict(locations)))
    seen = rows.groupby(["item_code", "location_id"], sort=False).size()
    needed = seen.index.get_level_values("location_id").map(siblings)
    partial = seen.loc[seen.to_numpy() < needed.to_numpy()]
    return list(dict.fromkeys(partial.index.get_level_values("item_code")))


def with_sibling_levels(stock: pd.DataFrame, levels: pd.DataFrame, locations: Mapping[str, str]) -> pd.DataFrame:
    """``stock`` completed by ``levels`` (a fresh snapshot of some items, STOCK_COLUMNS) at the
    merged locations: a fresh row replaces the page's row of the same item and location, and the
    page's row stays where the snapshot has none (a level that went to zero may have no row)."""
    merged = merged_locations(locations)
    fresh = levels.loc[levels["location"].isin(merged)]
    if fresh.empty:
        return stock
    pairs = pd.MultiIndex.from_frame(fresh[["item_code", "location"]])
    replaced = pd.MultiIndex.from_frame(stock[["item_code", "location"]]).isin(pairs)
    return pd.concat([stock.loc[~replaced], fresh], ignore_index=True)


def conflict_levels(shown: Mapping[str, object]) -> pd.DataFrame:
    """The loop guard's inventory conflicts ``{"<item gid>@<location gid>": available}`` as
    KNOWN_COLUMNS: what Shopify showed after a change nobody asked the ERP about."""
    rows = []
    for key, available in shown.items():
        item, _, location = key.partition("@")
        if item.startswith("gid://shopify/InventoryItem/") and location.startswith("gid://shopify/Location/"):
            rows.append((item, location, available if isinstance(available, int) else None))
    frame = pd.DataFrame(rows, columns=KNOWN_COLUMNS)
    return frame.astype({"inventory_item_id": "string", "location_id": "string", "quantity": "Int64"})


@dataclass(frozen=True)
class Targets:
    """Quantities to set, and the stock rows that could not be placed."""

    targets: pd.DataFrame  # TARGET_COLUMNS
    unmapped_items: pd.DataFrame  # stock rows whose item has no variant
    unmapped_locations: pd.DataFrame  # stock rows whose ERP location maps to no Shopify location


def available_to_sell(
    stock: pd.DataFrame,
    xref: pd.DataFrame,
    locations: Mapping[str, str],
    pending: pd.DataFrame,
    safety: SafetyStock,
) -> Targets:
    """Join stock to the xref and the shop's locations and compute what Shopify should show.

    Several ERP locations mapped to one Shopify location are summed (the caller completes a partial
    page first: ``items_with_partial_sums``, ``with_sibling_levels``). ``xref`` may come indexed by
    item code (``by_item_code``): a sync indexes it once and reuses it for every page.
    """
    levels = latest_levels(stock)
    location_ids = levels["location"].map(dict(locations)).astype("string")
    placed = location_ids.notna()
    unmapped_locations = levels.loc[~placed].reset_index(drop=True)
    levels = levels.loc[placed].assign(location_id=location_ids[placed])

    found = by_item_code(xref).reindex(levels["item_code"])  # a hash lookup per row, not a join of the catalogue
    joined = levels.assign(sku=found["sku"].to_numpy(), inventory_item_id=found["inventory_item_id"].to_numpy())
    mapped = joined["inventory_item_id"].notna()
    unmapped_items = joined.loc[~mapped, STOCK_COLUMNS].reset_index(drop=True)
    joined = joined.loc[mapped]

    by_location = joined["location"].map(dict(safety.per_location)).fillna(safety.default)
    by_sku = joined["sku"].map(dict(safety.per_sku))
    by_sku = by_sku.fillna(joined["item_code"].map(dict(safety.per_sku)))
    joined = joined.assign(safety=by_sku.fillna(by_location).astype("float64"))

    grouped = (
        joined.groupby(["inventory_item_id", "location_id"], sort=False)
        .agg(
            sku=("sku", "first"),
            item_code=("item_code", "first"),
            location=("location", "first"),
            erp_available=("available", "sum"),
            safety=("safety", "max"),
        )
        .reset_index()
    )
    grouped = grouped.merge(pending, on=["sku", "location_id"], how="left")
    grouped["pending"] = grouped["pending"].fillna(0.0)
    quantity = np.floor(grouped["erp_available"] - grouped["pending"] - grouped["safety"])
    grouped["quantity"] = quantity.clip(lower=0).astype("int64")
    return Targets(grouped[TARGET_COLUMNS], unmapped_items, unmapped_locations)


@dataclass(frozen=True)
class WritePlan:
    """What to send (with the compare-and-swap base), and how many targets needed no write."""

    writes: pd.DataFrame  # inventory_item_id, location_id, quantity, change_from (<NA> when unknown)
    unchanged: int


def plan_writes(targets: pd.DataFrame, known: pd.DataFrame) -> WritePlan:
    """Keep only targets that differ from the last known Shopify value; attach that value as the
    ``changeFromQuantity`` base."""
    merged = targets[KNOWN_COLUMNS].merge(
        known[KNOWN_COLUMNS].rename(columns={"quantity": "change_from"}),
        on=["inventory_item_id", "location_id"],
        how="left",
    )
    merged["change_from"] = merged["change_from"].astype("Int64")
    same = merged["change_from"].eq(merged["quantity"]).fillna(False).astype(bool)
    return WritePlan(writes=merged.loc[~same].reset_index(drop=True), unchanged=int(same.sum()))


def batches(frame: pd.DataFrame, size: int = MAX_QUANTITIES_PER_CALL) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def quantities_input(batch: pd.DataFrame) -> list[dict[str, object]]:
    """``InventoryQuantityInput`` list; an unknown base is sent as explicit null (no compare)."""
    return [
        {
            "inventoryItemId": item,
            "locationId": location,
            "quantity": int(quantity),
            "changeFromQuantity": None if pd.isna(change_from) else int(change_from),
        }
        for item, location, quantity, change_from in zip(
            batch["inventory_item_id"],
            batch["location_id"],
            batch["quantity"],
            batch["change_from"],
            strict=True,
        )
    ]


def recompute_after_stale(batch: pd.DataFrame, fresh: pd.DataFrame, pending: pd.DataFrame) -> pd.DataFrame:
    """New quantities for a batch Shopify refused as stale (``CHANGE_FROM_QUANTITY_STALE``).

    Shopify moved since we read it, usually because orders were placed. Their units may or may not
    be in ``pending`` yet (the webhook can lag), so take the lower of two answers: the target from
    fresh pending units, and our intended move applied to Shopify's fresh value. Either way no unit
    is sold twice; a Shopify value raised by hand loses to the ERP, which owns inventory.
    ``batch`` carries TARGET_COLUMNS plus ``change_from``; ``fresh`` is KNOWN_COLUMNS.
    """
    merged = batch.drop(columns=["pending"]).merge(pending, on=["sku", "location_id"], how="left")
    merged["pending"] = merged["pending"].fillna(0.0)
    merged = merged.merge(
        fresh[KNOWN_COLUMNS].rename(columns={"quantity": "fresh"}), on=["inventory_item_id", "location_id"], how="left"
    )
    from_erp = np.floor(merged["erp_available"] - merged["pending"] - merged["safety"])
    intended_move = merged["quantity"] - merged["change_from"].astype("float64")
    from_shopify = merged["fresh"].astype("float64") + intended_move.fillna(0.0)
    quantity = np.fmin(from_erp, from_shopify).clip(lower=0).astype("int64")
    merged["quantity"] = quantity
    merged["change_from"] = merged["fresh"].astype("Int64")
    return merged[[*TARGET_COLUMNS, "change_from"]]
