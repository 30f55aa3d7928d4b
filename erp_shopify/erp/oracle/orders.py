"""Oracle Order Management bodies for ``salesOrdersForOrderHub``, and the document read back: pure
mapping from our records to the resource's JSON and back.

An order is addressed by its ``OrderKey`` ``<SourceTransactionSystem>:<SourceTransactionId>``, our
external reference, so a retry reads before it creates. A refund becomes a return order (RMA) in the
same resource: lines of category ``RETURN`` that reference the original order's source lines, keyed
by the refund's own external reference, priced with the refunded amounts as charges.

The buying party is the order's customer when the customer sync has given it one
(``SalesOrder.customer.erp_party``, the party number of its person or organization), else the
configured ``buying_party_number``; the customer's party is then the ship-to party too. A return
order is bought by the party of the order it returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from erp_shopify.config import OracleConfig
from erp_shopify.erp.oracle.charges import (
    SHIPPING_CHARGE,
    flat_charge,
    line_charges,
    other_charges,
    returned_line_charges,
    shipping_charges,
)
from erp_shopify.errors import DataError
from erp_shopify.mapping.order_totals import DocumentAmounts, LineAmounts
from erp_shopify.records import CreditNote, ErpDocument, SalesOrder, SalesOrderLine

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


def _priced_line(n: int, line: SalesOrderLine, figures: LineAmounts, unit: str, currency: str) -> dict[str, Any]:
    """An order line in the item's unit, its selling price net of discounts and tax, and its charges."""
    row: dict[str, Any] = {
        "SourceTransactionLineId": str(n),
        "SourceTransactionLineNumber": str(n),
        "SourceTransactionScheduleId": str(n),
        "SourceScheduleNumber": str(n),
        "TransactionCategoryCode": "ORDER",
        "ProductNumber": line.item_code,
        "OrderedQuantity": float(line.quantity),
        "UnitListPrice": float(figures.unit_price),
        "UnitSellingPrice": float(figures.net / line.quantity),
        "charges": line_charges(n, figures, line.quantity, unit, currency),
    }
    return row | ({"OrderedUOM": unit} if unit else {})


def sales_order_body(
    order: SalesOrder, amounts: DocumentAmounts, units: Mapping[str, str], config: OracleConfig
) -> dict[str, Any]:
    """A sales order with one line per order line in its item's primary unit (``units``: item ->
    ``PrimaryUOMValue``), priced as Shopify sold it (price and tax frozen): ``amounts`` are the
    figures ``check_total`` proved to reproduce Shopify's total, sent as each line's charges."""
    ship, party = order.ship_to, order.customer.erp_party
    body = _header(config, order.external_ref, order.currency, order.ordered_at.isoformat(), party)
    body["CustomerPONumber"] = order.external_ref
    # Oracle's order import keeps imported shipping charges frozen and, for imported tax
    # components, asks for FreezeTaxFlag false (docs/erp.md)
    body |= {"FreezeShippingChargeFlag": True, "FreezeTaxFlag": False}
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
        _priced_line(n, line, figures, line.unit or units.get(line.item_code, ""), order.currency)
        for n, (line, figures) in enumerate(zip(order.lines, amounts.lines, strict=True), start=1)
    ]
    # Order Management keeps charges on lines: the first line carries shipping, tips, duties and fees
    first = body["lines"][0]["charges"]
    first += shipping_charges(amounts.shipping, order.currency)
    first += other_charges(amounts.extras, config.charge_definitions, order.currency)
    _sequence(first)
    return {k: v for k, v in body.items() if v is not None}


def _sequence(charges: list[dict[str, Any]]) -> None:
    for n, charge in enumerate(charges, start=1):
        charge["SequenceNumber"] = n


def unconfigured(kinds: Sequence[str], config: OracleConfig, what: str) -> DataError | None:
    """The data error for charges whose kind names no charge definition in ``charge_definitions``."""
    missing = sorted({kind for kind in kinds if not config.charge_definitions.get(kind)})
    if not missing:
        return None
    return DataError(
        f"{what} and erp.charge_definitions names no Oracle charge definition for {', '.join(missing)}",
        codes=("UNCONFIGURED_CHARGE",),
        body={"missing": missing},
        system="mapping",
    )


def _returned_unit(sold: dict[str, Any], config: OracleConfig) -> dict[str, Any]:
    """A return is in the unit the line was sold in; a sold line that names none: the configured code."""
    return {"OrderedUOM": sold["OrderedUOM"]} if sold.get("OrderedUOM") else {"OrderedUOMCode": config.uom}


def _list_price(sold: dict[str, Any]) -> Decimal | None:
    price = sold.get("UnitListPrice")
    return None if price is None else Decimal(str(price))


def return_order_body(credit: CreditNote, original: dict[str, Any], config: OracleConfig) -> dict[str, Any]:
    """A return order (RMA) whose lines reference the refunded order's lines by product, each
    carrying its refunded subtotal and taxes as charges; the first carries the refunded shipping
    (its tax included) and the refund's adjustment. Lines of no returned quantity are not sent."""
    source_lines = {line["ProductNumber"]: line for line in original.get("lines", [])}
    body = _header(config, credit.external_ref, credit.currency, "", original.get("BuyingPartyNumber"))
    del body["TransactionOn"]
    body["Comments"] = credit.reason[:1000] or None
    body["lines"] = []
    for n, line in enumerate((line for line in credit.lines if line.quantity > 0), start=1):
        sold = source_lines.get(line.item_code, {})
        unit = _returned_unit(sold, config)
        body["lines"].append(
            {
                "SourceTransactionLineId": str(n),
                "SourceTransactionLineNumber": str(n),
                "SourceTransactionScheduleId": str(n),
                "SourceScheduleNumber": str(n),
                "TransactionCategoryCode": "RETURN",
                "ProductNumber": line.item_code,
                "OrderedQuantity": float(line.quantity),
                **unit,
                "ReturnReasonCode": config.return_reason,
                "UnitSellingPrice": float((line.amount - line.tax) / line.quantity),
                "ReferenceSourceTransactionSystem": config.source_system,
                "ReferenceSourceTransactionId": credit.order_ref,
                "ReferenceSourceTransactionLineId": str(sold.get("SourceTransactionLineId", "")),
                "charges": returned_line_charges(
                    n, line, _list_price(sold), unit.get("OrderedUOM", ""), credit.currency
                ),
            }
        )
    if body["lines"]:
        first = body["lines"][0]["charges"]
        if credit.shipping:
            first.append(flat_charge("RS1", SHIPPING_CHARGE, "SHIPPING", credit.shipping, credit.currency))
        if credit.adjustment:
            definition = config.charge_definitions["adjustment"]
            first.append(flat_charge("RA1", definition, "PRICE", credit.adjustment, credit.currency))
        _sequence(first)
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
