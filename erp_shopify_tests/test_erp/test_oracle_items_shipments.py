"""Oracle's item master and shipments beyond the shared contracts: the item master organization
only, the flexfield option values, archived styles and dropped SKUs, the change stamp's overlap,
shipments of several orders, and orders of another source system."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from erp_shopify.records import ProductRecord, Shipment
from erp_shopify_sandbox.oracle import SEED_ITEMS
from erp_shopify_tests.test_erp.harness_oracle import OracleHarness, harness, sales_order


@pytest.fixture
def oracle() -> Iterator[OracleHarness]:
    with harness() as h:
        yield h


def _products(oracle: OracleHarness, cursor: str | None) -> tuple[list[ProductRecord], str | None]:
    found: list[ProductRecord] = []
    for page in oracle.adapter.product_changes(cursor):
        found.extend(page.products)
        cursor = page.cursor
    return found, cursor


def _shipments(oracle: OracleHarness, cursor: str | None) -> list[Shipment]:
    return [s for page in oracle.adapter.shipment_changes(cursor) for s in page.shipments]


def test_the_first_read_gives_each_item_of_the_master_organization_once(oracle: OracleHarness) -> None:
    products, _ = _products(oracle, None)  # every item is also assigned to the inventory organization
    assert sorted(p.product_code for p in products) == sorted(SEED_ITEMS)
    assert all([v.item_code for v in p.variants] == [p.product_code] and not p.options for p in products)


def test_a_style_maps_title_long_description_class_and_flexfield_options(oracle: OracleHarness) -> None:
    oracle.put_product("TEE", "Blue tee", {"TEE-S": "S", "TEE-M": "M"})
    body = [{"ItemNumber": "TEE", "LongDescription": "Organic cotton", "ItemClass": "Apparel"}]
    oracle.control.put("/items", json=body).raise_for_status()
    [tee] = [p for page in oracle.adapter.product_snapshot(["TEE", "TEE-S"]) for p in page]  # a SKU is no product
    assert (tee.title, tee.description, tee.product_type, tee.options) == (
        "Blue tee",
        "Organic cotton",
        "Apparel",
        ["Size"],
    )
    assert sorted((v.item_code, v.options["Size"]) for v in tee.variants) == [("TEE-M", "M"), ("TEE-S", "S")]


def test_an_inactive_sku_is_dropped_and_its_style_read_again(oracle: OracleHarness) -> None:
    oracle.put_product("TEE", "Blue tee", {"TEE-S": "S", "TEE-M": "M"})
    _, cursor = _products(oracle, None)
    oracle.control.put("/items", json=[{"ItemNumber": "TEE-S", "ItemStatusValue": "Inactive"}]).raise_for_status()
    products, _ = _products(oracle, cursor)
    assert [(p.product_code, p.deleted, [v.item_code for v in p.variants]) for p in products] == [
        ("TEE", False, ["TEE-M"])
    ]


def test_an_edit_inside_the_overlap_window_is_delivered_and_then_not_again(oracle: OracleHarness) -> None:
    _, cursor = _products(oracle, None)
    oracle.control.put("/items", json=[{"ItemNumber": SEED_ITEMS[1], "ItemDescription": "Renamed"}])
    changed, cursor = _products(oracle, cursor)
    assert [(p.product_code, p.title) for p in changed] == [(SEED_ITEMS[1], "Renamed")]
    assert _products(oracle, cursor)[0] == []


def test_a_shipment_of_two_orders_is_one_shipment_per_order(oracle: OracleHarness) -> None:
    for ref in ("two-a", "two-b"):
        oracle.adapter.create_sales_order(sales_order(ref))
    numbers = {
        o["SourceTransactionId"]: o["OrderNumber"]
        for o in oracle.sandbox.pod.order_rows()  # what the warehouse sees: Order Management's numbers
    }
    lines = [
        {"item": SEED_ITEMS[0], "quantity": 1, "subinventory": "FinGood"},
    ]
    first = oracle.sandbox.pod.catalog.ship(numbers["two-a"], lines, "WB-1", "UPS")
    oracle.sandbox.pod.catalog.shipments[first["Shipment"]]["shipmentLines"].append(
        {
            "ShipmentLine": 9,
            "Order": numbers["two-b"],
            "Item": SEED_ITEMS[0],
            "ShippedQuantity": 2.0,
            "Subinventory": "Stores",
        }
    )
    found = sorted(_shipments(oracle, None), key=lambda s: s.document)
    name = first["Shipment"]
    assert [(s.document, s.order_ref, s.tracking_company, s.tracking_numbers) for s in found] == [
        (f"{name}:{numbers['two-a']}", "two-a", "UPS", ["WB-1"]),
        (f"{name}:{numbers['two-b']}", "two-b", "UPS", ["WB-1"]),
    ]
    assert [(line.quantity, line.location) for line in found[1].lines] == [(Decimal(2), "M1/Stores")]


def test_a_shipment_of_an_order_from_another_source_system_has_no_reference(oracle: OracleHarness) -> None:
    body = {
        "SourceTransactionSystem": "LEGACY",
        "SourceTransactionId": "L-1",
        "BuyingPartyNumber": "1006",
        "lines": [{"ProductNumber": SEED_ITEMS[0], "OrderedQuantity": 1}],
    }
    order = oracle.sandbox.pod.create_order(body)
    oracle.sandbox.pod.catalog.ship(
        order["OrderNumber"], [{"item": SEED_ITEMS[0], "quantity": 1, "subinventory": "FinGood"}], "", ""
    )
    [shipment] = _shipments(oracle, None)
    assert (shipment.order_ref, shipment.tracking_numbers) == ("", [])


def test_the_sandbox_gives_children_through_fields_and_ignores_expand_beside_it(oracle: OracleHarness) -> None:
    oracle.control.put("/items", json=[{"ItemNumber": SEED_ITEMS[0], "dff": {"size": "L", "color": "red"}}])
    url = f"{oracle.sandbox.url}/fscmRestApi/resources/11.13.18.05/itemsV2"
    q = f"ItemNumber = '{SEED_ITEMS[0]}' and OrganizationCode = 'V1'"
    params = {"q": q, "fields": "ItemNumber;ItemDFF:size", "expand": "all", "onlyData": "true"}
    answer = httpx.get(
        url,
        params=params,
        auth=(oracle.sandbox.username, oracle.sandbox.password),
        headers={"REST-Framework-Version": "4"},
    )
    [row] = answer.json()["items"]
    assert row == {
        "ItemNumber": SEED_ITEMS[0],
        "ItemDFF": {"items": [{"size": "L"}], "count": 1, "hasMore": False, "limit": 25, "offset": 0},
    }
