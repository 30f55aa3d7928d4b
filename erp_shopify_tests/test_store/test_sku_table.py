"""The published SKU table in real Redis: replaced whole, never merged, no staging keys left."""

from __future__ import annotations

import redis

from erp_shopify.store.keys import Keys
from erp_shopify.store.sku_table import SkuTable
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER

pytestmark = ON_SINGLE_AND_CLUSTER


def test_a_publication_replaces_the_previous_table_whole(redis_client: redis.Redis, key_prefix: str) -> None:
    table = SkuTable(redis_client, key_prefix)
    assert table.publish("demo-eu", [("sku-7", "SKU-7"), ("TEE", "MAT-TEE")]) == 2
    assert table.publish("demo-eu", [(f"S{n}", f"M{n}") for n in range(25_001)]) == 25_001  # three chunks
    assert table.item_code("demo-eu", "S25000") == "M25000"
    assert table.item_code("demo-eu", "sku-7") is None  # the old row went with the old table
    assert table.size("demo-eu") == 25_001
    assert redis_client.ttl(Keys(key_prefix).sku_table("demo-eu")) == -1  # the staging expiry did not carry over
    assert [k.decode() for k in redis_client.scan_iter(f"{key_prefix}:xref:*")] == [
        Keys(key_prefix).sku_table("demo-eu")
    ]


def test_publishing_nothing_removes_the_table_and_shops_are_apart(redis_client: redis.Redis, key_prefix: str) -> None:
    table = SkuTable(redis_client, key_prefix)
    table.publish("demo-eu", [("sku-7", "SKU-7")])
    table.publish("demo-us", [("sku-7", "US-7")])
    assert table.publish("demo-eu", []) == 0
    assert table.item_code("demo-eu", "sku-7") is None
    assert table.item_code("demo-us", "sku-7") == "US-7"
