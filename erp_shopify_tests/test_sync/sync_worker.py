"""An inventory sync in its own process, for the kill test: ``python -m
erp_shopify_tests.test_sync.sync_worker <shop> <cursor>`` with ``ERP_SHOPIFY_CONFIG`` and the secrets'
environment variables set, as a Dagster run process would have them."""

from __future__ import annotations

import sys

from erp_shopify.config import load_settings
from erp_shopify.erp import build_adapter
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.connection import connect
from erp_shopify.sync.holds import stock_peers
from erp_shopify.sync.inventory import InventorySync
from erp_shopify.sync.xref import build_shop_xref


def main(shop_name: str, cursor: str) -> None:
    settings = load_settings()
    shop = settings.shop(shop_name)
    client, adapter = ShopifyClient.for_shop(shop), build_adapter(settings.erp)
    with connect(settings.redis) as redis_client, client, adapter:
        xref = build_shop_xref(shop, client, adapter, bulk=False).xref
        print("syncing", flush=True)
        peers = stock_peers(settings.shops, shop)
        sync = InventorySync(shop, client, adapter, redis_client, settings.redis.key_prefix, peers=peers)
        result = sync.run(xref, cursor, "doomed-run")
    print(f"done {result.watermark}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
