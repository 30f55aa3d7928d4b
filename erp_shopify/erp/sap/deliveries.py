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

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from erp_shopify.erp.sap.odata import SYSTEM, ODataClient, datetime_literal, parse_date, parse_time, results
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


@dataclass
class DeliveryCursor:
    """The latest ``LastChangeDate`` seen and, for the deliveries changed on or after the window
    start, the digest of what was handed out."""

    overlap_days: int
    day: date | None = None
    seen: dict[str, tuple[date, str]] = field(default_factory=dict)  # delivery -> (change day, digest)

    def window_start(self) -> date | None:
        return None if self.day is None else self.day - timedelta(days=self.overlap_days)

    def observe(self, delivery: str, changed: date, digest: str) -> bool:
        """True when the delivery is new or changed since it was last handed out."""
        if self.seen.get(delivery, (None, None))[1] == digest:
            return False
        self.seen[delivery] = (changed, digest)
        if self.day is None or changed > self.day:
            self.day = changed
        return True

    def encode(self) -> str:
        start = self.window_start()
        kept = {d: f"{c.isoformat()}:{h}" for d, (c, h) in self.seen.items() if start is None or c >= start}
        day = self.day.isoformat() if self.day else None
        return json.dumps({"day": day, "seen": kept}, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, cursor: str | None, overlap_days: int) -> DeliveryCursor:
        if not cursor:
            return cls(overlap_days)
        try:
            data = json.loads(cursor)
            day = date.fromisoformat(data["day"]) if data["day"] else None
            seen = {}
            for delivery, entry in data["seen"].items():
                changed, _, digest = entry.partition(":")
                seen[delivery] = (date.fromisoformat(changed), digest)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DataError(f"not a SAP delivery cursor: {cursor[:80]!r} ({exc})", system=SYSTEM) from None
        return cls(overlap_days, day, seen)


def read_shipments(
    odata: ODataClient, cursor: str | None, *, overlap_days: int, tracking_field: str, page_size: int
) -> Iterator[ShipmentPage]:
    state = DeliveryCursor.decode(cursor, overlap_days)
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
        params["$filter"] += f" and LastChangeDate ge {datetime_literal(start)}"
    for page in odata.pages(OUTBOUND_DELIVERIES, "A_OutbDeliveryHeader", params, page_size):
        fresh = []
        for header in page:
            changed = _day(header, "LastChangeDate")
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
    content = [header.get(tracking_field) or "", *items]
    return hashlib.sha1(json.dumps(content).encode()).hexdigest()[:10]
