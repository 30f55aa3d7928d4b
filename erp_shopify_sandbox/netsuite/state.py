"""The NetSuite sandbox's account: items, locations, stock, prices (in SQLite, so SuiteQL can read
them) and transaction records (sales orders, credit memos) addressed by internal and external id.

SuiteQL is Oracle-flavoured SQL; the sandbox accepts the part of it the adapter speaks (``SELECT``
with joins, ``MAX``, ``IN``, ``TO_CHAR``/``TO_TIMESTAMP`` with the one ``YYYY-MM-DD HH24:MI:SS``
format) and rejects everything else as NetSuite does, with a 400.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from erp_shopify_sandbox.netsuite.customers import SCHEMA as CUSTOMER_SCHEMA
from erp_shopify_sandbox.netsuite.fulfillments import SCHEMA as FULFILLMENT_SCHEMA
from erp_shopify_sandbox.netsuite.fulfillments import mirror_sales_order
from erp_shopify_sandbox.netsuite.totals import TotalsError, order_totals

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_SQL_TIME = "'YYYY-MM-DD HH24:MI:SS'"
_TO_CHAR = re.compile(r"TO_CHAR\((.+?),\s*" + _SQL_TIME + r"\)", re.IGNORECASE)
_TRANSACTION = re.compile(r'(?<!["\w])transaction(?!["\w])', re.IGNORECASE)
_TO_TIMESTAMP = re.compile(r"TO_TIMESTAMP\(('(?:[^']|'')*'),\s*" + _SQL_TIME + r"\)", re.IGNORECASE)

SCHEMA = """
CREATE TABLE item (
    id INTEGER PRIMARY KEY, itemid TEXT UNIQUE NOT NULL, displayname TEXT, itemtype TEXT,
    parent INTEGER, matrixtype TEXT, isinactive TEXT NOT NULL DEFAULT 'F', upccode TEXT, manufacturer TEXT,
    weight TEXT, weightunit TEXT, custitem_size TEXT, custitem_color TEXT, saleunit INTEGER,
    lastmodifieddate TEXT NOT NULL DEFAULT '2026-01-01 00:00:00');
