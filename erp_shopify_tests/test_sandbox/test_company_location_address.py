"""``companyLocationAssignAddress`` in the Shopify sandbox: a B2B company location's shipping and
billing addresses set by type (both types: one address), Shopify's user errors, and the
``company_locations/update`` webhook a write triggers, valid against the published schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from erp_shopify.artefacts import webhook_schema
from erp_shopify.shopify.documents import load
from erp_shopify_sandbox.shopify import ids
from erp_shopify_tests.test_sandbox.conftest import graphql

DOCK = {"recipient": "Grace Hopper", "address1": "1 Pier Rd", "city": "Seattle", "zip": "98101", "zoneCode": "WA",
        "countryCode": "US", "phone": "+1 555 0100"}  # fmt: skip
OFFICE = {**DOCK, "address1": "2 Office Park", "recipient": "Accounts"}


def _location(shop: Any, company: str = "Navy Labs") -> str:
    price_list = shop.control.create_price_list(f"{company} prices", "USD", company_location=company)
    index = ids.parse_gid(price_list, "PriceList")
    assert index is not None
    return ids.gid("CompanyLocation", index)


def _assign(shop: Any, location: str, address: dict[str, Any], types: list[str]) -> dict[str, Any]:
    variables = {"locationId": location, "address": address, "addressTypes": types}
    answer = graphql(shop, load("company_location_assign_address"), variables).json()
    return answer["data"]["companyLocationAssignAddress"]


def _read(shop: Any, location: str) -> dict[str, Any]:
    return graphql(shop, load("company_location"), {"id": location}).json()["data"]["companyLocation"]


def test_one_address_for_both_types_then_a_billing_address_of_its_own(shop, receiver) -> None:
    shop.control.subscribe("company_locations/update", receiver.url)
    location = _location(shop)
    before = _read(shop, location)
    assert before["shippingAddress"]["address1"] == before["billingAddress"]["address1"]  # created with one
    both = _assign(shop, location, DOCK, ["SHIPPING", "BILLING"])
    assert both["userErrors"] == [] and len(both["addresses"]) == 1
    assert _assign(shop, location, OFFICE, ["BILLING"])["userErrors"] == []
    after = _read(shop, location)
    assert (after["company"]["name"], after["shippingAddress"]["address1"]) == ("Navy Labs", "1 Pier Rd")
    assert (after["billingAddress"]["address1"], after["billingAddress"]["recipient"]) == ("2 Office Park", "Accounts")
    assert after["shippingAddress"]["zoneCode"] == "WA" and after["updatedAt"] >= before["updatedAt"]
    received = receiver.wait_for(2)
    validator = jsonschema.Draft202012Validator(webhook_schema("company_locations/update"))
    for request in received:
        assert request["headers"]["x-shopify-topic"] == "company_locations/update"
        assert [e.message for e in validator.iter_errors(json.loads(request["body"]))] == []
    last = json.loads(received[-1]["body"])
    assert (last["admin_graphql_api_id"], last["company"]["name"]) == (location, "Navy Labs")
    assert (last["shipping_address"]["address1"], last["billing_address"]["address1"]) == ("1 Pier Rd", "2 Office Park")


def test_company_location_assign_address_answers_shopifys_user_errors(shop) -> None:
    location = _location(shop)
    missing = _assign(shop, "gid://shopify/CompanyLocation/1", DOCK, ["SHIPPING"])["userErrors"][0]
    assert (missing["code"], missing["field"]) == ("RESOURCE_NOT_FOUND", ["locationId"])
    assert _assign(shop, location, DOCK, [])["userErrors"][0]["code"] == "NO_INPUT"
    blank = _assign(shop, location, {**DOCK, "address1": ""}, ["SHIPPING"])["userErrors"][0]
    assert (blank["code"], blank["field"]) == ("BLANK", ["address", "address1"])
    long = _assign(shop, location, {**DOCK, "city": "x" * 256}, ["SHIPPING"])["userErrors"][0]
    assert (long["code"], long["field"]) == ("TOO_LONG", ["address", "city"])
    assert _read(shop, location)["shippingAddress"]["address1"] == "100 Market St"  # nothing was written
