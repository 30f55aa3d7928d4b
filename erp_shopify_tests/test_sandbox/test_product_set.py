"""``productSet`` in the sandbox: the ``customId`` upsert, list fields replaced by what is sent,
fields not sent left alone, the limits and their user errors, the asynchronous operation, and the
``products/create`` / ``products/update`` webhooks valid against their published schemas."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from erp_shopify.artefacts import webhook_schema
from erp_shopify_tests.test_sandbox.conftest import graphql

DEFINE = """mutation($d: MetafieldDefinitionInput!) { metafieldDefinitionCreate(definition: $d) {
  createdDefinition { id type { name } } userErrors { code field message } } }"""
SET = """mutation($i: ProductSetIdentifiers, $p: ProductSetInput!, $s: Boolean) {
  productSet(identifier: $i, input: $p, synchronous: $s) {
    product { id title variants(first: 250) { nodes { id sku barcode title } } }
    productSetOperation { id status }
    userErrors { code field message } } }"""
OPERATION = """query($id: ID!) { productOperation(id: $id) { status product { id title }
  ... on ProductSetOperation { userErrors { code field message } } } }"""
CUSTOM = {"namespace": "erp", "key": "item"}


def _define(shop) -> dict[str, Any]:
    definition = {"namespace": "erp", "key": "item", "name": "ERP item", "ownerType": "PRODUCT", "type": "id"}
    return graphql(shop, DEFINE, {"d": definition}).json()["data"]["metafieldDefinitionCreate"]


def _tee(title: str = "Tee", sizes: tuple[str, ...] = ("S", "M")) -> dict[str, Any]:
    return {
        "title": title,
        "vendor": "Acme",
        "productOptions": [{"name": "Size", "values": [{"name": s} for s in sizes]}],
        "variants": [{"sku": f"TEE-{s}", "optionValues": [{"optionName": "Size", "name": s}]} for s in sizes],
    }


def _set(shop, product: dict[str, Any], value: str = "TEE", synchronous: bool = True) -> dict[str, Any]:
    identifier = {"customId": {**CUSTOM, "value": value}}
    return graphql(shop, SET, {"i": identifier, "p": product, "s": synchronous}).json()["data"]["productSet"]


def test_the_custom_id_needs_a_definition_of_type_id_created_once(shop) -> None:
    refused = _set(shop, _tee())
    assert refused["userErrors"][0]["code"] == "NOT_FOUND"
    assert _define(shop)["createdDefinition"]["type"]["name"] == "id"
    assert _define(shop)["userErrors"][0]["code"] == "TAKEN"


def test_a_repeated_product_set_by_custom_id_updates_the_same_product(shop) -> None:
    _define(shop)
    first = _set(shop, _tee())["product"]
    again = _set(shop, _tee(title="Tee v2"))["product"]
    assert again["id"] == first["id"]
    assert again["title"] == "Tee v2"
    assert [v["id"] for v in again["variants"]["nodes"]] == [v["id"] for v in first["variants"]["nodes"]]
    assert shop.control.product(first["id"])["metafields"]["erp.item"] == "TEE"


def test_variants_left_out_are_deleted_and_lists_not_sent_are_kept(shop) -> None:
    _define(shop)
    product = _set(shop, {**_tee(), "tags": ["summer"]})["product"]
    shop.control.add_media(product["id"], "https://cdn.example.com/merchant.png")
    after = _set(shop, _tee(sizes=("M", "L")))["product"]
    assert [v["sku"] for v in after["variants"]["nodes"]] == ["TEE-M", "TEE-L"]
    kept = shop.control.product(product["id"])
    assert kept["tags"] == "summer"  # not sent: left alone
    assert kept["media_urls"] == ["https://cdn.example.com/merchant.png"]
    assert kept["vendor"] == "Acme"
    assert shop.control.variants(["TEE-S"]) == []  # the left-out variant is gone


@pytest.mark.parametrize(
    ("product", "code"),
    [
        ({**_tee(), "title": "  "}, "INVALID_PRODUCT"),
        (
            {
                **_tee(),
                "productOptions": [{"name": n, "values": [{"name": "x"}]} for n in ("A", "B", "C", "D")],
            },
            "OPTIONS_OVER_LIMIT",
        ),
        ({**_tee(), "productOptions": [{"name": "Size", "values": [{"name": "S"}, {"name": "S"}]}]}, None),
        ({**_tee(sizes=("S", "S"))}, "DUPLICATED_OPTION_VALUE"),
    ],
)
def test_refused_input_answers_user_errors_and_changes_nothing(shop, product, code) -> None:
    _define(shop)
    answer = _set(shop, product)
    assert answer["product"] is None
    codes = {e["code"] for e in answer["userErrors"]}
    assert codes and (code is None or code in codes)
    assert shop.control.variants(["TEE-S"]) == []


def test_more_variants_than_the_limit_is_refused(shop) -> None:
    _define(shop)
    sizes = tuple(f"S{n}" for n in range(2049))
    answer = _set(shop, _tee(sizes=sizes), synchronous=False)
    operation = answer["productSetOperation"]
    status = _wait(shop, operation["id"])
    assert status["userErrors"][0]["code"] == "VARIANTS_OVER_LIMIT"
    assert status["product"] is None


def _wait(shop, operation_id: str) -> dict[str, Any]:
    while True:  # the operation completes on its own thread; each poll is one real request
        status = graphql(shop, OPERATION, {"id": operation_id}).json()["data"]["productOperation"]
        if status["status"] == "COMPLETE":
            return status


def test_an_asynchronous_product_set_is_polled_to_completion(shop) -> None:
    _define(shop)
    answer = _set(shop, _tee(), value="ASYNC", synchronous=False)
    assert answer["product"] is None and answer["productSetOperation"]["status"] in ("CREATED", "ACTIVE", "COMPLETE")
    done = _wait(shop, answer["productSetOperation"]["id"])
    assert done["userErrors"] == [] and done["product"]["title"] == "Tee"


def test_product_webhooks_validate_against_their_published_schemas(shop, receiver) -> None:
    for topic in ("products/create", "products/update"):
        shop.control.subscribe(topic, receiver.url)
    _define(shop)
    _set(shop, _tee())
    _set(shop, _tee(title="Tee v2"))
    received = receiver.wait_for(2)
    assert [r["headers"]["x-shopify-topic"] for r in received] == ["products/create", "products/update"]
    for request in received:
        schema = webhook_schema(request["headers"]["x-shopify-topic"])
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        body = json.loads(request["body"])
        assert [e.message for e in validator.iter_errors(body)] == []
    assert json.loads(received[1]["body"])["title"] == "Tee v2"
