"""Customer and B2B webhooks become the ERP customer record: pure mapping, checked against the
fields Shopify's official webhook JSON Schemas promise."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from erp_shopify.artefacts import webhook_schema
from erp_shopify.config import ShopConfig
from erp_shopify.errors import DataError
from erp_shopify.mapping.customers import (
    CompanyPayload,
    CustomerAddress,
    CustomerPayload,
    LocationAddress,
    LocationPayload,
    UpsertCustomer,
    customer_action,
    guard_values,
    observed_values,
    order_customer,
    to_company_location,
    to_customer,
)
from erp_shopify.mapping.orders import NothingToSend
from erp_shopify_tests.test_mapping.order_payloads import ADDRESS, order_payload

GID = "gid://shopify/Customer/115310627314723954"
LOCATION_GID = "gid://shopify/CompanyLocation/441696173"


def customer_payload(**fields: Any) -> dict[str, Any]:
    home = {
        "id": 1, "customer_id": 115310627314723954, "first_name": "Ada", "last_name": "Lovelace",
        "name": "Ada Lovelace", "company": None, "address1": "12 St James's Sq", "address2": "",
        "city": "London", "province": "", "province_code": None, "country": "United Kingdom",
        "country_code": "GB", "country_name": "United Kingdom", "zip": "SW1Y 4JH", "phone": "", "default": False,
    }  # fmt: skip
    work = {**home, "id": 2, "company": "Analytical Ltd", "address1": "1 Bank St", "zip": "E14 5JP", "default": True}
    return {
        "id": 115310627314723954,
        "admin_graphql_api_id": GID,
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "phone": "+44 20 7946 0000",
        "updated_at": "2026-11-30T12:00:00-05:00",
        "addresses": [home, work],
        "default_address": work,
        **fields,
    }


def location_payload(**fields: Any) -> dict[str, Any]:
    ship = {
        "address1": "1 Pier Rd", "address2": None, "city": "Seattle", "zip": "98101", "zone_code": "WA",
        "country_code": "US", "recipient": "Grace Hopper", "phone": "+1 555 0100",
        "admin_graphql_api_id": "gid://shopify/CompanyAddress/1",
    }  # fmt: skip
    return {
        "admin_graphql_api_id": LOCATION_GID,
        "name": "Seattle depot",
        "updated_at": "2026-11-30T12:00:00-05:00",
        "company": {"admin_graphql_api_id": "gid://shopify/Company/9", "name": "Navy Labs"},
        "shipping_address": ship,
        "billing_address": {**ship, "admin_graphql_api_id": "gid://shopify/CompanyAddress/2"},
        **fields,
    }


def test_a_customer_keeps_its_names_contacts_and_every_address_default_first() -> None:
    record = to_customer(customer_payload(), "demo-us")
    assert record.external_ref == "demo-us-C115310627314723954" and record.shopify_id == GID
    assert (record.first_name, record.last_name, record.email, record.phone) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
        "+44 20 7946 0000",
    )
    assert [a.address1 for a in record.addresses] == ["1 Bank St", "12 St James's Sq"]
    assert record.addresses[0].company == "Analytical Ltd" and record.addresses[1].province_code == ""
    assert record.changed_at is not None and record.changed_at.utcoffset() is not None


def test_a_long_shop_name_still_gives_a_reference_of_at_most_35_characters() -> None:
    ref = to_customer(customer_payload(), "a-very-long-shop-name-for-the-whole-of-europe").external_ref
    assert len(ref) <= 35 and ref.endswith("-C115310627314723954")


def test_a_company_location_is_the_company_with_its_ship_to_and_a_differing_bill_to() -> None:
    record = to_company_location(location_payload(), "demo-us")
    assert (record.kind, record.company, record.external_ref) == ("company_location", "Navy Labs", "demo-us-L441696173")
    [ship] = record.addresses  # the bill-to equals the ship-to: kept once
    assert (ship.name, ship.company, ship.province_code, ship.country_code) == ("Grace Hopper", "Navy Labs", "WA", "US")
    billing = {**location_payload()["billing_address"], "address1": "PO Box 7"}
    assert [a.address1 for a in to_company_location(location_payload(billing_address=billing), "d").addresses] == [
        "1 Pier Rd",
        "PO Box 7",
    ]


def test_topics_map_to_an_upsert_and_a_company_alone_sends_nothing() -> None:
    assert isinstance(customer_action("customers/create", customer_payload(), "demo-us"), UpsertCustomer)
    located = customer_action("company_locations/update", location_payload(), "demo-us")
    assert isinstance(located, UpsertCustomer) and located.customer.kind == "company_location"
    company = customer_action("companies/update", {"admin_graphql_api_id": "gid://shopify/Company/9"}, "demo-us")
    assert isinstance(company, NothingToSend) and "locations" in company.reason


MALFORMED = [{"admin_graphql_api_id": "gid://shopify/Customer/x"}, {"addresses": "none", "admin_graphql_api_id": GID}]


@pytest.mark.parametrize("payload", MALFORMED)
def test_a_malformed_customer_payload_is_a_data_error(payload: dict[str, Any]) -> None:
    with pytest.raises(DataError) as refused:
        customer_action("customers/update", payload, "demo-us")
    assert refused.value.codes[0] in ("MALFORMED_PAYLOAD", "BAD_GID")


def test_the_guard_compares_values_not_the_order_or_shopifys_address_ids() -> None:
    payload = customer_payload()
    shuffled = customer_payload(addresses=[{**a, "id": a["id"] + 100} for a in reversed(payload["addresses"])])
    assert guard_values(to_customer(payload, "s")) == guard_values(to_customer(shuffled, "s"))
    moved = customer_payload(email="ada@lovelace.example")
    assert guard_values(to_customer(moved, "s")) != guard_values(to_customer(payload, "s"))


def test_an_unreadable_payload_never_looks_like_our_echo() -> None:
    assert observed_values("customers/update", {"admin_graphql_api_id": "nope"}, "s") == {"unreadable": True}


@pytest.mark.parametrize(
    ("topic", "model", "nested"),
    [
        ("customers/create", CustomerPayload, {"addresses": CustomerAddress, "default_address": CustomerAddress}),
        ("customers/update", CustomerPayload, {"addresses": CustomerAddress}),
        (
            "company_locations/create",
            LocationPayload,
            {"shipping_address": LocationAddress, "billing_address": LocationAddress, "company": CompanyPayload},
        ),
        ("company_locations/update", LocationPayload, {"shipping_address": LocationAddress}),
        ("companies/update", CompanyPayload, {}),
    ],
)
def test_the_payload_models_read_only_fields_the_official_schema_promises(
    topic: str, model: type[BaseModel], nested: dict[str, type[BaseModel]]
) -> None:
    properties = webhook_schema(topic)["properties"]
    assert set(model.model_fields) <= set(properties), set(model.model_fields) - set(properties)
    for field, inner in nested.items():
        promised = properties[field].get("items", properties[field])["properties"]
        assert set(inner.model_fields) <= set(promised), set(inner.model_fields) - set(promised)


def test_an_orders_customer_is_its_company_location_else_its_customer_else_none() -> None:
    order = order_payload(5, [("SKU-MUG", 1, "9.50")])
    customer = order_customer(order, "demo-us")
    assert customer is not None and customer.external_ref == "demo-us-C7"
    assert [a.address1 for a in customer.addresses] == [ADDRESS["address1"]]
    b2b = order_customer({**order, "company": {"id": 9, "location_id": 44}}, "demo-us")
    assert b2b is not None and (b2b.kind, b2b.external_ref) == ("company_location", "demo-us-L44")
    assert b2b.company and all(a.company == b2b.company for a in b2b.addresses)
    assert order_customer({**order, "customer": None}, "demo-us") is None


def test_a_guest_customer_number_in_the_shops_file_is_validated() -> None:
    shop = {
        "name": "demo-us",
        "domain": "demo-us.myshopify.com",
        "access_token": {"env": "T"},
        "webhook_secret": {"env": "W"},
        "locations": {"WH": "gid://shopify/Location/1"},
    }
    assert ShopConfig.model_validate({**shop, "guest_customer": "C-0001"}).guest_customer == "C-0001"
    with pytest.raises(ValidationError, match="guest_customer"):
        ShopConfig.model_validate({**shop, "guest_customer": " padded "})
