"""Echo topics pass the loop guard: our own writes are dropped, real changes recorded per the policy."""

from __future__ import annotations

import json

import redis

from erp_shopify.mapping.customers import guard_values, to_company_location, to_customer
from erp_shopify.mapping.products import product_values
from erp_shopify.records import ProductRecord, ProductVariantRecord
from erp_shopify.store import Fingerprints, inventory_object_key
from erp_shopify.store.fingerprints import inventory_values, price_values
from erp_shopify.store.rechecks import Rechecks
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER

from .conftest import Receiver


def _level(available: int) -> dict[str, object]:
    return {
        "inventory_item_id": 271878346596884015,
        "location_id": 24826418,
        "available": available,
        "updated_at": "2026-11-27T10:00:00-05:00",
        "admin_graphql_api_id": "gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015",
    }


@ON_SINGLE_AND_CLUSTER
def test_the_echo_of_our_inventory_write_is_dropped(
    receiver: Receiver, redis_client: redis.Redis, key_prefix: str
) -> None:
    guard = Fingerprints(redis_client, key_prefix)
    guard.record("demo-us", inventory_object_key(271878346596884015, 24826418), inventory_values(12))
    response = receiver.send("inventory_levels/update", _level(12))
    assert response.status_code == 200 and response.json()["status"] == "echo"
    assert receiver.stream.depth() == 0 and guard.conflicts("demo-us") == {}
    assert receiver.counts["echo"] == 1


@ON_SINGLE_AND_CLUSTER
def test_a_level_move_we_did_not_make_is_marked_for_a_recheck_never_a_conflict(
    receiver: Receiver, redis_client: redis.Redis, key_prefix: str
) -> None:
    """A sale, a shipment and a hand edit all show as a lower ``available``: the payload cannot tell
    them apart, so the level is only marked; the next sync compares Shopify's ``on_hand``."""
    guard = Fingerprints(redis_client, key_prefix)
    key = inventory_object_key(271878346596884015, 24826418)
    guard.record("demo-us", key, inventory_values(12))
    response = receiver.send("inventory_levels/update", _level(9))
    assert response.json()["status"] == "recheck"
    assert guard.conflicts("demo-us") == {}
    marked = Rechecks(redis_client, key_prefix).read("demo-us")
    assert list(marked) == [key] and json.loads(marked[key])["values"] == {"available": 9}
    assert receiver.stream.depth() == 0 and receiver.counts["recheck"] == 1


@ON_SINGLE_AND_CLUSTER
def test_a_product_update_is_an_echo_only_when_every_price_matches(
    receiver: Receiver, redis_client: redis.Redis, key_prefix: str
) -> None:
    guard = Fingerprints(redis_client, key_prefix)
    guard.record("demo-us", "gid://shopify/ProductVariant/1", price_values("19.9"))
    guard.record("demo-us", "gid://shopify/ProductVariant/2", price_values("5.00"))
    product = {
        "admin_graphql_api_id": "gid://shopify/Product/7",
        "variants": [
            {"admin_graphql_api_id": "gid://shopify/ProductVariant/1", "price": "19.90"},
            {"admin_graphql_api_id": "gid://shopify/ProductVariant/2", "price": "5.00"},
        ],
    }
    assert receiver.send("products/update", product).json()["status"] == "echo"
    product["variants"][1]["price"] = "4.50"  # type: ignore[index]
    assert receiver.send("products/update", product).json()["status"] == "conflict"
    assert set(guard.conflicts("demo-us")) == {"gid://shopify/ProductVariant/2"}


