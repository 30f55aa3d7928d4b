"""The Oracle sandbox's item master (Product Information Management, ``itemsV2``) and shipping
(``shipments`` with their ``shipmentLines``), as rows in the resources' attribute names.

Items are defined in the item master organization and assigned to the inventory organization, so
``itemsV2`` answers one row per item and organization, as Oracle does. A style item carries its SKU
items (``StyleItemNumber`` names the style), each with its variant values in its descriptive
flexfield (``ItemDFF``). Every write stamps ``LastUpdateDateTime``, strictly increasing, in UTC
with milliseconds. A shipment is confirmed when created (status ``CO``): only shipped goods are
served, which is what a ship-confirm leaves behind.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

MASTER_ORGANIZATION = "V1"
SHIPPED = "CO"  # WSH status codes: OP open, CO confirmed, IT in transit, CL closed


class Stamps:
    """Strictly increasing change stamps, as Oracle's who-columns would be for writes in sequence."""

    def __init__(self) -> None:
        self._last = datetime.now(UTC) - timedelta(days=1)

    def next(self) -> str:
        now = datetime.now(UTC)
        self._last = now if now > self._last else self._last + timedelta(milliseconds=1)
        return self._last.isoformat(timespec="milliseconds")


class Catalog:
    """Items and shipments of one pod, under the pod's lock."""

    def __init__(self, lock: threading.RLock, organization: str, seed_items: list[str]) -> None:
        self.lock, self.organization = lock, organization
        self.stamps = Stamps()
        self.items: dict[str, dict[str, Any]] = {}
        self.shipments: dict[str, dict[str, Any]] = {}
        self._next_id = 300000200000000
        for item in seed_items:
            self.put_item({"ItemNumber": item, "ItemDescription": f"Seed item {item}"})

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- items ---------------------------------------------------------------------------------

    def put_item(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Create or update one item: ``ItemNumber`` and any attribute, ``dff`` its flexfield segments."""
        with self.lock:
            number = str(spec["ItemNumber"])
            now = self.stamps.next()
            item = self.items.get(number) or {
                "ItemId": self._id(),
                "ItemNumber": number,
                "ItemDescription": "",
                "LongDescription": None,
                "ItemClass": "Root Item Class",
                "ItemStatusValue": "Active",
                "PrimaryUOMValue": "Each",
                "StyleItemFlag": False,
                "StyleItemNumber": None,
                "CreationDateTime": now,
                "ItemDFF": [{}],
            }
            for key, value in spec.items():
                if key == "dff":
                    item["ItemDFF"] = [{**item["ItemDFF"][0], **value}]
                elif key in item and key not in ("ItemId", "CreationDateTime"):
                    item[key] = value
            item["LastUpdateDateTime"] = now
            self.items[number] = item
            return item

    def item_rows(self) -> list[dict[str, Any]]:
        """One row per item and organization (the master and the inventory organization)."""
        with self.lock:
            return [
                {**item, "OrganizationCode": org, "ItemDFF": [dict(d) for d in item["ItemDFF"]]}
                for org in (MASTER_ORGANIZATION, self.organization)
                for item in self.items.values()
            ]

    def known_item(self, number: str) -> bool:
        with self.lock:
            return number in self.items

    # -- shipments -----------------------------------------------------------------------------

    def ship(self, order_number: str, lines: list[dict[str, Any]], waybill: str, carrier: str) -> dict[str, Any]:
        """Ship-confirm a shipment of ``lines`` ({item, quantity, subinventory}) of one sales order."""
        with self.lock:
            now = self.stamps.next()
            name = str(self._id() - 300000200000000 + 3345000)
            shipment = {
                "ShipmentId": self._id(),
                "Shipment": name,
                "OrganizationCode": self.organization,
                "ShipmentStatusCode": SHIPPED,
                "ActualShipDate": now,
                "CarrierName": carrier or None,
                "WaybillNumber": waybill or None,
                "LastUpdateDate": now,
                "shipmentLines": [
                    {
                        "ShipmentLine": self._id(),
                        "Order": order_number,
                        "Item": line["item"],
                        "ShippedQuantity": float(Decimal(str(line["quantity"]))),
                        "Subinventory": line["subinventory"],
                        "LineStatusCode": "C",
                    }
                    for line in lines
                ],
            }
            self.shipments[name] = shipment
            return shipment

    def retrack(self, name: str, waybill: str) -> dict[str, Any]:
        with self.lock:
            shipment = self.shipments[name]
            shipment["WaybillNumber"] = waybill
            shipment["LastUpdateDate"] = self.stamps.next()
            return shipment

    def shipment_rows(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{**s, "shipmentLines": [dict(x) for x in s["shipmentLines"]]} for s in self.shipments.values()]
