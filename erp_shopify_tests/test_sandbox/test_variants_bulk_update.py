"""``productVariantsBulkUpdate``: Shopify's user errors, all-or-nothing writes, and the SKU index
kept exact when SKUs are shared or renamed."""

from __future__ import annotations

from erp_shopify_sandbox.shopify import ids
from erp_shopify_sandbox.shopify.state import ShopState
from erp_shopify_tests.test_sandbox.conftest import graphql

UPDATE = """
mutation($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { sku price compareAtPrice }
    userErrors { code field message }
  }
}"""


def _update(shop, product: int, variants: list[dict]) -> dict:
    body = graphql(shop, UPDATE, {"productId": ids.gid("Product", product), "variants": variants}).json()
    return body["data"]["productVariantsBulkUpdate"]


def _variant(n: int) -> str:
    return ids.gid("ProductVariant", n)


def test_price_update_is_rounded_to_cents_and_visible_on_the_variant(shop) -> None:
    result = _update(shop, 3, [{"id": _variant(3), "price": "12.5", "compareAtPrice": "15"}])
    assert result["userErrors"] == []
    assert result["productVariants"] == [{"sku": "SKU-0000003", "price": "12.50", "compareAtPrice": "15.00"}]
    assert shop.sandbox.state.prices[3] == "12.50"


def test_unknown_product_is_product_does_not_exist(shop) -> None:
    result = _update(shop, 9999, [{"id": _variant(0), "price": "1.00"}])
    assert result["productVariants"] is None
    assert result["userErrors"] == [
        {"code": "PRODUCT_DOES_NOT_EXIST", "field": ["productId"], "message": "Product does not exist"}
    ]


def test_each_bad_variant_gets_its_own_error_and_nothing_is_written(shop) -> None:
    before = list(shop.sandbox.state.prices[:6])
    result = _update(
        shop,
        5,
        [
            {"id": _variant(5), "price": "-1"},  # negative
            {"price": "3.00"},  # no id
            {"id": _variant(999_999), "price": "3.00"},  # unknown
            {"id": _variant(4), "price": "3.00"},  # another product's variant
            {"id": _variant(5), "compareAtPrice": "abc"},  # not a decimal
        ],
    )
    assert result["productVariants"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("NEGATIVE_PRICE_VALUE", ["variants", "0", "price"]),
        ("PRODUCT_VARIANT_ID_MISSING", ["variants", "1", "id"]),
        ("PRODUCT_VARIANT_DOES_NOT_EXIST", ["variants", "2", "id"]),
        ("MUST_BE_FOR_THIS_PRODUCT", ["variants", "3", "id"]),
        ("INVALID_INPUT", ["variants", "4", "compareAtPrice"]),
    ]
    assert shop.sandbox.state.prices[:6] == before


def test_more_than_250_variants_is_refused_before_any_write(shop) -> None:
    body = graphql(
        shop, UPDATE, {"productId": ids.gid("Product", 0), "variants": [{"id": _variant(0), "price": "2"}] * 251}
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert shop.sandbox.state.prices[0] != "2.00"


def test_renaming_a_sku_moves_it_in_the_index_and_counts_duplicates(shop) -> None:
    assert _update(shop, 1, [{"id": _variant(1), "inventoryItem": {"sku": "SKU-0000002"}}])["userErrors"] == []
    found = graphql(
        shop,
        '{ inventoryItems(first: 5, query: "sku:SKU-0000002 OR sku:SKU-0000001") { nodes { id duplicateSkuCount } } }',
    ).json()["data"]["inventoryItems"]["nodes"]
    assert found == [
        {"id": ids.gid("InventoryItem", 1), "duplicateSkuCount": 1},
        {"id": ids.gid("InventoryItem", 2), "duplicateSkuCount": 1},
    ]
    _update(shop, 2, [{"id": _variant(2), "inventoryItem": {"sku": "NEW-2"}}])
    assert shop.sandbox.state.variants_by_sku("SKU-0000002") == [1]
    assert shop.sandbox.state.variants_by_sku("NEW-2") == [2]
    assert shop.sandbox.state.variants_by_sku("SKU-0000001") == []


def test_a_seed_colliding_with_an_existing_sku_lists_both_rows_first_one_first() -> None:
    state = ShopState("dupes.myshopify.com")
    state.seed(3)
    state.set_variant(2, sku="SKU-0000003")
    state.seed(2)  # variant 3 is seeded as SKU-0000003 too
    assert state.variants_by_sku("SKU-0000003") == [2, 3]
    state.set_variant(2, sku="SKU-0000002")
    assert state.variants_by_sku("SKU-0000003") == [3]
    assert state.variants_by_sku("SKU-0000002") == [2]
    assert state.sku_duplicates == {}
