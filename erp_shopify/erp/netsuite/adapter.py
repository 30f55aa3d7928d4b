"""NetSuite over REST web services: SuiteQL for stock and prices, record API for documents.

Stock changes come from ``inventoryitemlocations.lastquantityavailablechange`` (NetSuite keeps no
stock journal a client can read). The cursor is the highest change time NetSuite itself reported,
plus the ids of the changes already delivered inside the overlap window, so a re-read of that
window never delivers a change twice. The change feed pages by keyset (time, item, location)
rather than by offset: a row that changes while a read is under way moves to the end of the
ordering instead of shifting an offset page and hiding its neighbour.

Documents are written by external id (``PUT .../salesOrder/eid:<ref>`` is an upsert) after a
lookup. A write whose response is lost is not resent blindly: it raises, and the next attempt
looks the document up first, so an order NetSuite already committed is found, not overwritten.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from oauthlib.oauth1 import Client as OAuth1Client

from erp_shopify.config import NetSuiteConfig
from erp_shopify.erp.base import (
    CreditNote,
    ErpAdapter,
    ErpDocument,
    InventoryChange,
    InventoryPage,
    PriceRecord,
    SalesOrder,
    StockLevel,
)
from erp_shopify.errors import DataError, ErrorClass, IntegrationError, TransientError, error_for_status
from erp_shopify.retrying import RetryPolicy, call_with_retries

SYSTEM = "netsuite"
DEFAULT_RETRIES = RetryPolicy()
_ONCE = RetryPolicy(max_attempts=1)
SUITEQL_PATH = "/services/rest/query/v1/suiteql"
RECORD_PATH = "/services/rest/record/v1"
MAX_PAGE = 1000  # SuiteQL's largest page
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SQL_TIME_FORMAT = "YYYY-MM-DD HH24:MI:SS"
BASE_PRICE_LEVEL = "1"  # NetSuite's built-in "Base Price" level: our "retail" list
# Concurrency governance: 429, or 400 SSS_REQUEST_LIMIT_EXCEEDED, both mean "try again shortly".
TRANSIENT_CODES = frozenset({"SSS_REQUEST_LIMIT_EXCEEDED"})
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9_-]+")
_ORDER_STATUS = {"A": "pending approval", "B": "pending fulfillment", "C": "cancelled", "H": "closed"}


def validate_external_id(value: str) -> str:
    """NetSuite addresses a record by ``eid:<externalId>`` only for letters, digits, ``_`` and ``-``."""
    if not _EXTERNAL_ID.fullmatch(value):
        bad = sorted({c for c in value if not re.fullmatch(r"[A-Za-z0-9_-]", c)}) or ["(empty)"]
        raise DataError(
            f"external id {value!r} cannot address a NetSuite record: only letters, digits, '_' and '-' "
            f"are allowed in eid: paths (found {' '.join(repr(c) for c in bad)})",
            codes=("INVALID_EXTERNAL_ID",),
            body={"externalId": value},
            system=SYSTEM,
        )
    return value


class TokenAuth(httpx.Auth):
    """OAuth 1.0a token-based authentication, HMAC-SHA256, realm = account id (oauthlib signs).

    The JSON body is not part of the signature (only form bodies are, per RFC 5849), so the
    request is signed over method, URL and query."""

    def __init__(self, account_id: str, consumer_key: str, consumer_secret: str, token_id: str, token_secret: str):
        self._client = OAuth1Client(
            consumer_key,
            client_secret=consumer_secret,
            resource_owner_key=token_id,
            resource_owner_secret=token_secret,
            signature_method=SIGNATURE_HMAC_SHA256,
            realm=account_id,
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        _, headers, _ = self._client.sign(str(request.url), request.method)
        request.headers["Authorization"] = headers["Authorization"]
        yield request


def netsuite_error(response: httpx.Response) -> IntegrationError:
    """Classify a failed response, reading NetSuite's ``o:errorDetails`` into message and codes."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    details = body.get("o:errorDetails", []) if isinstance(body, dict) else []
    codes = tuple(d["o:errorCode"] for d in details if isinstance(d, dict) and d.get("o:errorCode"))
    parts = [
        f"{d.get('detail', '')}" + (f" (at {d['o:errorPath']})" if d.get("o:errorPath") else "")
        for d in details
        if isinstance(d, dict)
    ]
    title = body.get("title") if isinstance(body, dict) else None
    message = "; ".join(p for p in parts if p) or title or f"HTTP {response.status_code}"
    override = ErrorClass.TRANSIENT if TRANSIENT_CODES & set(codes) else None
    return error_for_status(
        response.status_code,
        message,
        body=body,
        headers=response.headers,
        codes=codes,
        system=SYSTEM,
        error_class=override,
    )


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _timestamp(value: str) -> str:
    return f"TO_TIMESTAMP({_literal(value)}, {_literal(SQL_TIME_FORMAT)})"


