"""NetSuite sales orders carry Shopify's discounts (discount item lines and the header discount),
shipping cost and taxes (SuiteTax tax details), and each line's sale unit from the item."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from erp_shopify.erp.netsuite.adapter import NetSuiteAdapter
from erp_shopify.errors import DataError
from erp_shopify.mapping.orders import CreateOrder, OrderMapping, order_action
from erp_shopify.records import CreditLine, CreditNote, SalesOrder
from erp_shopify_sandbox.netsuite import SEED_ITEMS
from erp_shopify_tests.order_scenarios import SCENARIOS
from erp_shopify_tests.test_erp.harness_netsuite import (
    QUICK_RETRIES,
    NetSuiteHarness,
    harness,
    netsuite_config,
    sandbox_environment,
)
from erp_shopify_tests.test_mapping.order_payloads import priced_payload

DISCOUNT_ITEM_ID = 90  # the sandbox's seeded Discount item
TIP, DUTY, FEE = 91, 92, 93  # its seeded Other Charge items


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


def test_a_tip_duties_and_fees_are_untaxed_lines_of_their_other_charge_items(netsuite: NetSuiteHarness) -> None:
    tipped, taxed_in = _priced(83, "tip-on-taxed-order"), _priced(84, "duties-and-fees-taxes-included")
    charged = []
    for order in (tipped, taxed_in):
        netsuite.adapter.create_sales_order(order)
        stored = _stored(netsuite, order.external_ref)
        assert Decimal(str(stored["header"]["total"])) == order.total
        charged += [(line["item"], line["amount"]) for line in stored["lines"] if line["item"] in (TIP, DUTY, FEE)]
        references = {d["taxDetailsReference"] for d in stored["header"]["taxDetails"]["items"]}
        assert references <= {"L1", "L2", "SHIPPING"}  # no tax detail names a charge line
    assert charged == [(TIP, 3.0), (DUTY, 4.37), (FEE, 1.25)]


def test_a_charge_with_no_item_configured_is_a_data_error_naming_the_setting(netsuite: NetSuiteHarness) -> None:
    config = netsuite_config(netsuite.sandbox).model_copy(update={"charge_items": {}})
    order = _priced(85, "duties-and-fees-taxes-included")
    with (
        sandbox_environment(netsuite.sandbox),
        NetSuiteAdapter(config, retry=QUICK_RETRIES) as adapter,
        pytest.raises(DataError) as failure,
    ):
        adapter.create_sales_order(order)
    assert failure.value.codes == ("UNCONFIGURED_CHARGE",)
    assert "erp.charge_items names no NetSuite item for duty, fee" in str(failure.value)
    assert netsuite.count_sales_orders(order.external_ref) == 0


def test_a_record_netsuite_totals_otherwise_is_a_data_error_naming_both_totals(netsuite: NetSuiteHarness) -> None:
    netsuite.control.put("/handling", json={"amount": "1.50"}).raise_for_status()  # the shipping item's handling
    order = _priced(86, "discounts-paid-shipping-two-taxes")
    with pytest.raises(DataError) as failure:
        netsuite.adapter.create_sales_order(order)
    stored = _stored(netsuite, order.external_ref)
    netsuite_total = Decimal(str(stored["header"]["total"]))
    assert netsuite_total == order.total + Decimal("1.50")
    assert failure.value.codes == ("TOTAL_MISMATCH",)
    message = str(failure.value)
    assert f"NetSuite sales order {stored['header']['tranId']}'s total {netsuite_total} EUR" in message
    assert f"Shopify's total {order.total} EUR by 1.50" in message


def test_a_refund_adjustment_without_an_adjustment_item_is_a_data_error_before_the_memo(
    netsuite: NetSuiteHarness,
) -> None:
    order = _priced(87, "shipping-discounted-to-free-untaxed")
    netsuite.adapter.create_sales_order(order)
    line = CreditLine(item_code=SEED_ITEMS[0], quantity=Decimal(1), amount=Decimal("13.01"))
    credit = CreditNote(
        external_ref="demo-us-R87",
        order_ref=order.external_ref,
        currency="EUR",
        lines=[line],
        adjustment=Decimal("-0.03"),  # a refund discrepancy: paid back 0.03 less
        amount=Decimal("12.98"),
    )
    with pytest.raises(DataError) as failure:
        netsuite.adapter.create_credit(credit)
    assert failure.value.codes == ("UNCONFIGURED_CHARGE",)
    assert "erp.charge_items names no NetSuite item for adjustment" in str(failure.value)
    assert (
        netsuite.control.get("/orders", params={"externalId": "demo-us-R87", "type": "creditMemo"}).json()["count"] == 0
    )
