"""The amounts an ERP is sent for a sales order, and the total the ERP will compute from them:
pure arithmetic that every adapter shares, so what the mapping proved reproducible is exactly what
is sent.

Every ERP here computes a document the same way from what it receives: per line, quantity times a
tax-excluded unit price (kept to ``PRICE_DIGITS`` decimals, the fewest of our ERPs: Tryton's
default price precision), rounded to the cent, less the line's discount and its share of order
discounts; per shipping line, its price less its discount; on each of those bases, each tax rate
applied and rounded to the cent (line by line, as Shopify rounds); per tip, duty or additional
fee, its amount, untaxed (Shopify reports them as amounts of their own). An order whose Shopify total
this does not reproduce to the cent is a data error naming both amounts: it never reaches the ERP
with a different amount.

With ``taxes_included`` Shopify's prices and discounts carry the tax. The tax is taken out of the
unit price (``(price * quantity - taxes) / quantity``) and the discounts are sent as Shopify shows
them, so that the line's tax-excluded base is exactly Shopify's amount less its taxes; the ERP then
recomputes each tax from its rate, and a cent of rounding it cannot express is the data error above.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from erp_shopify.errors import DataError
from erp_shopify.records import CreditLine, CreditNote, OrderCharge, SalesOrder, SalesOrderLine, ShippingCharge, TaxLine

CENT = Decimal("0.01")
PRICE_DIGITS = 4
_ZERO = Decimal(0)


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ChargedTax:
    """A tax as the ERP computes it (rate applied to the base, rounded) beside what Shopify charged."""

    tax: TaxLine
    computed: Decimal

    @property
    def percent(self) -> Decimal:
        """The rate in percent (SAP and NetSuite state rates that way): 0.2 -> 20."""
        return (self.tax.rate * 100).normalize()


@dataclass(frozen=True)
class LineAmounts:
    unit_price: Decimal  # tax excluded, before discounts, at PRICE_DIGITS
    gross: Decimal  # quantity * unit_price, rounded to the cent
    discount: Decimal  # the line's own discount
    order_discount: Decimal  # its share of order-level discounts
    taxes: tuple[ChargedTax, ...]

    @property
    def net(self) -> Decimal:
        """The tax base: what the ERP's line is worth before tax."""
        return self.gross - self.discount - self.order_discount

    @property
    def total(self) -> Decimal:
        return self.net + sum((t.computed for t in self.taxes), _ZERO)


@dataclass(frozen=True)
class ShippingAmounts:
    title: str
    price: Decimal  # tax excluded, before its discount
    discount: Decimal
    taxes: tuple[ChargedTax, ...]

    @property
    def net(self) -> Decimal:
        return self.price - self.discount

    @property
    def total(self) -> Decimal:
        return self.net + sum((t.computed for t in self.taxes), _ZERO)


def _charged(taxes: list[TaxLine], base: Decimal) -> tuple[ChargedTax, ...]:
    return tuple(ChargedTax(tax, money(base * tax.rate)) for tax in taxes)


def _included(taxes: list[TaxLine], taxes_included: bool) -> Decimal:
    return sum((t.amount for t in taxes), _ZERO) if taxes_included else _ZERO


def line_amounts(line: SalesOrderLine, taxes_included: bool) -> LineAmounts:
    gross = line.unit_price * line.quantity - _included(line.taxes, taxes_included)
    unit_price = (gross / line.quantity).quantize(Decimal(1).scaleb(-PRICE_DIGITS), rounding=ROUND_HALF_UP)
    erp_gross = money(unit_price * line.quantity)
    base = erp_gross - line.discount - line.order_discount
    return LineAmounts(unit_price, erp_gross, line.discount, line.order_discount, _charged(line.taxes, base))


def shipping_amounts(charge: ShippingCharge, taxes_included: bool) -> ShippingAmounts:
    price = charge.price - _included(charge.taxes, taxes_included)
    return ShippingAmounts(charge.title, price, charge.discount, _charged(charge.taxes, price - charge.discount))


@dataclass(frozen=True)
class DocumentAmounts:
    lines: tuple[LineAmounts, ...]
    shipping: tuple[ShippingAmounts, ...]
    extras: tuple[OrderCharge, ...] = ()  # tips, duties and additional fees: untaxed amounts

    @property
    def charges(self) -> tuple[LineAmounts | ShippingAmounts, ...]:
        return (*self.lines, *self.shipping)

    @property
    def net(self) -> Decimal:
        return sum((a.net for a in self.charges), _ZERO) + sum((c.amount for c in self.extras), _ZERO)

    @property
    def tax(self) -> Decimal:
        return sum((t.computed for a in self.charges for t in a.taxes), _ZERO)

    @property
    def total(self) -> Decimal:
        return self.net + self.tax


