"""SAP sales orders carry Shopify's prices, discounts, shipping and taxes as pricing elements, and
each item's unit from the product master; SAP's own total is checked after create."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from erp_shopify.erp.sap.adapter import SapAdapter
from erp_shopify.erp.sap.odata import results
from erp_shopify.errors import DataError
from erp_shopify.mapping.orders import CreateOrder, OrderMapping, order_action
from erp_shopify.records import SalesOrder
from erp_shopify_tests.order_scenarios import SCENARIOS
from erp_shopify_tests.test_erp.harness_sap import FAST_RETRY, ITEMS, SapHarness, harness, sap_config
from erp_shopify_tests.test_mapping.order_payloads import priced_payload


@pytest.fixture
def sap() -> Iterator[SapHarness]:
    with harness() as running:
        yield running


def _priced(number: int, name: str, items: tuple[str, str] = (ITEMS[0], ITEMS[1])) -> SalesOrder:
    lines, pricing = SCENARIOS[name]
    mapping = OrderMapping(shop="demo-eu", sku_xref={"SKU-A": items[0], "SKU-B": items[1]}, currency="EUR")
    action = order_action("orders/create", priced_payload(number, lines, pricing), mapping)
    assert isinstance(action, CreateOrder)
    return action.order


def _items(sap: SapHarness, ref: str) -> list[dict[str, Any]]:
    odata = sap.adapter.orders.odata
    params = {"$filter": f"PurchaseOrderByCustomer eq '{ref}'", "$expand": "to_Item/to_PricingElement"}
    [order] = results(odata.get(odata.url("API_SALES_ORDER_SRV", "A_SalesOrder"), params))
    return results(order["to_Item"])


def _conditions(item: dict[str, Any]) -> list[tuple[str, Decimal]]:
    return [(e["ConditionType"], Decimal(e["ConditionRateValue"])) for e in results(item["to_PricingElement"])]


def _refused(sap: SapHarness, order: SalesOrder, **settings: Any) -> DataError:
    """The data error an adapter configured with ``settings`` raises for ``order``."""
    config = sap_config(sap.sandbox).model_copy(update=settings)
    with SapAdapter(config, timeout=1.0, retry=FAST_RETRY) as adapter, pytest.raises(DataError) as failure:
        adapter.create_sales_order(order)
    return failure.value


def test_items_carry_price_discounts_and_taxes_and_shipping_is_an_item_of_its_own(sap: SapHarness) -> None:
    order = _priced(71, "discounts-paid-shipping-two-taxes")
    sap.adapter.create_sales_order(order)
    first, second, shipping = _items(sap, order.external_ref)
    assert _conditions(first) == [
        ("PMP0", Decimal("19.90")),
        ("RB00", Decimal("-2.50")),  # the line's own discount
        ("RB00", Decimal("-2.78")),  # its share of the order discount
        ("TTX1", Decimal("5")),
        ("TTX1", Decimal("7")),
    ]
    assert (Decimal(first["NetAmount"]), Decimal(first["TaxAmount"])) == (Decimal("34.52"), Decimal("4.15"))
    assert shipping["Material"] == "SHIPPING"
    assert _conditions(shipping) == [("KF00", Decimal("6.90")), ("RB00", Decimal("-1.00")), ("TTX1", Decimal("5"))]
    assert second["Material"] == ITEMS[1]


def test_each_item_takes_its_unit_from_the_product_master(sap: SapHarness) -> None:
    sap.control_call("POST", "/_sandbox/seed", {"materials": [{"material": "MAT-BOTTLE", "base_unit": "EA"}]})
    sap.control_call("PUT", "/_sandbox/products", [{"product": "MAT-BOTTLE", "base_unit": "EA"}])
    order = _priced(72, "shipping-discounted-to-free-untaxed", items=("MAT-BOTTLE", ITEMS[1]))
    sap.adapter.create_sales_order(order)
    [bottle, _shipping] = _items(sap, order.external_ref)
    assert (bottle["Material"], bottle["RequestedQuantityUnit"]) == ("MAT-BOTTLE", "EA")
    other = _priced(73, "taxes-included-free-shipping-percent-off")
    sap.adapter.create_sales_order(other)
    # no product master row: no unit is sent and SAP takes the material's own (PC here), never a guess
    assert [item["RequestedQuantityUnit"] for item in _items(sap, other.external_ref)] == ["PC", "PC"]


def test_a_pricing_procedure_that_computes_another_total_is_a_data_error_naming_the_sap_order(sap: SapHarness) -> None:
    order = _priced(74, "discounts-paid-shipping-two-taxes")
    failure = _refused(sap, order, discount_condition_type="PMP0")  # a per-unit condition
    [created] = sap.control_call("GET", f"/_sandbox/orders?purchase_order_by_customer={order.external_ref}")["orders"]
    assert failure.codes == ("TOTAL_MISMATCH",)
    assert f"SAP sales order {created['SalesOrder']}'s total" in str(failure)
    assert f"Shopify's total {order.total} EUR" in str(failure)


def test_an_order_the_adapter_cannot_reproduce_is_refused_before_anything_reaches_sap(sap: SapHarness) -> None:
    order = _priced(75, "discounts-paid-shipping-two-taxes")
    off_by_a_cent = order.model_copy(update={"total": order.total + Decimal("0.01")})  # e.g. an edited order
    with pytest.raises(DataError) as failure:
        sap.adapter.create_sales_order(off_by_a_cent)
    assert failure.value.codes == ("TOTAL_MISMATCH",) and "by -0.01" in str(failure.value)
    assert sap.count_sales_orders(order.external_ref) == 0


def test_a_tip_duties_and_fees_are_untaxed_items_of_their_service_materials(sap: SapHarness) -> None:
    tipped, taxed_in = _priced(76, "tip-on-taxed-order"), _priced(77, "duties-and-fees-taxes-included")
    for order in (tipped, taxed_in):
        sap.adapter.create_sales_order(order)
        assert sap.document_total(order.external_ref) == order.total
    *_, tip = _items(sap, tipped.external_ref)
    *_, duty, fee = _items(sap, taxed_in.external_ref)
    assert [(i["Material"], i["SalesOrderItemText"], _conditions(i)) for i in (tip, duty, fee)] == [
        ("TIP", "Tip", [("PMP0", Decimal("3.00"))]),
        ("DUTY", "Duties", [("PMP0", Decimal("4.37"))]),
        ("FEE", "Additional fees", [("PMP0", Decimal("1.25"))]),
    ]
    assert [Decimal(i["TaxAmount"]) for i in (tip, duty, fee)] == [Decimal(0)] * 3


def test_a_charge_with_no_material_configured_is_a_data_error_before_anything_reaches_sap(sap: SapHarness) -> None:
    order = _priced(78, "tip-on-taxed-order")
    failure = _refused(sap, order, charge_materials={"duty": "DUTY"})
    assert failure.codes == ("UNCONFIGURED_CHARGE",) and "has a tip" in str(failure)
    assert sap.count_sales_orders(order.external_ref) == 0
