"""SAP S/4HANA behind the ERP adapter protocol, over the released OData v2 APIs.

- Stock changes: material documents (``API_MATERIAL_DOCUMENT_SRV``) created since the cursor, then
  the absolute unrestricted stock of the touched materials (``API_MATERIAL_STOCK_SRV``), because
  the stock entity has no change timestamp.
- Prices: sales pricing condition records, read as a snapshot (SAP keeps no last-changed date).
- Orders and credits: ``API_SALES_ORDER_SRV`` deep inserts, idempotent on
  ``PurchaseOrderByCustomer``, which is searched before every create the caller cannot prove new.
  Order calls are sent once; order delivery retries them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from erp_shopify.config import SapConfig
from erp_shopify.erp.base import (
    CreditNote,
    ErpAdapter,
    ErpDocument,
    InventoryChange,
    InventoryPage,
    PriceRecord,
    SalesOrder,
    SalesOrderLine,
    StockLevel,
)
from erp_shopify.erp.sap.journal import Journal
from erp_shopify.erp.sap.odata import (
    DEFAULT_RETRY,
    SYSTEM,
    BearerToken,
    ODataClient,
    datetime_literal,
    format_date,
    parse_date,
    parse_time,
    results,
    string_literal,
    time_literal,
)
from erp_shopify.errors import DataError
from erp_shopify.retrying import RetryPolicy

MATERIAL_DOCUMENTS = "API_MATERIAL_DOCUMENT_SRV"
MATERIAL_STOCK = "API_MATERIAL_STOCK_SRV"
PRICING = "API_SLSPRICINGCONDITIONRECORD_SRV"
SALES_ORDERS = "API_SALES_ORDER_SRV"
UNRESTRICTED = "01"  # InventoryStockType of stock that can be sold
MAX_REFERENCE = 35  # PurchaseOrderByCustomer MaxLength in the EDMX
_FILTER_BUDGET = 3000  # characters of "Material eq ... or ...": the URL stays near 4 KB once encoded
_OPEN_END = date(9999, 12, 31)
_ORDER_FIELDS = "SalesOrder,PurchaseOrderByCustomer,SalesOrderType,OverallSDDocumentRejectionSts"


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
    ) -> None:
        self.config = config
        self.page_size = page_size
        self.overlap = overlap
        auth: httpx.Auth | None = None
        bearer: BearerToken | None = None
        if config.auth == "oauth2":
            if not (config.token_url and config.client_id and config.client_secret):
                raise DataError("SAP oauth2 needs token_url, client_id and client_secret", system=SYSTEM)
            bearer = BearerToken(config.token_url, config.client_id.value(), config.client_secret.value())
        elif config.username and config.password:
            auth = httpx.BasicAuth(config.username.value(), config.password.value())
        self.odata = ODataClient(config.base_url, auth=auth, bearer=bearer, timeout=timeout, retry=retry)

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
        for chunk in _chunks(sorted(set(items))):
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
        for chunk in _chunks(sorted(materials)):
            stock.update(self._sum(chunk))
        return stock

    # --- prices ----------------------------------------------------------------------------------

    def prices(self) -> Iterator[list[PriceRecord]]:
        config = self.config
        params = {
            "$filter": (
                f"ConditionType eq {string_literal(config.condition_type)}"
                f" and SalesOrganization eq {string_literal(config.sales_organization)}"
                f" and DistributionChannel eq {string_literal(config.distribution_channel)}"
            ),
            "$expand": "to_SlsPrcgConditionRecord,to_SlsPrcgConditionRecord/to_SlsPrcgCndnRecordScale",
            "$orderby": "ConditionRecord,ConditionValidityEndDate",
        }
        for page in self.odata.pages(PRICING, "A_SlsPrcgCndnRecdValidity", params, self.page_size):
            records = [record for validity in page for record in price_records(validity)]
            if records:
                yield records

    # --- orders ----------------------------------------------------------------------------------

    def find_sales_order(self, external_ref: str) -> ErpDocument | None:
        return self._find(external_ref, self.config.sales_order_type)

    def create_sales_order(self, order: SalesOrder, *, known_new: bool = False) -> ErpDocument:
        existing = None if known_new else self._find(order.external_ref, self.config.sales_order_type)
        if existing is not None:
            return existing
        items = [
            {
                "SalesOrderItem": str(10 * n),
                "Material": line.item_code,
                "RequestedQuantity": str(line.quantity),
                "RequestedQuantityUnit": "PC",
                "SalesOrderItemText": line.description[:40],
                "to_PricingElement": [
                    {
                        "ConditionType": self.config.manual_price_condition_type,
                        "ConditionRateValue": str(net_unit_price(line)),
                        "ConditionCurrency": order.currency,
                    }
                ],
            }
            for n, line in enumerate(order.lines, start=1)
        ]
        return self._create(
            order.external_ref,
            self.config.sales_order_type,
            items,
            currency=order.currency,
            ordered=order.ordered_at,
            sold_to=order.customer.erp_party,
        )

    def cancel_sales_order(self, external_ref: str) -> ErpDocument:
        """Reject every item (SAP cancels an unshipped order by a reason for rejection)."""
        found = self._orders(external_ref, self.config.sales_order_type, expand=True)
        if not found:
            raise DataError(f"no SAP sales order with PurchaseOrderByCustomer {external_ref!r}", system=SYSTEM)
        order = found[0]
        for item in results(order.get("to_Item")):
            if not item.get("SalesDocumentRjcnReason"):
                path = f"A_SalesOrderItem(SalesOrder='{order['SalesOrder']}',SalesOrderItem='{item['SalesOrderItem']}')"
                self.odata.write(
                    "PATCH",
                    self.odata.url(SALES_ORDERS, path),
                    {"SalesDocumentRjcnReason": self.config.rejection_reason},
                    SALES_ORDERS,
                )
        return _document({**order, "OverallSDDocumentRejectionSts": "C"})

    def create_credit(self, credit: CreditNote) -> ErpDocument:
        """A returns order referencing the refunded sales order, idempotent on the refund's own ref."""
        order_type = self.config.credit_order_type
        existing = self._find(credit.external_ref, order_type)
        if existing is not None:
            return existing
        refunded = self._find(credit.order_ref, self.config.sales_order_type)
        if refunded is None:
            raise DataError(
                f"refund {credit.external_ref!r}: no SAP sales order for {credit.order_ref!r}", system=SYSTEM
            )
        items = [
            {
                "SalesOrderItem": str(10 * n),
                "Material": line.item_code,
                "RequestedQuantity": str(line.quantity),
                "RequestedQuantityUnit": "PC",
            }
            for n, line in enumerate((line for line in credit.lines if line.quantity > 0), start=1)
        ]
        if not items:
            raise DataError(f"refund {credit.external_ref!r}: a SAP returns order needs a returned item", system=SYSTEM)
        return self._create(
            credit.external_ref,
            order_type,
            items,
            currency=credit.currency,
            ordered=datetime.now(UTC),
            sold_to=None,
            reference=refunded.number,
        )

    def _create(
        self,
        ref: str,
        order_type: str,
        items: list[dict[str, Any]],
        *,
        currency: str,
        ordered: datetime,
        sold_to: str | None,
        reference: str | None = None,
    ) -> ErpDocument:
        config = self.config
        payload: dict[str, Any] = {
            "SalesOrderType": order_type,
            "SalesOrganization": config.sales_organization,
            "DistributionChannel": config.distribution_channel,
            "OrganizationDivision": config.division,
            "SoldToParty": sold_to or config.sold_to_party,
            "PurchaseOrderByCustomer": ref,
            "CustomerPurchaseOrderDate": format_date(ordered.date()),
            "TransactionCurrency": currency,
            "to_Item": items,
        }
        if reference:
            payload["ReferenceSDDocument"] = reference
        response = self.odata.write("POST", self.odata.url(SALES_ORDERS, "A_SalesOrder"), payload, SALES_ORDERS)
        return _document(response.json()["d"])

    def _find(self, ref: str, order_type: str) -> ErpDocument | None:
        found = self._orders(ref, order_type, expand=False)
        return _document(found[0]) if found else None

    def _orders(self, ref: str, order_type: str, *, expand: bool) -> list[dict[str, Any]]:
        _check_reference(ref)
        params = {
            "$filter": (
                f"PurchaseOrderByCustomer eq {string_literal(ref)} and SalesOrderType eq {string_literal(order_type)}"
            ),
            "$select": _ORDER_FIELDS,
            "$orderby": "SalesOrder",
            "$top": "2",
        }
        if expand:
            params["$expand"] = "to_Item"
            params["$select"] += ",to_Item/SalesOrderItem,to_Item/SalesDocumentRjcnReason"
        return results(self.odata.get(self.odata.url(SALES_ORDERS, "A_SalesOrder"), params, retried=False))

    # --- connection ------------------------------------------------------------------------------

    def health(self) -> None:
        """Fetching a CSRF token proves host, credentials and authorisation in one cheap GET."""
        self.odata.fetch_csrf_token(SALES_ORDERS)

    def close(self) -> None:
        self.odata.close()


