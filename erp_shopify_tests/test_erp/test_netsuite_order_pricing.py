"""NetSuite sales orders carry Shopify's discounts (discount item lines and the header discount),
shipping cost and taxes (SuiteTax tax details), and each line's sale unit from the item."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from erp_shopify.mapping.orders import CreateOrder, OrderMapping, order_action
from erp_shopify.records import SalesOrder
from erp_shopify_sandbox.netsuite import SEED_ITEMS
from erp_shopify_tests.order_scenarios import SCENARIOS
from erp_shopify_tests.test_erp.harness_netsuite import NetSuiteHarness, harness
from erp_shopify_tests.test_mapping.order_payloads import priced_payload

DISCOUNT_ITEM_ID = 90  # the sandbox's seeded Discount item


@pytest.fixture
def netsuite() -> Iterator[NetSuiteHarness]:
    with harness() as running:
        yield running


def _priced(number: int, name: str) -> SalesOrder:
    lines, pricing = SCENARIOS[name]
    mapping = OrderMapping(shop="demo-us", sku_xref={"SKU-A": SEED_ITEMS[0], "SKU-B": SEED_ITEMS[1]}, currency="EUR")
    action = order_action("orders/create", priced_payload(number, lines, pricing), mapping)
    assert isinstance(action, CreateOrder)
    return action.order


def _stored(netsuite: NetSuiteHarness, ref: str) -> dict[str, Any]:
    response = netsuite.control.get("/orders", params={"externalId": ref})
    response.raise_for_status()
    stored: dict[str, Any] = response.json()
    return stored


def test_discounts_shipping_and_taxes_land_where_netsuite_keeps_them(netsuite: NetSuiteHarness) -> None:
    order = _priced(81, "discounts-paid-shipping-two-taxes")
    netsuite.adapter.create_sales_order(order)
    stored = _stored(netsuite, order.external_ref)
    lines = [(line["item"], line.get("amount")) for line in stored["lines"]]
    # 2 x 19.90, then the discount item taking 2.50 off it; 3 x 9.95 without a line discount
    assert lines == [(100, 39.8), (DISCOUNT_ITEM_ID, -2.5), (101, 29.85)]
    header = stored["header"]
    assert (header["discountItem"], header["discountRate"]) == ({"id": str(DISCOUNT_ITEM_ID)}, -5.0)
    assert header["shippingCost"] == 5.9
    details = [(d["taxDetailsReference"], d["taxBasis"], d["taxRate"]) for d in header["taxDetails"]["items"]]
    assert details == [
        ("L1", 34.52, 5.0),
        ("L1", 34.52, 7.0),
        ("L2", 27.63, 5.0),
        ("L2", 27.63, 7.0),
        ("SHIPPING", 5.9, 5.0),
    ]
    assert Decimal(str(header["total"])) == order.total


def test_each_line_carries_the_items_sale_unit(netsuite: NetSuiteHarness) -> None:
    netsuite.control.put("/items", json=[{"itemid": SEED_ITEMS[0], "saleunit": 3}]).raise_for_status()
    order = _priced(82, "shipping-discounted-to-free-untaxed")
    netsuite.adapter.create_sales_order(order)
    [line] = _stored(netsuite, order.external_ref)["lines"]
    assert line["units"] == {"id": "3"}
