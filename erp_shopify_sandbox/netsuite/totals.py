"""How NetSuite totals a sales order from what it is sent: item lines at their ``amount`` (else
rate x quantity), a discount item line discounting the line above it, the header discount
(``discountItem`` with ``discountRate``: an amount, or a percentage of the subtotal), the
``shippingCost``, the ``handlingCost`` the account's shipping item adds on its own, and the tax:
with ``taxDetailsOverride`` each tax detail's ``taxBasis`` times its ``taxRate`` (percent), rounded
to the cent. ``taxAmount`` sent beside them is recomputed, not trusted."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


class TotalsError(ValueError):
    def __init__(self, detail: str, path: str) -> None:
        super().__init__(detail)
        self.detail, self.path = detail, path


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _number(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def order_totals(
    header: dict[str, Any], lines: list[dict[str, Any]], discount_items: set[int], handling: Decimal = Decimal(0)
) -> dict[str, float]:
    """``subtotal``, ``discountTotal``, ``shippingCost``, ``handlingCost``, ``taxTotal`` and
    ``total`` as NetSuite shows them on the record."""
    subtotal = Decimal(0)
    for n, line in enumerate(lines):
        if "amount" in line:
            amount = _number(line["amount"])
        else:
            amount = _number(line.get("rate")) * Decimal(str(line["quantity"]))
        if line["item"] in discount_items and n == 0:
            raise TotalsError("A discount item cannot be the first line", f"item.items[{n}].item")
        subtotal += _cents(amount)
    discount = Decimal(0)
    if header.get("discountItem"):
        if int((header["discountItem"] or {}).get("id", 0)) not in discount_items:
            raise TotalsError("Invalid Field Value for the following field: discountItem", "discountItem")
        rate = str(header.get("discountRate") or "0")
        discount = _cents(subtotal * Decimal(rate[:-1]) / 100) if rate.endswith("%") else _cents(Decimal(rate))
    shipping = _cents(_number(header.get("shippingCost")))
    tax = Decimal(0)
    if header.get("taxDetailsOverride"):
        for n, detail in enumerate((header.get("taxDetails") or {}).get("items") or []):
            if not detail.get("taxDetailsReference"):
                raise TotalsError("Please enter value(s) for: Tax Details Reference", f"taxDetails.items[{n}]")
            tax += _cents(_number(detail.get("taxBasis")) * _number(detail.get("taxRate")) / 100)
    total = subtotal + discount + shipping + handling + tax
    return {
        "handlingCost": float(handling),
        "subtotal": float(subtotal),
        "discountTotal": float(discount),
        "shippingCost": float(shipping),
        "taxTotal": float(tax),
        "total": float(total),
    }
