"""Customers every few minutes, one run per shop, at the sync policy's cadence."""

from __future__ import annotations

import dagster as dg

from erp_shopify.defs.customers.assets import customers
from erp_shopify.defs.shops import per_shop
from erp_shopify.policy import Domain, cadence

customers_job = dg.define_asset_job(
    "customer_sync",
    selection=[customers],
    description="ERP customers changed since the watermark, merged with Shopify's and written with customerSet.",
    tags={"domain": "customers"},
    executor_def=dg.in_process_executor,
)


@dg.schedule(
    job=customers_job,
    cron_schedule=cadence(Domain.CUSTOMER_ADDRESSES),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="One customer_sync run per shop, at the sync policy's customer cadence.",
)
def customers_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return per_shop(context)
