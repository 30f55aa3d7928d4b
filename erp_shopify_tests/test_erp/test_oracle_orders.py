"""Oracle sales orders carry Shopify's pricing: each line's price waterfall (list price, discounts,
net price, taxes) as charges, shipping as shipping charges, tips, duties and fees as untaxed charges
of their configured definitions, the item's primary unit from the item master, and Oracle's own
primary total checked against Shopify's. Return orders carry the refunded amounts the same way."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from erp_shopify.erp.oracle import orders
from erp_shopify.errors import DataError
from erp_shopify.mapping.order_totals import check_total
from erp_shopify.mapping.orders import CreateOrder, CreditRefund, OrderMapping, order_action
from erp_shopify.records import CreditLine, CreditNote, SalesOrder, SalesOrderLine
from erp_shopify_sandbox.oracle import SEED_ITEMS
from erp_shopify_tests.order_scenarios import SCENARIOS
from erp_shopify_tests.test_erp.harness_oracle import OracleHarness, harness, sales_order
from erp_shopify_tests.test_mapping.order_payloads import priced_payload, priced_refund_payload

EXPAND = "lines,lines.charges,lines.charges.chargeComponents,totals"


@pytest.fixture
def oracle() -> Iterator[OracleHarness]:
    with harness() as running:
        yield running


def _mapping(oracle: OracleHarness) -> OrderMapping:
    return OrderMapping(shop="demo-eu", sku_xref={"SKU-A": oracle.items[0], "SKU-B": oracle.items[1]})


def _priced(oracle: OracleHarness, scenario: str, number: int) -> tuple[SalesOrder, Decimal]:
    lines, pricing = SCENARIOS[scenario]
    payload = priced_payload(700 + number, lines, pricing)
    action = order_action("orders/create", payload, _mapping(oracle))
    assert isinstance(action, CreateOrder)
    return action.order, Decimal(payload["total_price"])


def _refund(
    oracle: OracleHarness, scenario: str, number: int, refunded: dict[int, int], shipping: bool = True
) -> CreditNote:
    """The priced order created in Oracle, and Shopify's refund of ``refunded`` (and its shipping)."""
    lines, pricing = SCENARIOS[scenario]
    order = priced_payload(800 + number, lines, pricing)
    created = order_action("orders/create", order, _mapping(oracle))
    assert isinstance(created, CreateOrder)
    oracle.adapter.create_sales_order(created.order)
    payload = priced_refund_payload(850 + number, order, lines, pricing, refunded, shipping=shipping)
    action = order_action("refunds/create", payload, _mapping(oracle))
    assert isinstance(action, CreditRefund)
    assert action.credit.amount == Decimal(payload["transactions"][0]["amount"])
    return action.credit


def _stored(oracle: OracleHarness, ref: str) -> dict[str, Any]:
    found = oracle.adapter.rest.get_item(orders.RESOURCE, orders.order_key(oracle.adapter.config, ref), expand=EXPAND)
    assert found is not None
    return found


def _items(collection: Any) -> list[dict[str, Any]]:
    return collection["items"] if isinstance(collection, dict) else collection


def _waterfall(charge: dict[str, Any]) -> list[tuple[str, Decimal]]:
    return [
        (c["PriceElementUsageCode"], Decimal(str(c["ChargeCurrencyExtendedAmount"])))
        for c in _items(charge["chargeComponents"])
    ]


