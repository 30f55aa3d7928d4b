"""The price waterfall of an Order Management line (``charges`` and their ``chargeComponents``) for
the amounts ``mapping.order_totals`` proved to reproduce Shopify's total, and the primary total
Oracle computed from it (the order's ``totals`` child). Pure functions, no I/O.

Each order line gets its sale-price charge; each component carries a unit price and the extended
amount in the order currency: the list price (tax excluded), one negative price adjustment per
discount (the line's own, its share of order discounts), the net price, and one tax component per
Shopify tax line. Shopify's shipping lines are shipping charges (``ApplyTo: SHIPPING``) on the
first order line, since Order Management keeps charges on lines; so are a tip, duties and fees
(untaxed charges of configured charge definitions). A return line carries the refunded subtotal
and its taxes; refunded shipping and a refund's adjustment are charges on the first return line.
The element and definition codes below are Oracle's seeded ones as far as the documentation shows
them (see docs/erp.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from erp_shopify.mapping.order_totals import (
    PRICE_DIGITS,
    ChargedTax,
    LineAmounts,
    ShippingAmounts,
    credit_line_taxes,
    money,
)
from erp_shopify.records import CreditLine, OrderCharge

SALE_PRICE = "QP_SALE_PRICE"  # the charge definition of an item's one-time sale price
SHIPPING_CHARGE = "QP_SHIPPING_CHARGE"  # the charge definition of a shipping charge (unconfirmed code)
LIST_PRICE = ("QP_LIST_PRICE", "LIST_PRICE")  # (PriceElementCode, PriceElementUsageCode)
ADJUSTMENT = ("QP_DISCOUNT_ADJ", "PRICE_ADJUSTMENT")
NET_PRICE = ("QP_NET_PRICE", "NET_PRICE")
TAX = ("QP_TAX", "TAX")  # an exclusive tax imported with the order (unconfirmed code)
PRIMARY_TOTAL = "PrimaryFlag"
# ``fields`` and ``expand`` do not combine: the header's totals child is selected through ``fields``
TOTALS_FIELDS = f"OrderNumber;totals:TotalCode,TotalAmount,CurrencyCode,{PRIMARY_TOTAL}"


def _amount(value: Decimal) -> float:
    return float(value)


def _unit(extended: Decimal, quantity: Decimal) -> Decimal:
    """A component's unit price: informative, Order Management totals the extended amounts."""
    return (extended / quantity).quantize(Decimal(1).scaleb(-PRICE_DIGITS), rounding=ROUND_HALF_UP)


def _component(
    source: str, element: tuple[str, str], unit: Decimal, extended: Decimal, currency: str, sequence: int, **extra: Any
) -> dict[str, Any]:
    code, usage = element
    return {
        "SourceChargeComponentId": source,
        "PriceElementCode": code,
        "PriceElementUsageCode": usage,
        "SequenceNumber": sequence,
        "ChargeCurrencyCode": currency,
        "HeaderCurrencyCode": currency,
        "ChargeCurrencyUnitPrice": _amount(unit),
        "HeaderCurrencyUnitPrice": _amount(unit),
        "ChargeCurrencyExtendedAmount": _amount(extended),
        "HeaderCurrencyExtendedAmount": _amount(extended),
        "RollupFlag": False,
        **extra,
    }


def _waterfall(
    source: str,
    list_unit: Decimal,
    quantity: Decimal,
    adjustments: list[tuple[str, Decimal]],
    net: Decimal,
    taxes: tuple[ChargedTax, ...],
    currency: str,
) -> list[dict[str, Any]]:
    """List price, the non-zero adjustments (negative), net price, then each tax on the net."""
    list_extended = net + sum((amount for _, amount in adjustments), Decimal(0))
    rows = [_component(f"{source}-LIST", LIST_PRICE, list_unit, list_extended, currency, 1)]
    for name, amount in adjustments:
        if amount:
            rows.append(
                _component(f"{source}-{name}", ADJUSTMENT, _unit(-amount, quantity), -amount, currency, len(rows) + 1)
            )
    rows.append(_component(f"{source}-NET", NET_PRICE, _unit(net, quantity), net, currency, len(rows) + 1))
    for n, charged in enumerate(taxes, start=1):
        rows.append(
            _component(
                f"{source}-TAX{n}",
                TAX,
                _unit(charged.computed, quantity),
                charged.computed,
                currency,
                len(rows) + 1,
                Explanation=f"{charged.tax.title} {charged.percent}%",
            )
        )
    return rows


