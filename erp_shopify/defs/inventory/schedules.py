"""Inventory every few minutes and a nightly full reconciliation, one run per shop.

``build_schedule_from_partitioned_job`` does not take dynamic partitions, so each schedule
yields one ``RunRequest`` per shop partition itself.
"""

from __future__ import annotations

import dagster as dg

from erp_shopify.config import ConfigError, InventoryConfig, load_settings
from erp_shopify.defs.inventory.assets import FULL_RESYNC_TAG, inventory_levels
from erp_shopify.defs.xref.partitions import SHOPS, shops_partitions

RECONCILIATION_CRON = "30 3 * * *"


def inventory_cron() -> str:
    """``InventoryConfig.schedule`` from the shops file, or its default when there is none yet."""
    try:
        return load_settings().inventory.schedule
    except ConfigError:
        return InventoryConfig().schedule


inventory_job = dg.define_asset_job(
    "inventory_sync", selection=[inventory_levels], partitions_def=shops_partitions, tags={"domain": "inventory"}
)

inventory_reconciliation_job = dg.define_asset_job(
    "inventory_reconciliation",
    selection=[inventory_levels],
    partitions_def=shops_partitions,
    description="Compares every mapped item with Shopify, reports all drift and repairs it.",
    tags={"domain": "inventory", FULL_RESYNC_TAG: "true"},
)


def per_shop(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    tick = context.scheduled_execution_time.isoformat()
    return [
        dg.RunRequest(run_key=f"{shop}:{tick}", partition_key=shop)
        for shop in context.instance.get_dynamic_partitions(SHOPS)
    ]


@dg.schedule(job=inventory_job, cron_schedule=inventory_cron(), default_status=dg.DefaultScheduleStatus.RUNNING)
def inventory_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return per_shop(context)


@dg.schedule(job=inventory_reconciliation_job, cron_schedule=RECONCILIATION_CRON)
def inventory_reconciliation_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return per_shop(context)