def _change_id(row: dict[str, Any]) -> str:
    return f"{row['item']}@{row['location']}@{row['changed']}={row.get('quantityavailable', '0')}"


def _seen_key(change_id: str) -> str:
    return hashlib.sha1(change_id.encode()).hexdigest()[:16]


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
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE} (SuiteQL's limit), not {page_size}")
        self.config = config
        self.page_size = page_size
        self.overlap = overlap
        self.retry = retry
        self.zone = ZoneInfo(account_timezone or config.account_timezone)
        self._sleep_kwargs = {"sleep": sleep} if sleep else {}
        auth = TokenAuth(
            config.account_id,
            config.consumer_key.value(),
            config.consumer_secret.value(),
            config.token_id.value(),
            config.token_secret.value(),
        )
        self._http = httpx.Client(
            base_url=config.base_url.rstrip("/"), auth=auth, timeout=timeout, headers={"Accept": "application/json"}
        )
        self._item_ids: dict[str, str] = {}

    # -- transport ---------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientError(f"{method} {path} timed out: {exc}", system=SYSTEM) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{method} {path} failed to connect: {exc}", system=SYSTEM) from exc
        if response.status_code >= 400:
            raise netsuite_error(response)
        return response

    def _call(self, method: str, path: str, *, retried: bool = True, **kwargs: Any) -> httpx.Response:
        """One request, retried under the retry policy unless ``retried=False``: every order call,
        whose one retry layer is order delivery (a timed-out write may have committed, and only
        delivery knows that a repeat must search first)."""
        policy = self.retry if retried else _ONCE
        return call_with_retries(lambda: self._send(method, path, **kwargs), policy, **self._sleep_kwargs)

    def _get_record(self, record: str, external_ref: str) -> dict[str, Any] | None:
        try:
            path = f"{RECORD_PATH}/{record}/eid:{validate_external_id(external_ref)}"
            return self._call("GET", path, retried=False).json()
        except DataError as exc:
            if exc.status == 404:
                return None
            raise

    # -- SuiteQL -------------------------------------------------------------------------------

    def suiteql(self, query: str, *, offset: int = 0, retried: bool = True) -> dict[str, Any]:
        """One page of a SuiteQL query: ``{items, hasMore, count, offset, totalResults, links}``."""
        return self._call(
            "POST",
            SUITEQL_PATH,
            params={"limit": self.page_size, "offset": offset},
            json={"q": query},
            headers={"Prefer": "transient"},
            retried=retried,
        ).json()

    def _pages(self, query: str, *, retried: bool = True) -> Iterator[list[dict[str, Any]]]:
        """Offset paging for snapshots (the query must ORDER BY a unique key)."""
        offset = 0
        while True:
            page = self.suiteql(query, offset=offset, retried=retried)
            yield page["items"]
            if not page["hasMore"]:
                return
            offset += page["count"]

    # -- inventory -----------------------------------------------------------------------------

    def journal_position(self) -> str | None:
        rows = self.suiteql(
            f"SELECT TO_CHAR(MAX(il.lastquantityavailablechange), {_literal(SQL_TIME_FORMAT)}) AS changed "
            "FROM inventoryitemlocations il"
        )["items"]
        changed = rows[0].get("changed") if rows else None
        return json.dumps({"t": changed, "seen": []}) if changed else None

    def inventory_changes(self, cursor: str | None) -> Iterator[InventoryPage]:
        """Changes since ``cursor`` as they stood when the read started.

        The read is bounded by the newest change time at its start and by the rows carrying that
        time then (its tie set). A row changed while the read is under way gets a time at or past
        the bound and is left, undelivered and unmarked, to the next read."""
        high, seen = self._parse_cursor(cursor)
        bound = self._latest_changes()
        if bound is None:
            return
        upper, ties = bound
        lower = (datetime.strptime(high, TIME_FORMAT) - self.overlap).strftime(TIME_FORMAT) if high else None
        after: tuple[str, str, str] | None = None
        while True:
            page = self.suiteql(self._changes_query(lower, upper, after))
            rows: list[InventoryChange] = []
            for raw in page["items"]:
                after = (raw["changed"], raw["item"], raw["location"])
                change_id = _change_id(raw)
                if _seen_key(change_id) in seen or (raw["changed"] == upper and change_id not in ties):
                    continue
                rows.append(
                    InventoryChange(
                        item_code=raw["itemid"],
                        location=str(raw["location"]),
                        available=Decimal(str(raw.get("quantityavailable", "0"))),
                        change_id=change_id,
                        changed_at=datetime.strptime(raw["changed"], TIME_FORMAT).replace(tzinfo=self.zone),
                    )
                )
                seen[_seen_key(change_id)] = raw["changed"]
                high = max(high or raw["changed"], raw["changed"])
            yield InventoryPage(rows=rows, cursor=self._cursor(high, seen))
            if not page["hasMore"]:
                return

    def _latest_changes(self) -> tuple[str, set[str]] | None:
        """The newest change time and the change ids carrying it, or None for an empty account."""
        changed = "il.lastquantityavailablechange"
        query = (
            "SELECT il.item AS item, il.location AS location, il.quantityavailable AS quantityavailable, "
            f"TO_CHAR({changed}, {_literal(SQL_TIME_FORMAT)}) AS changed FROM inventoryitemlocations il "
            f"WHERE {changed} = (SELECT MAX(m.lastquantityavailablechange) FROM inventoryitemlocations m) "
            "ORDER BY il.item, il.location"
        )
        rows = [row for page in self._pages(query) for row in page]
        if not rows:
            return None
        upper = max(row["changed"] for row in rows)
        return upper, {_change_id(row) for row in rows if row["changed"] == upper}

    def _changes_query(self, lower: str | None, upper: str, after: tuple[str, str, str] | None) -> str:
        changed = "il.lastquantityavailablechange"
        where = [f"{changed} <= {_timestamp(upper)}"]
        if lower:
            where.append(f"{changed} >= {_timestamp(lower)}")
        if after:
            at, item, location = after
            where.append(
                f"({changed} > {_timestamp(at)} OR ({changed} = {_timestamp(at)} AND "
                f"(il.item > {int(item)} OR (il.item = {int(item)} AND il.location > {int(location)}))))"
            )
        return (
            "SELECT il.item AS item, i.itemid AS itemid, il.location AS location, "
            f"il.quantityavailable AS quantityavailable, TO_CHAR({changed}, {_literal(SQL_TIME_FORMAT)}) AS changed "
            f"FROM inventoryitemlocations il INNER JOIN item i ON i.id = il.item WHERE {' AND '.join(where)} "
            f"ORDER BY {changed}, il.item, il.location"
        )

    def _parse_cursor(self, cursor: str | None) -> tuple[str | None, dict[str, str]]:
        if not cursor:
            return None, {}
        try:
            state = json.loads(cursor)
            datetime.strptime(state["t"], TIME_FORMAT)
            return state["t"], dict(state["seen"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a NetSuite inventory cursor: {cursor!r} ({exc})") from None

    def _cursor(self, high: str | None, seen: dict[str, str]) -> str | None:
        """Keep only the ids a later overlap re-read can meet again, so the cursor stays small."""
        if high is None:
            return None
        floor = (datetime.strptime(high, TIME_FORMAT) - self.overlap).strftime(TIME_FORMAT)
        kept = sorted((k, t) for k, t in seen.items() if t >= floor)
        return json.dumps({"t": high, "seen": kept}, separators=(",", ":"))

    def inventory_snapshot(self, items: Sequence[str] | None = None) -> Iterator[list[StockLevel]]:
        select = (
            "SELECT il.item AS item, i.itemid AS itemid, il.location AS location, "
            "il.quantityavailable AS quantityavailable "
            "FROM inventoryitemlocations il INNER JOIN item i ON i.id = il.item"
        )
        order = " ORDER BY il.item, il.location"
        if items is None:
            queries = [select + order]
        else:  # Oracle-style IN lists hold at most 1000 literals
            chunks = [list(items[i : i + 500]) for i in range(0, len(items), 500)]
            queries = [f"{select} WHERE i.itemid IN ({', '.join(map(_literal, c))}){order}" for c in chunks]
        for query in queries:
            for rows in self._pages(query):
                yield [
                    StockLevel(
                        item_code=r["itemid"],
                        location=str(r["location"]),
                        available=Decimal(str(r.get("quantityavailable", "0"))),
                    )
                    for r in rows
                ]

    def prices(self) -> Iterator[list[PriceRecord]]:
        """Item pricing per price level and currency; ``quantity`` > 0 rows are quantity breaks."""
        query = (
            "SELECT p.item AS item, i.itemid AS itemid, p.pricelevel AS pricelevel, pl.name AS pricelevelname, "
            "c.symbol AS currency, p.quantity AS quantity, p.unitprice AS unitprice "
            "FROM pricing p INNER JOIN item i ON i.id = p.item INNER JOIN pricelevel pl ON pl.id = p.pricelevel "
            "INNER JOIN currency c ON c.id = p.currency "
            "ORDER BY p.item, p.pricelevel, p.currency, p.quantity"
        )
        for rows in self._pages(query):
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
            in_list = ", ".join(map(_literal, missing))
            query = f"SELECT i.id AS id, i.itemid AS itemid FROM item i WHERE i.itemid IN ({in_list}) ORDER BY i.id"
            for rows in self._pages(query, retried=False):
                self._item_ids.update({r["itemid"]: str(r["id"]) for r in rows})
        unknown = sorted({c for c in codes if c not in self._item_ids})
        if unknown:
            raise DataError(
                f"NetSuite has no item with itemid {', '.join(map(repr, unknown))}",
                codes=("UNKNOWN_ITEM",),
                body={"unknown_items": unknown, "looked_up": missing},
                system=SYSTEM,
            )
        return {c: self._item_ids[c] for c in codes}

    def _document(self, record: dict[str, Any]) -> ErpDocument:
        status = record.get("orderStatus") or record.get("status") or {}
        code = status.get("id", "") if isinstance(status, dict) else str(status)
        return ErpDocument(
            number=str(record.get("tranId") or record["id"]),
            external_ref=record["externalId"],
            status=_ORDER_STATUS.get(code, str(code).lower()),
        )

    def find_sales_order(self, external_ref: str) -> ErpDocument | None:
        record = self._get_record("salesOrder", external_ref)
        return self._document(record) if record else None

    def create_sales_order(self, order: SalesOrder, *, known_new: bool = False) -> ErpDocument:
        existing = None if known_new else self.find_sales_order(order.external_ref)
        if existing:
            return existing
        ids = self._item_internal_ids([line.item_code for line in order.lines])
        self._upsert("salesOrder", order.external_ref, self._sales_order_body(order, ids))
        created = self.find_sales_order(order.external_ref)
        if created is None:  # NetSuite said 204 but cannot show the record: retrying is the fix
            raise TransientError(f"sales order {order.external_ref} not readable after create", system=SYSTEM)
        return created

    def _sales_order_body(self, order: SalesOrder, ids: dict[str, str]) -> dict[str, Any]:
        address = order.ship_to
        return {
            "externalId": order.external_ref,
            "entity": {"id": order.customer.erp_party or self.config.customer},
            "subsidiary": {"id": self.config.subsidiary},
            "currency": {"refName": order.currency},
            "tranDate": order.ordered_at.date().isoformat(),
            "otherRefNum": order.external_ref,
            "memo": order.note[:999],
            "email": order.customer.email,
            "shippingCost": float(order.shipping),
            "discountRate": -float(order.order_discount) if order.order_discount else None,
            "shippingAddress": {
                "addressee": address.name,
                "attention": address.company,
                "addr1": address.address1,
                "addr2": address.address2,
                "city": address.city,
                "zip": address.zip,
                "state": address.province_code,
                "country": address.country_code,
                "addrPhone": address.phone,
            },
            "item": {
                "items": [
                    {
                        "item": {"id": ids[line.item_code]},
                        "quantity": float(line.quantity),
                        "rate": float(line.unit_price),
                        "amount": float(line.quantity * line.unit_price - line.discount),
                        "description": line.description,
                    }
                    for line in order.lines
                ]
            },
        }

    def _upsert(self, record: str, external_ref: str, body: dict[str, Any]) -> None:
        path = f"{RECORD_PATH}/{record}/eid:{validate_external_id(external_ref)}"
        clean = {k: v for k, v in body.items() if v is not None}
        self._call("PUT", path, json=clean, retried=False)

    def cancel_sales_order(self, external_ref: str) -> ErpDocument:
        record = self._get_record("salesOrder", external_ref)
        if record is None:
            raise DataError(
                f"no NetSuite sales order with externalId {external_ref!r} to cancel",
                status=404,
                body={"externalId": external_ref},
                system=SYSTEM,
            )
        document = self._document(record)
        if document.status == "cancelled":
            return document
        path = f"{RECORD_PATH}/salesOrder/eid:{external_ref}"
        self._call("PATCH", path, json={"orderStatus": {"id": "C"}}, retried=False)
        cancelled = self.find_sales_order(external_ref)
        assert cancelled is not None  # it was there a moment ago; a delete would have raised
        return cancelled

    def create_credit(self, credit: CreditNote) -> ErpDocument:
        existing = self._get_record("creditMemo", credit.external_ref)
        if existing:
            return self._document(existing)
        order = self._get_record("salesOrder", validate_external_id(credit.order_ref))
        if order is None:
            raise DataError(
                f"credit {credit.external_ref} refers to order {credit.order_ref!r}, which NetSuite does not hold",
                status=404,
                body={"order_ref": credit.order_ref},
                system=SYSTEM,
            )
        ids = self._item_internal_ids([line.item_code for line in credit.lines])
        body = {
            "externalId": credit.external_ref,
            "entity": order.get("entity") or {"id": self.config.customer},
            "createdFrom": {"id": order["id"]},
            "currency": {"refName": credit.currency},
            "memo": credit.reason[:999],
            "item": {
                "items": [
                    {
                        "item": {"id": ids[line.item_code]},
                        "quantity": float(line.quantity),
                        "amount": float(line.amount),
                    }
                    for line in credit.lines
                ]
            },
        }
        self._upsert("creditMemo", credit.external_ref, body)
        created = self._get_record("creditMemo", credit.external_ref)
        if created is None:
            raise TransientError(f"credit memo {credit.external_ref} not readable after create", system=SYSTEM)
        return self._document(created)

    def health(self) -> None:
        self.suiteql("SELECT l.id AS id FROM location l ORDER BY l.id")

    def close(self) -> None:
        self._http.close()
