"""Tryton (trytond 8.2 with ``stock`` and ``sale``) behind the ``ErpAdapter`` protocol.

Inventory journal: ``stock.move`` rows whose ``create_date`` or ``write_date`` is at or after the
high-water mark minus an overlap window. Moves written in one transaction share a timestamp and a
transaction that started earlier can commit later, so the window is re-read and each move version
(``id@stamp``) is delivered once: the cursor carries the mark and the versions already seen inside
the window. Touched products are then read as absolute quantities per warehouse.

Available quantity = the smaller of ``forecast_quantity`` up to today and over Tryton's full
horizon: a confirmed sale's outgoing move lowers it at once (the inventory sync subtracts only
orders not yet in the ERP), while a planned receipt never raises it before it is done.

Sales: ``sales.TrytonSales`` (sent once; order delivery retries them). Shipments: done customer
shipments (``shipments.read_shipments``). Customers: ``customers.TrytonCustomers``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from erp_shopify.config import TrytonConfig
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.erp.tryton.customers import TrytonCustomers
from erp_shopify.erp.tryton.products import TrytonProducts, record_stamp
from erp_shopify.erp.tryton.rpc import SYSTEM, TrytonRpc
from erp_shopify.erp.tryton.sales import TrytonSales
from erp_shopify.erp.tryton.shipments import read_shipments
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
from erp_shopify.retrying import RetryPolicy, call_with_retries


def _version(move: dict[str, Any]) -> str:
    return f"{move['id']}@{record_stamp(move).isoformat()}"


def _change(level: StockLevel, moves: list[dict[str, Any]]) -> InventoryChange:
    """The change id names the newest move version behind the level: new moves, new id."""
    newest = max(moves, key=lambda m: (record_stamp(m), m["id"]))
    return InventoryChange(
        **level.model_dump(),
        change_id=f"{level.location}/{level.item_code}/move-{_version(newest)}",
        changed_at=record_stamp(newest).replace(tzinfo=UTC),
    )


def encode_cursor(mark: datetime | None, seen: set[str]) -> str:
    return json.dumps({"mark": mark.isoformat() if mark else None, "seen": sorted(seen)}, separators=(",", ":"))


def decode_cursor(cursor: str | None) -> tuple[datetime | None, set[str]]:
    if not cursor:
        return None, set()
    try:
        data = json.loads(cursor)
        mark = datetime.fromisoformat(data["mark"]) if data["mark"] else None
        return mark, set(data["seen"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"not a Tryton journal cursor: {cursor[:80]!r}", body=cursor, system=SYSTEM) from exc


class TrytonAdapter(ErpAdapter):
    name = "tryton"

    def __init__(
        self,
        config: TrytonConfig,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        overlap: timedelta = timedelta(minutes=5),
        page_size: int = 200,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self.retry = retry or RetryPolicy()
        self.overlap = overlap
        self.page_size = page_size
        self.rpc = TrytonRpc(
            config.base_url,
            config.database,
            config.username.value(),
            config.password.value(),
            timeout=timeout,
            transport=transport,
        )
        self._warehouses: list[tuple[int, str]] | None = None
        self.products = TrytonProducts(self._read, overlap=overlap)
        self.customers = TrytonCustomers(self.rpc, self._read, overlap=overlap)
        self.sales = TrytonSales(self.rpc, config.party, self.customers)

    def _read(self, model: str, method: str, *args: Any, context: dict[str, Any] | None = None) -> Any:
        """A read is safe to repeat: retried per call."""
        return call_with_retries(lambda: self.rpc.model(model, method, *args, context=context), self.retry)

    # inventory ---------------------------------------------------------------------------------

    def warehouses(self) -> list[tuple[int, str]]:
        """(id, code) of the configured warehouses (all when the config names none)."""
        if self._warehouses is None:
            rows = self._read("stock.location", "search_read", [("type", "=", "warehouse")], 0, None, None, ["code"])
            wanted = set(self.config.warehouses)
            self._warehouses = [(r["id"], r["code"]) for r in rows if r["code"] and (not wanted or r["code"] in wanted)]
            missing = wanted - {code for _, code in self._warehouses}
            if missing:
                raise DataError(f"Tryton has no warehouse with code {sorted(missing)}", system=SYSTEM)
        return self._warehouses

    def journal_position(self) -> str | None:
        newest = self._read("stock.move", "search_read", [], 0, 1, [("write_date", "DESC NULLS LAST")], ["id"])
        latest = self._read("stock.move", "search_read", [], 0, 1, [("create_date", "DESC")], ["id"])
        if not newest and not latest:
            return None
        ids = [row["id"] for row in newest + latest]
        moves = self._read("stock.move", "read", ids, ["create_date", "write_date"])
        mark = max(record_stamp(m) for m in moves)
        window = self._moves_since(mark - self.overlap)
        return encode_cursor(mark, {_version(m) for m in window})

    def _moves_since(self, since: datetime | None) -> list[dict[str, Any]]:
        """Every move written at or after ``since``, read by id ranges so concurrent inserts cannot shift pages."""
        domain: list[Any] = [] if since is None else ["OR", ("create_date", ">=", since), ("write_date", ">=", since)]
        fields = ["product", "create_date", "write_date"]
        moves: list[dict[str, Any]] = []
        last_id = 0
        while True:
            batch = self._read(
                "stock.move", "search_read", [("id", ">", last_id), domain], 0, 1000, [("id", "ASC")], fields
            )
            moves.extend(batch)
            if len(batch) < 1000:
                return moves
            last_id = batch[-1]["id"]

    def inventory_changes(self, cursor: str | None) -> Iterator[InventoryPage]:
        mark, seen = decode_cursor(cursor)
        moves = self._moves_since(mark - self.overlap if mark else None)
        by_product: dict[int, list[dict[str, Any]]] = {}
        for move in moves:
            if _version(move) not in seen:
                by_product.setdefault(move["product"], []).append(move)
        products = sorted(by_product)
        pages = [products[i : i + self.page_size] for i in range(0, len(products), self.page_size)] or [[]]
        delivered = set(seen)
        for number, chunk in enumerate(pages, 1):
            rows = [_change(level, by_product[product_id]) for product_id, level in self._levels(chunk)]
            delivered.update(_version(m) for product_id in chunk for m in by_product[product_id])
            if number == len(pages):  # the whole window is delivered: advance the mark, keep its overlap
                mark = max([record_stamp(m) for m in moves] + ([mark] if mark else []), default=None)
                delivered = {_version(m) for m in moves if mark and record_stamp(m) >= mark - self.overlap}
            yield InventoryPage(rows=rows, cursor=encode_cursor(mark, delivered))

    def inventory_snapshot(self, items: Sequence[str] | None = None) -> Iterator[list[StockLevel]]:
        domain: list[Any] = [("type", "=", "goods"), ("code", "!=", None)]
        if items is not None:
            domain.append(("code", "in", list(items)))
        last_id = 0
        while True:
            ids = self._read(
                "product.product", "search", [("id", ">", last_id), *domain], 0, self.page_size, [("id", "ASC")]
            )
            if not ids:
                return
            yield [level for _, level in self._levels(ids)]
            last_id = ids[-1]

    def _levels(self, product_ids: list[int]) -> Iterator[tuple[int, StockLevel]]:
        if not product_ids:
            return
        for warehouse_id, warehouse_code in self.warehouses():
            today = self._forecast(product_ids, warehouse_id, date.today())
            horizon = self._forecast(product_ids, warehouse_id, None)
            for product_id, (code, quantity) in today.items():
                if code:
                    available = min(quantity, horizon[product_id][1])
                    yield product_id, StockLevel(item_code=code, location=warehouse_code, available=available)

    def _forecast(self, product_ids: list[int], warehouse_id: int, end: date | None) -> dict[int, tuple[str, Decimal]]:
        context: dict[str, Any] = {"locations": [warehouse_id]}
        if end is not None:
            context["stock_date_end"] = end
        rows = self._read(
            "product.product",
            "search_read",
            [("id", "in", product_ids)],
            0,
            None,
            None,
            ["code", "forecast_quantity"],
            context=context,
        )
        return {r["id"]: (r["code"], Decimal(str(r["forecast_quantity"]))) for r in rows}

    # prices ------------------------------------------------------------------------------------

    def prices(self) -> Iterator[list[PriceRecord]]:
        """List prices of salable products, in the company currency, as the ``retail`` price list."""
        preferences = self._read("res.user", "get_preferences", True)
        company = self._read("company.company", "read", [preferences["company"]], ["currency.code"])[0]
        currency = company["currency."]["code"]
        last_id = 0
        while True:
            rows = self._read(
                "product.product",
                "search_read",
                [("id", ">", last_id), ("salable", "=", True), ("code", "!=", None)],
                0,
                self.page_size,
                [("id", "ASC")],
                ["code", "list_price_used"],
            )
            if not rows:
                return
            yield [
                PriceRecord(item_code=r["code"], price_list="retail", currency=currency, price=r["list_price_used"])
                for r in rows
                if r["list_price_used"] is not None
            ]
            last_id = rows[-1]["id"]

    # sales -------------------------------------------------------------------------------------

    def shipment_changes(self, cursor: str | None) -> Iterator[ShipmentPage]:
        return read_shipments(self._read, cursor, overlap=self.overlap, page_size=self.page_size)

    # product master ----------------------------------------------------------------------------

    def product_changes(self, cursor: str | None) -> Iterator[ProductPage]:
        return self.products.changes(cursor)

    def product_snapshot(self, items: Sequence[str]) -> Iterator[list[ProductRecord]]:
        yield self.products.snapshot(items)

    # customers (erp/tryton/customers.py) ------------------------------------------------------

    def find_customer(self, external_ref: str) -> CustomerRecord | None:
        return self.customers.find_customer(external_ref)

    def upsert_customer(self, customer: CustomerRecord) -> CustomerRecord:
        return self.customers.upsert_customer(customer)

    def customer_changes(self, cursor: str | None) -> Iterator[CustomerPage]:
        return self.customers.changes(cursor)

    def find_sales_order(self, external_ref: str) -> ErpDocument | None:
        return self.sales.find_sales_order(external_ref)

    def create_sales_order(self, order: SalesOrder, *, known_new: bool = False) -> ErpDocument:
        return self.sales.create_sales_order(order, known_new=known_new)

    def cancel_sales_order(self, external_ref: str) -> ErpDocument:
        return self.sales.cancel_sales_order(external_ref)

    def create_credit(self, credit: CreditNote) -> ErpDocument:
        return self.sales.create_credit(credit)

    # connection --------------------------------------------------------------------------------

    def health(self) -> None:
        """One authenticated call, not retried: a probe reports, it does not wait."""
        self.rpc.model("res.user", "get_preferences", True)

    def close(self) -> None:
        self.rpc.close()
