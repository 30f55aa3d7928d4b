"""Shopify order webhooks -> ERP documents (pure mapping)."""

from __future__ import annotations

import copy
from decimal import Decimal

import jsonschema
import pytest

from erp_shopify.artefacts import webhook_schema
from erp_shopify.errors import DataError, ErrorClass
from erp_shopify.mapping.orders import (
    CancelOrder,
    CreateOrder,
    CreditRefund,
    OrderMapping,
    external_ref,
    order_action,
)
from erp_shopify.mapping.xref import SkuLookup
from erp_shopify_tests.test_mapping.order_payloads import order_payload, refund_payload

MAPPING = OrderMapping(shop="demo-eu", sku_xref={"TSHIRT-RED-M": "TG0011", "MUG-01": "TG0012"}, currency="EUR")
BIG_ID = 820982911946154508  # beyond 2**53: a JavaScript number would round it


def test_fixture_payloads_are_valid_against_shopifys_published_schemas() -> None:
    jsonschema.validate(order_payload(BIG_ID, [("MUG-01", 1, "9.90")]), webhook_schema("orders/create"))
    jsonschema.validate(refund_payload(5, BIG_ID, [("MUG-01", 1, "9.90")]), webhook_schema("refunds/create"))


def test_order_becomes_a_sales_order_with_lines_through_the_sku_xref() -> None:
    payload = order_payload(BIG_ID, [("TSHIRT-RED-M", 2, "19.90"), ("MUG-01", 1, "9.90")], shipping="4.90")
    action = order_action("orders/create", payload, MAPPING)
    assert isinstance(action, CreateOrder)
    order = action.order
    assert order.external_ref == f"demo-eu-{BIG_ID}"
    assert [(line.item_code, line.quantity, line.unit_price) for line in order.lines] == [
        ("TG0011", Decimal(2), Decimal("19.90")),
        ("TG0012", Decimal(1), Decimal("9.90")),
    ]
    assert order.currency == "EUR"
    assert order.shipping == Decimal("4.90")
    assert order.ship_to.city == "London"
    assert order.customer.email == "ada@example.com"


def test_reference_comes_from_the_graphql_id_not_the_rounded_numeric_id() -> None:
    payload = order_payload(BIG_ID, [("MUG-01", 1, "9.90")])
    payload["id"] = float(BIG_ID)  # what a JavaScript producer would have sent
    order = order_action("orders/create", payload, MAPPING)
    assert isinstance(order, CreateOrder)
    assert order.order.external_ref.endswith(str(BIG_ID))


def test_discounts_and_taxes_land_on_lines_shipping_and_order() -> None:
    payload = order_payload(11, [("TSHIRT-RED-M", 2, "20.00")], shipping="5.00")
    payload["line_items"][0]["discount_allocations"] = [{"amount": "4.00", "discount_application_index": 0}]
    payload["line_items"][0]["tax_lines"] = [{"price": "6.84", "rate": 0.19, "title": "VAT"}]
    payload["shipping_lines"][0]["discounted_price"] = "0.00"  # free-shipping code
    payload["shipping_lines"][0]["tax_lines"] = [{"price": "0.00", "rate": 0.19, "title": "VAT"}]
    payload["total_discounts"] = "9.00"  # 4 on the line, 5 on shipping
    payload["total_price"] = "42.84"  # 40 - 4 + 0 shipping + 6.84 tax
    action = order_action("orders/create", payload, MAPPING)
    assert isinstance(action, CreateOrder)
    order = action.order
    assert (order.lines[0].discount, order.lines[0].tax) == (Decimal("4.00"), Decimal("6.84"))
    assert (order.shipping, order.order_discount, order.total) == (Decimal("0.00"), Decimal("0"), Decimal("42.84"))
    assert (order.shipping_lines[0].price, order.shipping_lines[0].discount) == (Decimal("5.00"), Decimal("5.00"))


def test_unmapped_sku_is_a_data_error_naming_the_line() -> None:
    payload = order_payload(12, [("MUG-01", 1, "9.90"), ("NOPE-9", 1, "1.00")])
    with pytest.raises(DataError) as failure:
        order_action("orders/create", payload, MAPPING)
    assert failure.value.error_class is ErrorClass.DATA
    assert "line_items[1]" in str(failure.value) and "'NOPE-9'" in str(failure.value)
    assert failure.value.codes == ("UNMAPPED_SKU",)


