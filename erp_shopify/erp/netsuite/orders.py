"""NetSuite sales order and credit memo bodies, and the document read back: pure mapping from our
records to the record API's JSON (``salesOrder``, ``creditMemo``) and back."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from erp_shopify.config import NetSuiteConfig
from erp_shopify.erp.netsuite.rest import SYSTEM
from erp_shopify.errors import DataError
from erp_shopify.mapping.order_totals import ChargedTax, DocumentAmounts, credit_line_taxes
from erp_shopify.records import CreditNote, ErpDocument, SalesOrder

_ORDER_STATUS = {"A": "pending approval", "B": "pending fulfillment", "C": "cancelled", "H": "closed"}
CANCELLED = "C"


def document(record: dict[str, Any]) -> ErpDocument:
    """What NetSuite holds: its ``tranId`` for our external id, and the order status in words."""
    status = record.get("orderStatus") or record.get("status") or {}
    code = status.get("id", "") if isinstance(status, dict) else str(status)
    return ErpDocument(
        number=str(record.get("tranId") or record["id"]),
        external_ref=record["externalId"],
        status=_ORDER_STATUS.get(code, str(code).lower()),
    )


@dataclass(frozen=True)
class ItemRefs:
    """NetSuite's internal ids for the order's items, their sale units, and the discount item."""

    ids: dict[str, str]
    units: dict[str, str]
    discount: str | None = None


def _money(amount: Decimal) -> float:
    return float(amount)


def _tax_details(reference: str, taxes: tuple[ChargedTax, ...], base: Decimal, config: NetSuiteConfig) -> list[dict]:
    """SuiteTax tax details of one line: basis, rate in percent and the amount they make."""
    details = []
    for charged in taxes:
        detail: dict[str, Any] = {
            "taxDetailsReference": reference,
            "taxBasis": _money(base),
            "taxRate": float(charged.percent),
            "taxAmount": _money(charged.computed),
        }
        if code := config.tax_codes.get(charged.tax.title):
            detail["taxCode"] = {"id": code}
        details.append(detail)
    return details


def _item_lines(order: SalesOrder, amounts: DocumentAmounts, refs: ItemRefs, config: NetSuiteConfig) -> tuple:
    lines: list[dict[str, Any]] = []
    details: list[dict[str, Any]] = []
    for n, (line, figures) in enumerate(zip(order.lines, amounts.lines, strict=True), start=1):
        amount = figures.gross if refs.discount else figures.net  # without a discount item: the net
        row: dict[str, Any] = {
            "item": {"id": refs.ids[line.item_code]},
            "quantity": float(line.quantity),
            "rate": float(figures.unit_price),
            "amount": _money(amount),
            "description": line.description,
            "taxDetailsReference": f"L{n}",
        }
        if unit := refs.units.get(line.item_code):
            row["units"] = {"id": unit}
        lines.append(row)
        if refs.discount and figures.discount:  # a discount item discounts the line above it
            lines.append(
                {"item": {"id": refs.discount}, "rate": _money(-figures.discount), "amount": _money(-figures.discount)}
            )
        details += _tax_details(f"L{n}", figures.taxes, figures.net, config)
    for shipping in amounts.shipping:
        details += _tax_details("SHIPPING", shipping.taxes, shipping.net, config)
    for charge in amounts.extras:  # untaxed: no tax details reference, so SuiteTax adds no tax to it
        item = refs.ids[config.charge_items[charge.kind]]
        price = _money(charge.amount)
        row = {"item": {"id": item}, "quantity": 1.0, "rate": price, "amount": price, "description": charge.title}
        lines.append(row)
    return lines, details


def charge_item_codes(order: SalesOrder, config: NetSuiteConfig) -> list[str]:
    """The itemids of the items carrying the order's tip, duties and fees (``charge_items``)."""
    unconfigured = sorted({c.kind for c in order.charges if not config.charge_items.get(c.kind)})
    if unconfigured:
        raise DataError(
            f"{order.external_ref}: erp.charge_items names no NetSuite item for {', '.join(unconfigured)}",
            codes=("UNCONFIGURED_CHARGE",),
            body={"unconfigured": unconfigured},
            system=SYSTEM,
        )
    return [config.charge_items[c.kind] for c in order.charges]