def _charge(
    source: str, definition: str, applies_to: str, quantity: Decimal, unit: str, currency: str
) -> dict[str, Any]:
    charge: dict[str, Any] = {
        "SourceChargeId": source,
        "ChargeDefinitionCode": definition,
        "PriceTypeCode": "ONE_TIME",
        "ApplyTo": applies_to,
        "ChargeCurrencyCode": currency,
        "PricedQuantity": float(quantity),
        "SequenceNumber": 1,
        "PrimaryFlag": applies_to == "PRICE",
        "RollupFlag": False,
    }
    return charge | ({"PricedQuantityUOM": unit} if unit else {})


def line_charges(n: int, figures: LineAmounts, quantity: Decimal, unit: str, currency: str) -> list[dict[str, Any]]:
    """The sale-price charge of order line ``n`` with its price waterfall."""
    source = f"L{n}"
    charge = _charge(source, SALE_PRICE, "PRICE", quantity, unit, currency)
    adjustments = [("DISC", figures.discount), ("ORDER-DISC", figures.order_discount)]
    components = _waterfall(source, figures.unit_price, quantity, adjustments, figures.net, figures.taxes, currency)
    return [charge | {"chargeComponents": components}]


def shipping_charges(shipping: tuple[ShippingAmounts, ...], currency: str) -> list[dict[str, Any]]:
    """One shipping charge per Shopify shipping line: its price, its discount, net and taxes."""
    charges = []
    for n, figures in enumerate(shipping, start=1):
        source = f"S{n}"
        charge = _charge(source, SHIPPING_CHARGE, "SHIPPING", Decimal(1), "", currency)
        components = _waterfall(
            source, figures.price, Decimal(1), [("DISC", figures.discount)], figures.net, figures.taxes, currency
        )
        charges.append(charge | {"SequenceNumber": n + 1, "chargeComponents": components})
    return charges


def flat_charge(source: str, definition: str, applies_to: str, amount: Decimal, currency: str) -> dict[str, Any]:
    """An untaxed charge worth ``amount``, priced once: a tip, duties, fees, a refunded shipping
    amount or a refund's adjustment (list price and net price are the amount, no adjustment)."""
    charge = _charge(source, definition, applies_to, Decimal(1), "", currency)
    components = _waterfall(source, amount, Decimal(1), [], amount, (), currency)
    return charge | {"chargeComponents": components}


def other_charges(
    extras: tuple[OrderCharge, ...], definitions: Mapping[str, str], currency: str
) -> list[dict[str, Any]]:
    """The order's tip, duties and fees, each a charge of its kind's charge definition."""
    return [
        flat_charge(f"C{n}", definitions[extra.kind], "PRICE", extra.amount, currency)
        for n, extra in enumerate(extras, start=1)
    ]


def returned_line_charges(
    n: int, line: CreditLine, list_unit: Decimal | None, unit: str, currency: str
) -> list[dict[str, Any]]:
    """The sale-price charge of return line ``n``: the list price it was sold at (``list_unit``,
    else its refunded subtotal per unit), an adjustment down to the refunded subtotal (the discount
    shares Shopify kept back), and each tax rate on that subtotal as the ERP computes it."""
    source, net = f"R{n}", line.amount - line.tax
    unit_price = _unit(net, line.quantity) if list_unit is None else list_unit
    listed = money(unit_price * line.quantity)
    charge = _charge(source, SALE_PRICE, "PRICE", line.quantity, unit, currency)
    taxes = credit_line_taxes(line)
    components = _waterfall(source, unit_price, line.quantity, [("DISC", listed - net)], net, taxes, currency)
    return [charge | {"chargeComponents": components}]


def primary_total(totals: list[dict[str, Any]]) -> Decimal | None:
    """The amount of the order's primary total (Order Management computes exactly one)."""
    for total in totals:
        if total.get(PRIMARY_TOTAL) and total.get("TotalAmount") is not None:
            return Decimal(str(total["TotalAmount"]))
    return None
