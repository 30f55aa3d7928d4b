"""The SAP sandbox's indexes change what a query costs, never what it answers: the same rows, in
the same order, as the full scan, and fresh after every change."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from erp_shopify_sandbox.sap import PASSWORD, USERNAME, SapSandbox
from erp_shopify_sandbox.sap.query import plan_filter
from erp_shopify_sandbox.sap.schema import service

STOCK = "API_MATERIAL_STOCK_SRV/A_MatlStkInAcctMod"
ORDERS = "API_SALES_ORDER_SRV/A_SalesOrder"
MATERIALS = [f"M{n}" for n in range(6)]


@pytest.fixture
def sap() -> Iterator[httpx.Client]:
    sandbox = SapSandbox(page_size=1000).start()
    stock = [  # interleaved, several batches and a blocked row: the scan order is not by material
        {"material": m, "plant": plant, "batch": batch, "stock_type": kind, "quantity": n + 1}
        for batch in ("", "B1")
        for n, m in enumerate(MATERIALS)
        for plant, kind in (("1010", "01"), ("1710", "07"))
    ]
    httpx.post(f"{sandbox.url}/_sandbox/seed", json={"materials": MATERIALS, "stock": stock}).raise_for_status()
    with httpx.Client(base_url=f"{sandbox.odata_url}/", auth=(USERNAME, PASSWORD)) as client:
        yield client
    sandbox.stop()


def _rows(client: httpx.Client, path: str, **params: str) -> list[dict[str, Any]]:
    answer = client.get(path, params={"$format": "json", **params})
    answer.raise_for_status()
    return [{k: v for k, v in row.items() if k != "__metadata"} for row in answer.json()["d"]["results"]]


def test_indexed_stock_filter_answers_the_rows_of_a_full_scan_in_its_order(sap: httpx.Client) -> None:
    wanted = ["M4", "M1", "M5"]
    text = "(" + " or ".join(f"Material eq '{m}'" for m in wanted) + ") and InventoryStockType eq '01'"
    indexed = _rows(sap, STOCK, **{"$filter": text})
    scanned = [r for r in _rows(sap, STOCK) if r["Material"] in wanted and r["InventoryStockType"] == "01"]
    assert indexed == scanned and len(indexed) == 6  # 3 materials x 2 batches


def test_stock_read_through_the_index_sees_the_latest_goods_movement(sap: httpx.Client) -> None:
    text = "Material eq 'M2' and Plant eq '1010' and Batch eq '' and InventoryStockType eq '01'"
    assert [Decimal(r["MatlWrhsStkQtyInMatlBaseUnit"]) for r in _rows(sap, STOCK, **{"$filter": text})] == [3]
    movement = {"material": "M2", "set_quantity": "11"}  # unrestricted 3 + 3 (batch B1) -> 11: +5 unbatched
    httpx.post(f"{str(sap.base_url).split('/sap/')[0]}/_sandbox/goods-movements", json=movement).raise_for_status()
    assert [Decimal(r["MatlWrhsStkQtyInMatlBaseUnit"]) for r in _rows(sap, STOCK, **{"$filter": text})] == [8]


def test_order_search_by_reference_finds_only_its_order(sap: httpx.Client) -> None:
    token = sap.get("API_SALES_ORDER_SRV/", headers={"X-CSRF-Token": "Fetch"}).headers["x-csrf-token"]
    for n in range(30):
        order = {
            "SalesOrderType": "OR",
            "SalesOrganization": "1010",
            "DistributionChannel": "10",
            "OrganizationDivision": "00",
            "SoldToParty": "1000001",
            "PurchaseOrderByCustomer": f"ref-{n % 10}",  # three orders per reference
            "TransactionCurrency": "EUR",
            "to_Item": [{"Material": "M0", "RequestedQuantity": "1", "RequestedQuantityUnit": "PC"}],
        }
        sap.post(ORDERS, json=order, headers={"X-CSRF-Token": token}).raise_for_status()
    text = "PurchaseOrderByCustomer eq 'ref-7' and SalesOrderType eq 'OR'"
    found = _rows(sap, ORDERS, **{"$filter": text, "$select": "SalesOrder,PurchaseOrderByCustomer"})
    assert [(r["SalesOrder"], r["PurchaseOrderByCustomer"]) for r in found] == [
        (str(10000000 + n + 1), "ref-7") for n in (7, 17, 27)
    ]


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("Material eq 'A'", [("Material", {"A"})]),
        ("(Material eq 'A' or Material eq 'B') and Plant eq '1010'", [("Material", {"A", "B"}), ("Plant", {"1010"})]),
        ("not (Material eq 'A')", []),  # a negation must never narrow to the negated value
        ("Material eq 'A' or Plant eq '1010'", []),  # two properties: no one set bounds the rows
        ("(Material eq 'A' and Plant eq '1010') or Material eq 'B'", []),
        ("Material ne 'A'", []),
    ],
)
def test_only_filters_that_pin_a_property_narrow_the_rows(text: str, candidates: list) -> None:
    entity_set = service("API_MATERIAL_STOCK_SRV").sets["A_MatlStkInAcctMod"]
    _, planned = plan_filter(text, entity_set)
    assert [(name, set(values)) for name, values in planned] == candidates
