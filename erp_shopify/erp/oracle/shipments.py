"""Oracle Shipping's ship-confirmed shipments as ``Shipment`` records.

``shipments`` in status Confirmed, In Transit or Closed (``ShipmentStatusCode`` ``CO``, ``IT``,
``CL``: the goods have left) by ``LastUpdateDate``, with their ``shipmentLines`` (item, shipped
quantity, subinventory, and the Order Management order number ``Order``). Shipping knows Order
Management's ``OrderNumber``, not our reference: the page's orders are read back from
``salesOrdersForOrderHub`` once per page for their ``SourceTransactionId``, and an order of another
source system gets no reference. The waybill is the tracking number, the carrier its company.
A shipment that carries several sales orders becomes one shipment per order (``<shipment>:<order>``).
Changes use the shared overlap cursor (``erp/shipment_cursor.py``): a new waybill hands the
shipment out again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

from erp_shopify.erp.oracle import orders
from erp_shopify.erp.oracle.rest import (
    IN_LIST_CHUNK,
    SYSTEM,
    FusionRest,
    all_of,
    changed_since,
    children,
    instant,
    one_of,
)
from erp_shopify.erp.shipment_cursor import ShipmentCursor, digest
from erp_shopify.records import Shipment, ShipmentLine, ShipmentPage

RESOURCE = "shipments"
STAMP = "LastUpdateDate"
SHIPPED = ("CO", "IT", "CL")  # confirmed, in transit, closed
FIELDS = ("Shipment", "OrganizationCode", "ShipmentStatusCode", "ActualShipDate", "CarrierName", "WaybillNumber", STAMP)
LINES = "shipmentLines"
LINE_FIELDS = ("ShipmentLine", "Order", "Item", "ShippedQuantity", "Subinventory")


def read_shipments(
    rest: FusionRest, cursor: str | None, *, source_system: str, overlap: timedelta, page_size: int
) -> Iterator[ShipmentPage]:
    state = ShipmentCursor.decode(cursor, overlap, system=SYSTEM)
    q = all_of(one_of("ShipmentStatusCode", SHIPPED), changed_since(STAMP, state.window_start()))
    query = {"fields": FIELDS, "child_fields": {LINES: LINE_FIELDS}, "order_by": (STAMP, "Shipment")}
    for rows in rest.pages(RESOURCE, limit=page_size, q=q, **query):
        fresh = []
        for row in rows:
            lines = children(row, LINES)
            content = [row.get("WaybillNumber"), row.get("CarrierName"), [_line_key(line) for line in lines]]
            if state.observe(str(row["Shipment"]), instant(row[STAMP]), digest(content)):
                fresh.append((row, lines))
        references = _references(rest, {str(line["Order"]) for _, lines in fresh for line in lines}, source_system)
        shipments = [s for row, lines in fresh for s in _shipments(row, lines, references)]
        yield ShipmentPage(shipments=shipments, cursor=state.encode())


def _line_key(line: dict[str, Any]) -> tuple[Any, ...]:
    return (line.get("ShipmentLine"), line.get("Item"), line.get("ShippedQuantity"), line.get("Subinventory"))


def _references(rest: FusionRest, numbers: set[str], source_system: str) -> dict[str, str]:
    """Order Management order number -> our external reference (orders of our source system only)."""
    found: dict[str, str] = {}
    wanted = sorted(numbers)
    for start in range(0, len(wanted), IN_LIST_CHUNK):
        q = one_of("OrderNumber", wanted[start : start + IN_LIST_CHUNK])
        for page in rest.pages(orders.RESOURCE, q=q, fields=("OrderNumber", *orders.REFERENCE_FIELDS)):
            for order in page:
                if order.get("SourceTransactionSystem") == source_system:
                    found[str(order["OrderNumber"])] = str(order["SourceTransactionId"])
    return found


def _shipments(row: dict[str, Any], lines: list[dict[str, Any]], references: dict[str, str]) -> list[Shipment]:
    by_order: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_order.setdefault(str(line["Order"]), []).append(line)
    waybill = row.get("WaybillNumber")
    name = str(row["Shipment"])
    return [
        Shipment(
            document=name if len(by_order) == 1 else f"{name}:{order}",
            order_ref=references.get(order, ""),
            shipped_at=instant(row.get("ActualShipDate") or row[STAMP]),
            changed_at=instant(row[STAMP]),
            lines=[
                ShipmentLine(
                    item_code=str(line["Item"]),
                    quantity=Decimal(str(line["ShippedQuantity"])),
                    location=f"{row['OrganizationCode']}/{line['Subinventory']}",
                )
                for line in order_lines
                if Decimal(str(line.get("ShippedQuantity") or 0)) > 0
            ],
            tracking_numbers=[str(waybill)] if waybill else [],
            tracking_company=str(row.get("CarrierName") or ""),
        )
        for order, order_lines in by_order.items()
    ]
