"""The SuiteQL the NetSuite adapter sends, and its stock journal cursor: pure text and values.

Stock changes come from ``inventoryitemlocations.lastquantityavailablechange`` (NetSuite keeps no
stock journal a client can read). The cursor is the highest change time NetSuite itself reported,
plus the ids of the changes already delivered inside the overlap window, so a re-read of that
window never delivers a change twice. The change feed pages by keyset (time, item, location)
rather than by offset: a row that changes while a read is under way moves to the end of the
ordering instead of shifting an offset page and hiding its neighbour.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SQL_TIME_FORMAT = "YYYY-MM-DD HH24:MI:SS"
IN_LIST_CHUNK = 500  # Oracle-style IN lists hold at most 1000 literals
_CHANGED = "il.lastquantityavailablechange"


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def timestamp(value: str) -> str:
    return f"TO_TIMESTAMP({literal(value)}, {literal(SQL_TIME_FORMAT)})"


def change_id(row: dict[str, Any]) -> str:
    return f"{row['item']}@{row['location']}@{row['changed']}={row.get('quantityavailable', '0')}"


def seen_key(change: str) -> str:
    return hashlib.sha1(change.encode()).hexdigest()[:16]


JOURNAL_POSITION = (
    f"SELECT TO_CHAR(MAX({_CHANGED}), {literal(SQL_TIME_FORMAT)}) AS changed FROM inventoryitemlocations il"
)

# The newest change time and the rows carrying it: the bound of a read and its tie set.
LATEST_CHANGES = (
    "SELECT il.item AS item, il.location AS location, il.quantityavailable AS quantityavailable, "
    f"TO_CHAR({_CHANGED}, {literal(SQL_TIME_FORMAT)}) AS changed FROM inventoryitemlocations il "
    f"WHERE {_CHANGED} = (SELECT MAX(m.lastquantityavailablechange) FROM inventoryitemlocations m) "
    "ORDER BY il.item, il.location"
)

PRICES = (
    "SELECT p.item AS item, i.itemid AS itemid, p.pricelevel AS pricelevel, pl.name AS pricelevelname, "
    "c.symbol AS currency, p.quantity AS quantity, p.unitprice AS unitprice "
    "FROM pricing p INNER JOIN item i ON i.id = p.item INNER JOIN pricelevel pl ON pl.id = p.pricelevel "
    "INNER JOIN currency c ON c.id = p.currency "
    "ORDER BY p.item, p.pricelevel, p.currency, p.quantity"
)

LOCATIONS = "SELECT l.id AS id FROM location l ORDER BY l.id"


def keyset_condition(changed: str, key: str, lower: str | None, after: tuple[str, str | int] | None) -> str:
    """`` WHERE`` clause of a change read paged by keyset: rows changed at or after ``lower`` and
    after the position ``after`` (time, id) in the order ``changed, key``; empty when neither."""
    where = []
    if lower:
        where.append(f"{changed} >= {timestamp(lower)}")
    if after:
        at, last = after
        where.append(f"({changed} > {timestamp(at)} OR ({changed} = {timestamp(at)} AND {key} > {int(last)}))")
    return f" WHERE {' AND '.join(where)}" if where else ""


def changes_query(lower: str | None, upper: str, after: tuple[str, str, str] | None) -> str:
    """Changes in ``[lower, upper]`` after the keyset position ``after`` (time, item, location)."""
    where = [f"{_CHANGED} <= {timestamp(upper)}"]
    if lower:
        where.append(f"{_CHANGED} >= {timestamp(lower)}")
    if after:
        at, item, location = after
        where.append(
            f"({_CHANGED} > {timestamp(at)} OR ({_CHANGED} = {timestamp(at)} AND "
            f"(il.item > {int(item)} OR (il.item = {int(item)} AND il.location > {int(location)}))))"
        )
    return (
        "SELECT il.item AS item, i.itemid AS itemid, il.location AS location, "
        f"il.quantityavailable AS quantityavailable, TO_CHAR({_CHANGED}, {literal(SQL_TIME_FORMAT)}) AS changed "
        f"FROM inventoryitemlocations il INNER JOIN item i ON i.id = il.item WHERE {' AND '.join(where)} "
        f"ORDER BY {_CHANGED}, il.item, il.location"
    )


def snapshot_queries(items: Sequence[str] | None) -> list[str]:
    """Stock of ``items`` (all items when None), one query per IN-list chunk."""
    select = (
        "SELECT il.item AS item, i.itemid AS itemid, il.location AS location, "
        "il.quantityavailable AS quantityavailable "
        "FROM inventoryitemlocations il INNER JOIN item i ON i.id = il.item"
    )
    order = " ORDER BY il.item, il.location"
    if items is None:
        return [select + order]
    chunks = [list(items[i : i + IN_LIST_CHUNK]) for i in range(0, len(items), IN_LIST_CHUNK)]
    return [f"{select} WHERE i.itemid IN ({', '.join(map(literal, c))}){order}" for c in chunks]


def item_ids_query(codes: Sequence[str]) -> str:
    in_list = ", ".join(map(literal, codes))
    return (
        "SELECT i.id AS id, i.itemid AS itemid, i.saleunit AS saleunit FROM item i "
        f"WHERE i.itemid IN ({in_list}) ORDER BY i.id"
    )


def parse_cursor(cursor: str | None) -> tuple[str | None, dict[str, str]]:
    if not cursor:
        return None, {}
    try:
        state = json.loads(cursor)
        datetime.strptime(state["t"], TIME_FORMAT)
        return state["t"], dict(state["seen"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a NetSuite inventory cursor: {cursor!r} ({exc})") from None


def encode_cursor(high: str | None, seen: dict[str, str], overlap: timedelta) -> str | None:
    """Keep only the ids a later overlap re-read can meet again, so the cursor stays small."""
    if high is None:
        return None
    floor = (datetime.strptime(high, TIME_FORMAT) - overlap).strftime(TIME_FORMAT)
    kept = sorted((k, t) for k, t in seen.items() if t >= floor)
    return json.dumps({"t": high, "seen": kept}, separators=(",", ":"))