@ON_SINGLE_AND_CLUSTER
def test_a_customer_address_change_is_queued_and_our_echo_is_not(
    receiver: Receiver, redis_client: redis.Redis, key_prefix: str
) -> None:
    address = {"address1": "1 Main St", "city": "Ottawa", "country_code": "CA", "zip": "K1P 1J1"}
    gid = "gid://shopify/Customer/115310627314723954"
    customer = {"admin_graphql_api_id": gid, "addresses": [address]}
    written = to_customer(customer, "demo-us")  # what the customer sync would have written
    Fingerprints(redis_client, key_prefix).record("demo-us", gid, guard_values(written))
    assert receiver.send("customers/update", customer).json()["status"] == "echo"
    customer["addresses"] = [{**address, "city": "Toronto"}]
    response = receiver.send("customers/update", customer)
    assert response.json()["status"] == "queued"
    [event] = receiver.stream.claim_batch("worker", count=5)
    assert event.topic == "customers/update" and event.routing_key == "gid://shopify/Customer/115310627314723954"


def _tee_payload(title: str) -> dict[str, object]:
    variant = {"admin_graphql_api_id": "gid://shopify/ProductVariant/11", "sku": "TEE-S", "barcode": None}
    return {
        "admin_graphql_api_id": "gid://shopify/Product/70",
        "title": title,
        "vendor": "ACME",
        "product_type": "TEES",
        "status": "active",
        "options": [{"name": "Size", "values": ["S"]}],
        "variants": [{**variant, "option1": "S", "option2": None, "option3": None, "price": "0.00"}],
    }


def test_the_echo_of_our_product_write_is_dropped_and_a_title_edit_is_a_conflict(
    receiver: Receiver, redis_client: redis.Redis, key_prefix: str
) -> None:
    guard = Fingerprints(redis_client, key_prefix)
    record = ProductRecord(
        product_code="TEE",
        title="Blue tee",
        vendor="ACME",
        product_type="TEES",
        options=["Size"],
        variants=[ProductVariantRecord(item_code="TEE-S", options={"Size": "S"})],
    )
    guard.record("demo-us", "gid://shopify/Product/70", product_values(record))
    guard.record("demo-us", "gid://shopify/ProductVariant/11", price_values("0.00"))
    assert receiver.send("products/update", _tee_payload("Blue tee")).json()["status"] == "echo"
    assert receiver.send("products/update", _tee_payload("Cheap tee!")).json()["status"] == "conflict"
    assert set(guard.conflicts("demo-us")) == {"gid://shopify/Product/70"}
    assert receiver.stream.depth() == 0


def test_a_customer_rename_with_the_addresses_we_wrote_is_a_change_not_an_echo(
    receiver: Receiver, redis_client: redis.Redis, key_prefix: str
) -> None:
    gid = "gid://shopify/Customer/7"
    address = {"address1": "1 Main St", "city": "Ottawa", "country_code": "CA", "zip": "K1P 1J1", "default": True}
    customer = {"admin_graphql_api_id": gid, "first_name": "Ada", "last_name": "King", "addresses": [address]}
    Fingerprints(redis_client, key_prefix).record("demo-us", gid, guard_values(to_customer(customer, "demo-us")))
    renamed = {**customer, "last_name": "Lovelace"}
    assert receiver.send("customers/update", renamed).json()["status"] == "queued"


def test_a_company_location_we_wrote_comes_back_as_an_echo(
    receiver: Receiver, redis_client: redis.Redis, key_prefix: str
) -> None:
    gid = "gid://shopify/CompanyLocation/441696173"
    ship = {"address1": "1 Pier Rd", "city": "Seattle", "zip": "98101", "zone_code": "WA", "country_code": "US"}
    location = {"admin_graphql_api_id": gid, "company": {"name": "Navy Labs"}, "shipping_address": ship}
    written = to_company_location(location, "demo-us")
    Fingerprints(redis_client, key_prefix).record("demo-us", gid, guard_values(written))
    assert receiver.send("company_locations/update", location).json()["status"] == "echo"
    moved = {**location, "shipping_address": {**ship, "address1": "2 Pier Rd"}}
    assert receiver.send("company_locations/update", moved).json()["status"] == "queued"
    assert receiver.send("companies/update", {"admin_graphql_api_id": "gid://shopify/Company/9"}).status_code == 200
