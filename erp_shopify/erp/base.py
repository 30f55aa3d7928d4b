"""The one ERP adapter protocol (the records that cross it live in ``erp_shopify.records``).

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
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from erp_shopify.errors import DataError
from erp_shopify.records import (
    CreditNote,
    CustomerPage,
    CustomerRecord,
    ErpDocument,
    InventoryPage,
    PriceRecord,
    ProductPage,
    ProductRecord,
    SalesOrder,
    ShipmentPage,
    StockLevel,
)


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

    def shipment_changes(self, cursor: str | None) -> Iterator[ShipmentPage]:
        """Shipped deliveries (goods issue posted) created or changed since ``cursor``, each with its
        sales order's external reference; re-reads an overlap window and drops a delivery already
        handed out unchanged, so a changed one (new tracking) comes again. Retried like the journal."""
        raise DataError(
            f"{self.name}: shipments are not read from this ERP", codes=("NOT_SUPPORTED",), system=self.name
        )

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

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@runtime_checkable
class ProductSource(Protocol):
    """The product master side of an adapter (SAP, NetSuite, Tryton, Oracle). Kept apart from
    ``ErpAdapter`` so that an ERP without it still serves stock, prices and orders, and the
    ``products`` asset says clearly which ERP cannot feed it.

    A product is read whole (every variant), since Shopify's ``productSet`` replaces the lists it
    is sent: a change to one variant yields its whole product."""

    def product_changes(self, cursor: str | None) -> Iterator[ProductPage]:
        """Products changed since ``cursor`` (the ERP's own change stamp, re-reading an overlap
        window and deduped), each page with the cursor to resume after it. ``None``: every product."""

    def product_snapshot(self, items: Sequence[str]) -> Iterator[list[ProductRecord]]:
        """The current state of the products with these product codes (unknown codes are left out)."""


@runtime_checkable
class CustomerStore(Protocol):
    """The customer side of an adapter: customers and B2B company locations, both ways. Kept apart
    from ``ErpAdapter`` like ``ProductSource``, so an ERP without it says so clearly."""

    def find_customer(self, external_ref: str) -> CustomerRecord | None:
        """The ERP customer whose external reference is ``external_ref``, with its addresses."""

    def upsert_customer(self, customer: CustomerRecord) -> CustomerRecord:
        """Found by ``customer.external_ref`` (or ``erp_number``) and updated, else created: never
        duplicated. Returns the ERP's state after the write (``erp_number`` set). Sent once: the
        caller owns retries, and a retry finds before it creates."""

    def customer_changes(self, cursor: str | None) -> Iterator[CustomerPage]:
        """Customers created or changed in the ERP since ``cursor`` (the ERP's own change stamp,
        re-reading an overlap window and deduped), each page with the cursor to resume after it."""


def customer_store(adapter: object) -> CustomerStore:
    """The adapter's customer side, or a data error saying this ERP keeps no customers in sync
    (dead-lettered with its payload, so nothing is lost once the ERP gains it)."""
    if not isinstance(adapter, CustomerStore):
        name = getattr(adapter, "name", type(adapter).__name__)
        raise DataError(f"{name}: customers are not kept in this ERP", codes=("NOT_SUPPORTED",), system=str(name))
    return adapter
