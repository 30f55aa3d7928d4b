"""SAP S/4HANA behind the ERP adapter protocol, over the released OData v2 APIs.

- Stock changes, here: material documents (``API_MATERIAL_DOCUMENT_SRV``) created since the
  cursor, then the absolute unrestricted stock of the touched materials (``API_MATERIAL_STOCK_SRV``),
  because the stock entity has no change timestamp. Every read is retried (``ODataClient.get``).
- Prices: ``prices.read_prices`` (sales pricing condition records, read as a snapshot).
- Shipments: ``deliveries.read_shipments`` (outbound deliveries with their goods issue posted).
- Product master: ``products.SapProducts`` (``API_PRODUCT_SRV``, by ``LastChangeDateTime``).
- Customers: ``customers.SapCustomers`` (``API_BUSINESS_PARTNER``, found by the external BP number).
- Orders and credits: ``orders.SapOrders`` (sent once; order delivery retries them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from erp_shopify.config import SapConfig
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.erp.sap.auth import sap_auth
from erp_shopify.erp.sap.customers import SapCustomers
from erp_shopify.erp.sap.deliveries import read_shipments
from erp_shopify.erp.sap.journal import Journal
from erp_shopify.erp.sap.odata import (
    DEFAULT_RETRY,
    SYSTEM,
    ODataClient,
    datetime_literal,
    filter_chunks,
    parse_date,
    parse_time,
    results,
    string_literal,
    time_literal,
)
from erp_shopify.erp.sap.orders import SALES_ORDERS, SapOrders
from erp_shopify.erp.sap.prices import read_prices
from erp_shopify.erp.sap.products import SapProducts
from erp_shopify.errors import DataError
from erp_shopify.records import (
    CreditNote,
    CustomerPage,
    CustomerRecord,
    ErpDocument,
    InventoryChange,
    InventoryPage,
    PriceRecord,
    ProductPage,
    ProductRecord,
    SalesOrder,
    ShipmentPage,
    StockLevel,
)
from erp_shopify.retrying import RetryPolicy

MATERIAL_DOCUMENTS = "API_MATERIAL_DOCUMENT_SRV"
MATERIAL_STOCK = "API_MATERIAL_STOCK_SRV"
UNRESTRICTED = "01"  # InventoryStockType of stock that can be sold
MATERIAL_TERM = 20  # a "Material eq '...' or " term beside the material number


class SapAdapter(ErpAdapter):
    name = "sap"

    def __init__(
        self,
        config: SapConfig,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        page_size: int = 1000,
        overlap: timedelta = timedelta(minutes=5),
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self.page_size = page_size
        self.overlap = overlap
        self.odata = ODataClient(
            config.base_url, auth=sap_auth(config), timeout=timeout, retry=retry, transport=transport
        )
        self.orders = SapOrders(self.odata, config)
        self.products = SapProducts(self.odata, page_size=page_size, overlap=overlap, language=config.product_language)
        self.customers = SapCustomers(self.odata, page_size=page_size, overlap=overlap)

    # --- inventory -------------------------------------------------------------------------------

    def journal_position(self) -> str | None:
        latest = self.odata.get(
            self.odata.url(MATERIAL_DOCUMENTS, "A_MaterialDocumentHeader"),
            {
                "$select": "MaterialDocumentYear,MaterialDocument,CreationDate,CreationTime",
                "$orderby": "CreationDate desc,CreationTime desc",
                "$top": "1",
            },
        )
        rows = results(latest)
        if not rows:
            return None
        journal = Journal(self.overlap, at=_created(rows[0]))
        for page in self._documents(journal, expand=False):
            for header in page:
                journal.observe(_document_key(header), _created(header))
        return journal.encode()

    def inventory_changes(self, cursor: str | None) -> Iterator[InventoryPage]:
        journal = Journal.decode(cursor, self.overlap)
        for page in self._documents(journal, expand=True):
            moves: list[tuple[str, datetime, dict[str, Any]]] = []
            for header in page:
                created, key = _created(header), _document_key(header)
                if journal.observe(key, created):
                    for item in results(header.get("to_MaterialDocumentItem")):
                        if item.get("Material") and item.get("Plant") and item.get("StorageLocation"):
                            moves.append((f"{key}/{item['MaterialDocumentItem']}", created, item))
            stock = self._unrestricted_stock({item["Material"] for _, _, item in moves})
            rows = [
                InventoryChange(
                    item_code=item["Material"],
                    location=f"{item['Plant']}/{item['StorageLocation']}",
                    available=stock.get((item["Material"], item["Plant"], item["StorageLocation"]), Decimal(0)),
                    change_id=change_id,
                    changed_at=created,
                )
                for change_id, created, item in moves
            ]
            yield InventoryPage(rows=rows, cursor=journal.encode())

    def inventory_snapshot(self, items: Sequence[str] | None = None) -> Iterator[list[StockLevel]]:
        if items is None:
            yield from _aggregate(self._stock_rows(f"InventoryStockType eq '{UNRESTRICTED}'"))
            return
        for chunk in filter_chunks(sorted(set(items)), MATERIAL_TERM):
            levels = [StockLevel(item_code=m, location=f"{p}/{s}", available=q) for (m, p, s), q in self._sum(chunk)]
            if levels:
                yield levels

    def _documents(self, journal: Journal, *, expand: bool) -> Iterator[list[dict[str, Any]]]:
        params = {
            "$orderby": "CreationDate,CreationTime,MaterialDocumentYear,MaterialDocument",
            "$select": "MaterialDocumentYear,MaterialDocument,CreationDate,CreationTime",
        }
        if expand:
            params["$expand"] = "to_MaterialDocumentItem"
            params["$select"] += "," + ",".join(
                f"to_MaterialDocumentItem/{name}"
                for name in ("MaterialDocumentItem", "Material", "Plant", "StorageLocation")
            )
        start = journal.window_start()
        if start is not None:
            day, clock = datetime(start.year, start.month, start.day), start - start.replace(hour=0, minute=0, second=0)
            params["$filter"] = (
                f"CreationDate gt {datetime_literal(day)} or "
                f"(CreationDate eq {datetime_literal(day)} and CreationTime ge {time_literal(clock)})"
            )
        yield from self.odata.pages(MATERIAL_DOCUMENTS, "A_MaterialDocumentHeader", params, self.page_size)

    def _stock_rows(self, condition: str) -> Iterator[list[dict[str, Any]]]:
        params = {
            "$filter": condition,
            "$select": "Material,Plant,StorageLocation,MatlWrhsStkQtyInMatlBaseUnit",
            "$orderby": "Material,Plant,StorageLocation",
        }
        yield from self.odata.pages(MATERIAL_STOCK, "A_MatlStkInAcctMod", params, self.page_size)

    def _sum(self, materials: Sequence[str]) -> list[tuple[tuple[str, str, str], Decimal]]:
        """Unrestricted stock of ``materials`` summed per plant and storage location (over batches)."""
        wanted = " or ".join(f"Material eq {string_literal(m)}" for m in materials)
        totals: dict[tuple[str, str, str], Decimal] = {}
        for page in self._stock_rows(f"({wanted}) and InventoryStockType eq '{UNRESTRICTED}'"):
            for row in page:
                key = (row["Material"], row["Plant"], row["StorageLocation"])
                totals[key] = totals.get(key, Decimal(0)) + Decimal(row["MatlWrhsStkQtyInMatlBaseUnit"])
        return sorted(totals.items())

    def _unrestricted_stock(self, materials: Iterable[str]) -> dict[tuple[str, str, str], Decimal]:
        stock: dict[tuple[str, str, str], Decimal] = {}
        for chunk in filter_chunks(sorted(materials), MATERIAL_TERM):
            stock.update(self._sum(chunk))
        return stock

    # --- prices ----------------------------------------------------------------------------------

    def prices(self) -> Iterator[list[PriceRecord]]:
        return read_prices(self.odata, self.config, self.page_size)

    # --- shipments -------------------------------------------------------------------------------

    def shipment_changes(self, cursor: str | None) -> Iterator[ShipmentPage]:
        return read_shipments(
            self.odata,
            cursor,
            overlap_days=self.config.delivery_overlap_days,
            tracking_field=self.config.tracking_field,
            page_size=self.page_size,
        )

    # --- product master --------------------------------------------------------------------------

    def product_changes(self, cursor: str | None) -> Iterator[ProductPage]:
        return self.products.changes(cursor)

    def product_snapshot(self, items: Sequence[str]) -> Iterator[list[ProductRecord]]:
        for chunk in filter_chunks(sorted(set(items)), MATERIAL_TERM):
            yield self.products.snapshot(chunk)

    # --- customers -------------------------------------------------------------------------------

    def find_customer(self, external_ref: str) -> CustomerRecord | None:
        return self.customers.find_customer(external_ref)

    def upsert_customer(self, customer: CustomerRecord) -> CustomerRecord:
        return self.customers.upsert_customer(customer)

    def customer_changes(self, cursor: str | None) -> Iterator[CustomerPage]:
        return self.customers.customer_changes(cursor)

    # --- orders ----------------------------------------------------------------------------------

    def find_sales_order(self, external_ref: str) -> ErpDocument | None:
        return self.orders.find_sales_order(external_ref)

    def create_sales_order(self, order: SalesOrder, *, known_new: bool = False) -> ErpDocument:
        return self.orders.create_sales_order(order, known_new=known_new)

    def cancel_sales_order(self, external_ref: str) -> ErpDocument:
        return self.orders.cancel_sales_order(external_ref)

    def create_credit(self, credit: CreditNote) -> ErpDocument:
        return self.orders.create_credit(credit)

    # --- connection ------------------------------------------------------------------------------

    def health(self) -> None:
        """Fetching a CSRF token proves host, credentials and authorisation in one cheap GET."""
        self.odata.fetch_csrf_token(SALES_ORDERS)

    def close(self) -> None:
        self.odata.close()


def _created(header: dict[str, Any]) -> datetime:
    day = parse_date(header["CreationDate"])
    if day is None:
        raise DataError(f"material document {_document_key(header)} has no CreationDate", body=header, system=SYSTEM)
    return day + parse_time(header["CreationTime"])


def _document_key(header: dict[str, Any]) -> str:
    return f"{header['MaterialDocumentYear']}/{header['MaterialDocument']}"


def _aggregate(pages: Iterator[list[dict[str, Any]]]) -> Iterator[list[StockLevel]]:
    """Sum stock rows (one per batch / special stock) per material, plant and storage location.
    Rows arrive ordered by that key, so only the last, possibly unfinished, group is held back."""
    pending: tuple[tuple[str, str, str], Decimal] | None = None
    for page in pages:
        levels: list[StockLevel] = []
        for row in page:
            key = (row["Material"], row["Plant"], row["StorageLocation"])
            quantity = Decimal(row["MatlWrhsStkQtyInMatlBaseUnit"])
            if pending and pending[0] == key:
                pending = (key, pending[1] + quantity)
                continue
            if pending:
                levels.append(_level(*pending))
            pending = (key, quantity)
        if levels:
            yield levels
    if pending:
        yield [_level(*pending)]


def _level(key: tuple[str, str, str], quantity: Decimal) -> StockLevel:
    material, plant, location = key
    return StockLevel(item_code=material, location=f"{plant}/{location}", available=quantity)
