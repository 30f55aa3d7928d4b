"""A fulfillment sync in its own process, for the kill test: ``python -m
erp_shopify_tests.test_sync.fulfillment_worker <shop>`` with ``ERP_SHOPIFY_CONFIG`` and the secrets'
environment variables set, as a Dagster run process would have them."""

from __future__ import annotations

import sys

from erp_shopify.config import load_settings
from erp_shopify.erp import build_adapter
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.connection import connect
from erp_shopify.sync.fulfillments import FulfillmentSync


def main(shop_name: str) -> None:
    settings = load_settings()
    shop = settings.shop(shop_name)
    client, adapter = ShopifyClient.for_shop(shop), build_adapter(settings.erp)
    with connect(settings.redis) as redis_client, client, adapter:
        print("syncing", flush=True)
        sync = FulfillmentSync(
            shop, client, adapter, redis_client, settings.redis.key_prefix, workers=settings.fulfillments.workers
        )
        result = sync.run(None)
    print(f"done {result.watermark}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
