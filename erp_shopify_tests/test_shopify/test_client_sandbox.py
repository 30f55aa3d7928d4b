"""The client against the Shopify sandbox over real HTTP: paging, bulk, pacing, retries, errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from erp_shopify.errors import SystemFailure
from erp_shopify.retrying import RetryPolicy
from erp_shopify.shopify import documents
from erp_shopify.shopify.client import ShopifyClient, ShopifyUserErrors
from erp_shopify_sandbox.shopify import RunningShopifySandbox, start_shopify_sandbox

TOKEN = "shpat_sandbox_test"
FAST_RETRIES = RetryPolicy(max_attempts=6, initial_backoff=0.01, max_backoff=0.05)


@pytest.fixture
def shop() -> Iterator[RunningShopifySandbox]:
    with start_shopify_sandbox(seed=30, locations=2, access_token=TOKEN) as running:
        yield running


def client_for(shop: RunningShopifySandbox, **options: Any) -> ShopifyClient:
    options.setdefault("retry_policy", FAST_RETRIES)
    return ShopifyClient(shop.graphql_url, TOKEN, **options)


def test_paginate_reads_every_variant_once_across_pages(shop: RunningShopifySandbox) -> None:
    with client_for(shop) as client:
        variants = list(client.paginate("variants_by_sku", {"first": 7}, "productVariants"))
        assert client.requests == 5  # 7 + 7 + 7 + 7 + 2
    assert sorted(v["sku"] for v in variants) == [f"SKU-{i:07d}" for i in range(30)]
    assert len({v["id"] for v in variants}) == 30
    assert all(v["inventoryItem"]["id"].startswith("gid://shopify/InventoryItem/") for v in variants)


def test_a_sku_filter_finds_exactly_that_inventory_item(shop: RunningShopifySandbox) -> None:
    with client_for(shop) as client:
        (item,) = client.paginate("inventory_items_by_sku", {"query": "sku:SKU-0000004"}, "inventoryItems")
    assert item["sku"] == "SKU-0000004"
    assert item["duplicateSkuCount"] == 0


def test_a_bulk_read_returns_the_same_variants_as_paging(shop: RunningShopifySandbox) -> None:
    with client_for(shop) as client:
        paged = {v["id"]: v["sku"] for v in client.paginate("variants_by_sku", {}, "productVariants")}
        bulk = {
            row["id"]: row["sku"]
            for row in client.bulk_query("{ productVariants { edges { node { id sku } } } }", poll_interval=0.05)
        }
    assert bulk == paged


def test_pacing_keeps_a_concurrent_burst_unthrottled_where_unpaced_calls_are_throttled(
    shop: RunningShopifySandbox,
) -> None:
    shop.control.configure(plan="advanced", bucket_size=200)  # 200 pt/s
    with client_for(shop) as client:

        def burst() -> None:
            for _ in range(5):
                client.execute("variants_by_sku", {"first": 10})

        threads = [threading.Thread(target=burst) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert (client.requests, client.throttled) == (20, 0)
    assert shop.control.stats()["cost"]["throttled"] == 0
    # The same burst unpaced, straight after: the bucket is nearly empty and Shopify throttles.
    with httpx.Client(headers={"X-Shopify-Access-Token": TOKEN}) as raw:
        for _ in range(10):
            raw.post(shop.graphql_url, json={"query": documents.load("variants_by_sku"), "variables": {"first": 10}})
    assert shop.control.stats()["cost"]["throttled"] > 0


@pytest.mark.parametrize("throttle_status", [200, 429])
def test_a_throttled_request_is_retried_and_succeeds(shop: RunningShopifySandbox, throttle_status: int) -> None:
    shop.control.configure(bucket_size=100, throttle_status=throttle_status)  # standard plan: 100 pt/s
    # Another process of the same app empties the bucket; this client cannot know.
    httpx.post(
        shop.graphql_url,
        headers={"X-Shopify-Access-Token": TOKEN},
        json={"query": documents.load("variants_by_sku"), "variables": {"first": 30}},
    )
    with client_for(shop, restore_rate=100, bucket_size=100) as client:
        data = client.execute("variants_by_sku", {"first": 30})
        assert (client.requests, client.throttled) == (2, 1)
    assert len(data["productVariants"]["nodes"]) == 30
    assert shop.control.stats()["cost"]["throttled"] == 1


def test_server_errors_are_retried_until_every_call_succeeds(shop: RunningShopifySandbox) -> None:
    shop.control.set_faults(error_rate=0.4, error_status=502, seed=11)
    with client_for(shop) as client:
        answers = [client.execute("locations", {"first": 5}) for _ in range(10)]
        assert client.requests > 10
    assert all(len(a["locations"]["nodes"]) == 2 for a in answers)


def test_a_wrong_token_raises_system_failure_at_once(shop: RunningShopifySandbox) -> None:
    with ShopifyClient(shop.graphql_url, "shpat_revoked", retry_policy=FAST_RETRIES) as client:
        with pytest.raises(SystemFailure) as caught:
            client.execute("locations", {"first": 5})
        assert client.requests == 1
    assert caught.value.status == 401
    assert "shpat_revoked" not in str(caught.value.to_dict())


def set_quantity(client: ShopifyClient, item: str, location: str, quantity: int, change_from: int | None) -> dict:
    payload = {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "gid://erp-shopify/InventorySync/test",
        "quantities": [
            {"inventoryItemId": item, "locationId": location, "quantity": quantity, "changeFromQuantity": change_from}
        ],
    }
    key = documents.idempotency_key("inventory_set_quantities", payload)
    return client.execute("inventory_set_quantities", {"input": payload, "idempotencyKey": key})


def test_a_stale_change_from_quantity_raises_user_errors_with_the_code(shop: RunningShopifySandbox) -> None:
    level = shop.control.levels(["SKU-0000003"])[0]
    with client_for(shop) as client, pytest.raises(ShopifyUserErrors) as caught:
        set_quantity(client, level["inventory_item_id"], level["location_id"], 4, level["available"] + 1)
    assert caught.value.codes == ("CHANGE_FROM_QUANTITY_STALE",)
    assert caught.value.user_errors[0].field[-1] == "changeFromQuantity"
    assert shop.control.levels(["SKU-0000003"])[0]["available"] == level["available"]


def test_a_replayed_write_with_its_content_key_is_applied_once(shop: RunningShopifySandbox) -> None:
    level = shop.control.levels(["SKU-0000005"])[0]
    with client_for(shop) as client:
        first = set_quantity(client, level["inventory_item_id"], level["location_id"], 3, level["available"])
        replay = set_quantity(client, level["inventory_item_id"], level["location_id"], 3, level["available"])
    assert replay == first
    assert shop.control.stats()["write_calls"]["inventorySetQuantities"] == 1
    assert shop.control.levels(["SKU-0000005"])[0]["available"] == 3


def test_b2b_prices_are_written_to_a_price_list(shop: RunningShopifySandbox) -> None:
    price_list = shop.control.create_price_list("Wholesale EUR", "EUR")
    variant = shop.control.variants(["SKU-0000002"])[0]
    prices = [{"variantId": variant["id"], "price": {"amount": "8.40", "currencyCode": "EUR"}}]
    with client_for(shop) as client:
        data = client.execute("price_list_fixed_prices_add", {"priceListId": price_list, "prices": prices})
    (written,) = data["priceListFixedPricesAdd"]["prices"]
    assert (Decimal(written["price"]["amount"]), written["price"]["currencyCode"]) == (Decimal("8.40"), "EUR")
    assert written["variant"]["id"] == variant["id"]


def test_a_write_whose_answer_was_lost_is_retried_with_its_key_and_applied_once(shop: RunningShopifySandbox) -> None:
    # Seed 1 loses the first answer after the commit and delivers the second.
    shop.control.set_faults(timeout_after_commit_rate=0.5, hang_seconds=1.5, seed=1)
    level = shop.control.levels(["SKU-0000006"])[0]
    with client_for(shop, timeout=httpx.Timeout(0.5)) as client:
        data = set_quantity(client, level["inventory_item_id"], level["location_id"], 2, level["available"])
        assert client.requests == 2
    assert data["inventorySetQuantities"]["inventoryAdjustmentGroup"]["changes"][0]["quantityAfterChange"] == 2
    assert shop.control.stats()["write_calls"]["inventorySetQuantities"] == 1
    assert shop.control.levels(["SKU-0000006"])[0]["available"] == 2
