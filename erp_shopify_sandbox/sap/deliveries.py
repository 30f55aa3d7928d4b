"""Outbound deliveries (``API_OUTBOUND_DELIVERY_SRV``): what the warehouse shipped against a sales
order, with SAP's property names so the OData layer serves the rows as they are.

A delivery is created with its goods issue posted (``OverallGoodsMovementStatus`` ``C``): the
sandbox does not model picking. As in real SAP, the header's ``LastChangeDate`` is a date without a
time of day, and a later change (a bill of lading entered after the goods issue) moves it.

Simplification (documented in docs/erp.md): the sandbox posts the stock issue when the sales order
is created (``store.py``), so the goods issue of a delivery posts no second material document.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from erp_shopify_sandbox.sap.records import BusinessError

if TYPE_CHECKING:
    from erp_shopify_sandbox.sap.store import SapStore

FIRST_DELIVERY = 80000000


class OutboundDeliveries:
    def __init__(self, store: SapStore) -> None:
        self.store = store
        self.headers: list[dict[str, Any]] = []
        self._by_number: dict[str, dict[str, Any]] = {}

    def items(self) -> list[dict[str, Any]]:
        return [item for header in self.headers for item in header["to_DeliveryDocumentItem"]]

    def ship(
        self,
        sales_order: str,
        lines: dict[str, Decimal] | None = None,
        *,
        bill_of_lading: str = "",
        plant: str = "1010",
        storage_location: str = "0001",
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Create a delivery of ``lines`` (material -> quantity; the whole open order when None)
        from one plant and storage location, its goods issue posted at ``at``."""
        with self.store.lock:
            order = self.store.order(sales_order)
            open_items = [i for i in order["to_Item"] if not i["SalesDocumentRjcnReason"]]
            wanted = lines if lines is not None else {i["Material"]: i["RequestedQuantity"] for i in open_items}
            by_material = {i["Material"]: i for i in open_items}
            stamp = _utc(at)
            day, clock = datetime(stamp.year, stamp.month, stamp.day), stamp - stamp.replace(hour=0, minute=0, second=0)
            number = str(FIRST_DELIVERY + len(self.headers) + 1)
            header: dict[str, Any] = {
                "DeliveryDocument": number,
                "DeliveryDocumentType": "LF",
                "SDDocumentCategory": "J",
                "SalesOrganization": order["SalesOrganization"],
                "ShippingPoint": plant,
                "SoldToParty": order["SoldToParty"],
                "ShipToParty": next(
                    (p["Customer"] for p in order.get("to_Partner", []) if p["PartnerFunction"] == "SH"),
                    order["SoldToParty"],
                ),
                "CreationDate": day,
                "CreationTime": clock,
                "CreatedByUser": "WAREHOUSE",
                "LastChangeDate": day,
                "LastChangedByUser": "WAREHOUSE",
                "DeliveryDate": day,
                "PlannedGoodsIssueDate": day,
                "ActualGoodsMovementDate": day,
                "ActualGoodsMovementTime": clock,
                "OverallGoodsMovementStatus": "C",
                "OverallPickingStatus": "C",
                "OverallSDProcessStatus": "B",
                "BillOfLading": bill_of_lading,
                "MeansOfTransport": "",
                "MeansOfTransportType": "",
                "ShippingCondition": "01",
                "TotalNumberOfPackage": "1",
                "HeaderGrossWeight": Decimal(0),
                "HeaderWeightUnit": "KG",
                "to_DeliveryDocumentItem": [],
            }
            for n, (material, quantity) in enumerate(wanted.items(), start=1):
                source = by_material.get(material)
                if source is None:
                    raise BusinessError("VL/150", f"Sales order {sales_order} has no open item for material {material}")
                if not 0 < Decimal(quantity) <= source["RequestedQuantity"]:
                    raise BusinessError("VL/248", f"Delivery quantity {quantity} of {material} is not possible")
                header["to_DeliveryDocumentItem"].append(
                    {
                        "DeliveryDocument": number,
                        "DeliveryDocumentItem": f"{n * 10:06d}",
                        "DeliveryDocumentItemCategory": "TAN",
                        "DeliveryDocumentItemText": source["SalesOrderItemText"],
                        "Material": material,
                        "Plant": plant,
                        "StorageLocation": storage_location,
                        "Batch": "",
                        "ActualDeliveryQuantity": Decimal(quantity),
                        "DeliveryQuantityUnit": source["RequestedQuantityUnit"],
                        "ActualDeliveredQtyInBaseUnit": Decimal(quantity),
                        "BaseUnit": source["RequestedQuantityUnit"],
                        "GoodsMovementStatus": "C",
                        "GoodsMovementType": "601",
                        "PickingStatus": "C",
                        "ReferenceSDDocument": sales_order,
                        "ReferenceSDDocumentItem": source["SalesOrderItem"],
                        "ReferenceSDDocumentCategory": "C",
                        "HigherLevelItem": "000000",
                        "CreationDate": day,
                        "CreationTime": clock,
                        "LastChangeDate": day,
                    }
                )
            if not header["to_DeliveryDocumentItem"]:
                raise BusinessError("VL/016", f"Sales order {sales_order}: nothing to deliver")
            self.headers.append(header)
            self._by_number[number] = header
            self.store.version += 1
            return header

    def set_bill_of_lading(self, delivery: str, bill_of_lading: str, at: datetime | None = None) -> dict[str, Any]:
        """A change after the goods issue: the bill of lading, and the header's change date."""
        with self.store.lock:
            header = self._by_number.get(delivery)
            if header is None:
                raise KeyError(f"A_OutbDeliveryHeader('{delivery}')")
            stamp = _utc(at)
            header["BillOfLading"] = bill_of_lading
            header["LastChangeDate"] = datetime(stamp.year, stamp.month, stamp.day)
            self.store.version += 1
            return header


def _utc(at: datetime | None) -> datetime:
    return (at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None, microsecond=0)


def delivery_json(header: dict[str, Any]) -> dict[str, Any]:
    """A delivery as the control API shows it."""
    return {
        "DeliveryDocument": header["DeliveryDocument"],
        "BillOfLading": header["BillOfLading"],
        "LastChangeDate": header["LastChangeDate"].date().isoformat(),
        "items": [
            {
                "Material": i["Material"],
                "ActualDeliveryQuantity": str(i["ActualDeliveryQuantity"]),
                "ReferenceSDDocument": i["ReferenceSDDocument"],
            }
            for i in header["to_DeliveryDocumentItem"]
        ],
    }
