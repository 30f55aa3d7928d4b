"""The product master sync end to end: SAP sandbox products -> ``productSet`` in the Shopify
sandbox, through real Redis. Creates, skips what is unchanged, upserts on a retry after a lost
answer, leaves Shopify's fields alone, overwrites and counts a merchant's edit, and reports what
Shopify refuses while writing the rest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from erp_shopify.config import ProductsConfig
from erp_shopify.mapping.products import payload_values
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.fingerprints import Fingerprints, Verdict
from erp_shopify.store.written_products import WrittenProducts
from erp_shopify.sync.products import ProductSync, ProductSyncResult
from erp_shopify_tests.test_sync.world import FAST_RETRY, World, world

SHOP = "shop-a"


@pytest.fixture
def products_world(tmp_path: Path, redis_url: str, key_prefix: str) -> Iterator[World]:
    with world(tmp_path, redis_url, key_prefix, items=0, stock=None) as the_world:
        yield the_world


def put(w: World, *specs: dict[str, Any]) -> None:
    httpx.put(f"{w.sap.url}/_sandbox/products", json=list(specs)).raise_for_status()


def tee(code: str = "TEE", title: str = "Blue tee", sizes: tuple[str, ...] = ("S", "M")) -> list[dict[str, Any]]:
    head = {"product": code, "description": title, "brand": "ACME", "product_group": "TEES"}
    return [head] + [
        {"product": f"{code}-{s}", "configurable_product": code, "size": s, "gross_weight": "0.2", "weight_unit": "KG"}
        for s in sizes
    ]


def sync(w: World, cursor: str | None = None, client: ShopifyClient | None = None, **options: Any) -> ProductSyncResult:
    adapter = w.adapter()
    try:
        runner = ProductSync(
            w.shop(SHOP), client or w.client(SHOP), adapter, w.redis(), w.key_prefix, ProductsConfig(**options)
        )
        return runner.run(cursor)
    finally:
        adapter.close()


def product_set_calls(w: World) -> int:
    return w.shops[SHOP].sandbox.state.write_calls.get("productSet", 0)


def shopify_product(w: World, sku: str) -> dict[str, Any]:
    [variant] = w.shops[SHOP].control.variants([sku])
    return w.shops[SHOP].control.product(variant["product_id"])


def test_products_are_created_with_their_variants_and_a_rerun_writes_nothing(products_world: World) -> None:
    w = products_world
    put(w, *tee(), {"product": "MUG", "description": "Red mug", "brand": "ACME", "gtin": "4006381333931"})
    first = sync(w)
    assert (first.created, first.new_variants, first.refused) == (2, 3, [])
    product = shopify_product(w, "TEE-S")
    assert product["title"] == "Blue tee" and product["vendor"] == "ACME" and product["product_type"] == "TEES"
    assert sorted(v["sku"] for v in product["variants"]) == ["TEE-M", "TEE-S"]
    assert product["metafields"] == {"erp.item": "TEE"}
    assert shopify_product(w, "MUG")["variants"][0]["barcode"] == "4006381333931"
    calls = product_set_calls(w)
    again = sync(w)  # a full re-read of an unchanged catalogue
    assert (again.unchanged, again.created, again.updated) == (2, 0, 0)
    assert product_set_calls(w) == calls


def test_a_changed_product_is_written_once_keeping_its_variants(products_world: World) -> None:
    w = products_world
    put(w, *tee(), *tee("CAP", "Green cap", ("L",)))
    first = sync(w)
    before = {v["sku"]: v["inventory_item_id"] for v in shopify_product(w, "TEE-S")["variants"]}
    calls = product_set_calls(w)
    put(w, *tee(title="Navy tee", sizes=("S", "M", "L")))
    second = sync(w, first.watermark)
    assert (second.updated, second.new_variants, product_set_calls(w) - calls) == (1, 1, 1)
    product = shopify_product(w, "TEE-S")
    after = {v["sku"]: v["inventory_item_id"] for v in product["variants"]}
    assert product["title"] == "Navy tee"
    assert {sku: after[sku] for sku in before} == before  # same inventory items: the xref still holds


class LoseFirstProductSetAnswer(httpx.HTTPTransport):
    """The network loses the answer of the first ``productSet``, after Shopify applied it."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if b"mutation ProductSet(" in request.content and not self.lost:
            self.lost += 1
            response.close()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


def test_a_retry_after_a_lost_answer_updates_the_product_it_created(products_world: World) -> None:
    w = products_world
    put(w, {"product": "MUG", "description": "Red mug"})
    transport = LoseFirstProductSetAnswer()
    client = ShopifyClient.for_shop(w.shop(SHOP), retry_policy=FAST_RETRY, transport=transport)
    result = sync(w, client=client)
    client.close()
    state = w.shops[SHOP].sandbox.state
    assert transport.lost == 1 and product_set_calls(w) == 2
    assert result.created == 1 and result.refused == []
    assert state.product_titles.count("Red mug") == 1  # one product, not two


def test_merchant_media_tags_and_metafields_survive_and_an_archived_product_stays(products_world: World) -> None:
    w = products_world
    put(w, *tee())
    first = sync(w)
    product_id = shopify_product(w, "TEE-S")["admin_graphql_api_id"]
    w.shops[SHOP].control.add_media(product_id, "https://cdn.example.com/look.png")
    state = w.shops[SHOP].sandbox.state
    state.masters[state.variant_product[state.variants_by_sku("TEE-S")[0]]].tags = ["summer"]
    put(w, {"product": "TEE", "deleted": True})
    second = sync(w, first.watermark)
    product = w.shops[SHOP].control.product(product_id)
    assert second.archived == 1 and product["status"] == "archived"
    assert product["media_urls"] == ["https://cdn.example.com/look.png"] and product["tags"] == "summer"
    assert product["metafields"] == {"erp.item": "TEE"}


def test_a_merchant_edit_of_the_title_is_a_conflict_overwritten_and_counted(products_world: World) -> None:
    w = products_world
    put(w, *tee())
    first = sync(w)
    product_id = shopify_product(w, "TEE-S")["admin_graphql_api_id"]
    guard = Fingerprints(w.redis(), w.key_prefix)
    echo = w.shops[SHOP].control.product(product_id)
    assert guard.observe(SHOP, "products/update", product_id, payload_values(echo)) is Verdict.ECHO
    state = w.shops[SHOP].sandbox.state
    state.product_titles[state.variant_product[state.variants_by_sku("TEE-S")[0]]] = "Cheap tee!"  # hand edit
    edited = w.shops[SHOP].control.product(product_id)
    assert guard.observe(SHOP, "products/update", product_id, payload_values(edited)) is Verdict.CONFLICT
    second = sync(w, first.watermark)  # the ERP did not change: the conflict alone makes the write
    assert second.conflicts_overwritten == 1 and second.updated == 1
    assert w.shops[SHOP].control.product(product_id)["title"] == "Blue tee"
    assert guard.conflicts(SHOP) == {}


def test_refused_products_are_reported_and_the_rest_is_written(products_world: World) -> None:
    w = products_world
    put(
        w,
        {"product": "BLANK", "description": ""},
        *tee("DUP", "Twin tee", ("S",)),
        {"product": "DUP-S2", "configurable_product": "DUP", "size": "S"},
        {"product": "MUG", "description": "Red mug"},
    )
    result = sync(w)
    refused = {r.product_code: r.row() for r in result.refused}
    assert set(refused) == {"BLANK", "DUP"}
    assert refused["BLANK"]["codes"] == "INVALID_PRODUCT"
    assert "INVALID_VARIANT" in refused["DUP"]["codes"] and "already exists" in refused["DUP"]["errors"]
    assert result.created == 1 and shopify_product(w, "MUG")["title"] == "Red mug"
    written = WrittenProducts(w.redis(), w.key_prefix).load(SHOP, ["BLANK", "DUP", "MUG"])
    assert list(written) == ["MUG"]


def test_a_large_product_is_written_as_a_polled_operation(products_world: World) -> None:
    w = products_world
    put(w, *tee("BIG", "Big tee", tuple(f"S{n:03d}" for n in range(120))))
    result = sync(w, synchronous_up_to_variants=100)
    assert result.created == 1 and result.new_variants == 120
    assert len(shopify_product(w, "BIG-S000")["variants"]) == 120
    assert w.shops[SHOP].sandbox.state.product_operations[0]["status"] == "COMPLETE"
