"""Products every few minutes, one run per shop, at the sync policy's cadence unless the shops
file sets ``products.schedule``; a full resync is the run config ``full_resync: true`` (or a
backfill of the ``product_resync`` job, which carries the full-resync tag)."""

from __future__ import annotations

import dagster as dg

from erp_shopify.defs.products.assets import FULL_RESYNC_TAG, products
from erp_shopify.defs.shops import at_load, per_shop
from erp_shopify.policy import Domain, cadence

products_job = dg.define_asset_job(
    "product_sync",
    selection=[products],
    description="ERP products changed since the watermark, written to Shopify with productSet.",
    tags={"domain": "products"},
    executor_def=dg.in_process_executor,
)

product_resync_job = dg.define_asset_job(
    "product_resync",
    selection=[products],
    description="Reads every ERP product and writes those that differ from what was last written.",
    tags={"domain": "products", FULL_RESYNC_TAG: "true"},
    executor_def=dg.in_process_executor,
)


@dg.schedule(
    job=products_job,
    cron_schedule=at_load(lambda s: s.products.schedule, cadence(Domain.PRODUCT_MASTER)),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="One product_sync run per shop (products.schedule, else the sync policy's cadence).",
)
def products_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return per_shop(context)
