"""B2B price lists: ``priceListFixedPricesAdd`` (250 per call, currency and variant checks) and
``quantityPricingByVariantUpdate`` (fixed prices, quantity price breaks, quantity rules)."""

from __future__ import annotations

from typing import Any

import pytest

from erp_shopify_sandbox.shopify import ids, start_shopify_sandbox
from erp_shopify_tests.test_sandbox.conftest import TOKEN, graphql

FIXED_ADD = """
mutation($priceListId: ID!, $prices: [PriceListPriceInput!]!) {
  priceListFixedPricesAdd(priceListId: $priceListId, prices: $prices) {
    prices { price { amount currencyCode } compareAtPrice { amount } variant { sku } }
    userErrors { code field message }
  }
}"""
QUANTITY_PRICING = """
mutation($priceListId: ID!, $input: QuantityPricingByVariantUpdateInput!) {
  quantityPricingByVariantUpdate(priceListId: $priceListId, input: $input) {
    productVariants { sku }
    userErrors { code field message }
  }
}"""
PRICE_LIST = """
query($id: ID!) {
  priceList(id: $id) {
    fixedPricesCount
    prices(first: 10) { nodes { variant { sku } price { amount }
      quantityPriceBreaks(first: 5) { nodes { minimumQuantity price { amount } } } } }
    quantityRules(first: 10) { nodes { minimum maximum increment productVariant { sku } } }
  }
}"""


@pytest.fixture
def price_list(shop) -> str:
    return shop.control.create_price_list("Wholesale", "EUR", company_location="Acme HQ")


def _variant(n: int) -> str:
    return ids.gid("ProductVariant", n)


def _price(n: int, amount: str, currency: str = "EUR") -> dict[str, Any]:
    return {"variantId": _variant(n), "price": {"amount": amount, "currencyCode": currency}}


def _quantity_pricing(shop, price_list: str, **changes: list) -> dict[str, Any]:
    empty = {
        "pricesToAdd": [],
        "pricesToDeleteByVariantId": [],
        "quantityPriceBreaksToAdd": [],
        "quantityPriceBreaksToDelete": [],
        "quantityRulesToAdd": [],
        "quantityRulesToDeleteByVariantId": [],
    }
    body = graphql(shop, QUANTITY_PRICING, {"priceListId": price_list, "input": {**empty, **changes}}).json()
    return body["data"]["quantityPricingByVariantUpdate"]


def _read(shop, price_list: str) -> dict[str, Any]:
    return graphql(shop, PRICE_LIST, {"id": price_list}).json()["data"]["priceList"]


def test_fixed_prices_are_stored_in_the_price_lists_currency(shop, price_list) -> None:
    entry = {**_price(1, "9.5"), "compareAtPrice": {"amount": "12", "currencyCode": "EUR"}}
    result = graphql(shop, FIXED_ADD, {"priceListId": price_list, "prices": [entry, _price(2, "4")]}).json()
    added = result["data"]["priceListFixedPricesAdd"]
    assert added["userErrors"] == []
    assert added["prices"][0] == {
        "price": {"amount": "9.50", "currencyCode": "EUR"},
        "compareAtPrice": {"amount": "12.00"},
        "variant": {"sku": "SKU-0000001"},
    }
    assert _read(shop, price_list)["fixedPricesCount"] == 2


def test_fixed_prices_over_250_are_refused_before_any_write(shop, price_list) -> None:
    body = graphql(shop, FIXED_ADD, {"priceListId": price_list, "prices": [_price(1, "1")] * 251}).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert body["errors"][0]["message"] == "The input array size of 251 is greater than the maximum allowed of 250."
    assert _read(shop, price_list)["fixedPricesCount"] == 0


def test_exactly_250_fixed_prices_are_accepted() -> None:
    with start_shopify_sandbox(access_token=TOKEN, seed=250) as shop:
        price_list = shop.control.create_price_list("Wholesale", "EUR")
        prices = [_price(n, "3.00") for n in range(250)]
        added = graphql(shop, FIXED_ADD, {"priceListId": price_list, "prices": prices}).json()
        assert added["data"]["priceListFixedPricesAdd"]["userErrors"] == []
        assert shop.sandbox.state.price_lists[0].fixed[249] == ("3.00", None)


def test_wrong_currency_and_unknown_variant_fail_the_whole_call(shop, price_list) -> None:
    prices = [_price(1, "5"), _price(2, "5", "USD"), {**_price(0, "5"), "variantId": _variant(10**6)}]
    added = graphql(shop, FIXED_ADD, {"priceListId": price_list, "prices": prices}).json()
    errors = added["data"]["priceListFixedPricesAdd"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("PRICE_LIST_CURRENCY_MISMATCH", ["prices", "1", "price", "currencyCode"]),
        ("VARIANT_NOT_FOUND", ["prices", "2", "variantId"]),
    ]
    assert _read(shop, price_list)["fixedPricesCount"] == 0


