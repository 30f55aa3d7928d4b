"""Oracle Fusion Cloud SCM behind the ``ErpAdapter``, ``ProductSource`` and ``CustomerStore``
protocols: on-hand balances (a snapshot difference, ``snapshot_feed``), price lists (``prices``),
the item master (``items``), shipments (``shipments``), sales and return orders in Order Management
(``orders``) over the SCM REST session (``rest``), and customers (``customers``) over the CRM one.

Orders are addressed by ``SourceTransactionSystem:SourceTransactionId``: a create whose answer was
lost is resolved by the read that every create not proven new starts with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from erp_shopify.config import OracleConfig
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.erp.oracle import charges, orders, prices
from erp_shopify.erp.oracle.customers import OracleCustomers
from erp_shopify.erp.oracle.items import OracleItems
from erp_shopify.erp.oracle.rest import (
    CRM_ROOT,
    DEFAULT_RETRIES,
    IN_LIST_CHUNK,
    MAX_PAGE,
    SYSTEM,
    FusionRest,
    all_of,
    children,
    equals,
    one_of,
)
from erp_shopify.erp.oracle.shipments import read_shipments
from erp_shopify.erp.oracle.snapshot_feed import SnapshotFeed
from erp_shopify.errors import DataError, TransientError
from erp_shopify.mapping.order_totals import check_credit, check_total, total_mismatch
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
from erp_shopify.retrying import RetryPolicy
from erp_shopify.store.onhand_snapshots import OnhandSnapshots

ONHAND = "inventoryOnhandBalances"
ONHAND_FIELDS = ("ItemNumber", "OrganizationCode", "SubinventoryCode", "AvailableToTransact")
ONHAND_ORDER = ("ItemNumber", "OrganizationCode", "SubinventoryCode")


class OracleAdapter(ErpAdapter):
    """``ErpAdapter``, ``ProductSource`` and ``CustomerStore`` for Oracle Fusion Cloud. ``tables`` keeps the
    on-hand change feed's snapshots (Redis); orders, prices, items and shipments need none."""

    name = "oracle"

    def __init__(
        self,
        config: OracleConfig,
        *,
        page_size: int = MAX_PAGE,
        overlap: timedelta = timedelta(minutes=5),
        timeout: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRIES,
        sleep: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        tables: OnhandSnapshots | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(
                f"page_size must be between 1 and {MAX_PAGE} (the REST framework's limit), not {page_size}"
            )
        self.config = config
        self.page_size = page_size
        self.overlap = overlap
        self.tables = tables  # the on-hand snapshot tables (Redis); closed with the adapter
        self.rest = FusionRest(config, timeout=timeout, retry=retry, sleep=sleep, transport=transport)
        self.crm = FusionRest(config, timeout=timeout, retry=retry, sleep=sleep, transport=transport, root=CRM_ROOT)
        self.customers = OracleCustomers(
            self.crm, source_system=config.source_system, overlap=overlap, page_size=page_size
        )
        self.items = OracleItems(
            self.rest,
            organization=config.item_organization,
            options=config.item_options,
            overlap=overlap,
            page_size=page_size,
        )

    # -- inventory -----------------------------------------------------------------------------

    def _scope(self) -> str | None:
        return all_of(
            one_of("OrganizationCode", self.config.organizations) if self.config.organizations else None,
            one_of("SubinventoryCode", self.config.subinventories) if self.config.subinventories else None,
        )

    def _balances(self, q: str | None) -> Iterator[list[StockLevel]]:
        """Stock per item and subinventory, page by page.

        Oracle keeps a balance per lot, locator or revision of a controlled item: those rows are
        summed. Read in item, organization, subinventory order they are adjacent, so only the last
        level of a page is held back, in case the next page goes on with it."""
        held: StockLevel | None = None
        for rows in self.rest.pages(ONHAND, limit=self.page_size, q=q, fields=ONHAND_FIELDS, order_by=ONHAND_ORDER):
            summed: list[StockLevel] = []
            for row in rows:
                level = StockLevel(
                    item_code=row["ItemNumber"],
                    location=f"{row['OrganizationCode']}/{row['SubinventoryCode']}",
                    available=Decimal(str(row.get("AvailableToTransact") or 0)),
                )
                if held and (held.item_code, held.location) == (level.item_code, level.location):
                    level = level.model_copy(update={"available": held.available + level.available})
                elif held:
                    summed.append(held)
                held = level
            yield summed
        if held:
            yield [held]

    def _feed(self) -> SnapshotFeed:
        if self.tables is None:
            raise DataError(
                "Oracle's on-hand change feed keeps its snapshot tables in Redis: build the adapter with "
                "the redis settings (erp_shopify.erp.build_adapter(config, inventory, redis))",
                codes=("NO_SNAPSHOT_STORE",),
                system=SYSTEM,
            )
        return SnapshotFeed(self.tables, lambda: self._balances(self._scope()))

    def journal_position(self) -> str | None:
        """The whole current snapshot as a cursor: the next read reports what changes after it."""
        return self._feed().position()

    def inventory_changes(self, cursor: str | None) -> Iterator[InventoryPage]:
        """One full pass over the balances, yielding the rows whose quantity differs from the
        cursor's table (``snapshot_feed``); only pages that carry changes are yielded."""
        return self._feed().changes(cursor)

    def inventory_snapshot(self, items: Sequence[str] | None = None) -> Iterator[list[StockLevel]]:
        if items is None:
            yield from self._balances(self._scope())
            return
        for start in range(0, len(items), IN_LIST_CHUNK):
            chunk = list(items[start : start + IN_LIST_CHUNK])
            yield from self._balances(all_of(one_of("ItemNumber", chunk), self._scope()))

    def prices(self) -> Iterator[list[PriceRecord]]:
        """Every approved price list's items with their sale-price charges and quantity breaks."""
        lists = self.rest.pages(prices.RESOURCE, q=equals("StatusCode", "APPROVED"), fields=prices.LIST_FIELDS)
        for price_lists in lists:
            for price_list in price_lists:
                path = f"{prices.RESOURCE}/{price_list['PriceListId']}/child/items"
                for items in self.rest.pages(path, limit=self.page_size, expand=prices.ITEM_EXPAND):
                    yield [
                        record
                        for item in items
                        for record in prices.price_records(price_list, item, self.config.retail_price_list)
                    ]

    # -- shipments -----------------------------------------------------------------------------

    def shipment_changes(self, cursor: str | None) -> Iterator[ShipmentPage]:
        return read_shipments(
            self.rest, cursor, source_system=self.config.source_system, overlap=self.overlap, page_size=self.page_size
        )

    # -- customers -----------------------------------------------------------------------------

    def find_customer(self, external_ref: str) -> CustomerRecord | None:
        return self.customers.find(external_ref)

    def upsert_customer(self, customer: CustomerRecord) -> CustomerRecord:
        return self.customers.upsert(customer)

    def customer_changes(self, cursor: str | None) -> Iterator[CustomerPage]:
        return self.customers.changes(cursor)

    # -- product master ------------------------------------------------------------------------

    def product_changes(self, cursor: str | None) -> Iterator[ProductPage]:
        return self.items.changes(cursor)

    def product_snapshot(self, items: Sequence[str]) -> Iterator[list[ProductRecord]]:
        yield self.items.families(list(items))

    # -- documents -----------------------------------------------------------------------------

    def _order(self, external_ref: str, **params: Any) -> dict[str, Any] | None:
        return self.rest.get_item(orders.RESOURCE, orders.order_key(self.config, external_ref), **params)

    def find_sales_order(self, external_ref: str) -> ErpDocument | None:
        found = self._order(external_ref, fields=orders.FIELDS)
        return orders.document(found) if found else None

    def _create(self, body: dict[str, Any]) -> ErpDocument:
        created = self.rest.call("POST", orders.RESOURCE, json=body, retried=False).json()
        if not created.get("SourceTransactionId"):  # an answer without the order: reading it again is the fix
            raise TransientError(f"order {body['SourceTransactionId']} not in the create answer", system=SYSTEM)
        return orders.document(created)

    def create_sales_order(self, order: SalesOrder, *, known_new: bool = False) -> ErpDocument:
        """The order with its charges, once proven to reproduce Shopify's total; then Oracle's own
        primary total must be Shopify's, else a data error naming both (the order stays in Oracle)."""
        existing = None if known_new else self.find_sales_order(order.external_ref)
        if existing:
            return existing
        kinds = [charge.kind for charge in order.charges]
        what = f"{order.external_ref}: the order has {', '.join(kinds)} charges"
        if missing := orders.unconfigured(kinds, self.config, what):
            raise missing
        amounts = check_total(order)  # what is sent is what was proven to reproduce Shopify's total
        units = self.items.primary_units([line.item_code for line in order.lines if not line.unit])
        created = self._create(orders.sales_order_body(order, amounts, units, self.config))
        self._check_total(order, created)
        return created

    def _check_total(self, order: SalesOrder, created: ErpDocument) -> None:
        if order.total is None:
            return
        total = self._primary_total(order.external_ref)
        if total is not None and total != order.total:
            raise total_mismatch(order, total, f"Oracle sales order {created.number}'s")

    def _primary_total(self, external_ref: str) -> Decimal | None:
        found = self._order(external_ref, fields=charges.TOTALS_FIELDS)
        return charges.primary_total(children(found or {}, "totals"))

    def cancel_sales_order(self, external_ref: str) -> ErpDocument:
        current = self.find_sales_order(external_ref)
        if current is None:
            raise DataError(
                f"no Oracle sales order {orders.order_key(self.config, external_ref)} to cancel",
                status=404,
                body={"SourceTransactionId": external_ref},
                system=SYSTEM,
            )
        if current.status == "canceled":
            return current
        key = orders.order_key(self.config, external_ref)
        answer = self.rest.call(
            "PATCH", f"{orders.RESOURCE}/{key}", json=orders.cancel_body(self.config, external_ref), retried=False
        )
        return orders.document(answer.json())

    def create_credit(self, credit: CreditNote) -> ErpDocument:
        existing = self.find_sales_order(credit.external_ref)
        if existing:
            return existing
        adjusted = ["adjustment"] if credit.adjustment else []
        what = f"refund {credit.external_ref}: an adjustment of {credit.adjustment} {credit.currency}"
        if missing := orders.unconfigured(adjusted, self.config, what):
            raise missing
        check_credit(credit)  # what is sent is what was proven to come to Shopify's refund amount
        if not any(line.quantity > 0 for line in credit.lines):
            raise DataError(
                f"refund {credit.external_ref} returns no item: an Oracle return order (RMA) needs returned items",
                codes=("RETURN_WITHOUT_LINES",),
                body=credit.model_dump(mode="json"),
                system=SYSTEM,
            )
        original = self._order(credit.order_ref, expand="lines")
        if original is None:
            raise DataError(
                f"refund {credit.external_ref} refers to order {credit.order_ref!r}, which Oracle does not hold",
                status=404,
                body={"order_ref": credit.order_ref},
                system=SYSTEM,
            )
        original["lines"] = children(original, "lines")
        created = self._create(orders.return_order_body(credit, original, self.config))
        total = self._primary_total(credit.external_ref)
        if total is not None:  # a return's totals may count against the customer: the credit is their size
            check_credit(credit, abs(total), f"Oracle return order {created.number}'s")
        return created

    # -- connection ----------------------------------------------------------------------------

    def health(self) -> None:
        self.rest.page(ONHAND, limit=1, fields=("ItemNumber",))

    def close(self) -> None:
        self.rest.close()
        self.crm.close()
        if self.tables is not None:
            self.tables.close()
