"""``bulkOperationRunQuery``: started, polled to COMPLETED, its JSONL served at ``url`` with one
object per line and nested connection nodes on their own lines carrying ``__parentId``."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from erp_shopify_sandbox.shopify import ids, start_shopify_sandbox
from erp_shopify_sandbox.shopify.bulk import BulkOperationView
from erp_shopify_tests.test_sandbox.conftest import TOKEN, graphql

RUN = """
mutation($query: String!) {
  bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { code field message } }
}"""
POLL = "query($id: ID!) { bulkOperation(id: $id) { status errorCode objectCount rootObjectCount fileSize url } }"
PRODUCTS = "{ products { edges { node { id title variants { edges { node { id sku } } } } } } }"


def _run(shop, query: str) -> dict[str, Any]:
    return graphql(shop, RUN, {"query": query}).json()["data"]["bulkOperationRunQuery"]


def _wait(shop, operation_id: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        operation = graphql(shop, POLL, {"id": operation_id}).json()["data"]["bulkOperation"]
        if operation["status"] not in ("CREATED", "RUNNING") or time.monotonic() > deadline:
            return operation
        time.sleep(0.05)


def test_bulk_query_jsonl_has_children_after_their_parent_with_parent_id() -> None:
    with start_shopify_sandbox(access_token=TOKEN, seed=0, locations=1) as shop:
        shop.control.seed(3, variants_per_product=2)
        started = _run(shop, PRODUCTS)
        assert started["userErrors"] == [] and started["bulkOperation"]["status"] == "CREATED"
        done = _wait(shop, started["bulkOperation"]["id"])
        assert (done["status"], done["errorCode"]) == ("COMPLETED", None)
        assert (done["objectCount"], done["rootObjectCount"]) == ("9", "3")  # UnsignedInt64 is a string
        text = httpx.get(done["url"]).text
    assert int(done["fileSize"]) == len(text.encode())
    lines = [json.loads(line) for line in text.splitlines()]
    product, variant = ids.gid("Product", 0), ids.gid("ProductVariant", 0)
    assert lines[0] == {"id": product, "title": "Product 1"}
    assert lines[1] == {"id": variant, "sku": "SKU-0000000", "__parentId": product}
    parents = [None if p == 3 else ids.gid("Product", p) for p in (3, 0, 0, 3, 1, 1, 3, 2, 2)]
    assert [line.get("__parentId") for line in lines] == parents


def test_bulk_query_reads_past_the_250_page_limit(shop) -> None:
    shop.control.seed(300)
    done = _wait(shop, _run(shop, "{ productVariants { edges { node { sku } } } }")["bulkOperation"]["id"])
    skus = [json.loads(line)["sku"] for line in httpx.get(done["url"]).text.splitlines()]
    assert len(skus) == 320 and skus[-1] == "SKU-0000319"


def test_a_query_without_a_connection_or_with_a_bad_field_is_a_user_error(shop) -> None:
    no_connection = _run(shop, "{ shop { name } }")
    assert no_connection["bulkOperation"] is None
    assert no_connection["userErrors"][0]["code"] == "INVALID"
    assert "connection" in no_connection["userErrors"][0]["message"]
    bad_field = _run(shop, "{ products { edges { node { colour } } } }")
    assert bad_field["userErrors"][0]["field"] == ["query"]
    assert "colour" in bad_field["userErrors"][0]["message"]


def test_a_sixth_running_operation_is_limit_reached(shop) -> None:
    operations = shop.sandbox.context.bulk_operations.operations
    for index in range(5):  # five long operations still running
        running = BulkOperationView(index, PRODUCTS)
        running.status = "RUNNING"
        operations.append(running)
    refused = _run(shop, PRODUCTS)
    assert refused["bulkOperation"] is None
    assert refused["userErrors"][0]["code"] == "LIMIT_REACHED"


def test_an_unknown_bulk_result_file_is_404(shop) -> None:
    assert httpx.get(f"{shop.url}/_sandbox/bulk/42.jsonl").status_code == 404
