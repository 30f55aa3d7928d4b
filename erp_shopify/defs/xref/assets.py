"""``sku_xref``: each shop's ERP item -> Shopify variant table, with its data-quality checks.

Stored as a pickle per shop by the deployment's IO manager (``deployment_resources``: the local
``$DAGSTER_HOME/storage``, or an object store when runs share no disk): partition-aware out of the
box, keeps pandas dtypes exactly, needs no extra dependency and is read only by this code location.
(Parquet would want pyarrow for a table no other tool reads.) Its SKU -> ERP item column pair is also
published to Redis (``store.sku_table``) for order delivery, which runs outside these assets and must
not wait for a pickle or the ERP catalogue.
"""

import dagster as dg
import pandas as pd

from erp_shopify.defs.resources import ErpResource, RedisResource, SettingsResource, ShopifyResource
from erp_shopify.defs.shops import OWNERS, kinds, latest_metadata, shops_partitions, table_sample
from erp_shopify.mapping.xref import XrefResult, xref_collapsed
from erp_shopify.store.sku_table import SkuTable
from erp_shopify.sync.xref import build_shop_xref

SKU_XREF = dg.AssetKey("sku_xref")
VARIANTS = "variants"
COLLAPSED = "mapping_collapsed"

CHECKS = [
    dg.AssetCheckSpec(
        "no_duplicate_skus",
        asset="sku_xref",
        partitions_def=shops_partitions,
        description="SKUs carried by several variants",
    ),
    dg.AssetCheckSpec(
        "erp_items_have_variants",
        asset="sku_xref",
        partitions_def=shops_partitions,
        description="ERP items without a variant",
    ),
    dg.AssetCheckSpec(
        "variants_have_erp_items",
        asset="sku_xref",
        partitions_def=shops_partitions,
        description="variants without an ERP item",
    ),
    dg.AssetCheckSpec(
        "mapping_not_collapsed",
        asset="sku_xref",
        partitions_def=shops_partitions,
        blocking=True,
        description="Blocks the syncs downstream when more than max_unmapped_share of ERP items lost their variant",
    ),
]


def xref_checks(result: XrefResult, max_unmapped_share: float) -> list[dg.AssetCheckResult]:
    """The four checks of one xref build, each with its count and a sample table."""
    warn = dg.AssetCheckSeverity.WARN

    def check(name: str, frame: pd.DataFrame, **extra: float) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(
            check_name=name,
            passed=frame.empty,
            severity=warn,
            metadata={"count": len(frame), "sample": table_sample(frame), **extra},
        )

    collapsed = xref_collapsed(result, max_unmapped_share)
    return [
        check("no_duplicate_skus", result.duplicate_skus),
        check("erp_items_have_variants", result.erp_unmapped),
        check("variants_have_erp_items", result.variants_unmapped),
        dg.AssetCheckResult(
            check_name="mapping_not_collapsed",
            passed=not collapsed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "unmapped_share": round(result.unmapped_share, 4),
                "max_unmapped_share": max_unmapped_share,
                "unmapped_sample": table_sample(result.erp_unmapped),
            },
        ),
    ]


def catalog_size(instance: dg.DagsterInstance, shop: str) -> int:
    """Variants seen by this shop's last build (0 at first): decides paging or bulk export without
    spending a query on a count."""
    value = latest_metadata(instance, SKU_XREF, shop, VARIANTS)
    return value if isinstance(value, int) else 0


def require_usable_xref(instance: dg.DagsterInstance, shop: str) -> None:
    """Stop a sync that would load a collapsed xref. The blocking check guards the run that built
    it; the 10-minute inventory runs load the stored table, so they ask its last verdict here."""
    if latest_metadata(instance, SKU_XREF, shop, COLLAPSED) is True:
        raise dg.Failure(
            description=f"the SKU xref of {shop} collapsed (see its mapping_not_collapsed check);"
            " fix the mapping and rebuild sku_xref before syncing",
            allow_retries=False,
        )


def publish_skus(redis: RedisResource, shop: str, result: XrefResult) -> int:
    """Replace the shop's published SKU -> ERP item table (read by order delivery)."""
    rows = zip(result.xref["sku"].tolist(), result.xref["item_code"].tolist(), strict=True)
    with redis.client() as client:
        return SkuTable(client, redis.key_prefix).publish(shop, rows)


@dg.asset(
    partitions_def=shops_partitions,
    check_specs=CHECKS,
    pool="erp",
    group_name="xref",
    owners=OWNERS,
    kinds=kinds("shopify", "pandas"),
)
def sku_xref(
    context: dg.AssetExecutionContext,
    settings: SettingsResource,
    shopify: ShopifyResource,
    erp: ErpResource,
    redis: RedisResource,
):
    """Which Shopify variant and inventory item carry each ERP item in this shop; published to
    Redis (SKU -> item) for order delivery, unless the mapping collapsed."""
    config = settings.settings
    shop = config.shop(context.partition_key)
    bulk = catalog_size(context.instance, shop.name) > config.inventory.bulk_read_above
    with erp.adapter() as adapter, shopify.client(shop.name) as client:
        result = build_shop_xref(shop, client, adapter, bulk=bulk)
    rules = result.xref["rule"].value_counts().to_dict()
    collapsed = xref_collapsed(result, config.inventory.max_unmapped_share)
    published = None if collapsed else publish_skus(redis, shop.name, result)
    yield dg.Output(
        result.xref,
        metadata={
            "mapped": len(result.xref),
            "erp_unmapped": len(result.erp_unmapped),
            "variants_unmapped": len(result.variants_unmapped),
            "duplicate_skus": len(result.duplicate_skus),
            VARIANTS: result.variant_count,
            COLLAPSED: collapsed,
            **({} if published is None else {"published_skus": published}),  # collapsed: the old table stays
            "read_by": "bulk operation" if bulk else "paging",
            **{f"rule_{rule}": int(n) for rule, n in rules.items()},
            "dagster/row_count": len(result.xref),
        },
    )
    yield from xref_checks(result, config.inventory.max_unmapped_share)