CREATE TABLE location (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE inventoryitemlocations (
    item INTEGER NOT NULL, location INTEGER NOT NULL,
    quantityonhand TEXT NOT NULL, quantitycommitted TEXT NOT NULL, quantityavailable TEXT NOT NULL,
    lastquantityavailablechange TEXT NOT NULL, PRIMARY KEY (item, location));
CREATE TABLE pricelevel (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE currency (id INTEGER PRIMARY KEY, symbol TEXT UNIQUE NOT NULL);
CREATE TABLE pricing (
    item INTEGER NOT NULL, pricelevel INTEGER NOT NULL, currency INTEGER NOT NULL,
    quantity INTEGER NOT NULL, unitprice TEXT NOT NULL, PRIMARY KEY (item, pricelevel, currency, quantity));
"""

_NEW_ITEM = "INSERT INTO item (id, itemid, displayname, itemtype, lastmodifieddate) VALUES (?, ?, ?, 'InvtPart', ?)"
SEED_ITEMS = ["NS-TEE-S", "NS-TEE-M", "NS-TEE-L", "NS-HOODIE-M", "NS-CAP"]
DISCOUNT_ITEM = "SHOPIFY-DISCOUNT"  # a Discount item (id 90): lines and header discounts name it
# Other Charge items (ids 91-93), not stocked: the lines of a tip, duties and additional fees
CHARGE_ITEMS = {"tip": "SHOPIFY-TIP", "duty": "SHOPIFY-DUTY", "fee": "SHOPIFY-FEE"}
SEED_LOCATIONS = {1: "Main Warehouse", 2: "East Coast DC"}
SEED_PRICE_LEVELS = {1: "Base Price", 2: "Wholesale"}
SEED_CURRENCIES = {1: "USD", 2: "EUR"}
CUSTOMERS = {"1", "2"}


def _fmt(quantity: Decimal) -> str:
    """Quantities as NetSuite shows them: no exponent, no trailing zeros ("98", "2.5")."""
    return format(quantity.normalize(), "f")


class QueryError(ValueError):
    """A SuiteQL statement the account cannot run (NetSuite answers 400 INVALID_PARAMETER)."""


class RecordError(ValueError):
    """A record body NetSuite would reject (400 INVALID_CONTENT at ``path``)."""

    def __init__(self, detail: str, path: str) -> None:
        super().__init__(detail)
        self.path = path


def _only_reads(action: int, *_: Any) -> int:
    allowed = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION}
    return sqlite3.SQLITE_OK if action in allowed else sqlite3.SQLITE_DENY


@dataclass
class Record:
    type: str
    id: int
    external_id: str
    fields: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)
    committed: list[tuple[int, int, Decimal]] = field(default_factory=list)  # (item, location, quantity)


class Account:
    """One sandbox account. Every method takes the lock: requests arrive from uvicorn's thread,
    the control API and tests from others."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.executescript(SCHEMA + FULFILLMENT_SCHEMA + CUSTOMER_SCHEMA)
        self.records: dict[tuple[str, int], Record] = {}
        self._next_id = 1000
        self.handling_cost = Decimal(0)  # added to every sales order, as a shipping item's handling rate
        self._seed()

    def _seed(self) -> None:
        now = self._now()
        self.db.executemany("INSERT INTO location VALUES (?, ?)", SEED_LOCATIONS.items())
        self.db.executemany("INSERT INTO pricelevel VALUES (?, ?)", SEED_PRICE_LEVELS.items())
        self.db.executemany("INSERT INTO currency VALUES (?, ?)", SEED_CURRENCIES.items())
        self.db.execute(
            "INSERT INTO item (id, itemid, displayname, itemtype) VALUES (90, ?, 'Shopify discount', 'Discount')",
            (DISCOUNT_ITEM,),
        )
        for n, (kind, itemid) in enumerate(CHARGE_ITEMS.items(), start=91):
            self.db.execute(
                "INSERT INTO item (id, itemid, displayname, itemtype) VALUES (?, ?, ?, 'OthCharge')",
                (n, itemid, f"Shopify {kind}"),
            )
        for n, code in enumerate(SEED_ITEMS, start=100):
            self.db.execute(_NEW_ITEM, (n, code, code.title(), now))
            for location in SEED_LOCATIONS:
                self.db.execute(
                    "INSERT INTO inventoryitemlocations VALUES (?, ?, '100', '0', '100', ?)", (n, location, now)
                )
            self.db.execute("INSERT INTO pricing VALUES (?, 1, 1, 0, '19.90')", (n,))
            self.db.execute("INSERT INTO pricing VALUES (?, 2, 1, 10, '14.50')", (n,))

    @staticmethod
    def _now() -> str:
        return datetime.now(UTC).strftime(TIME_FORMAT)

    # -- SuiteQL -------------------------------------------------------------------------------

    def suiteql(self, query: str) -> list[dict[str, str]]:
        """All rows of a query, values as strings and NULL columns left out, as SuiteQL answers."""
        statement = query.strip().rstrip(";")
        if not re.match(r"(?is)^select\s", statement) or ";" in statement:
            raise QueryError("only a single SELECT statement is supported")
        translated = _TO_TIMESTAMP.sub(r"\1", _TO_CHAR.sub(r"(\1)", statement))
        translated = _TRANSACTION.sub('"transaction"', translated)  # a keyword to SQLite, a table to NetSuite
        if re.search(r"(?i)\bTO_(CHAR|TIMESTAMP|DATE)\s*\(", translated):
            raise QueryError("unsupported date format (use 'YYYY-MM-DD HH24:MI:SS')")
        with self.lock:
            self.db.set_authorizer(_only_reads)
            try:
                cursor = self.db.execute(translated)
                names = [d[0].lower() for d in cursor.description]
                rows = cursor.fetchall()
            except sqlite3.Error as exc:
                raise QueryError(str(exc)) from None
            finally:
                self.db.set_authorizer(None)
        return [{n: str(v) for n, v in zip(names, row, strict=True) if v is not None} for row in rows]

    # -- stock and prices ----------------------------------------------------------------------

    def item_id(self, itemid: str) -> int | None:
        with self.lock:
            row = self.db.execute("SELECT id FROM item WHERE itemid = ?", (itemid,)).fetchone()
        return row[0] if row else None

    def set_stock(self, itemid: str, location: int, quantity: Decimal) -> str:
        """Set the available quantity (a new change, stamped now). Creates the item if new."""
        with self.lock:
            item = self.item_id(itemid)
            if item is None:
                item = self.db.execute("SELECT COALESCE(MAX(id), 99) + 1 FROM item").fetchone()[0]
                self.db.execute(_NEW_ITEM, (item, itemid, itemid, self._now()))
            if location not in SEED_LOCATIONS:
                raise RecordError(f"no location {location}", "location")
            now = self._now()
            committed = self._committed(item, location)
            self.db.execute(
                "INSERT OR REPLACE INTO inventoryitemlocations VALUES (?, ?, ?, ?, ?, ?)",
                (item, location, _fmt(quantity + committed), _fmt(committed), _fmt(quantity), now),
            )
            return now

    def put_item(self, spec: dict[str, Any]) -> str:
        """Create or change an item (a matrix parent, a matrix child naming its ``parent`` item id,
        or a plain item): every change stamps ``lastmodifieddate``, as NetSuite does."""
        columns = (
            *("displayname", "matrixtype", "isinactive", "upccode", "manufacturer", "weight", "weightunit"),
            *("custitem_size", "custitem_color", "saleunit"),
        )
        with self.lock:
            now = self._now()
            item = self.item_id(spec["itemid"])
            if item is None:
                item = self.db.execute("SELECT COALESCE(MAX(id), 99) + 1 FROM item").fetchone()[0]
                self.db.execute(_NEW_ITEM, (item, spec["itemid"], spec["itemid"], now))
            values = {c: spec[c] for c in columns if c in spec}
            if "parent" in spec:
                values["parent"] = self.item_id(spec["parent"]) if spec["parent"] else None
            for column, value in values.items():
                self.db.execute(f"UPDATE item SET {column} = ? WHERE id = ?", (value, item))
            self.db.execute("UPDATE item SET lastmodifieddate = ? WHERE id = ?", (spec.get("at") or now, item))
            return now

    def _committed(self, item: int, location: int) -> Decimal:
        row = self.db.execute(
            "SELECT quantitycommitted FROM inventoryitemlocations WHERE item = ? AND location = ?", (item, location)
        ).fetchone()
        return Decimal(row[0]) if row else Decimal(0)

    def _commit(self, item: int, location: int, quantity: Decimal) -> None:
        """Committing (or releasing, when negative) moves units between available and committed."""
        row = self.db.execute(
            "SELECT quantityavailable, quantitycommitted FROM inventoryitemlocations WHERE item = ? AND location = ?",
            (item, location),
        ).fetchone()
        available, committed = (Decimal(row[0]), Decimal(row[1])) if row else (Decimal(0), Decimal(0))
        self.db.execute(
            "INSERT OR REPLACE INTO inventoryitemlocations VALUES (?, ?, ?, ?, ?, ?)",
            (
                item,
                location,
                _fmt(available + committed),
                _fmt(committed + quantity),
                _fmt(available - quantity),
                self._now(),
            ),
        )

    def set_price(self, itemid: str, price_level: int, currency: str, quantity: int, unit_price: Decimal) -> None:
        with self.lock:
            item = self.item_id(itemid)
            row = self.db.execute("SELECT id FROM currency WHERE symbol = ?", (currency,)).fetchone()
            if item is None or row is None or price_level not in SEED_PRICE_LEVELS:
                raise RecordError(f"unknown item {itemid!r}, currency {currency!r} or price level {price_level}", "")
            self.db.execute(
                "INSERT OR REPLACE INTO pricing VALUES (?, ?, ?, ?, ?)",
                (item, price_level, row[0], quantity, str(unit_price)),
            )

    # -- records -------------------------------------------------------------------------------

    def find(self, record_type: str, external_id: str) -> Record | None:
        with self.lock:
            found = [r for r in self.records.values() if r.type == record_type and r.external_id == external_id]
        return found[0] if found else None

    def count(self, record_type: str, external_id: str) -> int:
        with self.lock:
            return sum(1 for r in self.records.values() if r.type == record_type and r.external_id == external_id)

    def upsert(self, record_type: str, external_id: str, body: dict[str, Any]) -> tuple[Record, bool]:
        """Create or replace a transaction by external id; sales orders commit their quantities."""
        with self.lock:
            lines = self._lines(body)
            header = {k: v for k, v in body.items() if k != "item"}
            entity = str((header.get("entity") or {}).get("id", ""))
            if entity not in CUSTOMERS and not self._active_customer(entity):
                raise RecordError(
                    f"You have entered an Invalid Field Value {entity} for the following field: entity", "entity"
                )
            if record_type == "creditMemo":
                origin = (header.get("createdFrom") or {}).get("id")
                if ("salesOrder", int(origin or 0)) not in self.records:
                    raise RecordError(
                        f"Invalid Field Value {origin} for the following field: createdFrom", "createdFrom"
                    )
            totals: dict[str, float] = {}
            if record_type in ("salesOrder", "creditMemo"):
                handling = self.handling_cost if record_type == "salesOrder" else Decimal(0)
                try:
                    totals = order_totals(header, lines, self._discount_items(), handling)
                except TotalsError as exc:
                    raise RecordError(exc.detail, exc.path) from None
            record = self.find(record_type, external_id)
            created = record is None
            if record is None:
                self._next_id += 1
                record = Record(record_type, self._next_id, external_id, {})
                self.records[(record_type, record.id)] = record
            self._release(record)
            record.fields = {**header, "externalId": external_id}
            record.lines = lines
            if record_type == "salesOrder":
                record.fields.setdefault("orderStatus", {"id": "B", "refName": "Pending Fulfillment"})
                location = int((header.get("location") or {}).get("id", min(SEED_LOCATIONS)))
                stocked = self._stocked_items()
                record.committed = [
                    (line["item"], location, Decimal(str(line["quantity"])))
                    for line in lines
                    if line["quantity"] and line["item"] in stocked
                ]
                record.fields |= totals
                for item, loc, quantity in record.committed:
                    self._commit(item, loc, quantity)
            else:
                record.fields.setdefault("status", {"id": "open", "refName": "Open"})
                record.fields |= totals
            record.fields["tranId"] = f"{'SO' if record_type == 'salesOrder' else 'CM'}{record.id}"
            if record_type == "salesOrder":
                mirror_sales_order(self, record)
            return record, created

    def _active_customer(self, entity: str) -> bool:
        found = self.records.get(("customer", int(entity))) if entity.isdigit() else None
        return found is not None and not found.fields.get("isInactive")

    def patch(self, record: Record, body: dict[str, Any]) -> None:
        with self.lock:
            if "item" in body:
                raise RecordError("sublist changes are not supported by this sandbox's PATCH", "item")
            status = (body.get("orderStatus") or {}).get("id")
            if status == "C":
                self._release(record)
                body = {**body, "orderStatus": {"id": "C", "refName": "Cancelled"}}
            record.fields.update(body)

    def _stocked_items(self) -> set[int]:
        query = "SELECT id FROM item WHERE COALESCE(itemtype, 'InvtPart') = 'InvtPart'"
        return {row[0] for row in self.db.execute(query)}

    def _discount_items(self) -> set[int]:
        return {row[0] for row in self.db.execute("SELECT id FROM item WHERE itemtype = 'Discount'")}

    def _release(self, record: Record) -> None:
        for item, location, quantity in record.committed:
            self._commit(item, location, -quantity)
        record.committed = []

    def _lines(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        items = (body.get("item") or {}).get("items")
        if not isinstance(items, list) or not items:
            raise RecordError("Please enter value(s) for: Items", "item.items")
        lines = []
        for n, line in enumerate(items):
            ref = (line.get("item") or {}).get("id")
            known = self.db.execute("SELECT id FROM item WHERE id = ?", (str(ref),)).fetchone() if ref else None
            if known is None:
                raise RecordError(
                    f"Error while accessing resource: You have entered an Invalid Field Value {ref} "
                    "for the following field: item",
                    f"item.items[{n}].item",
                )
            quantity = Decimal(str(line.get("quantity", 0)))
            if quantity < 0:
                raise RecordError(f"Invalid quantity {quantity}", f"item.items[{n}].quantity")
            lines.append({**line, "item": known[0], "quantity": quantity})
        return lines
