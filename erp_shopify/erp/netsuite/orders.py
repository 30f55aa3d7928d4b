"""NetSuite sales order and credit memo bodies, and the document read back: pure mapping from our
records to the record API's JSON (``salesOrder``, ``creditMemo``) and back."""

from __future__ import annotations

from typing import Any

from erp_shopify.config import NetSuiteConfig
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


def sales_order_body(order: SalesOrder, item_ids: dict[str, str], config: NetSuiteConfig) -> dict[str, Any]:
    """A ``salesOrder`` for ``order``; ``item_ids`` maps each item code to NetSuite's internal id."""
    address = order.ship_to
    return {
        "externalId": order.external_ref,
        "entity": {"id": order.customer.erp_party or config.customer},
        "subsidiary": {"id": config.subsidiary},
        "currency": {"refName": order.currency},
        "tranDate": order.ordered_at.date().isoformat(),
        "otherRefNum": order.external_ref,
        "memo": order.note[:999],
        "email": order.customer.email,
        "shippingCost": float(order.shipping),
        "discountRate": -float(order.order_discount) if order.order_discount else None,
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
        "item": {
            "items": [
                {
                    "item": {"id": item_ids[line.item_code]},
                    "quantity": float(line.quantity),
                    "rate": float(line.unit_price),
                    "amount": float(line.quantity * line.unit_price - line.discount),
                    "description": line.description,
                }
                for line in order.lines
            ]
        },
    }


def credit_memo_body(
    credit: CreditNote, order: dict[str, Any], item_ids: dict[str, str], config: NetSuiteConfig
) -> dict[str, Any]:
    """A ``creditMemo`` created from the refunded ``order`` record."""
    return {
        "externalId": credit.external_ref,
        "entity": order.get("entity") or {"id": config.customer},
        "createdFrom": {"id": order["id"]},
        "currency": {"refName": credit.currency},
        "memo": credit.reason[:999],
        "item": {
            "items": [
                {
                    "item": {"id": item_ids[line.item_code]},
                    "quantity": float(line.quantity),
                    "amount": float(line.amount),
                }
                for line in credit.lines
            ]
        },
    }
