"""The Admin GraphQL endpoint: authentication, SKU search, pagination and the cost model."""

from __future__ import annotations

from erp_shopify_sandbox.shopify import ids, start_shopify_sandbox
from erp_shopify_tests.test_sandbox.conftest import TOKEN, graphql

VARIANTS = (
    "query($after: String) { productVariants(first: 7, after: $after)"
    " { nodes { sku } pageInfo { hasNextPage endCursor } } }"
)


def test_wrong_token_gets_shopifys_401_body(shop) -> None:
    response = graphql(shop, "{ shop { name } }", token="wrong")
    assert response.status_code == 401
    assert response.json() == {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


def test_sku_search_finds_exact_skus_only(shop) -> None:
    body = graphql(
        shop,
        '{ inventoryItems(first: 5, query: "sku:SKU-0000003 OR sku:sku-0000004") { nodes { sku duplicateSkuCount } } }',
    ).json()
    assert body["data"]["inventoryItems"]["nodes"] == [{"sku": "SKU-0000003", "duplicateSkuCount": 0}]


def test_cursor_pagination_walks_every_variant_once(shop) -> None:
    seen, after = [], None
    while True:
        page = graphql(shop, VARIANTS, {"after": after}).json()["data"]["productVariants"]
        seen += [n["sku"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"SKU-{i:07d}" for i in range(20)]


def test_first_over_250_is_refused(shop) -> None:
    body = graphql(shop, "{ productVariants(first: 251) { nodes { id } } }").json()
    assert "between 0 and 250" in body["errors"][0]["message"]


def test_requested_cost_is_static_and_unused_cost_is_refunded(shop) -> None:
    body = graphql(
        shop, '{ productVariants(first: 100, query: "sku:SKU-0000001") { nodes { sku inventoryItem { id } } } }'
    ).json()
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 2 + 100 * 2
    assert cost["actualQueryCost"] == 2 + 1 * 2
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0
    assert cost["throttleStatus"]["restoreRate"] == 100.0
    assert cost["throttleStatus"]["currentlyAvailable"] >= 2000 - 4 - 1


def test_mutation_costs_ten(shop) -> None:
    body = graphql(shop, "mutation { metafieldsSet(metafields: []) { userErrors { code } } }").json()
    assert body["extensions"]["cost"]["requestedQueryCost"] == 10


def test_query_over_1000_points_is_max_cost_exceeded(shop) -> None:
    body = graphql(
        shop, "{ productVariants(first: 250) { nodes { inventoryItem { variant { product { id } } } } } }"
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert body["extensions"]["cost"]["requestedQueryCost"] == 2 + 250 * 4


def test_throttled_as_200_when_the_bucket_cannot_cover_the_request() -> None:
    with start_shopify_sandbox(access_token=TOKEN, bucket_size=300, seed=300) as shop:
        full = graphql(shop, "{ productVariants(first: 250) { nodes { id } } }").json()
        assert full["extensions"]["cost"]["actualQueryCost"] == 252  # nothing to refund
        throttled = graphql(shop, "{ productVariants(first: 98) { nodes { id } } }")  # 100 > about 48 left
        assert throttled.status_code == 200
        assert throttled.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert throttled.json()["extensions"]["cost"]["actualQueryCost"] is None
        assert shop.control.stats()["cost"]["throttled"] == 1


def test_throttled_as_429_with_retry_after_when_configured() -> None:
    with start_shopify_sandbox(access_token=TOKEN, bucket_size=100, throttle_status=429, seed=5) as shop:
        response = graphql(shop, "{ productVariants(first: 150) { nodes { id } } }")
        assert response.status_code == 429
        assert response.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert int(response.headers["Retry-After"]) == 1  # 52 points short at 100 pt/s


def test_bucket_restores_at_the_plan_rate() -> None:
    with start_shopify_sandbox(access_token=TOKEN, plan="advanced", seed=1) as shop:
        status = shop.sandbox.bucket.status()
        assert status["restoreRate"] == 200.0 and status["maximumAvailable"] == 4000.0
        shop.sandbox.bucket.take(4000)
        import time

        time.sleep(0.25)
        assert 40 <= shop.sandbox.bucket.status()["currentlyAvailable"] <= 70


def test_variant_and_product_counts_choose_paging_or_bulk_without_reading_the_catalog() -> None:
    with start_shopify_sandbox(access_token=TOKEN, seed=0, locations=1) as shop:
        shop.sandbox.state.seed(12_000)
        body = graphql(
            shop,
            "{ all: productVariantsCount { count precision }"
            " exact: productVariantsCount(limit: null) { count precision }"
            ' one: productVariantsCount(query: "sku:SKU-0000042") { count precision } productsCount { count } }',
        ).json()
    assert body["data"] == {
        "all": {"count": 10_000, "precision": "AT_LEAST"},
        "exact": {"count": 12_000, "precision": "EXACT"},
        "one": {"count": 1, "precision": "EXACT"},
        "productsCount": {"count": 10_000},
    }
    assert body["extensions"]["cost"]["requestedQueryCost"] == 4  # a Count is one object


def test_a_sized_list_costs_per_item_requested_and_per_returned_item_actual(shop) -> None:
    wanted = [ids.gid("InventoryItem", 1), ids.gid("InventoryItem", 2), ids.gid("InventoryItem", 10**6)]
    body = graphql(shop, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": wanted}).json()
    assert body["data"]["nodes"] == [{"id": wanted[0]}, {"id": wanted[1]}, None]  # the last does not exist
    cost = body["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (3, 2)


def test_quantities_are_sized_by_the_names_asked_for(shop) -> None:
    query = "query($id: ID!) { inventoryLevel(id: $id) { quantities(names: %s) { quantity } } }"
    gid = ids.level_gid(0, 1)
    one = graphql(shop, query % '["available"]', {"id": gid}).json()["extensions"]["cost"]
    three = graphql(shop, query % '["available", "on_hand", "committed"]', {"id": gid}).json()["extensions"]["cost"]
    assert (one["requestedQueryCost"], one["actualQueryCost"]) == (2, 2)
    assert (three["requestedQueryCost"], three["actualQueryCost"]) == (4, 4)


def test_an_unsized_list_costs_one_object_requested_and_actual(shop) -> None:
    order = shop.control.place_order({"SKU-0000001": 3})
    shop.control.refund_order(order["legacy_id"], {"SKU-0000001": 1})
    shop.control.refund_order(order["legacy_id"], {"SKU-0000001": 1})
    gid = order["id"]
    unsized = graphql(shop, "query($id: ID!) { order(id: $id) { refunds { id } } }", {"id": gid}).json()
    sized = graphql(shop, "query($id: ID!) { order(id: $id) { refunds(first: 5) { id } } }", {"id": gid}).json()
    assert len(unsized["data"]["order"]["refunds"]) == 2
    cost = unsized["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (2, 2)
    cost = sized["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (6, 3)
