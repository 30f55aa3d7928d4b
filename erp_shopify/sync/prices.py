"""One price sync of one shop: the ERP's price snapshot -> only the prices that changed.

The ERP has no reliable "last changed" for prices (SAP condition records have none), so change
detection compares today's effective prices with the snapshot last written to this shop, which
``write_prices`` updates call by call: only the rows of a call Shopify accepted join the snapshot, so
a run that fails midway sends the rest again next time and nothing twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from erp_shopify.config import ShopConfig
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.mapping import prices as m
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.fingerprints import Fingerprints, price_values
from erp_shopify.store.price_snapshot import PriceSnapshot

DOCUMENTS = {
    "productVariantsBulkUpdate": "product_variants_bulk_update",
    "priceListFixedPricesAdd": "price_list_fixed_prices_add",
    "quantityPricingByVariantUpdate": "quantity_pricing_by_variant_update",
}


@dataclass(frozen=True)
class PricePlan:
    current: pd.DataFrame  # the shop's effective prices today (the next snapshot)
    changes: pd.DataFrame  # rows differing from the last written snapshot, with previous_price
    anomalies: pd.DataFrame  # changed rows that must not be published unreviewed


def plan_prices(
    shop: ShopConfig,
    adapter: ErpAdapter,
    xref: pd.DataFrame,
    last_written: pd.DataFrame,
    max_change_percent: Any,
    day: date,
) -> PricePlan:
    records = [record for page in adapter.prices() for record in page]
    current = m.shop_prices(records, xref, shop, day)
    changes = m.price_changes(current, last_written)
    return PricePlan(current, changes, m.price_anomalies(changes, max_change_percent))


def write_prices(
    client: ShopifyClient, plan: PricePlan, snapshot: PriceSnapshot, fingerprints: Fingerprints, shop: str
) -> dict[str, Any]:
    """Send the changed prices, remembering each accepted call's rows (and, for retail prices, the
    loop guard's fingerprint, so the ``products/update`` echo is recognised); counts for metadata."""
    started, points = time.monotonic(), client.points_used
    calls: dict[str, int] = {}
    rows = 0
    for call in m.price_calls(plan.changes, plan.current):
        client.execute(DOCUMENTS[call.mutation], call.variables)
        snapshot.store(shop, call.written)
        if call.mutation == "productVariantsBulkUpdate":
            fingerprints.record_many(
                shop,
                {v: price_values(p) for v, p in zip(call.written["variant_id"], call.written["price"], strict=True)},
            )
        calls[call.mutation] = calls.get(call.mutation, 0) + 1
        rows += call.rows
    return {
        "prices_written": rows,
        "calls": sum(calls.values()),
        **{f"calls_{name}": n for name, n in calls.items()},
        "cost_points": round(client.points_used - points, 1),
        "seconds": round(time.monotonic() - started, 3),
    }
