"""The SAP sandbox's business state: material masters, unrestricted stock, the material document
journal, sales orders and pricing condition records. Rows carry SAP's property names, so the
OData layer serves them without translation.

Simplification (documented in docs/erp.md): creating a sales order posts a goods issue (movement
type 601) at once, where real SAP issues stock only at delivery; so an order that reached the ERP
is already out of its available quantity, and cancelling it posts the reversal (602).
"""

from __future__ import annotations

import bisect
import functools
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from erp_shopify_sandbox.sap.deliveries import OutboundDeliveries
from erp_shopify_sandbox.sap.edm import parse_json_datetime
from erp_shopify_sandbox.sap.index import Index
from erp_shopify_sandbox.sap.order_partners import order_partners
from erp_shopify_sandbox.sap.partners import BusinessPartners
from erp_shopify_sandbox.sap.pricing import condition_record, price_item
from erp_shopify_sandbox.sap.products import ProductMaster
from erp_shopify_sandbox.sap.records import (
    DEFAULT_PLANT,
    DEFAULT_STORAGE_LOCATION,
    ISSUES,
    RECEIPTS,
    BusinessError,
    MaterialDocumentHeader,
    MaterialDocumentItem,
    Movement,
)

SHIPPING_MATERIAL = "SHIPPING"  # a service material, there from the start: shipping lines' items
CHARGE_MATERIALS = ("TIP", "DUTY", "FEE")  # service materials carrying tips, duties and additional fees
RETURN_ORDER_TYPES = frozenset({"CBAR", "RE", "G2", "CR"})  # no goods issue for these


F = TypeVar("F", bound=Callable[..., Any])


