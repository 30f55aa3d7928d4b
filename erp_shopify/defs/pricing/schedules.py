"""Prices nightly, one run per shop: the xref is rebuilt first, so its blocking check guards the
price write of the same run, as the anomaly check does. The cadence is the sync policy's
(``policy.py``) unless the shops file sets ``pricing.schedule``."""

from __future__ import annotations

import dagster as dg

from erp_shopify.defs.pricing.assets import price_changes, prices
from erp_shopify.defs.shops import at_load, per_shop
from erp_shopify.defs.xref.assets import sku_xref
from erp_shopify.policy import Domain, cadence

nightly_job = dg.define_asset_job(
    "nightly_xref_and_prices",
    selection=[sku_xref, price_changes, prices],
    description="Rebuilds the shop's SKU cross-reference, plans the price changes (stopped by an anomaly) "
    "and writes them to Shopify.",
    tags={"domain": "pricing"},
)


@dg.schedule(
    job=nightly_job,
    cron_schedule=at_load(lambda s: s.pricing.schedule, cadence(Domain.PRICES)),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="One nightly_xref_and_prices run per shop (pricing.schedule, else the sync policy's cadence).",
)
def prices_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return per_shop(context)
