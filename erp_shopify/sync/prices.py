"""One price sync of one shop: the ERP's price snapshot -> only the prices that changed.

The ERP has no reliable "last changed" for prices (SAP condition records have none), so change
detection compares today's effective prices with the snapshot last written to this shop, which
``write_prices`` updates call by call: only the rows of a call Shopify accepted join the snapshot, so
a run that fails midway sends the rest again next time and nothing twice.

A retail price changed by hand in Shopify (the loop guard's conflict) is invisible to that
comparison, so the plan writes those variants again, and the write clears the conflicts it
overwrote. Each retail call's prices are recorded with the loop guard before the call, since
Shopify's ``products/update`` echo can arrive before the call's answer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from erp_shopify.config import ShopConfig
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.mapping import prices as m
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.fingerprints import Conflict, Fingerprints, price_values
from erp_shopify.store.price_snapshot import PriceSnapshot

DOCUMENTS = {
    "productVariantsBulkUpdate": "product_variants_bulk_update",
    "priceListFixedPricesAdd": "price_list_fixed_prices_add",
    "quantityPricingByVariantUpdate": "quantity_pricing_by_variant_update",
}
PRICE_ECHO_TOPIC = "products/update"  # carries each variant's retail price


@dataclass(frozen=True)
class PricePlan:
    current: pd.DataFrame  # the shop's effective prices today (the next snapshot)
    changes: pd.DataFrame  # rows differing from the last written snapshot, with previous_price
    anomalies: pd.DataFrame  # changed rows that must not be published unreviewed
    conflicts: tuple[Conflict, ...] = ()  # hand edits of mapped retail prices this plan overwrites


def plan_prices(
    shop: ShopConfig,
    adapter: ErpAdapter,
    xref: pd.DataFrame,
    last_written: pd.DataFrame,
    max_change_percent: Any,
    day: date,
    conflicts: Mapping[str, Conflict],
) -> PricePlan:
    """``conflicts`` are the loop guard's (all of the shop's: only price edits are taken)."""
    records = [record for page in adapter.prices() for record in page]
    current = m.shop_prices(records, xref, shop, day)
    retail = set(current.loc[current["target"] == m.RETAIL, "variant_id"])
    edited = tuple(c for key, c in conflicts.items() if c.topic == PRICE_ECHO_TOPIC and key in retail)
    changes = m.price_changes(current, last_written, overwrite=[c.object_key for c in edited])
    return PricePlan(current, changes, m.price_anomalies(changes, max_change_percent), edited)


def write_prices(
    client: ShopifyClient, plan: PricePlan, snapshot: PriceSnapshot, fingerprints: Fingerprints, shop: str
) -> dict[str, Any]:
    """Send the changed prices, remembering each accepted call's rows (and, for retail prices, the
    loop guard's fingerprint: intended before the call, confirmed after it), then clear the price
    conflicts overwritten; counts for metadata."""
    started, points = time.monotonic(), client.points_used
    calls: dict[str, int] = {}
    rows = 0
    for call in m.price_calls(plan.changes, plan.current):
        guarded = _retail_prices(call) if call.mutation == "productVariantsBulkUpdate" else {}
        fingerprints.intend(shop, guarded)
        client.execute(DOCUMENTS[call.mutation], call.variables)
        snapshot.store(shop, call.written)
        fingerprints.record_many(shop, guarded)
        calls[call.mutation] = calls.get(call.mutation, 0) + 1
        rows += call.rows
    return {
        "prices_written": rows,
        "conflicts_overwritten": fingerprints.clear(shop, plan.conflicts),  # an edit made since the plan stays
        "calls": sum(calls.values()),
        **{f"calls_{name}": n for name, n in calls.items()},
        "cost_points": round(client.points_used - points, 1),
        "seconds": round(time.monotonic() - started, 3),
    }


def _retail_prices(call: m.PriceCall) -> dict[str, dict[str, Any]]:
    """The loop guard's values of a retail call: what ``products/update`` will show per variant."""
    return {v: price_values(p) for v, p in zip(call.written["variant_id"], call.written["price"], strict=True)}