def _locked(method: F) -> F:
    """The store is changed from the server's event loop and from the process embedding it (the
    demo seeds it directly), so every change and every full read holds its lock."""

    @functools.wraps(method)
    def wrapper(self: SapStore, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class SapStore:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.base_units: dict[str, str] = {}  # material -> base unit
        self.services: set[str] = set()  # service materials (shipping): no stock, no goods issue
        self.stock: dict[tuple[str, str, str, str, str], Decimal] = {}  # material, plant, sloc, batch, type
        self.documents: list[MaterialDocumentHeader] = []
        self.orders: list[dict[str, Any]] = []
        self._stock_rows: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}  # same keys as ``stock``
        self._orders_by_number: dict[str, dict[str, Any]] = {}
        # (entity set, property) -> index; what ``SapSandboxApp._query`` may look rows up by
        self.indexes = {
            ("A_MatlStkInAcctMod", "Material"): Index(),
            ("A_SalesOrder", "PurchaseOrderByCustomer"): Index(),
        }
        self.validities: list[dict[str, Any]] = []
        self.condition_records: dict[str, dict[str, Any]] = {}
        self.version = 0  # bumped by every change; query caches key on it
        self.products = ProductMaster(self)  # API_PRODUCT_SRV
        self._next_document = 4900000000
        self._days: dict[date, datetime] = {}
        self.deliveries = OutboundDeliveries(self)
        self.partners = BusinessPartners(self)  # API_BUSINESS_PARTNER
        for material in (SHIPPING_MATERIAL, *CHARGE_MATERIALS):
            self.add_material(material, service=True)

    # --- master data and stock -------------------------------------------------------------------

    @_locked
    def add_material(self, material: str, base_unit: str = "PC", *, service: bool = False) -> None:
        self.base_units[material] = base_unit
        if service:
            self.services.add(material)
        for row in self.stock_of(material):
            row["MaterialBaseUnit"] = base_unit
        self.version += 1

    @_locked
    def set_stock(
        self,
        material: str,
        plant: str,
        storage_location: str,
        quantity: Decimal,
        *,
        batch: str = "",
        stock_type: str = "01",
    ) -> None:
        """Opening stock, without a journal entry (as a data migration would load it)."""
        self._known(material)
        self._put_stock((material, plant, storage_location, batch, stock_type), quantity)
        self.version += 1

    @_locked
    def stock_rows(self) -> list[dict[str, Any]]:
        return list(self._stock_rows.values())

    def _put_stock(self, key: tuple[str, str, str, str, str], quantity: Decimal) -> None:
        """Every stock change goes through here, so the rows the API serves and their index stay
        in step with ``stock`` (a row is updated in place; a new key gets a new row)."""
        self.stock[key] = quantity
        row = self._stock_rows.get(key)
        if row is None:
            m, p, s, b, t = key
            row = {
                "Material": m,
                "Plant": p,
                "StorageLocation": s,
                "Batch": b,
                "InventoryStockType": t,
                "MaterialBaseUnit": self.base_units.get(m, "PC"),
            }
            self._stock_rows[key] = row
            self.indexes[("A_MatlStkInAcctMod", "Material")].add(m, row)
        row["MatlWrhsStkQtyInMatlBaseUnit"] = quantity

    def stock_of(self, material: str) -> list[dict[str, Any]]:
        return self.indexes[("A_MatlStkInAcctMod", "Material")].lookup([material])

    def unrestricted(self, material: str, plant: str, storage_location: str) -> Decimal:
        return sum(
            (
                r["MatlWrhsStkQtyInMatlBaseUnit"]
                for r in self.stock_of(material)
                if (r["Plant"], r["StorageLocation"], r["InventoryStockType"]) == (plant, storage_location, "01")
            ),
            Decimal(0),
        )

    # --- the journal -----------------------------------------------------------------------------

    @_locked
    def post_goods_movement(self, movements: list[Movement], at: datetime | None = None) -> MaterialDocumentHeader:
        """One material document: stock changes and the journal entry land together."""
        for movement in movements:
            self._known(movement.material)
            if movement.movement_type not in RECEIPTS | ISSUES:
                raise BusinessError("M7/001", f"Movement type {movement.movement_type} is not supported")
        at = (at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
        self._next_document += 1
        year, number = str(at.year), str(self._next_document)
        day = self._days.setdefault(at.date(), datetime(at.year, at.month, at.day))
        header = MaterialDocumentHeader(year, number, day, at - day)
        for n, movement in enumerate(movements, start=1):
            sign = 1 if movement.movement_type in RECEIPTS else -1
            key = (movement.material, movement.plant, movement.storage_location, movement.batch, "01")
            self._put_stock(key, self.stock.get(key, Decimal(0)) + sign * movement.quantity)
            header.to_MaterialDocumentItem.append(
                MaterialDocumentItem(
                    year,
                    number,
                    f"{n:04d}",
                    movement.material,
                    movement.plant,
                    movement.storage_location,
                    movement.movement_type,
                    movement.quantity,
                    self.base_units[movement.material],
                    movement.batch,
                    SalesOrder=movement.sales_order,
                    SalesOrderItem=movement.sales_order_item,
                    to_MaterialDocumentHeader=header,
                )
            )
        if self.documents and _created(self.documents[-1]) > at:
            bisect.insort(self.documents, header, key=_created)  # a late, back-dated commit
        else:
            self.documents.append(header)
        self.version += 1
        return header

    @_locked
    def set_quantity(
        self, material: str, plant: str, storage_location: str, quantity: Decimal, at: datetime | None = None
    ) -> MaterialDocumentHeader | None:
        """A physical inventory difference posting (701/702) that leaves ``quantity`` unrestricted."""
        delta = quantity - self.unrestricted(material, plant, storage_location)
        if delta == 0:
            return None
        movement_type = "701" if delta > 0 else "702"
        return self.post_goods_movement([Movement(material, abs(delta), movement_type, plant, storage_location)], at)

    # --- sales orders ----------------------------------------------------------------------------

    @_locked
    def create_sales_order(self, payload: dict[str, Any]) -> dict[str, Any]:
        for name in (
            "SalesOrderType",
            "SalesOrganization",
            "DistributionChannel",
            "OrganizationDivision",
            "SoldToParty",
        ):
            if not payload.get(name):
                raise BusinessError("V1/012", f"Enter a value for {name}", target=name)
        reference = str(payload.get("PurchaseOrderByCustomer") or "")
        if len(reference) > 35:
            raise BusinessError(
                "/IWBEP/CM_MGW_RT/020",
                "Property 'PurchaseOrderByCustomer' has an invalid value: maximum length 35 exceeded",
                target="PurchaseOrderByCustomer",
            )
        number = str(10000000 + len(self.orders) + 1)
        header_partners = order_partners(self.partners, number, str(payload["SoldToParty"]), payload.get("to_Partner"))
        raw_items = payload.get("to_Item") or []
        raw_items = raw_items.get("results", []) if isinstance(raw_items, dict) else raw_items
        if not raw_items:
            raise BusinessError("V1/555", "The sales document is not yet complete: enter at least one item")
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        order: dict[str, Any] = {
            **{
                k: payload.get(k)
                for k in (
                    "SalesOrderType",
                    "SalesOrganization",
                    "DistributionChannel",
                    "OrganizationDivision",
                    "SoldToParty",
                    "TransactionCurrency",
                    "SDDocumentReason",
                    "ReferenceSDDocument",
                )
            },
            "SalesOrder": number,
            "PurchaseOrderByCustomer": reference,
            "CustomerPurchaseOrderDate": _payload_date(payload.get("CustomerPurchaseOrderDate")),
            "CreationDate": datetime(now.year, now.month, now.day),
            "SalesOrderDate": datetime(now.year, now.month, now.day),
            "LastChangeDateTime": now,
            "OverallSDProcessStatus": "A",
            "OverallSDDocumentRejectionSts": "A",
            "TotalNetAmount": Decimal(0),
            "to_Item": [],
            "to_Partner": header_partners,
        }
        for n, raw in enumerate(raw_items, start=1):
            material = str(raw.get("Material") or "")
            if material not in self.base_units:
                raise BusinessError(
                    "V1/392",
                    f"Material {material} is not defined for sales org.{order['SalesOrganization']}"
                    f", distr.chan.{order['DistributionChannel']}, language EN",
                    target=f"to_Item({n})/Material",
                )
            quantity = Decimal(str(raw.get("RequestedQuantity") or 0))
            if quantity <= 0:
                raise BusinessError(
                    "V1/331", f"Enter a positive order quantity for item {n * 10}", target="RequestedQuantity"
                )
            unit = raw.get("RequestedQuantityUnit") or self.base_units[material]
            if unit != self.base_units[material]:
                raise BusinessError("M3/351", f"Unit of measure {unit} is not defined for material {material}")
            order["to_Item"].append(
                {
                    "SalesOrder": number,
                    "SalesOrderItem": str(raw.get("SalesOrderItem") or n * 10),
                    "Material": material,
                    "RequestedQuantity": quantity,
                    "RequestedQuantityUnit": unit,
                    "SalesOrderItemText": raw.get("SalesOrderItemText") or material,
                    "PurchaseOrderByCustomer": reference,
                    "TransactionCurrency": order["TransactionCurrency"],
                    "NetAmount": Decimal(0),
                    "ProductionPlant": raw.get("ProductionPlant") or "",
                    "StorageLocation": raw.get("StorageLocation") or "",
                    "SalesDocumentRjcnReason": "",
                    "SDProcessStatus": "A",
                    "to_SalesOrder": order,
                }
            )
            price_item(order, order["to_Item"][-1], raw.get("to_PricingElement"), self.validities)
        order["TotalNetAmount"] = sum((i["NetAmount"] for i in order["to_Item"]), Decimal(0))
        self.orders.append(order)
        self._orders_by_number[number] = order
        self.indexes[("A_SalesOrder", "PurchaseOrderByCustomer")].add(reference, order)
        if order["SalesOrderType"] not in RETURN_ORDER_TYPES:
            self._issue(order, "601")
        self.version += 1
        return order

    @_locked
    def reject_item(self, sales_order: str, item: str, reason: str) -> None:
        order = self.order(sales_order)
        line = next((i for i in order["to_Item"] if i["SalesOrderItem"] == item), None)
        if line is None:
            raise KeyError(f"A_SalesOrderItem(SalesOrder='{sales_order}',SalesOrderItem='{item}')")
        was_open = not line["SalesDocumentRjcnReason"]
        line["SalesDocumentRjcnReason"] = reason
        if was_open and reason and order["SalesOrderType"] not in RETURN_ORDER_TYPES:
            self._issue(order, "602", only=line)
        rejected = sum(1 for i in order["to_Item"] if i["SalesDocumentRjcnReason"])
        order["OverallSDDocumentRejectionSts"] = (
            "C" if rejected == len(order["to_Item"]) else ("B" if rejected else "A")
        )
        order["LastChangeDateTime"] = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        self.version += 1

    def order(self, sales_order: str) -> dict[str, Any]:
        if sales_order not in self._orders_by_number:
            raise KeyError(f"A_SalesOrder('{sales_order}')")
        return self._orders_by_number[sales_order]

    def _issue(self, order: dict[str, Any], movement_type: str, only: dict[str, Any] | None = None) -> None:
        movements = []
        for line in [only] if only else order["to_Item"]:
            if line["Material"] in self.services:
                continue
            plant, location = line["ProductionPlant"], line["StorageLocation"]
            if not (plant and location):
                plant, location = self._location_of(line["Material"])
            movements.append(
                Movement(
                    line["Material"],
                    line["RequestedQuantity"],
                    movement_type,
                    plant,
                    location,
                    sales_order=order["SalesOrder"],
                    sales_order_item=line["SalesOrderItem"],
                )
            )
        if movements:
            self.post_goods_movement(movements)

    def _location_of(self, material: str) -> tuple[str, str]:
        held = sorted(
            (r["Plant"], r["StorageLocation"])
            for r in self.stock_of(material)
            if r["InventoryStockType"] == "01" and r["MatlWrhsStkQtyInMatlBaseUnit"] > 0
        )
        return held[0] if held else (DEFAULT_PLANT, DEFAULT_STORAGE_LOCATION)

    # --- pricing ---------------------------------------------------------------------------------

    @_locked
    def put_condition(self, spec: dict[str, Any]) -> str:
        """Create or replace one condition record with its validity period and quantity scales."""
        record_id = str(spec.get("condition_record") or f"{len(self.condition_records) + 1:010d}")
        validity = condition_record(spec, record_id, etag=str(self.version))
        self.validities = [v for v in self.validities if v["ConditionRecord"] != record_id] + [validity]
        self.condition_records[record_id] = validity["to_SlsPrcgConditionRecord"]
        self.version += 1
        return record_id

    def _known(self, material: str) -> None:
        if material not in self.base_units:
            raise BusinessError("M3/305", f"Material {material} does not exist", target="Material")


def _created(header: MaterialDocumentHeader) -> datetime:
    return header.CreationDate + header.CreationTime


def _payload_date(raw: Any) -> datetime | None:
    if not raw:
        return None
    try:
        return parse_json_datetime(str(raw))
    except ValueError:
        raise BusinessError("/IWBEP/CM_MGW_RT/020", f"Invalid value {raw!r} for an Edm.DateTime property") from None
