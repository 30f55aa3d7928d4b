"""Shipped outbound deliveries (``API_OUTBOUND_DELIVERY_SRV``) as ``Shipment`` records.

A delivery is shipped when its goods issue is posted: the header's ``OverallGoodsMovementStatus``
is ``C``. The header's ``LastChangeDate`` is a date with no time of day, so the cursor is a day:
each read starts ``overlap_days`` before the latest change date seen and drops every delivery the
cursor remembers with the same content (a digest of its bill of lading and items), so a delivery
changed since (a tracking number entered after the goods issue) comes again and an unchanged one
does not. The items' ``ReferenceSDDocument`` is the sales order; its ``PurchaseOrderByCustomer`` is
our external reference, read from ``API_SALES_ORDER_SRV`` once per page.

Tracking: SAP has no tracking-number field on the delivery header; the bill of lading is the
document number the carrier issues and where shipping integrations put it, so it is the default
(``SapConfig.tracking_field`` names another header property, e.g. ``MeansOfTransport``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from erp_shopify.erp.sap.odata import SYSTEM, ODataClient, datetime_literal, parse_date, parse_time, results
from erp_shopify.erp.shipment_cursor import ShipmentCursor, digest
from erp_shopify.errors import DataError
from erp_shopify.records import Shipment, ShipmentLine, ShipmentPage

OUTBOUND_DELIVERIES = "API_OUTBOUND_DELIVERY_SRV"
SALES_ORDERS = "API_SALES_ORDER_SRV"
GOODS_ISSUED = "C"  # OverallGoodsMovementStatus / GoodsMovementStatus: completely processed
_ITEM_FIELDS = (
    "DeliveryDocumentItem",
    "Material",
    "Plant",
    "StorageLocation",
    "ActualDeliveryQuantity",
    "GoodsMovementStatus",
    "ReferenceSDDocument",
)
_ORDERS_PER_QUERY = 40  # "SalesOrder eq '...' or ..." stays well inside a URL


def read_shipments(
    odata: ODataClient, cursor: str | None, *, overlap_days: int, tracking_field: str, page_size: int
) -> Iterator[ShipmentPage]:
    state = ShipmentCursor.decode(cursor, timedelta(days=overlap_days), system=SYSTEM)
    params = {
        "$filter": f"OverallGoodsMovementStatus eq '{GOODS_ISSUED}'",
        "$orderby": "LastChangeDate,DeliveryDocument",
        "$expand": "to_DeliveryDocumentItem",
        "$select": ",".join(
            [
                "DeliveryDocument",
                "LastChangeDate",
                "ActualGoodsMovementDate",
                "ActualGoodsMovementTime",
                tracking_field,
                *(f"to_DeliveryDocumentItem/{name}" for name in _ITEM_FIELDS),
            ]
        ),
    }
    start = state.window_start()
    if start is not None:
        params["$filter"] += f" and LastChangeDate ge {datetime_literal(start.date())}"
    for page in odata.pages(OUTBOUND_DELIVERIES, "A_OutbDeliveryHeader", params, page_size):
        fresh = []
        for header in page:
            changed = datetime.combine(_day(header, "LastChangeDate"), datetime.min.time())
            if state.observe(header["DeliveryDocument"], changed, _digest(header, tracking_field)):
                fresh.append(header)
        references = _order_references(odata, {i["ReferenceSDDocument"] for h in fresh for i in _items(h)})
        shipments = [s for h in fresh for s in _shipments(h, references, tracking_field)]
        yield ShipmentPage(shipments=shipments, cursor=state.encode())


def _items(header: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        item
        for item in results(header.get("to_DeliveryDocumentItem"))
        if item.get("GoodsMovementStatus") == GOODS_ISSUED and Decimal(item.get("ActualDeliveryQuantity") or 0) > 0
    ]


def _shipments(header: dict[str, Any], references: dict[str, str], tracking_field: str) -> list[Shipment]:
    """One shipment per sales order the delivery ships (SAP may combine orders in one delivery:
    each then gets the key ``<delivery>:<sales order>``)."""
    by_order: dict[str, list[dict[str, Any]]] = {}
    for item in _items(header):
        by_order.setdefault(item["ReferenceSDDocument"], []).append(item)
    goods_issue = _day(header, "ActualGoodsMovementDate")
    clock = parse_time(header.get("ActualGoodsMovementTime") or "PT00H00M00S")
    tracking = str(header.get(tracking_field) or "").strip()
    document = header["DeliveryDocument"]
    return [
        Shipment(
            document=document if len(by_order) == 1 else f"{document}:{order}",
            order_ref=references.get(order, ""),
            shipped_at=datetime(goods_issue.year, goods_issue.month, goods_issue.day) + clock,
            changed_at=datetime.combine(_day(header, "LastChangeDate"), datetime.min.time()),
            lines=[
                ShipmentLine(
                    item_code=i["Material"],
                    quantity=Decimal(i["ActualDeliveryQuantity"]),
                    location=f"{i['Plant']}/{i['StorageLocation']}",
                )
                for i in items
            ],
            tracking_numbers=[tracking] if tracking else [],
        )
        for order, items in by_order.items()
    ]


def _order_references(odata: ODataClient, sales_orders: set[str]) -> dict[str, str]:
    """Sales order -> ``PurchaseOrderByCustomer``, for the orders a page of deliveries ships."""
    found: dict[str, str] = {}
    wanted = sorted(s for s in sales_orders if s)
    for n in range(0, len(wanted), _ORDERS_PER_QUERY):
        chunk = wanted[n : n + _ORDERS_PER_QUERY]
        params = {
            "$filter": " or ".join(f"SalesOrder eq '{s}'" for s in chunk),
            "$select": "SalesOrder,PurchaseOrderByCustomer",
            "$top": str(len(chunk)),
        }
        for row in results(odata.get(odata.url(SALES_ORDERS, "A_SalesOrder"), params)):
            found[row["SalesOrder"]] = row.get("PurchaseOrderByCustomer") or ""
    return found


def _day(header: dict[str, Any], name: str) -> date:
    value = parse_date(header.get(name))
    if value is None:
        raise DataError(f"delivery {header.get('DeliveryDocument')} has no {name}", body=header, system=SYSTEM)
    return value.date()


def _digest(header: dict[str, Any], tracking_field: str) -> str:
    items = sorted(
        (i["DeliveryDocumentItem"], i.get("ActualDeliveryQuantity"), i.get("GoodsMovementStatus"))
        for i in results(header.get("to_DeliveryDocumentItem"))
    )
    return digest([header.get(tracking_field) or "", *items])