def test_unknown_price_list_is_price_list_not_found(shop) -> None:
    added = graphql(shop, FIXED_ADD, {"priceListId": ids.gid("PriceList", 77), "prices": [_price(1, "1")]}).json()
    assert added["data"]["priceListFixedPricesAdd"]["userErrors"][0]["code"] == "PRICE_LIST_NOT_FOUND"


def test_price_breaks_and_rules_are_served_back_per_variant(shop, price_list) -> None:
    result = _quantity_pricing(
        shop,
        price_list,
        pricesToAdd=[_price(3, "10")],
        quantityPriceBreaksToAdd=[
            {**_price(3, "8"), "minimumQuantity": 50},
            {**_price(3, "9"), "minimumQuantity": 10},
        ],
        quantityRulesToAdd=[{"variantId": _variant(3), "minimum": 10, "maximum": 500, "increment": 5}],
    )
    assert result == {"productVariants": [{"sku": "SKU-0000003"}], "userErrors": []}
    read = _read(shop, price_list)
    assert read["prices"]["nodes"] == [
        {
            "variant": {"sku": "SKU-0000003"},
            "price": {"amount": "10.00"},
            "quantityPriceBreaks": {
                "nodes": [
                    {"minimumQuantity": 10, "price": {"amount": "9.00"}},
                    {"minimumQuantity": 50, "price": {"amount": "8.00"}},
                ]
            },
        }
    ]
    assert read["quantityRules"]["nodes"] == [
        {"minimum": 10, "maximum": 500, "increment": 5, "productVariant": {"sku": "SKU-0000003"}}
    ]
    removed = _quantity_pricing(
        shop,
        price_list,
        quantityPriceBreaksToDeleteByVariantId=[_variant(3)],
        quantityRulesToDeleteByVariantId=[_variant(3)],
    )
    assert removed["userErrors"] == []
    after = _read(shop, price_list)
    assert after["prices"]["nodes"][0]["quantityPriceBreaks"]["nodes"] == []
    assert after["quantityRules"]["nodes"] == []


def test_inconsistent_rules_duplicates_and_unpriced_breaks_are_user_errors(shop, price_list) -> None:
    result = _quantity_pricing(
        shop,
        price_list,
        pricesToAdd=[_price(1, "10"), _price(1, "11")],
        quantityPriceBreaksToAdd=[{**_price(2, "8"), "minimumQuantity": 10}],
        quantityRulesToAdd=[
            {"variantId": _variant(1), "minimum": 7, "maximum": 5, "increment": 2},
            {"variantId": _variant(4), "minimum": 0, "increment": 1},
        ],
    )
    assert result["productVariants"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("PRICE_ADD_DUPLICATE_INPUT_FOR_VARIANT", ["input", "pricesToAdd", "1"]),
        (
            "QUANTITY_PRICE_BREAK_ADD_PRICE_LIST_PRICE_NOT_FOUND",
            ["input", "quantityPriceBreaksToAdd", "0", "variantId"],
        ),
        ("QUANTITY_RULE_ADD_MINIMUM_GREATER_THAN_MAXIMUM", ["input", "quantityRulesToAdd", "0", "minimum"]),
        ("QUANTITY_RULE_ADD_MINIMUM_NOT_A_MULTIPLE_OF_INCREMENT", ["input", "quantityRulesToAdd", "0", "minimum"]),
        ("QUANTITY_RULE_ADD_MAXIMUM_NOT_A_MULTIPLE_OF_INCREMENT", ["input", "quantityRulesToAdd", "0", "maximum"]),
        ("QUANTITY_RULE_ADD_MINIMUM_IS_LESS_THAN_ONE", ["input", "quantityRulesToAdd", "1", "minimum"]),
        ("QUANTITY_RULE_ADD_INCREMENT_IS_GREATER_THAN_MINIMUM", ["input", "quantityRulesToAdd", "1", "increment"]),
    ]
    assert _read(shop, price_list)["fixedPricesCount"] == 0


def test_break_currency_mismatch_and_more_than_250_breaks(shop, price_list) -> None:
    mismatch = _quantity_pricing(
        shop,
        price_list,
        pricesToAdd=[_price(1, "10")],
        quantityPriceBreaksToAdd=[{**_price(1, "8", "USD"), "minimumQuantity": 5}],
    )
    assert [e["code"] for e in mismatch["userErrors"]] == ["QUANTITY_PRICE_BREAK_ADD_CURRENCY_MISMATCH"]
    breaks = [{**_price(1, "8"), "minimumQuantity": m} for m in range(2, 253)]
    body = graphql(
        shop,
        QUANTITY_PRICING,
        {
            "priceListId": price_list,
            "input": {
                "pricesToAdd": [],
                "pricesToDeleteByVariantId": [],
                "quantityPriceBreaksToAdd": breaks,
                "quantityPriceBreaksToDelete": [],
                "quantityRulesToAdd": [],
                "quantityRulesToDeleteByVariantId": [],
            },
        },
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert body["errors"][0]["path"] == ["quantityPricingByVariantUpdate", "input", "quantityPriceBreaksToAdd"]
