"""Prices per shop in two steps, so a blocking check can stand between plan and write:
``price_changes`` (what would change, checked for anomalies) then ``prices`` (the write)."""

import datetime as dt

import dagster as dg
import pandas as pd

from erp_shopify.defs.resources import ErpResource, RedisResource, SettingsResource, ShopifyResource
from erp_shopify.defs.shops import OWNERS, kinds, shops_partitions, table_sample
from erp_shopify.defs.xref.assets import require_usable_xref
from erp_shopify.store.fingerprints import Fingerprints
from erp_shopify.store.price_snapshot import PriceSnapshot
from erp_shopify.sync.prices import PricePlan, plan_prices, write_prices

SAMPLE_ROWS = 20
ANOMALY_COLUMNS = ["item_code", "target", "min_quantity", "previous_price", "price", "problem"]


@dg.asset(
    partitions_def=shops_partitions,
    pool="erp",
    group_name="pricing",
    owners=OWNERS,
    kinds=kinds("pandas"),
    check_specs=[
        dg.AssetCheckSpec(
            "no_price_anomalies",
            asset="price_changes",
            partitions_def=shops_partitions,
            blocking=True,
            description="No zero/negative price and no change above max_change_percent; blocks the write",
        )
    ],
)
def price_changes(
    context: dg.AssetExecutionContext,
    sku_xref: pd.DataFrame,
    settings: SettingsResource,
    erp: ErpResource,
    redis: RedisResource,
):
    """Today's effective ERP prices for this shop, compared with the snapshot last written to it."""
    shop = settings.settings.shop(context.partition_key)
    require_usable_xref(context.instance, shop.name)
    with erp.adapter() as adapter, redis.client() as redis_client:
        last = PriceSnapshot(redis_client, redis.key_prefix).load(shop.name)
        conflicts = Fingerprints(redis_client, redis.key_prefix).conflicts(shop.name)
        limit, today = settings.settings.pricing.max_change_percent, dt.datetime.now(dt.UTC).date()
        plan = plan_prices(shop, adapter, sku_xref, last, limit, today, conflicts)
    yield dg.Output(plan, metadata={"prices": len(plan.current), "changed": len(plan.changes)})
    anomalies = plan.anomalies[ANOMALY_COLUMNS]
    yield dg.AssetCheckResult(
        check_name="no_price_anomalies",
        passed=anomalies.empty,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "anomalies": len(anomalies),
            "max_change_percent": float(settings.settings.pricing.max_change_percent),
            "offending_rows": table_sample(anomalies, SAMPLE_ROWS),
        },
    )


@dg.asset(partitions_def=shops_partitions, group_name="pricing", owners=OWNERS, kinds={"shopify"})
def prices(
    context: dg.AssetExecutionContext,
    price_changes: PricePlan,
    shopify: ShopifyResource,
    redis: RedisResource,
) -> dg.MaterializeResult:
    """Only the changed prices, written to Shopify (retail by product, B2B price lists, breaks)."""
    with redis.client() as redis_client, shopify.client(context.partition_key) as client:
        snapshot = PriceSnapshot(redis_client, redis.key_prefix)
        fingerprints = Fingerprints(redis_client, redis.key_prefix)
        counts = write_prices(client, price_changes, snapshot, fingerprints, context.partition_key)
    return dg.MaterializeResult(metadata={"changed": len(price_changes.changes), **counts})
