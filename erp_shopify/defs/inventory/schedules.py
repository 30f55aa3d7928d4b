"""Inventory every few minutes and a nightly full reconciliation, one run per shop.

The inventory cadence is the sync policy's (``policy.py``) unless the shops file sets
``inventory.schedule``.
"""

from __future__ import annotations

import dagster as dg

from erp_shopify.defs.inventory.assets import FULL_RESYNC_TAG, inventory_levels
from erp_shopify.defs.shops import at_load, per_shop, shops_partitions
from erp_shopify.policy import Domain, cadence

RECONCILIATION_CRON = "30 3 * * *"

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


@dg.schedule(
    job=inventory_job,
    cron_schedule=at_load(lambda s: s.inventory.schedule, cadence(Domain.INVENTORY)),
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def inventory_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return per_shop(context)


@dg.schedule(job=inventory_reconciliation_job, cron_schedule=RECONCILIATION_CRON)
def inventory_reconciliation_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return per_shop(context)
