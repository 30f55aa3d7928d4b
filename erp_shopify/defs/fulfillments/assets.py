"""``fulfillments``: each shop's shipped ERP deliveries written to Shopify as fulfillments, once.

The watermark is this partition's own (the adapter's shipment cursor), read from its last
materialization's metadata and written into the new one; a failed run records nothing, so the next
run reads the same deliveries again and the ledger makes that harmless. Deliveries that could not
be fulfilled are kept (``store/fulfillment_ledger.py``) and shown by the
``no_fulfillment_data_errors`` check; run config ``replay_data_errors: true`` tries them again.
"""

import dagster as dg
import pandas as pd

from erp_shopify.defs.inventory.assets import WATERMARK, last_watermark
from erp_shopify.defs.resources import ErpResource, NotifierResource, RedisResource, SettingsResource, ShopifyResource
from erp_shopify.defs.shops import OWNERS, kinds, shops_partitions, table_sample
from erp_shopify.notify import Severity
from erp_shopify.store.fulfillment_ledger import FulfillmentError, FulfillmentLedger
from erp_shopify.sync.fulfillments import FulfillmentSync

NO_DATA_ERRORS = "no_fulfillment_data_errors"


class FulfillmentSyncConfig(dg.Config):
    replay_data_errors: bool = False  # try the kept deliveries again (after fixing their data)


def errors_table(errors: list[FulfillmentError]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"delivery": e.document, "order": e.order_ref, "codes": ", ".join(e.error.get("codes", []))} for e in errors],
        columns=["delivery", "order", "codes"],
    )


@dg.asset(
    partitions_def=shops_partitions,
    pool="erp",
    group_name="fulfillments",
    owners=OWNERS,
    kinds=kinds("shopify"),
    check_specs=[
        dg.AssetCheckSpec(
            NO_DATA_ERRORS,
            asset="fulfillments",
            partitions_def=shops_partitions,
            description="No shipped delivery of this shop is kept unfulfilled for bad data",
        )
    ],
)
def fulfillments(
    context: dg.AssetExecutionContext,
    config: FulfillmentSyncConfig,
    settings: SettingsResource,
    shopify: ShopifyResource,
    erp: ErpResource,
    redis: RedisResource,
    notifier: NotifierResource,
) -> dg.MaterializeResult:
    """Shipped ERP deliveries since the watermark, fulfilled in Shopify with their tracking."""
    shop = settings.settings.shop(context.partition_key)
    cursor = last_watermark(context.instance, context.asset_key, shop.name)
    workers = settings.settings.fulfillments.workers
    with erp.adapter() as adapter, redis.client() as redis_client, shopify.client(shop.name) as client:
        sync = FulfillmentSync(
            shop, client, adapter, redis_client, redis.key_prefix, workers=workers, log=context.log.info
        )
        result = sync.run(cursor, replay_errors=config.replay_data_errors)
        kept = FulfillmentLedger(redis_client, redis.key_prefix).errors(shop.name)
    if result.data_errors:
        notifier.notifier(context.log).alert(
            Severity.P2,
            "data",
            f"{shop.name}: {result.data_errors} shipped deliveries could not be fulfilled",
            "\n".join(f"{e.document}: {e.message}" for e in kept[:10]),
        )
    check = dg.AssetCheckResult(
        check_name=NO_DATA_ERRORS,
        passed=not kept,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"kept": len(kept), "kept_sample": table_sample(errors_table(kept))},
    )
    metadata = {**result.metadata(), WATERMARK: result.watermark, "previous_watermark": cursor}
    return dg.MaterializeResult(metadata=metadata, check_results=[check])
