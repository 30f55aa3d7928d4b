"""The NetSuite sandbox's customer record on the wire: upsert by external id, the address book
sublist added to or replaced as the ``replace`` parameter says, a refused country in NetSuite's
problem shape, and the SuiteQL ``customer`` table stamped on every change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from erp_shopify_sandbox.netsuite import NetSuiteSandbox
from erp_shopify_tests.test_sandbox.test_netsuite_sandbox import _auth

CUSTOMER = "/services/rest/record/v1/customer/eid:C-42"
ADDRESS = {"addr1": "1 Compiler Rd", "city": "Arlington", "zip": "22201", "country": "US"}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    sandbox = NetSuiteSandbox().start()
    with httpx.Client(base_url=sandbox.url, auth=_auth(sandbox), timeout=5) as signed:
        yield signed
    sandbox.stop()


def _book(*addresses: dict[str, str]) -> dict[str, Any]:
    return {"items": [{"addressBookAddress": a} for a in addresses]}


def _streets(client: httpx.Client) -> list[str]:
    body = client.get(CUSTOMER, params={"expandSubResources": "true"}).json()
    return [line["addressBookAddress"]["addr1"] for line in body["addressBook"]["items"]]


def test_a_put_by_external_id_creates_then_updates_one_customer(client: httpx.Client) -> None:
    body = {"firstName": "Grace", "lastName": "Hopper", "addressBook": _book(ADDRESS)}
    assert client.put(CUSTOMER, json=body).status_code == 204
    first = client.get(CUSTOMER).json()
    assert client.put(CUSTOMER, json={"email": "grace@example.com"}).status_code == 204
    second = client.get(CUSTOMER).json()
    assert (second["id"], second["externalId"], second["email"]) == (first["id"], "C-42", "grace@example.com")
    assert second["addressBook"] == {
        "links": [{"rel": "self", "href": f"{client.base_url}{CUSTOMER.replace('eid:C-42', first['id'])}/addressBook"}]
    }
    assert second["lastModifiedDate"].endswith("Z")


def test_sublist_lines_are_added_unless_replace_names_the_sublist(client: httpx.Client) -> None:
    client.put(CUSTOMER, json={"lastName": "Hopper", "addressBook": _book(ADDRESS)}).raise_for_status()
    other = {**ADDRESS, "addr1": "2 Cobol Way"}
    client.put(CUSTOMER, json={"addressBook": _book(other)}).raise_for_status()
    assert _streets(client) == ["1 Compiler Rd", "2 Cobol Way"]
    client.put(CUSTOMER, params={"replace": "addressBook"}, json={"addressBook": _book(other)}).raise_for_status()
    assert _streets(client) == ["2 Cobol Way"]


def test_an_unknown_country_is_refused_with_its_path(client: httpx.Client) -> None:
    refused = client.put(CUSTOMER, json={"lastName": "Hopper", "addressBook": _book({**ADDRESS, "country": "XX"})})
    assert refused.status_code == 400
    [detail] = refused.json()["o:errorDetails"]
    assert detail["o:errorPath"] == "addressBook.items[0].addressBookAddress.country"
    assert client.get(CUSTOMER).status_code == 404


def test_suiteql_sees_the_customer_with_its_external_id_and_stamp(client: httpx.Client) -> None:
    client.put(CUSTOMER, json={"lastName": "Hopper", "addressBook": _book(ADDRESS)}).raise_for_status()
    query = "SELECT c.externalid AS externalid, c.lastname AS lastname, c.lastmodifieddate AS changed FROM customer c"
    answer = client.post("/services/rest/query/v1/suiteql", json={"q": query}, headers={"Prefer": "transient"})
    [row] = answer.json()["items"]
    assert (row["externalid"], row["lastname"]) == ("C-42", "Hopper") and row["changed"]
