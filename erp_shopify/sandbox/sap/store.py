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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from erp_shopify.erp.odata import parse_date

DEFAULT_PLANT, DEFAULT_STORAGE_LOCATION = "1010", "0001"
RETURN_ORDER_TYPES = frozenset({"CBAR", "RE", "G2", "CR"})  # no goods issue for these
RECEIPTS = frozenset({"101", "501", "561", "602", "651", "653", "701"})
ISSUES = frozenset({"201", "261", "551", "601", "641", "702"})
_OPEN_END = datetime(9999, 12, 31)


F = TypeVar("F", bound=Callable[..., Any])


def _locked(method: F) -> F:
    """The store is changed from the server's event loop and from the process embedding it (the
    demo seeds it directly), so every change and every full read holds its lock."""

    @functools.wraps(method)
    def wrapper(self: SapStore, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class BusinessError(ValueError):
    """A request SAP would reject with a message of its own (HTTP 400 and a message code)."""

    def __init__(self, code: str, message: str, target: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.target = code, message, target


@dataclass(slots=True)
class MaterialDocumentItem:
    MaterialDocumentYear: str
    MaterialDocument: str
    MaterialDocumentItem: str
    Material: str
    Plant: str
    StorageLocation: str
    GoodsMovementType: str
    QuantityInBaseUnit: Decimal
    MaterialBaseUnit: str
    Batch: str = ""
    InventoryStockType: str = "01"
    SalesOrder: str = ""
    SalesOrderItem: str = ""
    to_MaterialDocumentHeader: Any = None

    @property
    def QuantityInEntryUnit(self) -> Decimal:
        return self.QuantityInBaseUnit

    @property
    def EntryUnit(self) -> str:
        return self.MaterialBaseUnit


@dataclass(slots=True)
class MaterialDocumentHeader:
    MaterialDocumentYear: str
    MaterialDocument: str
    CreationDate: datetime
    CreationTime: timedelta
    GoodsMovementCode: str = ""
    MaterialDocumentHeaderText: str = ""
    to_MaterialDocumentItem: list[MaterialDocumentItem] = field(default_factory=list)

    @property
    def PostingDate(self) -> datetime:
        return self.CreationDate

    @property
    def DocumentDate(self) -> datetime:
        return self.CreationDate

    @property
    def CreatedByUser(self) -> str:
        return "SHOPIFY_SYNC"


@dataclass(frozen=True)
class Movement:
    material: str
    quantity: Decimal  # positive; the movement type says in or out
    movement_type: str
    plant: str = DEFAULT_PLANT
    storage_location: str = DEFAULT_STORAGE_LOCATION
    batch: str = ""
    sales_order: str = ""
    sales_order_item: str = ""


class SapStore:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.base_units: dict[str, str] = {}  # material -> base unit
        self.stock: dict[tuple[str, str, str, str, str], Decimal] = {}  # material, plant, sloc, batch, type
        self.documents: list[MaterialDocumentHeader] = []
        self.orders: list[dict[str, Any]] = []
        self.validities: list[dict[str, Any]] = []
        self.condition_records: dict[str, dict[str, Any]] = {}
        self.version = 0  # bumped by every change; query caches key on it
        self._next_document = 4900000000
        self._days: dict[date, datetime] = {}
        self._stock_rows: tuple[int, list[dict[str, Any]]] = (-1, [])

    # --- master data and stock -------------------------------------------------------------------

    @_locked
    def add_material(self, material: str, base_unit: str = "PC") -> None:
        self.base_units[material] = base_unit
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
        self.stock[(material, plant, storage_location, batch, stock_type)] = quantity
        self.version += 1

    @_locked
    def stock_rows(self) -> list[dict[str, Any]]:
        if self._stock_rows[0] != self.version:
            self._stock_rows = (self.version, self._build_stock_rows())
        return self._stock_rows[1]

    def _build_stock_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "Material": m,
                "Plant": p,
                "StorageLocation": s,
                "Batch": b,
                "InventoryStockType": t,
                "MaterialBaseUnit": self.base_units.get(m, "PC"),
                "MatlWrhsStkQtyInMatlBaseUnit": q,
            }
            for (m, p, s, b, t), q in self.stock.items()
        ]

    def unrestricted(self, material: str, plant: str, storage_location: str) -> Decimal:
        return sum(
            (
                q
                for (m, p, s, _, t), q in self.stock.items()
                if (m, p, s, t) == (material, plant, storage_location, "01")
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
            self.stock[key] = self.stock.get(key, Decimal(0)) + sign * movement.quantity
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
        raw_items = payload.get("to_Item") or []
        raw_items = raw_items.get("results", []) if isinstance(raw_items, dict) else raw_items
        if not raw_items:
            raise BusinessError("V1/555", "The sales document is not yet complete: enter at least one item")
        number = str(10000000 + len(self.orders) + 1)
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
            self._price_item(order, order["to_Item"][-1], raw.get("to_PricingElement"))
        order["TotalNetAmount"] = sum((i["NetAmount"] for i in order["to_Item"]), Decimal(0))
        self.orders.append(order)
        if order["SalesOrderType"] not in RETURN_ORDER_TYPES:
            self._issue(order, "601")
        self.version += 1
        return order

    def _price_item(self, order: dict[str, Any], item: dict[str, Any], elements: Any) -> None:
        """A manual price sent with the item wins; otherwise the valid condition record prices it
        (the customer's own before the general one), as SAP's pricing procedure would."""
        given = elements.get("results", []) if isinstance(elements, dict) else list(elements or [])
        item["to_PricingElement"] = []
        for counter, element in enumerate(given, start=1):
            try:
                rate = Decimal(str(element["ConditionRateValue"]))
            except (KeyError, ArithmeticError):
                raise BusinessError("V1/806", f"Enter a condition rate for item {item['SalesOrderItem']}") from None
            item["to_PricingElement"].append(
                _pricing_element(item, element.get("ConditionType", ""), rate, counter, manual=True)
            )
        if not item["to_PricingElement"]:
            list_price = self._list_price(order, item["Material"])
            if list_price is not None:
                item["to_PricingElement"].append(_pricing_element(item, "PPR0", list_price, 1, manual=False))
        if item["to_PricingElement"]:
            item["NetAmount"] = item["to_PricingElement"][-1]["ConditionAmount"]

    def _list_price(self, order: dict[str, Any], material: str) -> Decimal | None:
        today = datetime.now(UTC).date()
        candidates = [
            v
            for v in self.validities
            if v["Material"] == material
            and v["ConditionType"] == "PPR0"
            and v["SalesOrganization"] == order["SalesOrganization"]
            and v["DistributionChannel"] == order["DistributionChannel"]
            and v["Customer"] in ("", order["SoldToParty"])
            and not v["CustomerPriceGroup"]
            and v["ConditionValidityStartDate"].date() <= today <= v["ConditionValidityEndDate"].date()
            and not v["to_SlsPrcgConditionRecord"]["ConditionIsDeleted"]
        ]
        if not candidates:
            return None
        record = max(candidates, key=lambda v: bool(v["Customer"]))["to_SlsPrcgConditionRecord"]
        return Decimal(record["ConditionRateValue"]) / (record["ConditionQuantity"] or Decimal(1))

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
        for order in self.orders:
            if order["SalesOrder"] == sales_order:
                return order
        raise KeyError(f"A_SalesOrder('{sales_order}')")

    def _issue(self, order: dict[str, Any], movement_type: str, only: dict[str, Any] | None = None) -> None:
        movements = []
        for line in [only] if only else order["to_Item"]:
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
        self.post_goods_movement(movements)

    def _location_of(self, material: str) -> tuple[str, str]:
        held = sorted((p, s) for (m, p, s, _, t), q in self.stock.items() if m == material and t == "01" and q > 0)
        return held[0] if held else (DEFAULT_PLANT, DEFAULT_STORAGE_LOCATION)

    # --- pricing ---------------------------------------------------------------------------------

    @_locked
    def put_condition(self, spec: dict[str, Any]) -> str:
        """Create or replace one condition record with its validity period and quantity scales."""
        record_id = str(spec.get("condition_record") or f"{len(self.condition_records) + 1:010d}")
        valid_to = _day(spec.get("valid_to")) or _OPEN_END
        record: dict[str, Any] = {
            "ConditionRecord": record_id,
            "ConditionSequentialNumber": "01",
            "ConditionTable": "305",
            "ConditionApplication": "V",
            "ConditionType": spec.get("condition_type", "PPR0"),
            "ConditionValidityStartDate": _day(spec.get("valid_from")) or datetime(2000, 1, 1),
            "ConditionValidityEndDate": valid_to,
            "CreationDate": _day(date.today().isoformat()),
            "PricingScaleType": "A" if spec.get("scales") else "",
            "PricingScaleBasis": "C" if spec.get("scales") else "",
            "ConditionCalculationType": "C",
            "ConditionRateValue": Decimal(str(spec["rate"])),
            "ConditionRateValueUnit": spec["currency"],
            "ConditionCurrency": spec["currency"],
            "ConditionQuantity": Decimal(str(spec.get("quantity", 1))),
            "ConditionQuantityUnit": "PC",
            "BaseUnit": "PC",
            "ConditionIsDeleted": bool(spec.get("deleted", False)),
            "ETag": str(self.version),
        }
        record["to_SlsPrcgCndnRecordScale"] = [
            {
                "ConditionRecord": record_id,
                "ConditionSequentialNumber": "01",
                "ConditionScaleLine": f"{n:04d}",
                "ConditionScaleQuantity": Decimal(str(scale["quantity"])),
                "ConditionScaleQuantityUnit": "PC",
                "ConditionRateValue": Decimal(str(scale["rate"])),
                "ConditionRateValueUnit": spec["currency"],
                "ConditionCurrency": spec["currency"],
            }
            for n, scale in enumerate(spec.get("scales") or [], start=1)
        ]
        validity = {
            "ConditionRecord": record_id,
            "ConditionValidityEndDate": valid_to,
            "ConditionValidityStartDate": record["ConditionValidityStartDate"],
            "ConditionApplication": "V",
            "ConditionType": record["ConditionType"],
            "ConditionReleaseStatus": "",
            "SalesOrganization": spec.get("sales_organization", "1010"),
            "DistributionChannel": spec.get("distribution_channel", "10"),
            "Division": spec.get("division", ""),
            "Customer": spec.get("customer", ""),
            "CustomerPriceGroup": spec.get("customer_price_group", ""),
            "PriceListType": spec.get("price_list_type", ""),
            "Material": spec["material"],
            "to_SlsPrcgConditionRecord": record,
        }
        record["to_SlsPrcgCndnRecdValidity"] = [validity]
        self.validities = [v for v in self.validities if v["ConditionRecord"] != record_id] + [validity]
        self.condition_records[record_id] = record
        self.version += 1
        return record_id

    def _known(self, material: str) -> None:
        if material not in self.base_units:
            raise BusinessError("M3/305", f"Material {material} does not exist", target="Material")


def _pricing_element(item: dict[str, Any], condition_type: str, rate: Decimal, counter: int, *, manual: bool) -> dict:
    return {
        "SalesOrder": item["SalesOrder"],
        "SalesOrderItem": item["SalesOrderItem"],
        "PricingProcedureStep": "10",
        "PricingProcedureCounter": str(counter),
        "ConditionType": condition_type,
        "ConditionRateValue": rate,
        "ConditionCurrency": item["TransactionCurrency"],
        "ConditionQuantity": Decimal(1),
        "ConditionAmount": (rate * item["RequestedQuantity"]).quantize(Decimal("0.001")),
        "TransactionCurrency": item["TransactionCurrency"],
        "ConditionIsManuallyChanged": manual,
    }


def _created(header: MaterialDocumentHeader) -> datetime:
    return header.CreationDate + header.CreationTime


def _payload_date(raw: Any) -> datetime | None:
    try:
        parsed = parse_date(raw)
    except ValueError:
        raise BusinessError("/IWBEP/CM_MGW_RT/020", f"Invalid value {raw!r} for an Edm.DateTime property") from None
    return parsed.replace(tzinfo=None) if parsed else None


def _day(raw: Any) -> datetime | None:
    if not raw:
        return None
    parsed = date.fromisoformat(str(raw)[:10])
    return datetime(parsed.year, parsed.month, parsed.day)
