"""Inventory every few minutes and a nightly full reconciliation, one run per shop.

The inventory cadence is the sync policy's (``policy.py``) unless the shops file sets
``inventory.schedule``. A shop bootstraps itself: both jobs hold ``sku_xref`` too, and a shop whose
xref was never materialized gets it built first in the same run (tagged with the reason); every
other shop's run selects ``inventory_levels`` only, and reads its last xref.
"""

from __future__ import annotations

import dagster as dg

from erp_shopify.defs.inventory.assets import FULL_RESYNC_TAG, inventory_levels
from erp_shopify.defs.products.assets import new_variants_since_xref
from erp_shopify.defs.shops import at_load, per_shop
from erp_shopify.defs.xref.assets import SKU_XREF, sku_xref
from erp_shopify.policy import Domain, cadence

RECONCILIATION_CRON = "30 3 * * *"
INVENTORY_LEVELS = dg.AssetKey("inventory_levels")
BOOTSTRAP_TAG = "erp_shopify/bootstrap"
BOOTSTRAP_REASON = "no sku_xref materialization yet for this shop: built first in this run"
NEW_VARIANTS_REASON = "products created variants since the last sku_xref build: rebuilt first in this run"

inventory_job = dg.define_asset_job(
    "inventory_sync",
    selection=[sku_xref, inventory_levels],
    description="ERP stock changes since the watermark, written to Shopify. The schedule selects "
    "inventory_levels only, plus sku_xref for a shop that has none yet.",
    tags={"domain": "inventory"},
    # The steps run one after the other anyway; a step process of its own (the multiprocess
    # executor) would import the code location a second time in every run, and shared_stock_sensor
    # waits for a shop's run to end before it requests the next one. Pools are claimed alike.
    executor_def=dg.in_process_executor,
)

inventory_reconciliation_job = dg.define_asset_job(
    "inventory_reconciliation",
    selection=[sku_xref, inventory_levels],
    description="Compares every mapped item with Shopify, reports all drift and repairs it.",
    tags={"domain": "inventory", FULL_RESYNC_TAG: "true"},
)


@dg.schedule(
    job=inventory_job,
    cron_schedule=at_load(lambda s: s.inventory.schedule, cadence(Domain.INVENTORY)),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="One inventory_sync run per shop (inventory.schedule, else the sync policy's cadence); a new "
    "shop's run builds its sku_xref first.",
)
def inventory_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return xref_first_where_missing(context)


@dg.schedule(
    job=inventory_reconciliation_job,
    cron_schedule=RECONCILIATION_CRON,
    description="Nightly full comparison of every mapped item, per shop. Off by default: it reads every level "
    "of the catalog and writes all drift, so turn it on once the delta sync's drift check is trusted, or "
    "launch inventory_reconciliation by hand (as a backfill over shops).",
)
def inventory_reconciliation_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    return xref_first_where_missing(context)


def xref_first_where_missing(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    """One run per shop: ``inventory_levels`` alone where the shop has an xref, else ``sku_xref``
    then ``inventory_levels`` (a new shop's first run would otherwise fail to read its xref). An
    xref older than variants the product sync created is rebuilt first too, so their stock flows
    in the same run."""
    built = context.instance.get_materialized_partitions(SKU_XREF)
    requests = []
    for request in per_shop(context):
        shop = request.partition_key or ""
        stale = shop in built and new_variants_since_xref(context.instance, shop, SKU_XREF)
        if shop in built and not stale:
            requests.append(request.with_replaced_attrs(asset_selection=[INVENTORY_LEVELS]))
        else:
            tags = {**request.tags, BOOTSTRAP_TAG: NEW_VARIANTS_REASON if stale else BOOTSTRAP_REASON}
            requests.append(request.with_replaced_attrs(asset_selection=[SKU_XREF, INVENTORY_LEVELS], tags=tags))
    return requests