def test_a_priced_order_lands_with_its_discounts_shipping_and_taxes_as_charges(oracle: OracleHarness) -> None:
    order, shopify_total = _priced(oracle, "discounts-paid-shipping-two-taxes", 1)
    oracle.adapter.create_sales_order(order)
    stored = _stored(oracle, order.external_ref)
    first, second = _items(stored["lines"])
    sale, shipping = _items(first["charges"])
    assert (sale["ChargeDefinitionCode"], sale["ApplyTo"], sale["PricedQuantity"]) == ("QP_SALE_PRICE", "PRICE", 2)
    usages = [usage for usage, _ in _waterfall(sale)]
    assert usages == ["LIST_PRICE", "PRICE_ADJUSTMENT", "PRICE_ADJUSTMENT", "NET_PRICE", "TAX", "TAX"]
    assert _waterfall(sale)[:2] == [("LIST_PRICE", Decimal("39.8")), ("PRICE_ADJUSTMENT", Decimal("-2.5"))]
    # the shipping line: 6.90 less its 1.00 discount, GST 5 % of 5.90 rounded to the cent
    assert shipping["ApplyTo"] == "SHIPPING"
    assert _waterfall(shipping) == [
        ("LIST_PRICE", Decimal("6.9")),
        ("PRICE_ADJUSTMENT", Decimal("-1")),
        ("NET_PRICE", Decimal("5.9")),
        ("TAX", Decimal("0.3")),
    ]
    assert [c["ApplyTo"] for c in _items(second["charges"])] == ["PRICE"]
    primary = [t for t in _items(stored["totals"]) if t["PrimaryFlag"]]
    assert [Decimal(str(t["TotalAmount"])) for t in primary] == [shopify_total]


def test_each_line_is_ordered_in_its_items_primary_unit_from_the_item_master(oracle: OracleHarness) -> None:
    oracle.control.put("/items", json=[{"ItemNumber": SEED_ITEMS[2], "PrimaryUOMValue": "Box"}]).raise_for_status()
    order = sales_order("units-1", item=SEED_ITEMS[2])
    order.lines.append(SalesOrderLine(item_code=SEED_ITEMS[0], quantity=Decimal(1), unit_price=Decimal("5.00")))
    oracle.adapter.create_sales_order(order)
    lines = _items(_stored(oracle, "units-1")["lines"])
    assert [(line["ProductNumber"], line["OrderedUOM"]) for line in lines] == [
        (SEED_ITEMS[2], "Box"),
        (SEED_ITEMS[0], "Each"),
    ]


def test_a_return_is_in_the_unit_its_line_was_sold_in(oracle: OracleHarness) -> None:
    oracle.control.put("/items", json=[{"ItemNumber": SEED_ITEMS[2], "PrimaryUOMValue": "Box"}]).raise_for_status()
    oracle.adapter.create_sales_order(sales_order("units-3", item=SEED_ITEMS[2]))
    line = CreditLine(item_code=SEED_ITEMS[2], quantity=Decimal(1), amount=Decimal("19.90"))
    oracle.adapter.create_credit(
        CreditNote(external_ref="units-3-R1", order_ref="units-3", currency="USD", lines=[line], amount=line.amount)
    )
    [returned] = _items(_stored(oracle, "units-3-R1")["lines"])
    assert (returned["TransactionCategoryCode"], returned["OrderedUOM"]) == ("RETURN", "Box")


def test_a_line_in_a_unit_its_item_is_not_sold_in_is_refused_and_nothing_is_created(oracle: OracleHarness) -> None:
    order = sales_order("units-2")
    order.lines[0] = order.lines[0].model_copy(update={"unit": "Dozen"})
    with pytest.raises(DataError) as refused:
        oracle.adapter.create_sales_order(order)
    assert "DOO-INVALID-UOM" in refused.value.codes and "Dozen" in str(refused.value)
    assert oracle.count_sales_orders("units-2") == 0


def test_an_order_whose_total_cannot_be_reproduced_never_reaches_oracle(oracle: OracleHarness) -> None:
    order = sales_order("total-1").model_copy(update={"total": Decimal("39.81")})  # 2 x 19.90 is 39.80
    with pytest.raises(DataError) as refused:
        oracle.adapter.create_sales_order(order)
    assert refused.value.codes == ("TOTAL_MISMATCH",) and "39.81" in str(refused.value)
    assert oracle.count_sales_orders("total-1") == 0


