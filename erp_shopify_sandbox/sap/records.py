"""The SAP sandbox's journal records, with SAP's property names (they are served as they are),
and the business error SAP answers with a message of its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

DEFAULT_PLANT, DEFAULT_STORAGE_LOCATION = "1010", "0001"
RECEIPTS = frozenset({"101", "501", "561", "602", "651", "653", "701"})
ISSUES = frozenset({"201", "261", "551", "601", "641", "702"})


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
