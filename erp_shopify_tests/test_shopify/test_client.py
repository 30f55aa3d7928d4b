"""The client's classification, retries and pacing, against a scripted Shopify peer over real HTTP."""

from __future__ import annotations

import time

import httpx
import pytest

from erp_shopify.errors import DataError, SystemFailure, TransientError
from erp_shopify.retrying import RetryPolicy
from erp_shopify.shopify.client import ShopifyClient, ShopifyUserErrors, UserError
from erp_shopify_tests.test_shopify.peer import ScriptedShopify, ok, throttled

FAST_RETRIES = RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.05)
SHOP = {"shop": {"name": "Demo"}}


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


def client_for(peer: ScriptedShopify, **options: object) -> ShopifyClient:
    options.setdefault("retry_policy", FAST_RETRIES)
    return ShopifyClient(peer.graphql_url, "shpat_test_token", **options)  # type: ignore[arg-type]


def test_execute_returns_the_data_and_counts_cost(peer: ScriptedShopify) -> None:
    peer.reply(ok(SHOP, requested=12, actual=3))
    with client_for(peer) as client:
        assert client.execute("query { shop { name } }") == SHOP
        assert (client.requests, client.points_used, client.throttled) == (1, 3, 0)
    assert peer.received[0].headers["x-shopify-access-token"] == "shpat_test_token"


