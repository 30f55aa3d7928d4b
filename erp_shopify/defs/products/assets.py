"""``products``: each shop's products kept equal to the ERP's product master, written on change.

The watermark is the ERP's own change marker (SAP ``LastChangeDateTime``, ...), read from this
partition's last materialization and written into the new one, as ``inventory_levels`` does; a
run that fails records nothing, so the next starts from the same place. Products Shopify refuses
are listed in the metadata and fail the ``products_accepted_by_shopify`` check (warn), while the
rest is written and the watermark moves on: the ERP fixing a product changes its stamp, and the
product is read again.
"""

import time

import dagster as dg
import pandas as pd

from erp_shopify.defs.inventory.assets import (
    FULL_RESYNC_TAG,
    WATERMARK,
    InventorySyncConfig,
    last_watermark,
    wants_full_resync,
)
from erp_shopify.defs.resources import ErpResource, RedisResource, SettingsResource, ShopifyResource
from erp_shopify.defs.shops import (
    OWNERS,
    kinds,
    latest_materialization,
    latest_metadata,
    shops_partitions,
    table_sample,
)
from erp_shopify.erp.base import ProductSource
from erp_shopify.sync.products import ProductSync

PRODUCTS = dg.AssetKey("products")
NEW_VARIANTS_AT = "new_variants_at"  # when a run last created variants (carried forward run to run)
ACCEPTED_CHECK = "products_accepted_by_shopify"
__all__ = ["FULL_RESYNC_TAG", "PRODUCTS", "ProductSyncConfig", "products"]


class ProductSyncConfig(InventorySyncConfig):
    """Run config; ``full_resync`` reads every product of the ERP and writes those that differ
    from what was last written (tag ``erp_shopify/full_resync`` does the same)."""


@dg.asset(
    partitions_def=shops_partitions,
    pool="erp",
    group_name="products",
    owners=OWNERS,
    kinds=kinds("shopify"),
    check_specs=[
        dg.AssetCheckSpec(
            ACCEPTED_CHECK,
            asset="products",
            partitions_def=shops_partitions,
            description="Products the ERP describes in a way Shopify refuses (too many options or "
            "variants, an empty title, a duplicate option value), with Shopify's userErrors",
        )
    ],
)
def products(
    context: dg.AssetExecutionContext,
    config: ProductSyncConfig,
    settings: SettingsResource,
    shopify: ShopifyResource,
    erp: ErpResource,
    redis: RedisResource,
) -> dg.MaterializeResult:
    """ERP products changed since the watermark, each written whole with ``productSet``."""
    shop = settings.settings.shop(context.partition_key)
    full_resync = wants_full_resync(config, context.run.tags)
    cursor = None if full_resync else last_watermark(context.instance, context.asset_key, shop.name)
    with erp.adapter() as adapter, redis.client() as redis_client, shopify.client(shop.name) as client:
        if not isinstance(adapter, ProductSource):
            raise dg.Failure(f"the {adapter.name} adapter does not read a product master", allow_retries=False)
        sync = ProductSync(
            shop, client, adapter, redis_client, redis.key_prefix, settings.settings.products, log=context.log.info
        )
        result = sync.run(cursor, full_resync=full_resync)
    refused = pd.DataFrame([r.row() for r in result.refused], columns=["product_code", "title", "codes", "errors"])
    check = dg.AssetCheckResult(
        check_name=ACCEPTED_CHECK,
        passed=refused.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"refused": len(refused), "sample": table_sample(refused)},
    )
    metadata = {**result.metadata(), WATERMARK: result.watermark, "previous_watermark": cursor}
    created_at = (
        time.time() if result.new_variants else latest_metadata(context.instance, PRODUCTS, shop.name, NEW_VARIANTS_AT)
    )
    if created_at is not None:
        metadata[NEW_VARIANTS_AT] = dg.MetadataValue.float(float(created_at))  # type: ignore[arg-type]
    metadata["refused_products"] = table_sample(refused, rows=50)
    return dg.MaterializeResult(metadata=metadata, check_results=[check])


def new_variants_since_xref(instance: dg.DagsterInstance, shop: str, xref_key: dg.AssetKey) -> bool:
    """Whether a ``products`` run created variants after the shop's last ``sku_xref`` build: the
    xref must then be rebuilt before inventory or prices reach them."""
    created = latest_metadata(instance, PRODUCTS, shop, NEW_VARIANTS_AT)
    if not isinstance(created, float | int):
        return False
    built = latest_materialization(instance, xref_key, shop)
    return built is None or built.timestamp < created
