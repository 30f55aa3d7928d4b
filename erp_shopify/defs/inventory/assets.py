"""``inventory_levels``: each shop's Shopify stock kept equal to the ERP's available to sell.

The watermark is this partition's own: read from its last materialization's metadata, written
into the new one. A failed run records nothing, so the next run starts from the same place.
"""

from collections.abc import Mapping

import dagster as dg
import pandas as pd

from erp_shopify.defs.resources import ErpResource, RedisResource, SettingsResource, ShopifyResource
from erp_shopify.defs.shops import OWNERS, human_watermark, kinds, latest_metadata, shops_partitions, table_sample
from erp_shopify.defs.xref.assets import require_usable_xref
from erp_shopify.sync.holds import stock_peers
from erp_shopify.sync.inventory import InventorySync

WATERMARK = "watermark"
# Carried by every run of the reconciliation job, however launched (UI, CLI, schedule, backfill):
# a partitioned job's preset run config is applied to partition and backfill launches only.
FULL_RESYNC_TAG = "erp_shopify/full_resync"


class InventorySyncConfig(dg.Config):
    """Run config; ``full_resync`` ignores the watermark and compares every item with Shopify.
    Left unset, the job decides: runs tagged ``erp_shopify/full_resync`` (the reconciliation
    job's) reconcile, others read the journal."""

    full_resync: bool | None = None


def wants_full_resync(config: InventorySyncConfig, run_tags: Mapping[str, str]) -> bool:
    if config.full_resync is not None:
        return config.full_resync
    return run_tags.get(FULL_RESYNC_TAG) == "true"


def last_watermark(instance: dg.DagsterInstance, asset_key: dg.AssetKey, shop: str) -> str | None:
    """The watermark in this shop's latest materialization (other shops' runs never move it)."""
    value = latest_metadata(instance, asset_key, shop, WATERMARK)
    return None if value is None else str(value)


@dg.asset(
    partitions_def=shops_partitions,
    pool="erp",
    group_name="inventory",
    owners=OWNERS,
    kinds=kinds("shopify"),
    check_specs=[
        dg.AssetCheckSpec(
            "no_drift_in_sample",
            asset="inventory_levels",
            partitions_def=shops_partitions,
            description="A random sample of mapped items shows the same available in Shopify as the ERP target",
        )
    ],
)
def inventory_levels(
    context: dg.AssetExecutionContext,
    config: InventorySyncConfig,
    sku_xref: pd.DataFrame,
    settings: SettingsResource,
    shopify: ShopifyResource,
    erp: ErpResource,
    redis: RedisResource,
) -> dg.MaterializeResult:
    """ERP stock changes since the watermark, written to Shopify as absolute, idempotent sets."""
    shop = settings.settings.shop(context.partition_key)
    require_usable_xref(context.instance, shop.name)
    inventory_config = settings.settings.inventory
    full_resync = wants_full_resync(config, context.run.tags)
    cursor = None if full_resync else last_watermark(context.instance, context.asset_key, shop.name)
    peers = stock_peers(settings.settings.shops, shop)
    with erp.adapter() as adapter, redis.client() as redis_client, shopify.client(shop.name) as client:
        sync = InventorySync(shop, client, adapter, redis_client, redis.key_prefix, peers=peers, log=context.log.info)
        result = sync.run(sku_xref, cursor, context.run.run_id, full_resync=full_resync)
        sample = sync.drift_sample(sku_xref, inventory_config.drift_sample_size)
    drift_share = float(sample["drift"].mean()) if len(sample) else 0.0
    drift = dg.AssetCheckResult(
        check_name="no_drift_in_sample",
        passed=drift_share <= inventory_config.max_drift_share,
        metadata={
            "sampled": len(sample),
            "drifted": int(sample["drift"].sum()) if len(sample) else 0,
            "drift_share": round(drift_share, 4),
            "max_drift_share": inventory_config.max_drift_share,
            "drifted_sample": table_sample(sample.loc[sample["drift"]]),
        },
    )
    metadata = {**result.metadata(), WATERMARK: result.watermark, "previous_watermark": cursor}
    metadata["synced_through"] = human_watermark(result.watermark)  # the watermark as a person reads it
    metadata["unmapped_sample"] = ", ".join(result.unmapped_sample)
    return dg.MaterializeResult(metadata=metadata, check_results=[drift])
