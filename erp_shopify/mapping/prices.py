"""ERP price records -> the prices a shop should show, what changed, and what looks wrong. Pure.

Money stays exact: amounts are ``Decimal`` rounded to the currency's minor unit (JPY has none,
KWD three) and kept as canonical strings, so "changed" means changed to the cent, never a float
artefact. Floats are used only to measure the size of a change for the anomaly check.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from erp_shopify.config import ShopConfig
from erp_shopify.records import PriceRecord

RETAIL = "retail"  # the target of list prices (the variant's own price); B2B targets are price list GIDs
SNAPSHOT_COLUMNS = [
    "target",
    "variant_id",
    "product_id",
    "item_code",
    "currency",
    "min_quantity",
    "price",
    "compare_at",
]
KEY = ["target", "variant_id", "min_quantity"]
MAX_PRICES_PER_CALL = 250

# ISO 4217 minor units that are not 2 (the rest of Shopify's currencies use cents).
_MINOR_UNITS = {
    **dict.fromkeys(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND"], 0),
    **dict.fromkeys(["VUV", "XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit (half up, as shop prices are quoted)."""
    exponent = Decimal(1).scaleb(-_MINOR_UNITS.get(currency.upper(), 2))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def effective_prices(records: Iterable[PriceRecord], day: date) -> list[PriceRecord]:
    """The records valid on ``day``; where several overlap, the one that started last wins."""
    best: dict[tuple[str, str, str, int], PriceRecord] = {}
    for record in records:
        if not record.valid_on(day):
            continue
        key = (record.item_code, record.price_list, record.currency, record.min_quantity)
        current = best.get(key)
        if current is None or (record.valid_from or date.min) >= (current.valid_from or date.min):
            best[key] = record
    return list(best.values())


def shop_prices(records: Iterable[PriceRecord], xref: pd.DataFrame, shop: ShopConfig, day: date) -> pd.DataFrame:
    """The prices this shop should show today, one row per (target, variant, minimum quantity)."""
    targets = {(shop.erp_price_list, shop.currency): RETAIL}
    targets.update({(pl.erp_price_list, pl.currency): pl.shopify_price_list_id for pl in shop.price_lists})
    rows = []
    for r in effective_prices(records, day):
        target = targets.get((r.price_list, r.currency))
        if target is None or (target == RETAIL and r.min_quantity > 1):
            continue  # another shop's list or currency; retail has no quantity breaks in Shopify
        compare_at = None if r.compare_at_price is None else str(round_money(r.compare_at_price, r.currency))
        rows.append(
            (target, r.item_code, r.currency, r.min_quantity, str(round_money(r.price, r.currency)), compare_at)
        )
    frame = pd.DataFrame(rows, columns=["target", "item_code", "currency", "min_quantity", "price", "compare_at"])
    frame = frame.astype({"target": "string", "item_code": "string", "price": "string", "compare_at": "string"})
    frame = frame.merge(xref[["item_code", "variant_id", "product_id"]], on="item_code", how="inner")
    return frame[SNAPSHOT_COLUMNS].sort_values(KEY, kind="stable").reset_index(drop=True)


def empty_snapshot() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "min_quantity" else "string") for c in SNAPSHOT_COLUMNS})


def price_changes(current: pd.DataFrame, last_written: pd.DataFrame, overwrite: Iterable[str] = ()) -> pd.DataFrame:
    """Rows whose price or compare-at differs from the last written snapshot (or that are new),
    with the previous price alongside (``previous_price``, <NA> when new). The retail prices of the
    variants in ``overwrite`` (changed by hand in Shopify, which the snapshot cannot see) count as
    new, so they are written again."""
    edited = last_written["target"].eq(RETAIL) & last_written["variant_id"].isin(list(overwrite))
    previous = last_written.loc[~edited, [*KEY, "price", "compare_at"]].rename(
        columns={"price": "previous_price", "compare_at": "previous_compare_at"}
    )
    merged = current.merge(previous, on=KEY, how="left")
    same_price = merged["price"].eq(merged["previous_price"]).fillna(False).astype(bool)
    same_compare = (
        merged["compare_at"].eq(merged["previous_compare_at"]).fillna(False).astype(bool)
        | (merged["compare_at"].isna() & merged["previous_compare_at"].isna() & merged["previous_price"].notna())
    ).astype(bool)
    return merged.loc[~(same_price & same_compare)].drop(columns=["previous_compare_at"]).reset_index(drop=True)


