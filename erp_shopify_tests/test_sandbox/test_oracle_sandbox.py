"""The Oracle sandbox speaks the ADF REST framework as Oracle documents it, whoever the client is:
Basic auth, paging, row-match ``q=`` from framework version 2, children by framework version, and
errors in the error media type only when the client accepts it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from erp_shopify_sandbox.oracle import SEED_ITEMS, OracleSandbox
from erp_shopify_sandbox.oracle.rowmatch import RowMatchError, compile_rowmatch

ROOT = "/fscmRestApi/resources/11.13.18.05"
ERROR_TYPE = "application/vnd.oracle.adf.error+json"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[OracleSandbox]:
    running = OracleSandbox().start()
    yield running
    running.stop()


@pytest.fixture
def client(sandbox: OracleSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=sandbox.url + ROOT,
        auth=(sandbox.username, sandbox.password),
        headers={"REST-Framework-Version": "4"},
        timeout=10,
    ) as http:
        yield http


def test_without_basic_credentials_the_answer_is_401_with_a_challenge(sandbox: OracleSandbox) -> None:
    response = httpx.get(f"{sandbox.url}{ROOT}/inventoryOnhandBalances", auth=(sandbox.username, "wrong"))
    assert (response.status_code, response.headers["www-authenticate"]) == (401, 'Basic realm="oracle"')


def test_a_limit_above_500_is_cut_and_has_more_says_what_is_left(sandbox: OracleSandbox, client: httpx.Client) -> None:
    for n in range(520):
        sandbox.pod.set_onhand(f"PAGE-{n:04d}", "M9", "Bulk", Decimal(1))
    first = client.get("/inventoryOnhandBalances", params={"q": "OrganizationCode = 'M9'", "limit": 1000}).json()
    rest = client.get("/inventoryOnhandBalances", params={"q": "OrganizationCode = 'M9'", "offset": 500}).json()
    assert (first["count"], first["limit"], first["hasMore"]) == (500, 500, True)
    assert (rest["count"], rest["hasMore"]) == (20, False)


def test_row_match_needs_framework_version_two(sandbox: OracleSandbox) -> None:
    response = httpx.get(
        f"{sandbox.url}{ROOT}/inventoryOnhandBalances",
        params={"q": f"ItemNumber = '{SEED_ITEMS[0]}'"},
        auth=(sandbox.username, sandbox.password),
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")  # no error media type asked for


def test_errors_come_in_the_error_media_type_when_accepted(client: httpx.Client) -> None:
    response = client.get("/inventoryOnhandBalances", params={"q": "ItemNumber =="}, headers={"Accept": ERROR_TYPE})
    body = response.json()
    assert (response.status_code, response.headers["content-type"]) == (400, ERROR_TYPE)
    assert body["title"] == "Bad Request" and "q is invalid" in body["o:errorDetails"][0]["detail"]


def test_fields_only_data_and_order_by_shape_the_items(client: httpx.Client) -> None:
    params = {"fields": "ItemNumber,SubinventoryCode", "onlyData": "true", "orderBy": "ItemNumber:desc", "limit": 2}
    body = client.get("/inventoryOnhandBalances", params=params).json()
    assert "links" not in body
    assert [sorted(item) for item in body["items"]] == [["ItemNumber", "SubinventoryCode"]] * 2
    assert body["items"][0]["ItemNumber"] >= body["items"][1]["ItemNumber"]


@pytest.mark.parametrize(("version", "shape"), [("1", list), ("4", dict)])
def test_expanded_children_are_arrays_before_version_three_and_collections_after(
    client: httpx.Client, version: str, shape: type
) -> None:
    [price_list] = client.get("/priceLists", params={"q": "StatusCode = 'APPROVED'"}).json()["items"][:1]
    path = f"/priceLists/{price_list['PriceListId']}/child/items"
    item = client.get(path, params={"expand": "charges"}, headers={"REST-Framework-Version": version}).json()["items"][
        0
    ]
    assert isinstance(item["charges"], shape)


def test_orders_are_read_by_source_system_and_id(client: httpx.Client) -> None:
    order = {
        "SourceTransactionSystem": "LEG",
        "SourceTransactionId": "R13_Sample_Order",
        "BuyingPartyNumber": "1006",
        "lines": [{"SourceTransactionLineId": "1", "ProductNumber": SEED_ITEMS[0], "OrderedQuantity": 1}],
    }
    created = client.post("/salesOrdersForOrderHub", json=order)
    again = client.post("/salesOrdersForOrderHub", json=order)
    found = client.get("/salesOrdersForOrderHub/LEG:R13_Sample_Order", params={"expand": "lines"}).json()
    assert (created.status_code, again.status_code) == (201, 400)
    assert found["OrderNumber"] == created.json()["OrderNumber"] and found["lines"]["count"] == 1


@pytest.mark.parametrize(
    ("expression", "row", "matches"),
    [
        ("ItemNumber = 'A''B'", {"ItemNumber": "A'B"}, True),
        ("ItemNumber in ('X', 'Y') and not (Qty > 5)", {"ItemNumber": "Y", "Qty": 5}, True),
        ("ItemNumber like 'AS5%' or Qty >= 10", {"ItemNumber": "BX", "Qty": 9}, False),
        # date-times compare as instants, whatever the precision or offset of either side
        ("Stamp >= '2026-11-30T17:00:00.000+00:00'", {"Stamp": "2026-11-30T17:30:00.5+01:00"}, False),
        ("Stamp > '2026-11-30T17:00:00+00:00'", {"Stamp": "2026-11-30T17:00:00.001+00:00"}, True),
        ("Stamp = '2026-11-30T17:00:00Z'", {"Stamp": "2026-11-30T17:00:00.000+00:00"}, True),
    ],
)
def test_row_match_expressions(expression: str, row: dict[str, object], matches: bool) -> None:
    assert compile_rowmatch(expression)(row) is matches


@pytest.mark.parametrize("expression", ["ItemNumber", "ItemNumber = ", "(ItemNumber = 'A'", "ItemNumber ~ 'A'"])
def test_malformed_row_match_is_refused(expression: str) -> None:
    with pytest.raises(RowMatchError):
        compile_rowmatch(expression)