def net_unit_price(line: SalesOrderLine) -> Decimal:
    """What the customer paid per unit after the line's discount, at the scale SAP keeps (9)."""
    return ((line.unit_price * line.quantity - line.discount) / line.quantity).quantize(Decimal("0.000000001"))


def price_records(validity: dict[str, Any]) -> list[PriceRecord]:
    """One validity period of a condition record as price records: the base price plus one record
    per quantity scale line. Deleted records and non-positive rates yield nothing."""
    record = validity.get("to_SlsPrcgConditionRecord") or {}
    if not record or record.get("ConditionIsDeleted"):
        return []
    per = Decimal(record.get("ConditionQuantity") or 1) or Decimal(1)
    rate = Decimal(record["ConditionRateValue"])
    if rate <= 0:
        return []
    valid_from = parse_date(validity.get("ConditionValidityStartDate"))
    valid_to = parse_date(validity.get("ConditionValidityEndDate"))
    common = {
        "item_code": validity["Material"],
        "price_list": price_list_of(validity),
        "currency": record["ConditionCurrency"],
        "valid_from": valid_from.date() if valid_from else None,
        "valid_to": valid_to.date() if valid_to and valid_to.date() < _OPEN_END else None,
    }
    prices = [PriceRecord(price=rate / per, **common)]
    for scale in results(record.get("to_SlsPrcgCndnRecordScale")):
        quantity = Decimal(scale.get("ConditionScaleQuantity") or 0)
        if quantity > 1:
            prices.append(
                PriceRecord(price=Decimal(scale["ConditionRateValue"]) / per, min_quantity=int(quantity), **common)
            )
    return prices


