"""ERP stock rows -> Shopify ``on_hand`` quantities to set: pure, vectorised (pandas).

sellable = ERP available - other shops' pending units on the same ERP stock - safety stock, in whole
units (fractional ERP stock is floored: never promise what is not there).
on_hand to set = sellable + units awaiting shipment (in the ERP already, still committed in Shopify),
never below zero.

Shopify then shows available = on_hand - committed, so every unit this shop sold and the ERP does not
have yet is subtracted by Shopify itself, at the moment of the sale, whatever its webhook does (the
argument is in docs/architecture.md, "Never oversell").
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
    "others_pending",
    "safety",
    "sellable",
    "awaiting",
    "quantity",
]
HOLD_COLUMNS = ["inventory_item_id", "location_id", "awaiting", "others_pending"]
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
    """Units per ``{(sku, location_gid): units}`` (pending or awaiting shipment) as a table."""
    frame = pd.DataFrame(
        [(sku, location, units) for (sku, location), units in totals.items()],
        columns=["sku", "location_id", "units"],
    )
    return frame.astype({"sku": "string", "location_id": "string", "units": "float64"})


def erp_units_frame(rows: Iterable[tuple[str, str, float]]) -> pd.DataFrame:
    """Units per (ERP item, ERP location): other shops' pending units on this shop's ERP stock."""
    frame = pd.DataFrame(list(rows), columns=["item_code", "location", "units"])
    frame = frame.astype({"item_code": "string", "location": "string", "units": "float64"})
    return frame.groupby(["item_code", "location"], as_index=False, sort=False)["units"].sum()


def combine_units(first: pd.DataFrame, second: pd.DataFrame, keys: list[str], how: str) -> pd.DataFrame:
    """Two reads of the same units, taken before and after an ERP read, made safe to combine with it:
    ``how="min"`` for units added to a target (awaiting shipment), ``"max"`` for units subtracted
    (pending). A unit that moved while the ERP was read then counts on the side that sells less."""
    merged = first.merge(second, on=keys, how="outer", suffixes=("_a", "_b")).fillna({"units_a": 0.0, "units_b": 0.0})
    pick = np.fmin if how == "min" else np.fmax
    merged["units"] = pick(merged["units_a"], merged["units_b"])
    return merged.loc[merged["units"] > 0, [*keys, "units"]].reset_index(drop=True)


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
    awaiting: pd.DataFrame,
    others_pending: pd.DataFrame,
    safety: SafetyStock,
) -> Targets:
    """Join stock to the xref and the shop's locations and compute the ``on_hand`` to set.

    ``awaiting`` is ``pending_frame`` of this shop's units awaiting shipment; ``others_pending`` is
    ``erp_units_frame`` of other shops' pending units on the same ERP stock. Several ERP locations
    mapped to one Shopify location are summed (the caller completes a partial page first:
    ``items_with_partial_sums``, ``with_sibling_levels``). ``xref`` may come indexed by item code
    (``by_item_code``): a sync indexes it once and reuses it for every page.
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
    others = others_pending.rename(columns={"units": "others_pending"})
    joined = joined.merge(others, on=["item_code", "location"], how="left").fillna({"others_pending": 0.0})

    grouped = (
        joined.groupby(["inventory_item_id", "location_id"], sort=False)
        .agg(
            sku=("sku", "first"),
            item_code=("item_code", "first"),
            location=("location", "first"),
            erp_available=("available", "sum"),
            others_pending=("others_pending", "sum"),
            safety=("safety", "max"),
        )
        .reset_index()
    )
    grouped = grouped.merge(awaiting.rename(columns={"units": "awaiting"}), on=["sku", "location_id"], how="left")
    grouped["awaiting"] = grouped["awaiting"].fillna(0.0).astype("int64")
    # Not clipped: an ERP that promised more than it has (a negative sellable) must also eat into
    # the units added back, or those would be offered again.
    grouped["sellable"] = np.floor(grouped["erp_available"] - grouped["others_pending"] - grouped["safety"]).astype(
        "int64"
    )
    grouped["quantity"] = on_hand_target(grouped["sellable"], grouped["awaiting"])
    return Targets(grouped[TARGET_COLUMNS], unmapped_items, unmapped_locations)


@dataclass(frozen=True)
class WritePlan:
    """Rows to send (with their compare-and-swap base), and rows Shopify already shows."""

    writes: pd.DataFrame  # TARGET_COLUMNS + change_from (<NA> when unknown)
    settled: pd.DataFrame

    @property
    def unchanged(self) -> int:
        return len(self.settled)


def with_base(targets: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """``targets`` with the last known Shopify ``on_hand`` (``known``: KNOWN_COLUMNS) as ``change_from``."""
    rows = targets.merge(
        known[KNOWN_COLUMNS].rename(columns={"quantity": "change_from"}),
        on=["inventory_item_id", "location_id"],
        how="left",
    )
    rows["change_from"] = rows["change_from"].astype("Int64")
    return rows


def plan_writes(rows: pd.DataFrame) -> WritePlan:
    """Split rows with a base (``with_base``) into those to write and those already in place."""
    same = rows["change_from"].eq(rows["quantity"]).fillna(False).astype(bool)
    return WritePlan(writes=rows.loc[~same].reset_index(drop=True), settled=rows.loc[same].reset_index(drop=True))


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


def on_hand_target(sellable: pd.Series, awaiting: pd.Series) -> pd.Series:
    return (sellable + awaiting).clip(lower=0).astype("int64")


def after_shopify_read(batch: pd.DataFrame, fresh: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Targets re-based on what Shopify shows now (``fresh``: inventory_item_id, location_id, on_hand).

    Shopify's ``on_hand`` moves only by our writes, shipments and hand edits (sales move ``available``
    to ``committed`` and leave it alone). Where it fell below our last write (``change_from``), the
    difference shipped, or was taken off by hand: either way it no longer awaits shipment, so it
    comes off ``awaiting`` (never below zero; a hand edit thereby undersells until those orders
    ship, never oversells). Where we never wrote (no ``change_from``), nothing tells what shipped,
    so ``awaiting`` is taken as zero. Returns the re-based batch (``change_from`` = Shopify's value)
    and the shipped units per (sku, location_id) to take off the store.
    """
    merged = batch.merge(
        fresh[["inventory_item_id", "location_id", "on_hand"]], on=["inventory_item_id", "location_id"], how="left"
    )
    known = merged["change_from"].notna() & merged["on_hand"].notna()
    fell = (merged["change_from"].astype("Float64") - merged["on_hand"].astype("Float64")).fillna(0).clip(lower=0)
    shipped = np.where(known, np.minimum(fell.astype("float64"), merged["awaiting"]), merged["awaiting"])
    merged["awaiting"] = (merged["awaiting"] - shipped).astype("int64")
    merged["quantity"] = on_hand_target(merged["sellable"], merged["awaiting"])
    merged["change_from"] = merged["on_hand"].astype("Int64")
    taken = merged.assign(units=shipped).loc[lambda f: f["units"] > 0, ["sku", "location_id", "units"]]
    return merged[batch.columns], taken.reset_index(drop=True)
