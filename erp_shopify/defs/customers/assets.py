"""``customers``: each shop's customers kept in agreement with the ERP's, newest change winning.

The watermark is the ERP's own change stamp (``CustomerStore.customer_changes``), read from this
partition's last materialization and written into the new one, as ``products`` does; a run that
fails records nothing, so the next starts from the same place. Customers Shopify refuses are
listed (reference, codes, fields) and fail the ``customers_accepted_by_shopify`` check (warn);
conflicts (both sides changed between two syncs) are listed by names and ids, never addresses.
"""

import dagster as dg
import pandas as pd

from erp_shopify.defs.inventory.assets import WATERMARK, last_watermark
from erp_shopify.defs.resources import ErpResource, RedisResource, SettingsResource, ShopifyResource
from erp_shopify.defs.shops import OWNERS, kinds, shops_partitions, table_sample
from erp_shopify.erp.base import CustomerStore
from erp_shopify.sync.customers import CustomerSync

CUSTOMERS = dg.AssetKey("customers")
ACCEPTED_CHECK = "customers_accepted_by_shopify"
# names, ids and a short diff only: never an address
CONFLICT_COLUMNS = ["customer", "shopify_id", "erp_number", "kept", "fields"]
CONFLICT_COLUMNS += ["addresses_erp_only", "addresses_shopify_only"]


@dg.asset(
    partitions_def=shops_partitions,
    pool="erp",
    group_name="customers",
    owners=OWNERS,
    kinds=kinds("shopify"),
    check_specs=[
        dg.AssetCheckSpec(
            ACCEPTED_CHECK,
            asset="customers",
            partitions_def=shops_partitions,
            description="ERP customers Shopify refused to take (customerSet userErrors), by reference",
        )
    ],
)
def customers(
    context: dg.AssetExecutionContext,
    settings: SettingsResource,
    shopify: ShopifyResource,
    erp: ErpResource,
    redis: RedisResource,
) -> dg.MaterializeResult:
    """ERP customers changed since the watermark, merged with Shopify's (newest change wins,
    addresses by value) and written with customerSet when they differ."""
    shop = settings.settings.shop(context.partition_key)
    cursor = last_watermark(context.instance, context.asset_key, shop.name)
    with erp.adapter() as adapter, redis.client() as redis_client, shopify.client(shop.name) as client:
        if not isinstance(adapter, CustomerStore):
            raise dg.Failure(f"the {adapter.name} adapter keeps no customers in sync", allow_retries=False)
        result = CustomerSync(shop, client, adapter, redis_client, redis.key_prefix, log=context.log.info).run(cursor)
    refused = pd.DataFrame(result.refused, columns=["customer", "erp_number", "codes", "fields"])
    conflicts = pd.DataFrame(result.conflicts, columns=CONFLICT_COLUMNS)
    check = dg.AssetCheckResult(
        check_name=ACCEPTED_CHECK,
        passed=refused.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"refused": len(refused), "sample": table_sample(refused)},
    )
    metadata = {
        **result.metadata(),
        WATERMARK: result.watermark,
        "previous_watermark": cursor,
        "conflict_sample": table_sample(conflicts.astype(str), rows=50),
        "refused_customers": table_sample(refused, rows=50),
    }
    return dg.MaterializeResult(metadata=metadata, check_results=[check])
