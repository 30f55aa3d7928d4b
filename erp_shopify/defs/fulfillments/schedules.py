"""Fulfillments every few minutes (the sync policy's cadence unless the shops file sets
``fulfillments.schedule``), one run per shop."""

from __future__ import annotations

import dagster as dg

from erp_shopify.defs.fulfillments.assets import fulfillments
from erp_shopify.defs.shops import at_load, per_shop
from erp_shopify.policy import Domain, cadence

fulfillment_job = dg.define_asset_job(
    "fulfillment_sync",
    selection=[fulfillments],
    description="Shipped ERP deliveries since the watermark, fulfilled in Shopify once, with tracking.",
    tags={"domain": "fulfillments"},
    executor_def=dg.in_process_executor,
)


@dg.schedule(
    job=fulfillment_job,
    cron_schedule=at_load(lambda s: s.fulfillments.schedule, cadence(Domain.FULFILLMENTS)),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="One fulfillment_sync run per shop (fulfillments.schedule, else the sync policy's cadence).",
)
def fulfillment_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return per_shop(context)