def price_anomalies(changes: pd.DataFrame, max_change_percent: Decimal) -> pd.DataFrame:
    """Changed rows no one should publish unreviewed: a zero or negative price, or a jump larger
    than ``max_change_percent`` from the last written price. Adds a ``problem`` column."""
    price = changes["price"].astype("float64")
    previous = changes["previous_price"].astype("float64")
    change = ((price - previous).abs() / previous * 100).where(previous > 0)
    problem = pd.Series(pd.NA, index=changes.index, dtype="string")
    problem = problem.mask(change > float(max_change_percent), "change of " + change.round(1).astype("string") + "%")
    problem = problem.mask(price <= 0, "price is not positive")
    return changes.assign(problem=problem).loc[problem.notna()].reset_index(drop=True)


@dataclass(frozen=True)
class PriceCall:
    """One mutation to send: its name and variables."""

    mutation: str  # productVariantsBulkUpdate | priceListFixedPricesAdd | quantityPricingByVariantUpdate
    variables: dict[str, object]
    written: pd.DataFrame  # the snapshot rows this call makes true

    @property
    def rows(self) -> int:
        return len(self.written)


def _money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currencyCode": currency}


def price_calls(changes: pd.DataFrame, current: pd.DataFrame) -> Iterator[PriceCall]:
    """Group changed rows into as few calls as the API allows: retail by product, fixed B2B prices
    250 per call, and the full break ladder of each variant whose breaks changed."""
    retail = changes.loc[changes["target"] == RETAIL]
    for product_id, group in retail.groupby("product_id", sort=True):
        variants = [
            {"id": v, "price": p, "compareAtPrice": None if pd.isna(c) else c}
            for v, p, c in zip(group["variant_id"], group["price"], group["compare_at"], strict=True)
        ]
        yield PriceCall("productVariantsBulkUpdate", {"productId": product_id, "variants": variants}, group)

    b2b = changes.loc[changes["target"] != RETAIL]
    fixed = b2b.loc[b2b["min_quantity"] <= 1]
    for price_list, group in fixed.groupby("target", sort=True):
        prices = [
            {
                "variantId": v,
                "price": _money(p, cur),
                "compareAtPrice": None if pd.isna(c) else _money(c, cur),
            }
            for v, p, c, cur in zip(
                group["variant_id"], group["price"], group["compare_at"], group["currency"], strict=True
            )
        ]
        for start in range(0, len(prices), MAX_PRICES_PER_CALL):
            chunk = prices[start : start + MAX_PRICES_PER_CALL]
            rows = group.iloc[start : start + MAX_PRICES_PER_CALL]
            yield PriceCall("priceListFixedPricesAdd", {"priceListId": price_list, "prices": chunk}, rows)

    breaks = b2b.loc[b2b["min_quantity"] > 1]
    for price_list, group in breaks.groupby("target", sort=True):
        ladder = current.loc[
            (current["target"] == price_list)
            & (current["min_quantity"] > 1)
            & current["variant_id"].isin(group["variant_id"].unique())
        ]
        for ids in _ladder_chunks(ladder):
            rows = ladder.loc[ladder["variant_id"].isin(ids)]
            yield PriceCall(
                "quantityPricingByVariantUpdate",
                {
                    "priceListId": price_list,
                    "input": {
                        "pricesToAdd": [],
                        "pricesToDeleteByVariantId": [],
                        "quantityPriceBreaksToAdd": [
                            {"variantId": v, "minimumQuantity": int(q), "price": _money(p, cur)}
                            for v, q, p, cur in zip(
                                rows["variant_id"], rows["min_quantity"], rows["price"], rows["currency"], strict=True
                            )
                        ],
                        "quantityPriceBreaksToDelete": [],
                        "quantityPriceBreaksToDeleteByVariantId": ids,
                        "quantityRulesToAdd": [],
                        "quantityRulesToDeleteByVariantId": [],
                    },
                },
                rows,
            )


def _ladder_chunks(ladder: pd.DataFrame) -> Iterator[list[str]]:
    """Variant ids in groups whose breaks together stay within the 250-item input limit."""
    chunk: list[str] = []
    size = 0
    for variant_id, count in ladder.groupby("variant_id", sort=True).size().items():
        if chunk and size + count > MAX_PRICES_PER_CALL:
            yield chunk
            chunk, size = [], 0
        chunk.append(str(variant_id))
        size += int(count)
    if chunk:
        yield chunk
