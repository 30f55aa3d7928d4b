"""``customerSet`` in the Shopify sandbox: upsert by identifier, the address list replaced, the
user errors Shopify documents, and the ``customers/*`` webhooks (valid against the published
schemas) a write triggers."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from erp_shopify.artefacts import webhook_schema
from erp_shopify.shopify.documents import load
from erp_shopify_tests.test_sandbox.conftest import graphql

HOME = {"address1": "1 Main St", "city": "Ottawa", "countryCode": "CA", "provinceCode": "ON", "zip": "K1P 1J1"}
WORK = {**HOME, "address1": "2 Bank St", "company": "Analytical Ltd", "firstName": "Ada", "lastName": "Lovelace"}


def _set(shop: Any, input: dict[str, Any], identifier: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = graphql(shop, load("customer_set"), {"identifier": identifier, "input": input}).json()
    return answer["data"]["customerSet"]


def _read(shop: Any, gid: str) -> dict[str, Any]:
    return graphql(shop, load("customer"), {"id": gid}).json()["data"]["customer"]


def test_a_customer_is_created_then_updated_by_id_and_its_addresses_replaced(shop, receiver) -> None:
    for topic in ("customers/create", "customers/update"):
        shop.control.subscribe(topic, receiver.url)
    created = _set(shop, {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "addresses": [HOME]})
    gid = created["customer"]["id"]
    updated = _set(shop, {"lastName": "King", "addresses": [WORK, HOME]}, {"id": gid})
    assert updated["userErrors"] == [] and updated["customer"]["id"] == gid
    customer = _read(shop, gid)
    assert (customer["firstName"], customer["lastName"], customer["email"]) == ("Ada", "King", "ada@example.com")
    assert [a["address1"] for a in customer["addressesV2"]["nodes"]] == ["1 Main St", "2 Bank St"]
    assert {a["countryCodeV2"] for a in customer["addressesV2"]["nodes"]} == {"CA"}
    received = receiver.wait_for(2)
    assert [r["headers"]["x-shopify-topic"] for r in received] == ["customers/create", "customers/update"]
    for request in received:
        body = json.loads(request["body"])
        validator = jsonschema.Draft202012Validator(webhook_schema(request["headers"]["x-shopify-topic"]))
        assert [e.message for e in validator.iter_errors(body)] == []
    assert [a["address1"] for a in json.loads(received[1]["body"])["addresses"]] == ["2 Bank St", "1 Main St"]


def test_customer_set_answers_shopifys_user_errors(shop) -> None:
    _set(shop, {"email": "taken@example.com"})
    other = _set(shop, {"email": "other@example.com"})["customer"]["id"]
    assert _set(shop, {"email": "taken@example.com"}, {"id": other})["userErrors"][0]["code"] == "TAKEN"
    missing = _set(shop, {"firstName": "X"}, {"id": "gid://shopify/Customer/1"})["userErrors"][0]
    assert (missing["code"], missing["field"]) == ("NOT_FOUND", ["identifier", "id"])
    mismatch = _set(shop, {"email": "b@example.com"}, {"email": "a@example.com"})["userErrors"][0]
    assert mismatch["code"] == "INPUT_MISMATCH"
    assert _set(shop, {"note": "nobody"})["userErrors"][0]["code"] == "BLANK"


def test_an_upsert_by_email_finds_the_customer_it_created(shop) -> None:
    first = _set(shop, {"email": "grace@example.com", "firstName": "Grace"}, {"email": "grace@example.com"})
    again = _set(shop, {"email": "grace@example.com", "lastName": "Hopper"}, {"email": "grace@example.com"})
    assert first["customer"]["id"] == again["customer"]["id"]


def test_an_upsert_by_custom_id_needs_its_definition_and_then_finds_the_same_customer(shop) -> None:
    custom = {"customId": {"namespace": "erp", "key": "customer", "value": "C-0042"}}
    assert _set(shop, {"email": "c@example.com"}, custom)["userErrors"][0]["code"] == "NOT_FOUND"
    definition = {"namespace": "erp", "key": "customer", "name": "ERP customer", "ownerType": "CUSTOMER", "type": "id"}
    graphql(shop, load("metafield_definition_create"), {"definition": definition})
    first = _set(shop, {"email": "c@example.com", "firstName": "C"}, custom)["customer"]["id"]
    assert _set(shop, {"email": "c@example.com", "lastName": "B"}, custom)["customer"]["id"] == first