def test_missing_shipping_address_is_a_data_error_naming_the_field() -> None:
    payload = order_payload(13, [("MUG-01", 1, "9.90")])
    payload["shipping_address"] = None
    with pytest.raises(DataError, match="shipping_address") as failure:
        order_action("orders/create", payload, MAPPING)
    assert failure.value.codes == ("MISSING_SHIPPING_ADDRESS",)


def test_malformed_payload_is_a_data_error_naming_the_field() -> None:
    payload = order_payload(14, [("MUG-01", 1, "9.90")])
    payload["line_items"][0]["quantity"] = "lots"
    with pytest.raises(DataError, match=r"line_items\.0\.quantity"):
        order_action("orders/create", payload, MAPPING)


def test_unknown_fields_from_a_newer_api_version_are_ignored() -> None:
    payload = order_payload(15, [("MUG-01", 1, "9.90")])
    payload["brand_new_field"] = {"anything": [1, 2]}
    payload["line_items"][0]["another_new_field"] = True
    assert isinstance(order_action("orders/create", payload, MAPPING), CreateOrder)


def test_lines_removed_by_an_order_edit_are_left_out() -> None:
    payload = order_payload(16, [("MUG-01", 1, "9.90"), ("TSHIRT-RED-M", 3, "19.90")])
    payload["line_items"][1]["current_quantity"] = 0
    payload["current_total_price"] = "14.80"  # the mug and shipping
    action = order_action("orders/updated", payload, MAPPING)
    assert isinstance(action, CreateOrder)
    assert [line.item_code for line in action.order.lines] == ["TG0012"]


def test_cancel_names_the_same_reference_as_the_create() -> None:
    payload = order_payload(BIG_ID, [("MUG-01", 1, "9.90")], cancel_reason="customer")
    action = order_action("orders/cancelled", copy.deepcopy(payload), MAPPING)
    assert action == CancelOrder(f"demo-eu-{BIG_ID}", reason="customer")


def test_refund_becomes_a_credit_against_its_order() -> None:
    payload = refund_payload(77, BIG_ID, [("TSHIRT-RED-M", 1, "19.90")])
    action = order_action("refunds/create", payload, MAPPING)
    assert isinstance(action, CreditRefund)
    credit = action.credit
    assert (credit.external_ref, credit.order_ref) == ("demo-eu-R77", f"demo-eu-{BIG_ID}")
    assert [(c.item_code, c.quantity) for c in credit.lines] == [("TG0011", Decimal(1))]
    assert (credit.amount, credit.currency) == (Decimal("19.90"), "EUR")


def test_external_reference_fits_35_safe_characters_and_stays_unique_per_shop() -> None:
    long_a = "a-very-long-shop-name-for-the-european-market-one"
    long_b = "a-very-long-shop-name-for-the-european-market-two"
    ref_a, ref_b = external_ref(long_a, str(BIG_ID)), external_ref(long_b, str(BIG_ID))
    assert len(ref_a) <= 35 and len(ref_b) <= 35
    assert ref_a != ref_b
    assert ref_a.endswith(f"-{BIG_ID}")
    assert external_ref("demo-eu", "1001") == "demo-eu-1001"


def test_customer_party_comes_from_the_mapping() -> None:
    mapping = OrderMapping(
        shop="demo-eu",
        sku_xref={"MUG-01": "TG0012"},
        default_party="1000001",
        party_by_customer={"gid://shopify/Customer/7": "1000042"},
    )
    action = order_action("orders/create", order_payload(17, [("MUG-01", 1, "9.90")]), mapping)
    assert isinstance(action, CreateOrder)
    assert action.order.customer.erp_party == "1000042"


def test_order_lines_follow_the_xref_rules_not_an_inverted_override_table() -> None:
    lookup = SkuLookup({"TG0011": "TSHIRT-RED-M"}, ["TG0011", "MUG-01"])
    mapping = OrderMapping(shop="demo-eu", sku_xref=lookup, currency="EUR")
    payload = order_payload(12, [("tshirt-red-m", 1, "19.90"), ("mug-01", 2, "9.90")])
    action = order_action("orders/create", payload, mapping)
    assert isinstance(action, CreateOrder)
    assert [line.item_code for line in action.order.lines] == ["TG0011", "MUG-01"]