def price_list_of(validity: dict[str, Any]) -> str:
    """Which price list a condition feeds: a customer's own, a customer price group's, or retail."""
    if validity.get("Customer"):
        return str(validity["Customer"])
    if validity.get("CustomerPriceGroup"):
        return f"price-group:{validity['CustomerPriceGroup']}"
    return "retail"


def _created(header: dict[str, Any]) -> datetime:
    day = parse_date(header["CreationDate"])
    if day is None:
        raise DataError(f"material document {_document_key(header)} has no CreationDate", body=header, system=SYSTEM)
    return day + parse_time(header["CreationTime"])


def _document_key(header: dict[str, Any]) -> str:
    return f"{header['MaterialDocumentYear']}/{header['MaterialDocument']}"


def _document(order: dict[str, Any]) -> ErpDocument:
    status = "cancelled" if order.get("OverallSDDocumentRejectionSts") == "C" else "open"
    return ErpDocument(number=order["SalesOrder"], external_ref=order["PurchaseOrderByCustomer"], status=status)


def _check_reference(ref: str) -> None:
    if not ref or len(ref) > MAX_REFERENCE:
        raise DataError(
            f"reference {ref!r} is {len(ref)} characters; SAP PurchaseOrderByCustomer holds 1 to {MAX_REFERENCE}",
            system=SYSTEM,
        )


def _chunks(materials: Sequence[str]) -> Iterator[list[str]]:
    """Materials in groups whose ``Material eq`` filter fits the URL budget."""
    chunk: list[str] = []
    length = 0
    for material in materials:
        cost = len(material) + 20
        if chunk and length + cost > _FILTER_BUDGET:
            yield chunk
            chunk, length = [], 0
        chunk.append(material)
        length += cost
    if chunk:
        yield chunk


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