def test_a_document_is_sent_by_name_with_its_variables(peer: ScriptedShopify) -> None:
    peer.reply(ok({"locations": {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}))
    with client_for(peer) as client:
        client.execute("locations", {"first": 5})
    assert peer.received[0].query.lstrip().startswith("# One page of the shop's active locations")
    assert peer.received[0].variables == {"first": 5}


def test_throttled_with_http_200_is_retried_after_the_time_the_bucket_needs(peer: ScriptedShopify) -> None:
    peer.reply(throttled(requested=50, available=40, rate=100)).reply(ok(SHOP))
    sleep = RecordingSleep()
    with client_for(peer, sleep=sleep) as client:
        assert client.execute("query { shop { name } }") == SHOP
        assert (client.requests, client.throttled) == (2, 1)
    assert sleep.waits[0] == pytest.approx(0.1, abs=0.01)  # (50 - 40) / 100


def test_throttled_with_http_429_honours_retry_after(peer: ScriptedShopify) -> None:
    peer.reply({"errors": "Exceeded 2 calls per second for api client."}, status=429, headers={"Retry-After": "0.2"})
    peer.reply(ok(SHOP))
    sleep = RecordingSleep()
    with client_for(peer, sleep=sleep) as client:
        assert client.execute("query { shop { name } }") == SHOP
        assert client.throttled == 1
    assert sleep.waits[0] == pytest.approx(0.2)


def test_server_errors_are_retried_with_backoff(peer: ScriptedShopify) -> None:
    peer.reply("<html>502 Bad Gateway</html>", status=502).reply({"errors": "oops"}, status=503).reply(ok(SHOP))
    with client_for(peer) as client:
        assert client.execute("query { shop { name } }") == SHOP
        assert client.requests == 3


def test_server_errors_that_persist_escape_as_transient_with_every_attempt(peer: ScriptedShopify) -> None:
    for _ in range(4):
        peer.reply({"errors": "Service Unavailable"}, status=503)
    with client_for(peer) as client, pytest.raises(TransientError) as caught:
        client.execute("query { shop { name } }")
    assert caught.value.status == 503
    assert len(caught.value.attempts) == 4


def test_revoked_credentials_raise_system_failure_without_retrying(peer: ScriptedShopify) -> None:
    body = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
    peer.reply(body, status=401).reply(ok(SHOP))
    with client_for(peer) as client, pytest.raises(SystemFailure) as caught:
        client.execute("query { shop { name } }")
    assert caught.value.status == 401
    assert "Invalid API key" in caught.value.message
    assert len(peer.received) == 1


def test_access_denied_on_a_field_is_a_system_failure(peer: ScriptedShopify) -> None:
    peer.reply({"data": None, "errors": [{"message": "Access denied", "extensions": {"code": "ACCESS_DENIED"}}]})
    with client_for(peer) as client, pytest.raises(SystemFailure) as caught:
        client.execute("query { shop { name } }")
    assert caught.value.codes == ("ACCESS_DENIED",)


def test_a_graphql_error_that_is_not_throttling_is_a_data_error_not_retried(peer: ScriptedShopify) -> None:
    error = {"message": "Field 'nope' doesn't exist on type 'Shop'", "extensions": {"code": "undefinedField"}}
    peer.reply({"errors": [error]}).reply(ok(SHOP))
    with client_for(peer) as client, pytest.raises(DataError) as caught:
        client.execute("query { shop { nope } }")
    assert type(caught.value) is DataError
    assert caught.value.codes == ("undefinedField",)
    assert len(peer.received) == 1


def test_max_cost_exceeded_is_a_data_error(peer: ScriptedShopify) -> None:
    error = {
        "message": "Query cost is 1502, which exceeds the single query max cost limit (1000).",
        "extensions": {"code": "MAX_COST_EXCEEDED", "cost": 1502, "maxCost": 1000},
    }
    peer.reply({"errors": [error]})
    with client_for(peer) as client, pytest.raises(DataError, match="exceeds the single query max cost"):
        client.execute("query { shop { name } }")


STALE = {
    "inventorySetQuantities": {
        "inventoryAdjustmentGroup": None,
        "userErrors": [
            {
                "field": ["input", "quantities", "0", "changeFromQuantity"],
                "message": "The specified compare quantity does not match the current quantity.",
                "code": "CHANGE_FROM_QUANTITY_STALE",
            }
        ],
    }
}


def test_user_errors_raise_with_their_code_field_and_message(peer: ScriptedShopify) -> None:
    peer.reply(ok(STALE))
    with client_for(peer) as client, pytest.raises(ShopifyUserErrors) as caught:
        client.execute("inventory_set_quantities", {"input": {}, "idempotencyKey": "k"})
    assert caught.value.codes == ("CHANGE_FROM_QUANTITY_STALE",)
    assert caught.value.operation == "inventorySetQuantities"
    assert caught.value.user_errors == (
        UserError(
            message="The specified compare quantity does not match the current quantity.",
            code="CHANGE_FROM_QUANTITY_STALE",
            field=("input", "quantities", "0", "changeFromQuantity"),
        ),
    )
    assert isinstance(caught.value, DataError)


def test_a_caller_can_ask_to_receive_user_errors(peer: ScriptedShopify) -> None:
    peer.reply(ok(STALE))
    with client_for(peer) as client:
        data = client.execute("inventory_set_quantities", {"input": {}, "idempotencyKey": "k"}, raise_user_errors=False)
    assert data["inventorySetQuantities"]["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"


def test_a_concurrent_request_with_the_same_idempotency_key_is_retried(peer: ScriptedShopify) -> None:
    in_flight = {
        "inventorySetQuantities": {
            "inventoryAdjustmentGroup": None,
            "userErrors": [
                {
                    "field": None,
                    "message": "This request is currently in progress, please try again.",
                    "code": "IDEMPOTENCY_CONCURRENT_REQUEST",
                }
            ],
        }
    }
    done = {
        "inventorySetQuantities": {
            "inventoryAdjustmentGroup": {"id": "gid://shopify/InventoryAdjustmentGroup/1"},
            "userErrors": [],
        }
    }
    peer.reply(ok(in_flight)).reply(ok(done))
    with client_for(peer) as client:
        data = client.execute("inventory_set_quantities", {"input": {}, "idempotencyKey": "k"})
    assert data == done
    assert [r.variables["idempotencyKey"] for r in peer.received] == ["k", "k"]


def test_a_lost_response_is_retried_as_transient(peer: ScriptedShopify) -> None:
    peer.reply(ok(SHOP), delay=1.0).reply(ok(SHOP))
    with client_for(peer, timeout=httpx.Timeout(0.3)) as client:
        assert client.execute("query { shop { name } }") == SHOP
        assert client.requests == 2


def test_a_refused_connection_is_transient() -> None:
    client = ShopifyClient(
        "http://127.0.0.1:9/admin/api/2026-10/graphql.json",
        "t",
        retry_policy=RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.01),
    )
    with client, pytest.raises(TransientError, match="connection failed"):
        client.execute("query { shop { name } }")


def test_pacing_waits_for_the_bucket_reported_by_the_last_answer(peer: ScriptedShopify) -> None:
    query = "query { shop { name } }"
    peer.reply(ok(SHOP, requested=30, actual=30, available=5, maximum=1000, rate=100)).reply(ok(SHOP))
    sleep = RecordingSleep()
    with client_for(peer, sleep=sleep) as client:
        client.execute(query)
        client.execute(query)  # needs 30, has 5: waits about 0.25 s instead of being throttled
    assert sleep.waits and sleep.waits[0] == pytest.approx(0.25, abs=0.02)


def page(ids: list[int], next_cursor: str | None) -> dict:
    return ok(
        {
            "productVariants": {
                "nodes": [{"id": f"gid://shopify/ProductVariant/{i}"} for i in ids],
                "pageInfo": {"hasNextPage": next_cursor is not None, "endCursor": next_cursor},
            }
        }
    )


def test_paginate_follows_cursors_until_the_last_page(peer: ScriptedShopify) -> None:
    peer.reply(page([1, 2], "c1")).reply(page([3], "c2")).reply(page([], None))
    with client_for(peer) as client:
        nodes = list(client.paginate("variants_by_sku", {"query": "sku:A*", "first": 2}, "productVariants"))
    assert [n["id"][-1] for n in nodes] == ["1", "2", "3"]
    assert [r.variables.get("after") for r in peer.received] == [None, "c1", "c2"]
    assert all(r.variables["query"] == "sku:A*" for r in peer.received)


def test_paginate_refuses_pages_larger_than_shopify_allows(peer: ScriptedShopify) -> None:
    with client_for(peer) as client, pytest.raises(ValueError, match="250"):
        next(client.paginate("variants_by_sku", {"first": 251}, "productVariants"))
