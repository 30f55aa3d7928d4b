"""Prices nightly, one run per shop: the xref is rebuilt first, so its blocking check guards the
price write of the same run, as the anomaly check does."""

from __future__ import annotations

import dagster as dg

from erp_shopify.config import ConfigError, PricingConfig, load_settings
from erp_shopify.defs.inventory.schedules import per_shop
from erp_shopify.defs.pricing.assets import price_changes, prices
from erp_shopify.defs.xref.assets import sku_xref
from erp_shopify.defs.xref.partitions import shops_partitions


def pricing_cron() -> str:
    try:
        return load_settings().pricing.schedule
    except ConfigError:
        return PricingConfig().schedule


nightly_job = dg.define_asset_job(
    "nightly_xref_and_prices",
    selection=[sku_xref, price_changes, prices],
    partitions_def=shops_partitions,
    tags={"domain": "pricing"},
)


@dg.schedule(job=nightly_job, cron_schedule=pricing_cron(), default_status=dg.DefaultScheduleStatus.RUNNING)
def prices_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return per_shop(context)
