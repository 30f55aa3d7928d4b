"""How the sandbox's Order Management prices an imported order with frozen pricing: from each line's
``charges`` and their ``chargeComponents`` (the price waterfall), as it stores them, into the
header's ``totals``.

Per charge, the list price component is extended by the sandbox itself (unit price times the
charge's priced quantity, rounded half up to the cent); price adjustments and taxes count with the
extended amounts sent; the net price component must equal list price plus adjustments, else the
order is refused. A line without charges is worth its ``UnitSellingPrice`` times its quantity.
The primary total (``PrimaryFlag``) is what the customer pays: net prices of every charge plus taxes.
A return line (``TransactionCategoryCode: RETURN``) is totalled the same way and counts negative:
a return order's totals are what the customer is credited, as negative amounts.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
USAGES = ("LIST_PRICE", "PRICE_ADJUSTMENT", "NET_PRICE", "TAX")
TOTALS = {  # TotalCode -> display name
    "QP_TOTAL_LIST_PRICE": "Total List Price",
    "QP_TOTAL_DISCOUNT": "Total Discount",
    "QP_TOTAL_SHIP_CHARGE": "Total Shipping Charges",
    "QP_TOTAL_TAX": "Total Tax",
    "QP_TOTAL_PAY_NOW": "Total",
}
PRIMARY = "QP_TOTAL_PAY_NOW"


class PricingError(ValueError):
    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail)
        self.code = code


def _decimal(value: Any, what: str) -> Decimal:
    try:
        return Decimal(str(value if value is not None else 0))
    except InvalidOperation:
        raise PricingError(f"The value {value!r} of {what} isn't a number.", "DOO-INVALID-AMOUNT") from None


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _charge(charge: dict[str, Any], currency: str, where: str) -> dict[str, Decimal]:
    """The list, adjustment, net and tax amounts of one charge's waterfall."""
    if charge.get("ChargeCurrencyCode", currency) != currency:
        raise PricingError(
            f"{where}: the charge currency {charge.get('ChargeCurrencyCode')} isn't the order currency {currency}.",
            "DOO-CHARGE-CURRENCY",
        )
    quantity = _decimal(charge.get("PricedQuantity"), f"{where} PricedQuantity")
    sums = dict.fromkeys(USAGES, Decimal(0))
    for component in charge.get("chargeComponents") or []:
        usage = component.get("PriceElementUsageCode")
        if usage not in USAGES:
            raise PricingError(f"{where}: the price element usage {usage!r} isn't valid.", "DOO-INVALID-PRICE-ELEMENT")
        if usage == "LIST_PRICE":
            unit = _decimal(component.get("ChargeCurrencyUnitPrice"), f"{where} ChargeCurrencyUnitPrice")
            sums[usage] += _money(unit * quantity)
        else:
            sums[usage] += _decimal(
                component.get("ChargeCurrencyExtendedAmount"), f"{where} ChargeCurrencyExtendedAmount"
            )
    if sums["NET_PRICE"] != sums["LIST_PRICE"] + sums["PRICE_ADJUSTMENT"]:
        raise PricingError(
            f"{where}: the net price {sums['NET_PRICE']} isn't the list price {sums['LIST_PRICE']} "
            f"plus adjustments {sums['PRICE_ADJUSTMENT']}.",
            "DOO-PRICE-WATERFALL",
        )
    return sums


def price_lines(
    lines: list[dict[str, Any]], currency: str, unit_of: Callable[[str], str | None], surcharge: Decimal = Decimal(0)
) -> list[dict[str, Any]]:
    """The header's totals for these lines (refusing a line in another unit than its item's).
    ``surcharge``: a freight charge the pod's own shipping charge rules add to every order."""
    figures = dict.fromkeys(TOTALS, Decimal(0))
    figures["QP_TOTAL_SHIP_CHARGE"] = figures[PRIMARY] = surcharge
    for n, line in enumerate(lines, start=1):
        item, unit = str(line.get("ProductNumber")), line.get("OrderedUOM")
        primary = unit_of(item)
        if unit and primary and unit != primary:
            raise PricingError(
                f"lines[{n}]: the unit of measure {unit} isn't valid for item {item} (its primary unit is {primary}).",
                "DOO-INVALID-UOM",
            )
        sign = -1 if line.get("TransactionCategoryCode") == "RETURN" else 1
        charges = line.get("charges") or []
        if not charges:
            quantity = _decimal(line.get("OrderedQuantity"), f"lines[{n}] OrderedQuantity")
            net = _money(_decimal(line.get("UnitSellingPrice"), f"lines[{n}] UnitSellingPrice") * quantity)
            figures["QP_TOTAL_LIST_PRICE"] += sign * net
            figures[PRIMARY] += sign * net
        for c, charge in enumerate(charges, start=1):
            sums = {
                usage: sign * amount for usage, amount in _charge(charge, currency, f"lines[{n}].charges[{c}]").items()
            }
            shipping = charge.get("ApplyTo") == "SHIPPING"
            figures["QP_TOTAL_SHIP_CHARGE" if shipping else "QP_TOTAL_LIST_PRICE"] += (
                sums["NET_PRICE"] if shipping else sums["LIST_PRICE"]
            )
            if not shipping:
                figures["QP_TOTAL_DISCOUNT"] += sums["PRICE_ADJUSTMENT"]
            figures["QP_TOTAL_TAX"] += sums["TAX"]
            figures[PRIMARY] += sums["NET_PRICE"] + sums["TAX"]
    return [
        {
            "TotalCode": code,
            "DisplayName": name,
            "TotalAmount": float(figures[code]),
            "CurrencyCode": currency,
            "PrimaryFlag": code == PRIMARY,
            "EstimatedFlag": False,
        }
        for code, name in TOTALS.items()
    ]
