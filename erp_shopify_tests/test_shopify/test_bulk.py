"""Bulk exports: start, poll, stream the JSONL result; failures keep their class."""

from __future__ import annotations

import json

import pytest

from erp_shopify.errors import SystemFailure, TransientError
from erp_shopify.retrying import RetryPolicy
from erp_shopify.shopify.bulk import BulkOperationFailed
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify_tests.test_shopify.peer import ScriptedShopify, ok

OPERATION_ID = "gid://shopify/BulkOperation/720918"
QUERY = "{ productVariants { edges { node { id sku } } } }"


def started() -> dict:
    return ok({"bulkOperationRunQuery": {"bulkOperation": {"id": OPERATION_ID, "status": "CREATED"}, "userErrors": []}})


def polled(status: str, url: str | None = None, error_code: str | None = None) -> dict:
    return ok(
        {
            "bulkOperation": {
                "id": OPERATION_ID,
                "status": status,
                "errorCode": error_code,
                "objectCount": "3",
                "rootObjectCount": "3",
                "fileSize": "120",
                "url": url,
                "partialDataUrl": None,
                "createdAt": "2026-11-01T00:00:00Z",
                "completedAt": None,
            }
        },
        requested=1,
        actual=1,
    )


def client_for(peer: ScriptedShopify) -> ShopifyClient:
    return ShopifyClient(peer.graphql_url, "shpat_secret", retry_policy=RetryPolicy(2, 0.01, 0.01))


def test_a_bulk_query_streams_every_line_of_the_result(peer: ScriptedShopify) -> None:
    rows = [{"id": f"gid://shopify/ProductVariant/{i}", "sku": f"SKU-{i}"} for i in range(3)]
    peer.files["result.jsonl"] = [json.dumps(row) for row in rows]
    peer.reply(started()).reply(polled("RUNNING")).reply(polled("COMPLETED", f"{peer.url}/files/result.jsonl"))
    with client_for(peer) as client:
        assert list(client.bulk_query(QUERY, poll_interval=0.01)) == rows
    assert peer.received[0].variables == {"query": QUERY}
    assert [r.variables for r in peer.received[1:]] == [{"id": OPERATION_ID}] * 2


def test_the_result_file_is_fetched_without_the_access_token(peer: ScriptedShopify) -> None:
    peer.files["result.jsonl"] = ['{"id": "gid://shopify/ProductVariant/1"}']
    peer.reply(started()).reply(polled("COMPLETED", f"{peer.url}/files/result.jsonl"))
    with client_for(peer) as client:
        list(client.bulk_query(QUERY, poll_interval=0.01))
    assert "x-shopify-access-token" not in peer.downloads[0]


def test_a_completed_export_without_objects_yields_nothing(peer: ScriptedShopify) -> None:
    peer.reply(started()).reply(polled("COMPLETED", None))
    with client_for(peer) as client:
        assert list(client.bulk_query(QUERY, poll_interval=0.01)) == []


@pytest.mark.parametrize(
    ("error_code", "error_type"),
    [("ACCESS_DENIED", SystemFailure), ("INTERNAL_SERVER_ERROR", TransientError), ("TIMEOUT", BulkOperationFailed)],
)
def test_a_failed_export_raises_by_its_error_code(peer: ScriptedShopify, error_code: str, error_type: type) -> None:
    peer.reply(started()).reply(polled("FAILED", None, error_code))
    with client_for(peer) as client, pytest.raises(error_type) as caught:
        list(client.bulk_query(QUERY, poll_interval=0.01))
    assert caught.value.codes == ("FAILED", error_code)