def test_oracle_totalling_otherwise_than_shopify_is_a_data_error_naming_both(oracle: OracleHarness) -> None:
    """Oracle's own shipping charge rules add 0.50: its total is not Shopify's, and says so."""
    oracle.control.put("/pricing", json={"freight_surcharge": "0.50"}).raise_for_status()
    order, shopify_total = _priced(oracle, "shipping-discounted-to-free-untaxed", 2)
    with pytest.raises(DataError) as refused:
        oracle.adapter.create_sales_order(order)
    message = str(refused.value)
    assert refused.value.codes == ("TOTAL_MISMATCH",)
    assert f"total {shopify_total + Decimal('0.50')} EUR" in message and f"Shopify's total {shopify_total}" in message
    assert "Oracle sales order" in message
    assert oracle.count_sales_orders(order.external_ref) == 1
    # the order is in Oracle: a redelivery finds it, it does not create it again
    assert oracle.adapter.create_sales_order(order).external_ref == order.external_ref
    assert oracle.count_sales_orders(order.external_ref) == 1


def test_a_waterfall_whose_net_is_not_list_price_plus_adjustments_is_refused(oracle: OracleHarness) -> None:
    order, _ = _priced(oracle, "discounts-paid-shipping-two-taxes", 3)
    body = orders.sales_order_body(order, check_total(order), {}, oracle.adapter.config)
    [net] = [c for c in body["lines"][0]["charges"][0]["chargeComponents"] if c["PriceElementUsageCode"] == "NET_PRICE"]
    net["ChargeCurrencyExtendedAmount"] += 1
    with pytest.raises(DataError) as refused:
        oracle.adapter.rest.call("POST", orders.RESOURCE, json=body, retried=False)
    assert "DOO-PRICE-WATERFALL" in refused.value.codes and "lines[1].charges[1]" in str(refused.value)
    assert oracle.count_sales_orders(order.external_ref) == 0


def test_a_tip_duties_and_fees_are_untaxed_charges_of_their_configured_definitions(oracle: OracleHarness) -> None:
    tipped, tipped_total = _priced(oracle, "tip-on-taxed-order", 4)
    taxed_in, taxed_in_total = _priced(oracle, "duties-and-fees-taxes-included", 5)
    for order, shopify_total in ((tipped, tipped_total), (taxed_in, taxed_in_total)):
        oracle.adapter.create_sales_order(order)
        assert oracle.document_total(order.external_ref) == shopify_total
    *_, tip = _items(_items(_stored(oracle, tipped.external_ref)["lines"])[0]["charges"])
    *_, duty, fee = _items(_items(_stored(oracle, taxed_in.external_ref)["lines"])[0]["charges"])
    assert [
        (c["ChargeDefinitionCode"], c["ApplyTo"], c["SequenceNumber"], _waterfall(c)) for c in (tip, duty, fee)
    ] == [
        ("SHOPIFY_TIP", "PRICE", 3, [("LIST_PRICE", Decimal("3")), ("NET_PRICE", Decimal("3"))]),
        ("SHOPIFY_DUTY", "PRICE", 3, [("LIST_PRICE", Decimal("4.37")), ("NET_PRICE", Decimal("4.37"))]),
        ("SHOPIFY_FEE", "PRICE", 4, [("LIST_PRICE", Decimal("1.25")), ("NET_PRICE", Decimal("1.25"))]),
    ]


def test_a_charge_with_no_definition_configured_is_refused_before_anything_reaches_oracle(
    oracle: OracleHarness,
) -> None:
    order, _ = _priced(oracle, "duties-and-fees-taxes-included", 6)
    oracle.adapter.config = oracle.adapter.config.model_copy(update={"charge_definitions": {"duty": "DUTIES"}})
    with pytest.raises(DataError) as refused:
        oracle.adapter.create_sales_order(order)
    assert refused.value.codes == ("UNCONFIGURED_CHARGE",)
    assert "erp.charge_definitions names no Oracle charge definition for fee" in str(refused.value)
    assert oracle.count_sales_orders(order.external_ref) == 0


