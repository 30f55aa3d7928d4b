"""The one ERP adapter protocol, and the typed records that cross it.

Every adapter (SAP S/4HANA, NetSuite, Tryton, ...) implements ``ErpAdapter``. Every failure is
raised as a classified ``erp_shopify.errors.IntegrationError`` carrying status and body.

Cursors are opaque strings owned by the adapter: the ERP's own high-water mark (a document
timestamp, a last-modified date), never the wall clock. Reads are generators of pages, so memory
stays flat however long the journal is.

Retries: the sync reads (journal, snapshot, prices) are retried inside the adapter, since nothing
above them retries. Order calls (find, create, cancel, credit) are sent once: order delivery is their
one retry layer, because only it knows whether a repeat must search before it creates.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StockLevel(_Record):
    """Absolute available quantity of one item at one ERP location."""

    item_code: str
    location: str  # plant/storage location ("1010/0001"), warehouse code, ...
    available: Decimal


class InventoryChange(StockLevel):
    """A stock level the journal says changed: absolute, never a delta, so replays are harmless."""

    change_id: str  # unique per journal entry: the dedupe key across overlap windows
    changed_at: datetime


class InventoryPage(_Record):
    """One page of changes and the cursor to resume *after* it."""

    rows: list[InventoryChange]
    cursor: str | None


class PriceRecord(_Record):
    item_code: str
    price_list: str  # "retail" for list prices, or a B2B price list / customer group
    currency: str
    price: Decimal
    compare_at_price: Decimal | None = None
    min_quantity: int = 1  # > 1 is a quantity break
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


class Address(_Record):
    name: str = ""
    company: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    zip: str = ""
    province_code: str = ""
    country_code: str = ""
    phone: str = ""


class Customer(_Record):
    email: str = ""
    name: str = ""
    erp_party: str | None = None  # sold-to party / customer number when known


class SalesOrderLine(_Record):
    item_code: str
    quantity: Decimal = Field(gt=0)
    unit_price: Decimal
    discount: Decimal = Decimal("0")  # total discount on the line
    tax: Decimal = Decimal("0")  # total tax on the line
    description: str = ""


class SalesOrder(_Record):
    external_ref: str = Field(min_length=1, max_length=35)  # natural idempotency key (SAP: 35 chars)
    shop: str
    currency: str
    ordered_at: datetime
    customer: Customer
    ship_to: Address
    bill_to: Address | None = None
    lines: list[SalesOrderLine] = Field(min_length=1)
    shipping: Decimal = Decimal("0")
    shipping_tax: Decimal = Decimal("0")
    order_discount: Decimal = Decimal("0")
    note: str = ""


class CreditLine(_Record):
    item_code: str
    quantity: Decimal = Field(ge=0)
    amount: Decimal


class CreditNote(_Record):
    """A refund: credits the given lines (and any extra amount) against an existing order."""

    external_ref: str = Field(min_length=1, max_length=35)  # the refund's own idempotency key
    order_ref: str  # the external_ref of the order it refunds
    currency: str
    lines: list[CreditLine] = Field(default_factory=list)
    amount: Decimal  # total refunded
    reason: str = ""


class ErpDocument(_Record):
    """What the ERP answered: its own document number for our external reference."""

    number: str
    external_ref: str
    status: str = ""  # adapter-specific ("draft", "confirmed", "cancelled", ...)


@runtime_checkable
class ErpAdapter(Protocol):
    name: str  # "sap", "netsuite", "tryton"

    def journal_position(self) -> str | None:
        """The current high-water mark: taken before a full snapshot so the next delta starts there."""

    def inventory_changes(self, cursor: str | None) -> Iterator[InventoryPage]:
        """Changed stock levels since ``cursor`` (re-reading an overlap window, deduped by change id)."""

    def inventory_snapshot(self, items: Sequence[str] | None = None) -> Iterator[list[StockLevel]]:
        """Absolute quantities of ``items`` (all items when None), page by page."""

    def prices(self) -> Iterator[list[PriceRecord]]:
        """The current price records (a snapshot; change detection compares snapshots)."""

    def find_sales_order(self, external_ref: str) -> ErpDocument | None: ...

    def create_sales_order(self, order: SalesOrder, *, known_new: bool = False) -> ErpDocument:
        """Create once: searches by ``order.external_ref`` first, so a retry never duplicates.

        ``known_new=True`` skips that search. Only a caller that can prove no earlier attempt for this
        order could have reached the ERP may pass it (the delivery ledger's ``first_send``); with it
        a new order costs one round trip. Sent once: the caller owns retries (and retries search)."""

    def cancel_sales_order(self, external_ref: str) -> ErpDocument: ...

    def create_credit(self, credit: CreditNote) -> ErpDocument:
        """Idempotent on ``credit.external_ref``, like ``create_sales_order``."""

    def health(self) -> None:
        """A cheap authenticated probe; raises a classified error when the ERP is not usable."""

    def close(self) -> None: ...
