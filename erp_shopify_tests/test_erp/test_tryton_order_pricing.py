"""Tryton sales carry Shopify's discounts (in the unit price), a shipping-cost line on the
configured product, Tryton's own taxes for Shopify's rates, and each product's sale unit; against
a real trytond."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from erp_shopify.errors import DataError
from erp_shopify.mapping.orders import CreateOrder, OrderMapping, order_action
from erp_shopify.records import SalesOrder
from erp_shopify_sandbox import tryton_demo
from erp_shopify_tests.order_scenarios import SCENARIOS
from erp_shopify_tests.test_erp.harness_tryton import TrytonHarness, harness
from erp_shopify_tests.test_mapping.order_payloads import priced_payload

pytestmark = pytest.mark.slow


@pytest.fixture
def tryton() -> Iterator[TrytonHarness]:
    with harness() as running:
        yield running


def _priced(number: int, name: str, pricing: dict | None = None) -> SalesOrder:
    lines, scenario = SCENARIOS[name]
    mapping = OrderMapping(shop="demo-eu", sku_xref={"SKU-A": "SKU-TEE-S", "SKU-B": "SKU-MUG"}, currency="EUR")
    action = order_action("orders/create", priced_payload(number, lines, pricing or scenario), mapping)
    assert isinstance(action, CreateOrder)
    return action.order


def test_lines_shipping_and_taxes_are_tryton_sale_lines(tryton: TrytonHarness) -> None:
    order = _priced(61, "discounts-paid-shipping-two-taxes")
    tryton.adapter.create_sales_order(order)
    [sale] = tryton.rpc.model(
        "sale.sale", "search_read", [("reference", "=", order.external_ref)], 0, 1, None, ["lines", "total_amount"]
    )
    fields = ["product", "quantity", "unit_price", "unit", "taxes", "amount"]
    lines = tryton.rpc.model("sale.line", "read", sale["lines"], fields)
    taxes = {t["id"]: t["name"] for t in tryton.rpc.model("account.tax", "search_read", [], 0, None, None, ["name"])}
    products = {p: tryton.product_id(p) for p in ("SKU-TEE-S", "SKU-MUG", tryton_demo.SHIPPING_PRODUCT)}
    [unit] = tryton.rpc.model("product.product", "read", [products["SKU-TEE-S"]], ["sale_uom"])
    by_product = {line["product"]: line for line in lines}
    tee = by_product[products["SKU-TEE-S"]]
    # 2 x 19.90 less 2.50 and its 2.78 share of the order discount: 34.52, 17.26 a unit
    assert (Decimal(str(tee["unit_price"])), Decimal(str(tee["amount"]))) == (Decimal("17.26"), Decimal("34.52"))
    assert tee["unit"] == unit["sale_uom"]
    assert sorted(taxes[t] for t in tee["taxes"]) == ["GST", "PST"]
    shipping = by_product[products[tryton_demo.SHIPPING_PRODUCT]]
    assert (Decimal(str(shipping["amount"])), [taxes[t] for t in shipping["taxes"]]) == (Decimal("5.90"), ["GST"])
    assert Decimal(str(sale["total_amount"])) == order.total


def test_a_shopify_tax_rate_tryton_has_no_tax_for_is_a_data_error_naming_it(tryton: TrytonHarness) -> None:
    pricing = SCENARIOS["discounts-paid-shipping-two-taxes"][1]
    order = _priced(62, "discounts-paid-shipping-two-taxes", {**pricing, "taxes": [["QST", "0.09975"]]})
    with pytest.raises(DataError) as failure:
        tryton.adapter.create_sales_order(order)
    assert failure.value.codes == ("unknown_tax",)
    assert "rate 0.09975 for Shopify tax 'QST'" in str(failure.value)
    assert tryton.count_sales_orders(order.external_ref) == 0


def test_a_tip_duties_and_fees_are_untaxed_lines_on_their_configured_products(tryton: TrytonHarness) -> None:
    tipped, taxed_in = _priced(63, "tip-on-taxed-order"), _priced(64, "duties-and-fees-taxes-included")
    for order in (tipped, taxed_in):
        tryton.adapter.create_sales_order(order)
    charged = {}
    for order in (tipped, taxed_in):
        [sale] = tryton.rpc.model(
            "sale.sale", "search_read", [("reference", "=", order.external_ref)], 0, 1, None, ["lines", "total_amount"]
        )
        assert Decimal(str(sale["total_amount"])) == order.total
        for line in tryton.rpc.model("sale.line", "read", sale["lines"], ["product", "amount", "taxes"]):
            charged[line["product"]] = (Decimal(str(line["amount"])), line["taxes"])
    products = {kind: tryton.product_id(code) for kind, code in tryton_demo.CHARGE_PRODUCTS.items()}
    assert [charged[products[kind]] for kind in ("tip", "duty", "fee")] == [
        (Decimal("3.00"), []),
        (Decimal("4.37"), []),
        (Decimal("1.25"), []),
    ]


def test_a_half_cent_tax_tryton_rounds_to_even_is_refused_before_anything_reaches_tryton(tryton: TrytonHarness) -> None:
    # 5 % of 4.90 shipping is 0.245: Shopify charges 0.25, Tryton's currency rounding makes 0.24
    pricing = {"shipping": "4.90", "shipping_taxes": [["GST", "0.05"]], "tip": "3.00"}
    order = _priced(65, "tip-on-taxed-order", pricing)
    with pytest.raises(DataError) as failure:
        tryton.adapter.create_sales_order(order)
    assert failure.value.codes == ("TOTAL_MISMATCH",)
    assert f"Tryton's total {order.total - Decimal('0.01')} EUR" in str(failure.value)
    assert tryton.count_sales_orders(order.external_ref) == 0