def document_amounts(order: SalesOrder) -> DocumentAmounts:
    return DocumentAmounts(
        tuple(line_amounts(line, order.taxes_included) for line in order.lines),
        tuple(shipping_amounts(charge, order.taxes_included) for charge in order.shipping_lines),
        tuple(order.charges),
    )


def total_mismatch(order: SalesOrder, reproduced: Decimal, where: str, *, body: object = None) -> DataError:
    """The data error for a document whose total is not Shopify's: both amounts, the difference."""
    expected = order.total
    message = (
        f"{order.external_ref}: {where} total {reproduced} {order.currency} differs from Shopify's total "
        f"{expected} {order.currency} by {reproduced - (expected or _ZERO)}"
    )
    return DataError(
        message,
        codes=("TOTAL_MISMATCH",),
        body=body
        if body is not None
        else {"expected": str(expected), "reproduced": str(reproduced), "currency": order.currency},
        system="mapping",
    )


def check_total(order: SalesOrder) -> DocumentAmounts:
    """The amounts to send, once proven to reproduce ``order.total`` to the cent; else the data
    error naming expected and reproduced totals and the first amount that cannot be expressed."""
    amounts = document_amounts(order)
    if order.total is None or amounts.total == order.total:
        return amounts
    causes = _causes(order, amounts)
    raise total_mismatch(
        order,
        amounts.total,
        "the ERP's",
        body={
            "expected": str(order.total),
            "reproduced": str(amounts.total),
            "difference": str(amounts.total - order.total),
            "currency": order.currency,
            "causes": causes,
        },
    )


def _causes(order: SalesOrder, amounts: DocumentAmounts) -> list[str]:
    found: list[str] = []
    for position, (line, figures) in enumerate(zip(order.lines, amounts.lines, strict=True)):
        for charged in figures.taxes:
            if charged.computed != charged.tax.amount:
                found.append(
                    f"lines[{position}] ({line.item_code}) tax {charged.tax.title!r}: {charged.tax.rate} of "
                    f"{figures.net} is {charged.computed}, Shopify charged {charged.tax.amount}"
                )
        exact = line.unit_price * line.quantity - _included(line.taxes, order.taxes_included)
        if figures.gross != exact:
            found.append(
                f"lines[{position}] ({line.item_code}): unit price {figures.unit_price} cannot express {exact}"
            )
        if figures.net < 0:
            found.append(f"lines[{position}] ({line.item_code}): discounts exceed the line's amount")
    for position, shipping in enumerate(amounts.shipping):
        for charged in shipping.taxes:
            if charged.computed != charged.tax.amount:
                found.append(
                    f"shipping_lines[{position}] tax {charged.tax.title!r}: {charged.tax.rate} of {shipping.net} "
                    f"is {charged.computed}, Shopify charged {charged.tax.amount}"
                )
    return found or [
        "a charge Shopify totals that the order does not itemise (an unallocated discount, or a tip, duty or fee "
        "the payload does not report)"
    ]


def credit_line_taxes(line: CreditLine) -> tuple[ChargedTax, ...]:
    """A refunded line's taxes as the ERP computes them: each rate on the line's refunded subtotal."""
    return _charged(line.taxes, line.amount - line.tax)


def _credit_tax(line: CreditLine) -> Decimal:
    return sum((t.computed for t in credit_line_taxes(line)), _ZERO)


def credit_total(credit: CreditNote) -> Decimal:
    """What the ERP's credit comes to from what it is sent: each refunded line's subtotal and its
    recomputed taxes, the refunded shipping and the other adjustments."""
    lines = sum((line.amount - line.tax + _credit_tax(line) for line in credit.lines), _ZERO)
    return lines + credit.shipping + credit.adjustment


def check_credit(credit: CreditNote, reproduced: Decimal | None = None, where: str = "the ERP's") -> None:
    """A credit whose total is not Shopify's refund amount to the cent is a data error naming both."""
    total = money(credit_total(credit) if reproduced is None else reproduced)
    if total == credit.amount:
        return
    causes = [
        f"lines[{n}] ({line.item_code}): its tax rates make {_credit_tax(line)}, Shopify refunded {line.tax} of tax"
        for n, line in enumerate(credit.lines)
        if _credit_tax(line) != line.tax
    ]
    raise DataError(
        f"refund {credit.external_ref}: {where} credit total {total} {credit.currency} differs from Shopify's "
        f"refund amount {credit.amount} {credit.currency} by {total - credit.amount}",
        codes=("TOTAL_MISMATCH",),
        body={"expected": str(credit.amount), "reproduced": str(total), "currency": credit.currency, "causes": causes},
        system="mapping",
    )
