"""NetSuite over REST web services behind the ``ErpAdapter`` protocol: SuiteQL for stock and prices
(``suiteql``), the record API for documents (``orders``), one signed session (``rest``).

Documents are written by external id (``PUT .../salesOrder/eid:<ref>`` is an upsert) after a
lookup. A write whose response is lost is not resent blindly: it raises, and the next attempt
looks the document up first, so an order NetSuite already committed is found, not overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx

from erp_shopify.config import NetSuiteConfig
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.erp.netsuite import suiteql
from erp_shopify.erp.netsuite.customers import NetSuiteCustomers
from erp_shopify.erp.netsuite.orders import (
    CANCELLED,
    ItemRefs,
    charge_item_codes,
    credit_item_codes,
    credit_memo_body,
    document,
    sales_order_body,
)
from erp_shopify.erp.netsuite.products import NetSuiteProducts
from erp_shopify.erp.netsuite.rest import DEFAULT_RETRIES, SYSTEM, RestClient, validate_external_id
from erp_shopify.erp.netsuite.shipments import read_shipments
from erp_shopify.erp.netsuite.suiteql import TIME_FORMAT, change_id, seen_key
from erp_shopify.errors import DataError, TransientError
from erp_shopify.mapping.order_totals import check_credit, check_total, total_mismatch
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

MAX_PAGE = 1000  # SuiteQL's largest page
BASE_PRICE_LEVEL = "1"  # NetSuite's built-in "Base Price" level: our "retail" list


class NetSuiteAdapter(ErpAdapter):
    """``ErpAdapter`` for NetSuite (REST web services, token-based auth)."""

    name = "netsuite"

    def __init__(
        self,
        config: NetSuiteConfig,
        *,
        page_size: int = MAX_PAGE,
        overlap: timedelta = timedelta(minutes=5),
        timeout: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRIES,
        account_timezone: str | None = None,  # defaults to the config's ``account_timezone``
        sleep: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE} (SuiteQL's limit), not {page_size}")
        self.config = config
        self.page_size = page_size
        self.overlap = overlap
        self.zone = ZoneInfo(account_timezone or config.account_timezone)
        self.rest = RestClient(config, timeout=timeout, retry=retry, sleep=sleep, transport=transport)
        self._item_ids: dict[str, str] = {}
        self._sale_units: dict[str, str] = {}  # itemid -> saleunit id ("" when the item has none)
        self.products = NetSuiteProducts(
            lambda q: self.rest.suiteql(q, limit=self.page_size),
            self._pages,
            options=config.matrix_options,
            overlap=overlap,
        )

        self.customers = NetSuiteCustomers(
            self.rest,
            lambda q: self.rest.suiteql(q, limit=self.page_size),
            subsidiary=config.subsidiary,
            overlap=overlap,
            zone=self.zone,
        )

    def _pages(self, query: str, *, retried: bool = True) -> Iterator[list[dict]]:
        return self.rest.pages(query, limit=self.page_size, retried=retried)

    # -- inventory -----------------------------------------------------------------------------

    def journal_position(self) -> str | None:
        rows = self.rest.suiteql(suiteql.JOURNAL_POSITION, limit=self.page_size)["items"]
        changed = rows[0].get("changed") if rows else None
        return suiteql.encode_cursor(changed, {}, self.overlap) if changed else None

    def inventory_changes(self, cursor: str | None) -> Iterator[InventoryPage]:
        """Changes since ``cursor`` as they stood when the read started.

        The read is bounded by the newest change time at its start and by the rows carrying that
        time then (its tie set). A row changed while the read is under way gets a time at or past
        the bound and is left, undelivered and unmarked, to the next read."""
        high, seen = suiteql.parse_cursor(cursor)
        bound = self._latest_changes()
        if bound is None:
            return
        upper, ties = bound
        lower = (datetime.strptime(high, TIME_FORMAT) - self.overlap).strftime(TIME_FORMAT) if high else None
        after: tuple[str, str, str] | None = None
        while True:
            page = self.rest.suiteql(suiteql.changes_query(lower, upper, after), limit=self.page_size)
            rows: list[InventoryChange] = []
            for raw in page["items"]:
                after = (raw["changed"], raw["item"], raw["location"])
                change = change_id(raw)
                if seen_key(change) in seen or (raw["changed"] == upper and change not in ties):
                    continue
                rows.append(
                    InventoryChange(
                        item_code=raw["itemid"],
                        location=str(raw["location"]),
                        available=Decimal(str(raw.get("quantityavailable", "0"))),
                        change_id=change,
                        changed_at=datetime.strptime(raw["changed"], TIME_FORMAT).replace(tzinfo=self.zone),
                    )
                )
                seen[seen_key(change)] = raw["changed"]
                high = max(high or raw["changed"], raw["changed"])
            yield InventoryPage(rows=rows, cursor=suiteql.encode_cursor(high, seen, self.overlap))
            if not page["hasMore"]:
                return

    def _latest_changes(self) -> tuple[str, set[str]] | None:
        """The newest change time and the change ids carrying it, or None for an empty account."""
        rows = [row for page in self._pages(suiteql.LATEST_CHANGES) for row in page]
        if not rows:
            return None
        upper = max(row["changed"] for row in rows)
        return upper, {change_id(row) for row in rows if row["changed"] == upper}

    def inventory_snapshot(self, items: Sequence[str] | None = None) -> Iterator[list[StockLevel]]:
        for query in suiteql.snapshot_queries(items):
            for rows in self._pages(query):
                yield [
                    StockLevel(
                        item_code=r["itemid"],
                        location=str(r["location"]),
                        available=Decimal(str(r.get("quantityavailable", "0"))),
                    )
                    for r in rows
                ]

    def shipment_changes(self, cursor: str | None) -> Iterator[ShipmentPage]:
        return read_shipments(self.rest, cursor, overlap=self.overlap, page_size=self.page_size)

    def product_changes(self, cursor: str | None) -> Iterator[ProductPage]:
        return self.products.changes(cursor)

    def product_snapshot(self, items: Sequence[str]) -> Iterator[list[ProductRecord]]:
        yield self.products.snapshot(list(items))

    def prices(self) -> Iterator[list[PriceRecord]]:
        """Item pricing per price level and currency; ``quantity`` > 0 rows are quantity breaks."""
        for rows in self._pages(suiteql.PRICES):
            yield [
                PriceRecord(
                    item_code=r["itemid"],
                    price_list="retail" if str(r["pricelevel"]) == BASE_PRICE_LEVEL else r["pricelevelname"],
                    currency=r["currency"],
                    price=Decimal(str(r["unitprice"])),
                    min_quantity=max(1, int(Decimal(str(r.get("quantity", "0"))))),
                )
                for r in rows
                if r.get("unitprice") is not None
            ]

    # -- documents -----------------------------------------------------------------------------

    def _item_internal_ids(self, codes: Sequence[str]) -> dict[str, str]:
        missing = sorted({c for c in codes if c not in self._item_ids})
        if missing:
            for rows in self._pages(suiteql.item_ids_query(missing), retried=False):
                self._item_ids.update({r["itemid"]: str(r["id"]) for r in rows})
                self._sale_units.update({r["itemid"]: str(r.get("saleunit") or "") for r in rows})
        unknown = sorted({c for c in codes if c not in self._item_ids})
        if unknown:
            raise DataError(
                f"NetSuite has no item with itemid {', '.join(map(repr, unknown))}",
                codes=("UNKNOWN_ITEM",),
                body={"unknown_items": unknown, "looked_up": missing},
                system=SYSTEM,
            )
        return {c: self._item_ids[c] for c in codes}

    # -- customers -------------------------------------------------------------------------------

    def find_customer(self, external_ref: str) -> CustomerRecord | None:
        return self.customers.find_customer(external_ref)

    def upsert_customer(self, customer: CustomerRecord) -> CustomerRecord:
        return self.customers.upsert_customer(customer)

    def customer_changes(self, cursor: str | None) -> Iterator[CustomerPage]:
        return self.customers.customer_changes(cursor)

    def find_sales_order(self, external_ref: str) -> ErpDocument | None:
        record = self.rest.get_record("salesOrder", external_ref)
        return document(record) if record else None

    def create_sales_order(self, order: SalesOrder, *, known_new: bool = False) -> ErpDocument:
        existing = None if known_new else self.find_sales_order(order.external_ref)
        if existing:
            return existing
        amounts = check_total(order)  # what is sent is what was proven to reproduce Shopify's total
        extra = [self.config.discount_item] if self.config.discount_item else []
        extra += charge_item_codes(order, self.config)
        ids = self._item_internal_ids([line.item_code for line in order.lines] + extra)
        units = {code: self._sale_units[code] for code in ids if self._sale_units.get(code)}
        body = sales_order_body(order, amounts, ItemRefs(ids, units, ids.get(self.config.discount_item)), self.config)
        self.rest.upsert("salesOrder", order.external_ref, body)
        record = self.rest.get_record("salesOrder", order.external_ref)
        if record is None:  # NetSuite said 204 but cannot show the record: retrying is the fix
            raise TransientError(f"sales order {order.external_ref} not readable after create", system=SYSTEM)
        created = document(record)
        total = record.get("total")
        if order.total is not None and total is not None and Decimal(str(total)) != order.total:
            raise total_mismatch(order, Decimal(str(total)), f"NetSuite sales order {created.number}'s")
        return created

    def cancel_sales_order(self, external_ref: str) -> ErpDocument:
        record = self.rest.get_record("salesOrder", external_ref)
        if record is None:
            raise DataError(
                f"no NetSuite sales order with externalId {external_ref!r} to cancel",
                status=404,
                body={"externalId": external_ref},
                system=SYSTEM,
            )
        current = document(record)
        if current.status == "cancelled":
            return current
        path = self.rest.record_path("salesOrder", external_ref)
        self.rest.call("PATCH", path, json={"orderStatus": {"id": CANCELLED}}, retried=False)
        cancelled = self.find_sales_order(external_ref)
        assert cancelled is not None  # it was there a moment ago; a delete would have raised
        return cancelled

    def create_credit(self, credit: CreditNote) -> ErpDocument:
        existing = self.rest.get_record("creditMemo", credit.external_ref)
        if existing:
            return document(existing)
        order = self.rest.get_record("salesOrder", validate_external_id(credit.order_ref))
        if order is None:
            raise DataError(
                f"credit {credit.external_ref} refers to order {credit.order_ref!r}, which NetSuite does not hold",
                status=404,
                body={"order_ref": credit.order_ref},
                system=SYSTEM,
            )
        ids = self._item_internal_ids(credit_item_codes(credit, self.config))
        self.rest.upsert("creditMemo", credit.external_ref, credit_memo_body(credit, order, ids, self.config))
        created = self.rest.get_record("creditMemo", credit.external_ref)
        if created is None:
            raise TransientError(f"credit memo {credit.external_ref} not readable after create", system=SYSTEM)
        memo = document(created)
        if created.get("total") is not None:
            check_credit(credit, Decimal(str(created["total"])), f"NetSuite credit memo {memo.number}'s")
        return memo

    # -- connection ----------------------------------------------------------------------------

    def health(self) -> None:
        self.rest.suiteql(suiteql.LOCATIONS, limit=self.page_size)

    def close(self) -> None:
        self.rest.close()
