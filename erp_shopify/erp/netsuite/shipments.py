"""Item fulfillments (``ItemShip`` transactions, status ``C`` Shipped) as ``Shipment`` records, read
by SuiteQL: the fulfillment's lines joined through ``previoustransactionlinelink`` to the sales
order whose ``externalid`` is our reference, and its packages' tracking numbers
(``itemfulfillmentpackage``). Changes come by ``lastmodifieddate`` (an edit after shipping, a
tracking number added, moves it), with the shared overlap cursor (``erp/shipment_cursor.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from erp_shopify.erp.netsuite.rest import SYSTEM, RestClient
from erp_shopify.erp.netsuite.suiteql import IN_LIST_CHUNK, SQL_TIME_FORMAT, TIME_FORMAT, literal, timestamp
from erp_shopify.erp.shipment_cursor import ShipmentCursor, digest
from erp_shopify.records import Shipment, ShipmentLine, ShipmentPage

SHIPPED = "C"
_TIME = literal(SQL_TIME_FORMAT)


def shipments_query(lower: str | None) -> str:
    where = ["t.type = 'ItemShip'", f"t.status = '{SHIPPED}'", "tl.mainline = 'F'", "so.type = 'SalesOrd'"]
    if lower:
        where.append(f"t.lastmodifieddate >= {timestamp(lower)}")
    return (
        "SELECT t.id AS id, TO_CHAR(t.lastmodifieddate, " + _TIME + ") AS changed, "
        "TO_CHAR(t.createddate, " + _TIME + ") AS shipped, so.externalid AS orderref, tl.id AS line, "
        "i.itemid AS itemid, tl.quantity AS quantity, tl.location AS location "
        "FROM transaction t INNER JOIN transactionline tl ON tl.transaction = t.id "
        "INNER JOIN item i ON i.id = tl.item "
        "INNER JOIN previoustransactionlinelink pl ON pl.nextdoc = t.id AND pl.nextline = tl.id "
        "INNER JOIN transaction so ON so.id = pl.previousdoc "
        f"WHERE {' AND '.join(where)} ORDER BY t.lastmodifieddate, t.id, tl.id"
    )


def packages_query(fulfillments: list[str]) -> str:
    ids = ", ".join(str(int(f)) for f in fulfillments)
    return (
        "SELECT p.itemfulfillment AS fulfillment, p.packagetrackingnumber AS number "
        f"FROM itemfulfillmentpackage p WHERE p.itemfulfillment IN ({ids}) ORDER BY p.id"
    )


def read_shipments(
    rest: RestClient, cursor: str | None, *, overlap: timedelta, page_size: int
) -> Iterator[ShipmentPage]:
    state = ShipmentCursor.decode(cursor, overlap, system=SYSTEM)
    start = state.window_start()
    rows = [
        r
        for page in rest.pages(shipments_query(start.strftime(TIME_FORMAT) if start else None), limit=page_size)
        for r in page
    ]
    by_fulfillment: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_fulfillment.setdefault(str(row["id"]), []).append(row)
    tracking = _tracking(rest, list(by_fulfillment), page_size)
    fresh = []
    for fulfillment, lines in by_fulfillment.items():
        changed = datetime.strptime(lines[0]["changed"], TIME_FORMAT)
        content = [tracking.get(fulfillment, []), [(r["line"], r["itemid"], r["quantity"]) for r in lines]]
        if state.observe(fulfillment, changed, digest(content)):
            fresh.append(_shipment(fulfillment, lines, tracking.get(fulfillment, [])))
    yield ShipmentPage(shipments=fresh, cursor=state.encode())


def _tracking(rest: RestClient, fulfillments: list[str], page_size: int) -> dict[str, list[str]]:
    numbers: dict[str, list[str]] = {}
    for n in range(0, len(fulfillments), IN_LIST_CHUNK):
        for page in rest.pages(packages_query(fulfillments[n : n + IN_LIST_CHUNK]), limit=page_size):
            for row in page:
                if row.get("number"):
                    numbers.setdefault(str(row["fulfillment"]), []).append(row["number"])
    return numbers


def _shipment(fulfillment: str, lines: list[dict[str, Any]], tracking: list[str]) -> Shipment:
    return Shipment(
        document=fulfillment,
        order_ref=lines[0].get("orderref", ""),
        shipped_at=datetime.strptime(lines[0]["shipped"], TIME_FORMAT),
        changed_at=datetime.strptime(lines[0]["changed"], TIME_FORMAT),
        lines=[
            ShipmentLine(item_code=r["itemid"], quantity=abs(Decimal(str(r["quantity"]))), location=str(r["location"]))
            for r in lines
        ],
        tracking_numbers=tracking,
    )