def test_a_return_carries_the_refunded_subtotals_taxes_and_shipping_and_credits_shopifys_amount(
    oracle: OracleHarness,
) -> None:
    credit = _refund(oracle, "discounts-paid-shipping-two-taxes", 1, {1: 1})
    oracle.adapter.create_credit(credit)
    stored = _stored(oracle, credit.external_ref)
    [returned] = _items(stored["lines"])
    sale, shipping = _items(returned["charges"])
    # one of three units of the second line: list price 9.95, less its share of the order discount,
    # refunded subtotal 9.21 with GST 5 % and PST 7 % recomputed on it
    assert _waterfall(sale) == [
        ("LIST_PRICE", Decimal("9.95")),
        ("PRICE_ADJUSTMENT", Decimal("-0.74")),
        ("NET_PRICE", Decimal("9.21")),
        ("TAX", Decimal("0.46")),
        ("TAX", Decimal("0.64")),
    ]
    assert (shipping["ApplyTo"], _waterfall(shipping)[-1]) == ("SHIPPING", ("NET_PRICE", Decimal("6.2")))
    primary = [Decimal(str(t["TotalAmount"])) for t in _items(stored["totals"]) if t["PrimaryFlag"]]
    assert primary == [-credit.amount] == [Decimal("-16.51")]  # return lines count against the customer


def test_a_refunds_adjustment_is_a_charge_of_its_definition_counted_in_the_credit(oracle: OracleHarness) -> None:
    credit = _refund(oracle, "taxes-included-free-shipping-percent-off", 2, {1: 2}, False)
    adjusted = credit.model_copy(update={"adjustment": Decimal("-0.75"), "amount": credit.amount - Decimal("0.75")})
    oracle.adapter.create_credit(adjusted)
    [returned] = _items(_stored(oracle, credit.external_ref)["lines"])
    *_, adjustment = _items(returned["charges"])
    assert (adjustment["ChargeDefinitionCode"], _waterfall(adjustment)[-1]) == (
        "SHOPIFY_REFUND_ADJUSTMENT",
        ("NET_PRICE", Decimal("-0.75")),
    )
    assert oracle.credit_total(credit.external_ref) == adjusted.amount


def test_a_refund_whose_amount_its_lines_do_not_make_never_reaches_oracle(oracle: OracleHarness) -> None:
    credit = _refund(oracle, "taxes-included-free-shipping-percent-off", 3, {1: 2}, False)
    off = credit.model_copy(update={"amount": credit.amount + Decimal("0.01")})
    with pytest.raises(DataError) as refused:
        oracle.adapter.create_credit(off)
    assert refused.value.codes == ("TOTAL_MISMATCH",)
    assert f"Shopify's refund amount {off.amount} EUR by -0.01" in str(refused.value)
    assert oracle.count_sales_orders(credit.external_ref) == 0


def test_oracle_crediting_otherwise_than_shopify_is_a_data_error_naming_both(oracle: OracleHarness) -> None:
    """An amount refunded on a line of no returned quantity: a return order has no line to carry it."""
    credit = _refund(oracle, "taxes-included-free-shipping-percent-off", 4, {1: 2}, False)
    kept = CreditLine(item_code=oracle.items[0], quantity=Decimal(0), amount=Decimal("2.00"))
    widened = credit.model_copy(update={"lines": [*credit.lines, kept], "amount": credit.amount + kept.amount})
    with pytest.raises(DataError) as refused:
        oracle.adapter.create_credit(widened)
    message = str(refused.value)
    assert refused.value.codes == ("TOTAL_MISMATCH",) and "Oracle return order" in message
    assert f"credit total {credit.amount} EUR differs from Shopify's refund amount {widened.amount} EUR" in message
    assert oracle.count_sales_orders(credit.external_ref) == 1


def test_a_refund_returning_no_item_is_refused_and_creates_nothing(oracle: OracleHarness) -> None:
    oracle.adapter.create_sales_order(sales_order("noitem-1"))
    kept = CreditLine(item_code=SEED_ITEMS[0], quantity=Decimal(0), amount=Decimal(0))
    shipping_only = CreditNote(
        external_ref="noitem-1-R1",
        order_ref="noitem-1",
        currency="USD",
        lines=[kept],
        shipping=Decimal("4.90"),
        amount=Decimal("4.90"),
    )
    with pytest.raises(DataError) as refused:
        oracle.adapter.create_credit(shipping_only)
    assert refused.value.codes == ("RETURN_WITHOUT_LINES",) and "returns no item" in str(refused.value)
    assert oracle.count_sales_orders("noitem-1-R1") == 0
