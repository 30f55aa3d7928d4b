"""Item fulfillments (``ItemShip`` transactions) of the NetSuite sandbox, kept in the SuiteQL tables
NetSuite exposes: ``transaction``, ``transactionline``, ``previoustransactionlinelink`` (the
fulfillment line's sales order line) and ``itemfulfillmentpackage`` (package tracking numbers).
Sales orders are mirrored into ``transaction`` when they are written, so the joins find them.

As in NetSuite, a fulfillment's lines carry negative quantities (stock leaves), its status ``C``
is Shipped, and any edit (a tracking number added later) moves ``lastmodifieddate``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from erp_shopify_sandbox.netsuite.state import Account, Record

SCHEMA = """
CREATE TABLE "transaction" (
    id INTEGER PRIMARY KEY, tranid TEXT, type TEXT NOT NULL, externalid TEXT, status TEXT,
    createddate TEXT NOT NULL, lastmodifieddate TEXT NOT NULL);
CREATE TABLE transactionline (
    id INTEGER NOT NULL, "transaction" INTEGER NOT NULL, item INTEGER, quantity TEXT, location INTEGER,
    mainline TEXT NOT NULL, PRIMARY KEY ("transaction", id));
CREATE TABLE previoustransactionlinelink (
    previousdoc INTEGER NOT NULL, previousline INTEGER NOT NULL, nextdoc INTEGER NOT NULL, nextline INTEGER NOT NULL,
    linktype TEXT NOT NULL);
CREATE TABLE itemfulfillmentpackage (
    id INTEGER PRIMARY KEY, itemfulfillment INTEGER NOT NULL, packagetrackingnumber TEXT, packagedescr TEXT);
"""
SALES_ORDER, ITEM_SHIP, SHIPPED = "SalesOrd", "ItemShip", "C"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def mirror_sales_order(account: Account, record: Record) -> None:
    """The sales order's header and lines as SuiteQL shows them (replaced on every upsert)."""
    db, now = account.db, _now()
    db.execute('DELETE FROM "transaction" WHERE id = ?', (record.id,))
    db.execute('DELETE FROM transactionline WHERE "transaction" = ?', (record.id,))
    db.execute(
        'INSERT INTO "transaction" VALUES (?, ?, ?, ?, ?, ?, ?)',
        (record.id, record.fields.get("tranId"), SALES_ORDER, record.external_id, "B", now, now),
    )
    location = int((record.fields.get("location") or {}).get("id", 1))
    for n, line in enumerate(record.lines, start=1):
        db.execute(
            "INSERT INTO transactionline VALUES (?, ?, ?, ?, ?, 'F')",
            (n, record.id, line["item"], str(line["quantity"]), location),
        )


def ship(account: Account, order_external_id: str, itemid: str, quantity: Decimal, tracking: str) -> int:
    """An item fulfillment of one item of the sales order, shipped, with one package."""
    with account.lock:
        order = account.find("salesOrder", order_external_id)
        if order is None:
            raise KeyError(f"no sales order with external id {order_external_id!r}")
        item = account.item_id(itemid)
        position = next((n for n, line in enumerate(order.lines, start=1) if line["item"] == item), None)
        if position is None:
            raise KeyError(f"sales order {order_external_id!r} has no line for {itemid!r}")
        account._next_id += 1
        fulfillment, now = account._next_id, _now()
        location = int((order.fields.get("location") or {}).get("id", 1))
        db = account.db
        db.execute(
            'INSERT INTO "transaction" VALUES (?, ?, ?, NULL, ?, ?, ?)',
            (fulfillment, f"IF{fulfillment}", ITEM_SHIP, SHIPPED, now, now),
        )
        db.execute("INSERT INTO transactionline VALUES (0, ?, NULL, NULL, ?, 'T')", (fulfillment, location))
        db.execute(
            "INSERT INTO transactionline VALUES (1, ?, ?, ?, ?, 'F')", (fulfillment, item, str(-quantity), location)
        )
        db.execute(
            "INSERT INTO previoustransactionlinelink VALUES (?, ?, ?, 1, 'ShipRcpt')", (order.id, position, fulfillment)
        )
        if tracking:
            db.execute(
                "INSERT INTO itemfulfillmentpackage (itemfulfillment, packagetrackingnumber, packagedescr) "
                "VALUES (?, ?, 'Package 1')",
                (fulfillment, tracking),
            )
        return fulfillment


def retrack(account: Account, fulfillment: int, tracking: str) -> None:
    with account.lock:
        db = account.db
        found = db.execute('SELECT id FROM "transaction" WHERE id = ? AND type = ?', (fulfillment, ITEM_SHIP))
        if found.fetchone() is None:
            raise KeyError(f"no item fulfillment {fulfillment}")
        db.execute("DELETE FROM itemfulfillmentpackage WHERE itemfulfillment = ?", (fulfillment,))
        db.execute(
            "INSERT INTO itemfulfillmentpackage (itemfulfillment, packagetrackingnumber, packagedescr) "
            "VALUES (?, ?, 'Package 1')",
            (fulfillment, tracking),
        )
        db.execute('UPDATE "transaction" SET lastmodifieddate = ? WHERE id = ?', (_now(), fulfillment))
