"""Oracle Order Management bodies for ``salesOrdersForOrderHub``, and the document read back: pure
mapping from our records to the resource's JSON and back.

An order is addressed by its ``OrderKey`` ``<SourceTransactionSystem>:<SourceTransactionId>``, our
external reference, so a retry reads before it creates. A refund becomes a return order (RMA) in the
same resource: lines of category ``RETURN`` that reference the original order's source lines, keyed
by the refund's own external reference.

The buying party is the order's customer when the customer sync has given it one
(``SalesOrder.customer.erp_party``, the party number of its person or organization), else the
configured ``buying_party_number``; the customer's party is then the ship-to party too. A return
order is bought by the party of the order it returns.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from erp_shopify.config import OracleConfig
from erp_shopify.records import CreditNote, ErpDocument, SalesOrder

RESOURCE = "salesOrdersForOrderHub"
FIELDS = "OrderNumber,HeaderId,SourceTransactionSystem,SourceTransactionId,StatusCode"
REFERENCE_FIELDS = ("SourceTransactionSystem", "SourceTransactionId")


def order_key(config: OracleConfig, external_ref: str) -> str:
    """The path segment of an order: ``SYSTEM:ref``, percent-encoded but for the colon."""
    return quote(f"{config.source_system}:{external_ref}", safe=":")


def document(order: dict[str, Any]) -> ErpDocument:
    """Oracle's ``OrderNumber`` for our ``SourceTransactionId``, and the status code in words."""
    return ErpDocument(
        number=str(order.get("OrderNumber") or order["HeaderId"]),
        external_ref=order["SourceTransactionId"],
        status=str(order.get("StatusCode") or "").lower().replace("_", " "),
    )


def _header(config: OracleConfig, ref: str, currency: str, ordered_on: str, party: str | None) -> dict[str, Any]:
    return {
        "SourceTransactionSystem": config.source_system,
        "SourceTransactionId": ref,
        "SourceTransactionNumber": ref,
        "BusinessUnitName": config.business_unit,
        "BuyingPartyNumber": party or config.buying_party_number,
        "TransactionalCurrencyCode": currency,
        "TransactionOn": ordered_on,
        "RequestingBusinessUnitName": config.business_unit,
        "FreezePriceFlag": True,
        "SubmittedFlag": True,
    }


def sales_order_body(order: SalesOrder, config: OracleConfig) -> dict[str, Any]:
    """A sales order with one line per order line, priced as Shopify sold it (price frozen)."""
    ship, party = order.ship_to, order.customer.erp_party
    body = _header(config, order.external_ref, order.currency, order.ordered_at.isoformat(), party)
    body["CustomerPONumber"] = order.external_ref
    body["Comments"] = order.note[:1000] or None
    ship_to = {
        "PartyName": ship.name or order.customer.name,
        "AddressLine1": ship.address1,
        "City": ship.city,
        "PostalCode": ship.zip,
        "Country": ship.country_code,
    }
    body["shipToCustomer"] = [{**ship_to, "PartyNumber": party} if party else ship_to]
    body["lines"] = [
        {
            "SourceTransactionLineId": str(n),
            "SourceTransactionLineNumber": str(n),
            "SourceTransactionScheduleId": str(n),
            "SourceScheduleNumber": str(n),
            "TransactionCategoryCode": "ORDER",
            "ProductNumber": line.item_code,
            "OrderedQuantity": float(line.quantity),
            "OrderedUOMCode": config.uom,
            "UnitListPrice": float(line.unit_price),
            "UnitSellingPrice": float(
                (line.quantity * line.unit_price - line.discount - line.order_discount) / line.quantity
            ),
        }
        for n, line in enumerate(order.lines, start=1)
    ]
    return {k: v for k, v in body.items() if v is not None}


def return_order_body(credit: CreditNote, original: dict[str, Any], config: OracleConfig) -> dict[str, Any]:
    """A return order (RMA) whose lines reference the refunded order's lines by product."""
    source_lines = {line["ProductNumber"]: line for line in original.get("lines", [])}
    body = _header(config, credit.external_ref, credit.currency, "", original.get("BuyingPartyNumber"))
    del body["TransactionOn"]
    body["Comments"] = credit.reason[:1000] or None
    body["lines"] = [
        {
            "SourceTransactionLineId": str(n),
            "SourceTransactionLineNumber": str(n),
            "SourceTransactionScheduleId": str(n),
            "SourceScheduleNumber": str(n),
            "TransactionCategoryCode": "RETURN",
            "ProductNumber": line.item_code,
            "OrderedQuantity": float(line.quantity),
            "OrderedUOMCode": config.uom,
            "ReturnReasonCode": config.return_reason,
            "UnitSellingPrice": float(line.amount / line.quantity) if line.quantity else float(line.amount),
            "ReferenceSourceTransactionSystem": config.source_system,
            "ReferenceSourceTransactionId": credit.order_ref,
            "ReferenceSourceTransactionLineId": str(
                source_lines.get(line.item_code, {}).get("SourceTransactionLineId", "")
            ),
        }
        for n, line in enumerate(credit.lines, start=1)
    ]
    return {k: v for k, v in body.items() if v is not None}


def cancel_body(config: OracleConfig, external_ref: str) -> dict[str, Any]:
    """The revision that cancels a whole order (unconfirmed shape: see docs/erp.md)."""
    return {
        "SourceTransactionSystem": config.source_system,
        "SourceTransactionId": external_ref,
        "CancelReasonCode": config.cancel_reason,
        "RequestCancelFlag": True,
        "SubmittedFlag": True,
    }
