"""The NetSuite sandbox on the wire: token-based auth checks, SuiteQL paging and limits, record
upserts by external id, faults, all answered in NetSuite's own shapes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1
from oauthlib.oauth1 import Client as OAuth1Client

from erp_shopify.erp.netsuite.auth import TokenAuth
from erp_shopify_sandbox.faults import Faults
from erp_shopify_sandbox.netsuite import ACCOUNT_ID, SEED_ITEMS, SEED_LOCATIONS, NetSuiteSandbox, start

SUITEQL = "/services/rest/query/v1/suiteql"
STOCK = "SELECT il.item AS item, il.location AS location FROM inventoryitemlocations il ORDER BY il.item, il.location"


@pytest.fixture
def sandbox() -> Iterator[NetSuiteSandbox]:
    running = NetSuiteSandbox().start()
    yield running
    running.stop()


def _auth(sandbox: NetSuiteSandbox, **overrides: str) -> TokenAuth:
    c = sandbox.credentials
    values = {
        "account_id": c.account_id,
        "consumer_key": c.consumer_key,
        "consumer_secret": c.consumer_secret,
        "token_id": c.token_id,
        "token_secret": c.token_secret,
        **overrides,
    }
    return TokenAuth(**values)


@pytest.fixture
def client(sandbox: NetSuiteSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, auth=_auth(sandbox), timeout=5) as signed:
        yield signed


def _suiteql(client: httpx.Client, query: str, **params: Any) -> httpx.Response:
    return client.post(SUITEQL, params=params, json={"q": query}, headers={"Prefer": "transient"})


def _codes(response: httpx.Response) -> list[str]:
    return [detail["o:errorCode"] for detail in response.json()["o:errorDetails"]]


def test_unsigned_request_gets_netsuites_invalid_login_problem(sandbox: NetSuiteSandbox) -> None:
    response = httpx.post(f"{sandbox.url}{SUITEQL}", json={"q": STOCK}, headers={"Prefer": "transient"})
    body = response.json()
    assert response.status_code == 401
    assert (body["title"], body["status"]) == ("Unauthorized", 401)
    assert body["type"].startswith("https://www.w3.org/Protocols/rfc2616/")
    assert _codes(response) == ["INVALID_LOGIN"]


@pytest.mark.parametrize(
    "overrides", [{"token_secret": "guess"}, {"consumer_secret": "guess"}, {"account_id": "7654321"}]
)
def test_wrong_secret_or_realm_is_refused(sandbox: NetSuiteSandbox, overrides: dict[str, str]) -> None:
    with httpx.Client(base_url=sandbox.url, auth=_auth(sandbox, **overrides)) as wrong:
        response = _suiteql(wrong, STOCK)
    assert response.status_code == 401
    assert _codes(response) == ["INVALID_LOGIN"]


def test_hmac_sha1_signatures_are_refused(sandbox: NetSuiteSandbox) -> None:
    c = sandbox.credentials
    sha1 = OAuth1Client(
        c.consumer_key,
        client_secret=c.consumer_secret,
        resource_owner_key=c.token_id,
        resource_owner_secret=c.token_secret,
        signature_method=SIGNATURE_HMAC_SHA1,
        realm=ACCOUNT_ID,
    )
    url = f"{sandbox.url}{SUITEQL}?limit=5&offset=0"
    _, headers, _ = sha1.sign(url, "POST")
    response = httpx.post(url, json={"q": STOCK}, headers={"Prefer": "transient", **headers})
    assert response.status_code == 401


def test_a_replayed_signature_is_refused(sandbox: NetSuiteSandbox) -> None:
    url = f"{sandbox.url}{SUITEQL}?limit=5&offset=0"
    signed = _auth(sandbox).auth_flow(httpx.Request("POST", url))
    authorization = next(signed).headers["Authorization"]
    headers = {"Prefer": "transient", "Authorization": authorization}
    first = httpx.post(url, json={"q": STOCK}, headers=headers)
    again = httpx.post(url, json={"q": STOCK}, headers=headers)
    assert (first.status_code, again.status_code) == (200, 401)


def test_suiteql_pages_carry_count_has_more_offset_total_and_next_link(client: httpx.Client) -> None:
    total = len(SEED_ITEMS) * len(SEED_LOCATIONS)
    first = _suiteql(client, STOCK, limit=4, offset=0).json()
    last = _suiteql(client, STOCK, limit=4, offset=8).json()
    assert (first["count"], first["hasMore"], first["offset"], first["totalResults"]) == (4, True, 0, total)
    assert any(link["rel"] == "next" and "offset=4" in link["href"] for link in first["links"])
    assert (last["count"], last["hasMore"]) == (total - 8, False)
    assert all(isinstance(value, str) for row in first["items"] for key, value in row.items() if key != "links")


@pytest.mark.parametrize("limit", [0, 1001])
def test_limit_outside_1_to_1000_is_a_bad_request(client: httpx.Client, limit: int) -> None:
    response = _suiteql(client, STOCK, limit=limit, offset=0)
    assert response.status_code == 400
    assert _codes(response) == ["INVALID_PARAMETER"]


def test_suiteql_without_prefer_transient_is_a_bad_request(client: httpx.Client) -> None:
    response = client.post(SUITEQL, params={"limit": 5}, json={"q": STOCK})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM item",
        "SELECT id FROM no_such_table",
        "SELECT TO_CHAR(il.lastquantityavailablechange, 'DD/MM/YYYY') FROM inventoryitemlocations il",
        "SELECT id FROM item; SELECT id FROM location",
    ],
)
def test_queries_the_sandbox_cannot_run_are_rejected_in_netsuites_shape(client: httpx.Client, query: str) -> None:
    response = _suiteql(client, query, limit=5)
    assert response.status_code == 400
    assert _codes(response) == ["INVALID_PARAMETER"]
    assert response.json()["o:errorDetails"][0]["detail"].startswith("Invalid search query.")


def test_stock_set_through_the_control_api_is_a_new_change(sandbox: NetSuiteSandbox, client: httpx.Client) -> None:
    changed = httpx.put(f"{sandbox.url}/_sandbox/stock", json={"item": SEED_ITEMS[0], "location": 2, "quantity": 7})
    query = (
        "SELECT il.quantityavailable AS q, TO_CHAR(il.lastquantityavailablechange, 'YYYY-MM-DD HH24:MI:SS') AS t "
        f"FROM inventoryitemlocations il INNER JOIN item i ON i.id = il.item "
        f"WHERE i.itemid = '{SEED_ITEMS[0]}' AND il.location = 2"
    )
    row = _suiteql(client, query).json()["items"][0]
    assert (row["q"], row["t"]) == ("7", changed.json()["lastquantityavailablechange"])


def _sales_order(item_id: str = "100", quantity: int = 3) -> dict[str, Any]:
    return {"entity": {"id": "1"}, "item": {"items": [{"item": {"id": item_id}, "quantity": quantity, "rate": 9.5}]}}


def test_a_sales_order_whose_response_is_lost_is_committed_once(sandbox: NetSuiteSandbox, client: httpx.Client) -> None:
    httpx.put(f"{sandbox.url}/_sandbox/faults", json={"timeout_after_commit_rate": 1, "hang_seconds": 2})
    with pytest.raises(httpx.ReadTimeout):
        client.put("/services/rest/record/v1/salesOrder/eid:LOST-1", json=_sales_order(), timeout=0.5)
    httpx.put(f"{sandbox.url}/_sandbox/faults", json={})
    counted = httpx.get(f"{sandbox.url}/_sandbox/orders", params={"externalId": "LOST-1"}).json()
    record = client.get("/services/rest/record/v1/salesOrder/eid:LOST-1", params={"expandSubResources": "true"})
    assert counted["count"] == 1
    assert record.json()["item"]["items"][0]["quantity"] == 3
    query = "SELECT il.quantityavailable AS q FROM inventoryitemlocations il WHERE il.item = 100 AND il.location = 1"
    assert _suiteql(client, query).json()["items"][0]["q"] == "97"


def test_put_by_external_id_upserts_one_record(client: httpx.Client) -> None:
    path = "/services/rest/record/v1/salesOrder/eid:UPSERT-1"
    created = client.put(path, json=_sales_order(quantity=1))
    updated = client.put(path, json=_sales_order(quantity=5))
    assert (created.status_code, updated.status_code) == (204, 204)
    assert created.headers["Location"] == updated.headers["Location"]
    assert client.get(path).json()["externalId"] == "UPSERT-1"


def test_invalid_sublist_item_points_at_its_path(client: httpx.Client) -> None:
    response = client.put("/services/rest/record/v1/salesOrder/eid:BAD-ITEM", json=_sales_order(item_id="9999"))
    detail = response.json()["o:errorDetails"][0]
    assert response.status_code == 400
    assert (detail["o:errorCode"], detail["o:errorPath"]) == ("INVALID_CONTENT", "item.items[0].item")


def test_unknown_external_id_is_nonexistent(client: httpx.Client) -> None:
    response = client.get("/services/rest/record/v1/salesOrder/eid:NEVER")
    assert response.status_code == 404
    assert _codes(response) == ["NONEXISTENT_ID"]


def test_injected_server_errors_speak_netsuites_problem_json(sandbox: NetSuiteSandbox, client: httpx.Client) -> None:
    httpx.put(f"{sandbox.url}/_sandbox/faults", json={"error_rate": 1, "error_status": 503})
    response = _suiteql(client, STOCK)
    assert response.status_code == 503
    assert response.json()["status"] == 503
    assert _codes(response) == ["UNEXPECTED_ERROR"]


def test_start_runs_a_sandbox_that_describes_how_to_reach_it() -> None:
    running = start(0, Faults())
    try:
        described = running.describe()
        assert described["account_id"] == ACCOUNT_ID
        assert described["suiteql"] == f"{running.url}{SUITEQL}"
        assert described["export NETSUITE_TOKEN_SECRET"] == running.credentials.token_secret
    finally:
        running.stop()
