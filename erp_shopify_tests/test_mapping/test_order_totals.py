"""Orders carry shipping, discounts and taxes, and reproduce Shopify's total to the cent, or are a
data error naming both amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from erp_shopify.errors import DataError
from erp_shopify.mapping.order_totals import check_total, document_amounts
from erp_shopify.mapping.orders import CreateOrder, OrderMapping, order_action
from erp_shopify.records import SalesOrder
from erp_shopify_tests.order_scenarios import SCENARIOS
from erp_shopify_tests.test_mapping.order_payloads import order_payload, priced_payload

MAPPING = OrderMapping(shop="demo-eu", sku_xref={"SKU-A": "TG-A", "SKU-B": "TG-B"}, currency="EUR")


def _order(payload: dict) -> SalesOrder:
    action = order_action("orders/create", payload, MAPPING)
    assert isinstance(action, CreateOrder)
    return action.order


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_documents_total_equals_shopifys_total_price_to_the_cent(name: str) -> None:
    lines, pricing = SCENARIOS[name]
    payload = priced_payload(40, lines, pricing)
    order = _order(payload)
    assert order.total == Decimal(payload["total_price"])
    assert document_amounts(order).total == Decimal(payload["total_price"])


def test_line_and_order_discounts_shipping_and_taxes_are_carried_apart() -> None:
    lines, pricing = SCENARIOS["discounts-paid-shipping-two-taxes"]
    order = _order(priced_payload(41, lines, pricing))
    first, second = order.lines
    # 39.80 - 2.50 line discount = 37.30 and 29.85 share the 5.00 order discount: 2.78 and 2.22
    assert (first.discount, first.order_discount, second.discount, second.order_discount) == (
        Decimal("2.50"),
        Decimal("2.78"),
        Decimal("0.00"),
        Decimal("2.22"),
    )
    assert [(t.title, t.rate, t.amount) for t in first.taxes] == [
        ("GST", Decimal("0.05"), Decimal("1.73")),
        ("PST", Decimal("0.07"), Decimal("2.42")),
    ]
    [shipping] = order.shipping_lines
    assert (shipping.price, shipping.discount, [t.amount for t in shipping.taxes]) == (
        Decimal("6.90"),
        Decimal("1.00"),
        [Decimal("0.30")],
    )
    assert (order.order_discount, order.shipping, order.taxes_included) == (Decimal("5.00"), Decimal("5.90"), False)


def test_taxes_included_take_the_tax_out_of_the_unit_price() -> None:
    lines, pricing = SCENARIOS["taxes-included-paid-shipping-line-discount"]
    order = _order(priced_payload(42, lines, pricing))
    amounts = document_amounts(order)
    # 3 x 19.90 = 59.70 carries 9.53 of 19 % VAT: 50.17 net, 16.7233 a unit
    assert (amounts.lines[0].unit_price, amounts.lines[0].net) == (Decimal("16.7233"), Decimal("50.17"))
    assert [t.computed for t in amounts.lines[0].taxes] == [Decimal("9.53")]


def test_a_tax_the_erp_would_round_differently_is_a_data_error_naming_both_totals() -> None:
    lines, pricing = SCENARIOS["discounts-paid-shipping-two-taxes"]
    payload = priced_payload(43, lines, pricing)
    payload["line_items"][0]["tax_lines"][0]["price"] = "1.74"  # 5 % of 32.52 is 1.63 ... rounded otherwise
    payload["total_price"] = str(Decimal(payload["total_price"]) + Decimal("0.01"))
    with pytest.raises(DataError) as failure:
        order_action("orders/create", payload, MAPPING)
    expected = payload["total_price"]
    assert failure.value.codes == ("TOTAL_MISMATCH",)
    assert f"Shopify's total {expected} EUR" in str(failure.value) and "by -0.01" in str(failure.value)
    assert failure.value.body["expected"] == expected
    assert "lines[0] (TG-A) tax 'GST'" in failure.value.body["causes"][0]


def test_a_discount_no_line_carries_is_a_data_error_not_a_different_amount() -> None:
    payload = order_payload(44, [("SKU-A", 1, "14.00")], shipping="0.00")
    payload["total_discounts"] = "3.00"  # taken off the total, allocated to nothing
    payload["total_price"] = payload["current_total_price"] = "11.00"
    with pytest.raises(DataError) as failure:
        order_action("orders/create", payload, MAPPING)
    assert "total 14.00 EUR differs from Shopify's total 11.00 EUR by 3.00" in str(failure.value)
    assert failure.value.body["reproduced"] == "14.00"


def test_an_edited_order_reproduces_its_current_total() -> None:
    lines, pricing = SCENARIOS["discounts-paid-shipping-two-taxes"]
    payload = priced_payload(45, lines, pricing)
    payload["line_items"][1]["current_quantity"] = 0  # removed by an edit
    removed = payload["line_items"][1]
    taxes = sum(Decimal(t["price"]) for t in removed["tax_lines"])
    worth = Decimal("29.85") - Decimal(removed["total_discount"]) + taxes
    payload["current_total_price"] = str(Decimal(payload["total_price"]) - worth)
    action = order_action("orders/updated", payload, MAPPING)
    assert isinstance(action, CreateOrder)
    assert [line.item_code for line in action.order.lines] == ["TG-A"]
    assert action.order.total == Decimal(payload["current_total_price"])


def test_an_update_of_an_edited_order_is_left_to_the_adapter_to_check_before_any_create() -> None:
    """The order may already be in the ERP; its update must not be dead-lettered for a total the
    edit changed in ways the lines do not show (a refunded shipping line, say)."""
    lines, pricing = SCENARIOS["discounts-paid-shipping-two-taxes"]
    payload = priced_payload(46, lines, pricing)
    payload["line_items"][1]["current_quantity"] = 2
    payload["current_total_price"] = "1.00"
    action = order_action("orders/updated", payload, MAPPING)
    assert isinstance(action, CreateOrder) and action.order.total == Decimal("1.00")
    with pytest.raises(DataError, match="TOTAL_MISMATCH"):
        check_total(action.order)
