"""A tip, the order's duties and its additional fees are charges of their own beside the goods and
shipping: carried untaxed, each once, so the document still reproduces Shopify's total to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from erp_shopify.errors import DataError
from erp_shopify.mapping.order_totals import document_amounts
from erp_shopify.mapping.orders import CreateOrder, OrderMapping, order_action
from erp_shopify.records import SalesOrder
from erp_shopify_tests.order_scenarios import SCENARIOS
from erp_shopify_tests.test_mapping.order_payloads import priced_payload

MAPPING = OrderMapping(shop="demo-eu", sku_xref={"SKU-A": "TG-A", "SKU-B": "TG-B"}, currency="EUR")


def _order(payload: dict, topic: str = "orders/create") -> SalesOrder:
    action = order_action(topic, payload, MAPPING)
    assert isinstance(action, CreateOrder)
    return action.order


def _tip_line(payload: dict, amount: str) -> dict:
    """The line item Shopify records a tip as: no product, no variant, no SKU, nothing to ship."""
    return {
        **payload["line_items"][0],
        "admin_graphql_api_id": "gid://shopify/LineItem/999",
        "id": 999,
        "sku": None,
        "product_id": None,
        "variant_id": None,
        "title": "Tip",
        "name": "Tip",
        "quantity": 1,
        "current_quantity": 1,
        "price": amount,
        "requires_shipping": False,
        "taxable": False,
        "tax_lines": [],
        "discount_allocations": [],
        "total_discount": "0.00",
    }


def test_duties_and_fees_are_charges_within_shopifys_total() -> None:
    lines, pricing = SCENARIOS["duties-and-fees-taxes-included"]
    payload = priced_payload(60, lines, pricing)
    order = _order(payload)
    assert [(c.kind, c.amount) for c in order.charges] == [("duty", Decimal("4.37")), ("fee", Decimal("1.25"))]
    assert document_amounts(order).total == order.total == Decimal(payload["total_price"])


def test_a_tip_is_one_charge_and_its_line_item_is_not_goods() -> None:
    lines, pricing = SCENARIOS["tip-on-taxed-order"]
    payload = priced_payload(61, lines, pricing)
    without_line = _order(payload)
    payload["line_items"].append(_tip_line(payload, "3.00"))
    with_line = _order(payload)
    for order in (without_line, with_line):
        assert [line.item_code for line in order.lines] == ["TG-A"]
        assert [(c.kind, c.title, c.amount) for c in order.charges] == [("tip", "Tip", Decimal("3.00"))]
        assert document_amounts(order).total == Decimal(payload["total_price"])


def test_a_productless_line_that_is_not_the_tip_is_still_refused_for_its_missing_sku() -> None:
    lines, pricing = SCENARIOS["tip-on-taxed-order"]
    payload = priced_payload(62, lines, pricing)
    payload["line_items"].append(_tip_line(payload, "2.00"))  # does not add up to total_tip_received
    with pytest.raises(DataError) as failure:
        _order(payload)
    assert failure.value.codes == ("MISSING_SKU",) and "line_items[1] (Tip)" in str(failure.value)


def test_an_edited_order_carries_its_current_duties() -> None:
    lines, pricing = SCENARIOS["duties-and-fees-taxes-included"]
    payload = priced_payload(63, lines, pricing)
    payload["line_items"][1]["current_quantity"] = 0  # removed by an edit, and its duty with it
    payload["current_total_duties_set"] = {
        "shop_money": {"amount": "2.90", "currency_code": "EUR"},
        "presentment_money": {"amount": "2.90", "currency_code": "EUR"},
    }
    order = _order(payload, "orders/updated")
    assert [(c.kind, c.amount) for c in order.charges] == [("duty", Decimal("2.90")), ("fee", Decimal("1.25"))]