def sales_order_body(
    order: SalesOrder, amounts: DocumentAmounts, refs: ItemRefs, config: NetSuiteConfig
) -> dict[str, Any]:
    """A ``salesOrder`` for ``order``: items at their tax-excluded rate, discounts as discount item
    lines and the header discount (or folded into the amounts), shipping as ``shippingCost``, and
    Shopify's taxes as SuiteTax tax details (``taxDetailsOverride``) per line and for shipping."""
    address = order.ship_to
    lines, details = _item_lines(order, amounts, refs, config)
    body: dict[str, Any] = {
        "externalId": order.external_ref,
        "entity": {"id": order.customer.erp_party or config.customer},
        "subsidiary": {"id": config.subsidiary},
        "currency": {"refName": order.currency},
        "tranDate": order.ordered_at.date().isoformat(),
        "otherRefNum": order.external_ref,
        "memo": order.note[:999],
        "email": order.customer.email,
        "shippingCost": _money(sum((s.net for s in amounts.shipping), Decimal(0))),
        "shippingAddress": {
            "addressee": address.name,
            "attention": address.company,
            "addr1": address.address1,
            "addr2": address.address2,
            "city": address.city,
            "zip": address.zip,
            "state": address.province_code,
            "country": address.country_code,
            "addrPhone": address.phone,
        },
        "item": {"items": lines},
    }
    order_discount = sum((figures.order_discount for figures in amounts.lines), Decimal(0))
    if refs.discount and order_discount:
        body |= {"discountItem": {"id": refs.discount}, "discountRate": _money(-order_discount)}
    if details:
        body |= {"taxDetailsOverride": True, "taxDetails": {"items": details}}
    return body


def credit_memo_body(
    credit: CreditNote, order: dict[str, Any], item_ids: dict[str, str], config: NetSuiteConfig
) -> dict[str, Any]:
    """A ``creditMemo`` created from the refunded ``order`` record: each refunded line at its
    subtotal with its rates as SuiteTax tax details, the refunded shipping as ``shippingCost``
    (its tax included), other adjustments as a line of the ``adjustment`` charge item."""
    lines: list[dict[str, Any]] = []
    details: list[dict[str, Any]] = []
    for n, line in enumerate(credit.lines, start=1):
        net = line.amount - line.tax
        lines.append(
            {
                "item": {"id": item_ids[line.item_code]},
                "quantity": float(line.quantity),
                "amount": _money(net),
                "taxDetailsReference": f"L{n}",
            }
        )
        details += _tax_details(f"L{n}", credit_line_taxes(line), net, config)
    if credit.adjustment:
        adjustment = _money(credit.adjustment)
        item = {"id": item_ids[config.charge_items["adjustment"]]}
        lines.append({"item": item, "quantity": 1.0, "rate": adjustment, "amount": adjustment})
    body: dict[str, Any] = {
        "externalId": credit.external_ref,
        "entity": order.get("entity") or {"id": config.customer},
        "createdFrom": {"id": order["id"]},
        "currency": {"refName": credit.currency},
        "memo": credit.reason[:999],
        "item": {"items": lines},
    }
    if credit.shipping:
        body["shippingCost"] = _money(credit.shipping)
    if details:
        body |= {"taxDetailsOverride": True, "taxDetails": {"items": details}}
    return body


def credit_item_codes(credit: CreditNote, config: NetSuiteConfig) -> list[str]:
    """The itemids a credit memo names: its refunded items, and the adjustment charge item."""
    codes = [line.item_code for line in credit.lines]
    if not credit.adjustment:
        return codes
    if not config.charge_items.get("adjustment"):
        raise DataError(
            f"refund {credit.external_ref}: an adjustment of {credit.adjustment} {credit.currency} and "
            "erp.charge_items names no NetSuite item for adjustment",
            codes=("UNCONFIGURED_CHARGE",),
            body={"unconfigured": ["adjustment"]},
            system=SYSTEM,
        )
    return [*codes, config.charge_items["adjustment"]]
