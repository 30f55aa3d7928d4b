"""A refund is credited with its lines' subtotals and taxes, refunded shipping and adjustments, and
comes to Shopify's refund amount to the cent, or is a data error naming both amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from erp_shopify.errors import DataError
from erp_shopify.mapping.order_totals import credit_total
from erp_shopify.mapping.orders import CreditRefund, OrderMapping, order_action
from erp_shopify.records import CreditNote
from erp_shopify_tests.test_mapping.order_payloads import refund_payload

MAPPING = OrderMapping(shop="demo-eu", sku_xref={"SKU-A": "TG-A", "SKU-B": "TG-B"}, currency="EUR")


def _credit(payload: dict) -> CreditNote:
    action = order_action("refunds/create", payload, MAPPING)
    assert isinstance(action, CreditRefund)
    return action.credit


def _taxed(payload: dict, total_tax: str, rate: float) -> None:
    line = payload["refund_line_items"][0]
    line["total_tax"] = float(total_tax)
    line["line_item"]["tax_lines"] = [{"price": total_tax, "rate": rate, "title": "GST"}]
    paid = Decimal(payload["transactions"][0]["amount"]) + Decimal(total_tax)
    payload["transactions"][0]["amount"] = str(paid)


def test_a_refund_with_tax_and_shipping_credits_shopifys_amount() -> None:
    payload = refund_payload(71, 700, [("SKU-A", 1, "18.00")])
    _taxed(payload, "0.90", 0.05)
    payload["order_adjustments"] = [{"kind": "shipping_refund", "amount": "-4.90", "tax_amount": "-0.25"}]
    payload["transactions"][0]["amount"] = "24.05"  # 18.00 + 0.90 + 4.90 + 0.25
    credit = _credit(payload)
    assert (credit.lines[0].tax, credit.shipping, credit.amount) == (Decimal("0.90"), Decimal("5.15"), Decimal("24.05"))
    assert credit_total(credit) == credit.amount


def test_a_refund_paid_back_otherwise_than_itemised_is_a_data_error_naming_both_amounts() -> None:
    payload = refund_payload(72, 700, [("SKU-A", 1, "18.00")])
    payload["transactions"][0]["amount"] = "20.00"  # e.g. shipping refunded without its adjustment
    with pytest.raises(DataError) as failure:
        _credit(payload)
    assert failure.value.codes == ("TOTAL_MISMATCH",)
    assert "credit total 18.00 EUR differs from Shopify's refund amount 20.00 EUR by -2.00" in str(failure.value)


def test_a_refunded_tax_its_rates_do_not_make_is_a_data_error_naming_the_line() -> None:
    payload = refund_payload(73, 700, [("SKU-A", 1, "18.00")])
    _taxed(payload, "0.91", 0.05)  # 5 % of 18.00 is 0.90
    with pytest.raises(DataError) as failure:
        _credit(payload)
    assert "by -0.01" in str(failure.value)
    assert failure.value.body["causes"] == ["lines[0] (TG-A): its tax rates make 0.90, Shopify refunded 0.91 of tax"]
