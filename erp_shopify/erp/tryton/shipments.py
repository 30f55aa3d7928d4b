"""Tryton customer shipments (``stock.shipment.out`` in state ``done``) as ``Shipment`` records.

Each done shipment's outgoing moves come from sale lines (``origin`` ``sale.line,<id>``), whose
sale's ``reference`` is our external reference. A partial shipment leaves Tryton's backorder for
the rest, which ships as a shipment of its own. Tracking: the shipment's ``reference`` (Tryton's
field for the carrier's identifier of the shipment). Changes: ``create_date`` or ``write_date``
since the shared overlap cursor (a reference entered after shipping moves ``write_date``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from erp_shopify.erp.shipment_cursor import ShipmentCursor, digest
from erp_shopify.erp.tryton.rpc import SYSTEM
from erp_shopify.records import Shipment, ShipmentLine, ShipmentPage

Read = Callable[..., Any]
_SHIPMENT_FIELDS = ["number", "reference", "effective_date", "create_date", "write_date", "warehouse", "outgoing_moves"]


def read_shipments(read: Read, cursor: str | None, *, overlap: timedelta, page_size: int) -> Iterator[ShipmentPage]:
    state = ShipmentCursor.decode(cursor, overlap, system=SYSTEM)
    since = state.window_start()
    domain: list[Any] = [("state", "=", "done")]
    if since is not None:
        domain.append(["OR", ("create_date", ">=", since), ("write_date", ">=", since)])
    last_id = 0
    while True:
        batch = read(
            "stock.shipment.out",
            "search_read",
            [("id", ">", last_id), *domain],
            0,
            page_size,
            [("id", "ASC")],
            _SHIPMENT_FIELDS,
        )
        if not batch:
            return
        last_id = batch[-1]["id"]
        moves = _moves(read, [m for s in batch for m in s["outgoing_moves"]])
        codes = _warehouse_codes(read, {s["warehouse"] for s in batch})
        fresh = []
        for shipment in batch:
            lines = [moves[m] for m in shipment["outgoing_moves"] if m in moves]
            changed = max(shipment["create_date"], shipment.get("write_date") or shipment["create_date"])
            content = [shipment.get("reference") or "", sorted((m["id"], str(m["quantity"])) for m in lines)]
            if lines and state.observe(str(shipment["number"] or shipment["id"]), changed, digest(content)):
                fresh.append(_shipment(shipment, lines, codes.get(shipment["warehouse"], "")))
        yield ShipmentPage(shipments=fresh, cursor=state.encode())
        if len(batch) < page_size:
            return


def _moves(read: Read, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Done moves that came from a sale line, with the item code and the sale's reference."""
    rows = read("stock.move", "read", ids, ["product", "quantity", "origin", "state"]) if ids else []
    rows = [r for r in rows if r["state"] == "done" and str(r.get("origin") or "").startswith("sale.line,")]
    line_ids = sorted({int(r["origin"].split(",")[1]) for r in rows})
    sale_of = {r["id"]: r["sale"] for r in read("sale.line", "read", line_ids, ["sale"])} if line_ids else {}
    sale_ids = sorted(set(sale_of.values()))
    reference = {r["id"]: r.get("reference") or "" for r in read("sale.sale", "read", sale_ids, ["reference"])}
    product_ids = sorted({r["product"] for r in rows})
    code = {r["id"]: r["code"] for r in read("product.product", "read", product_ids, ["code"])} if product_ids else {}
    return {
        r["id"]: {**r, "code": code[r["product"]], "order_ref": reference[sale_of[int(r["origin"].split(",")[1])]]}
        for r in rows
    }


def _warehouse_codes(read: Read, ids: set[int]) -> dict[int, str]:
    return {r["id"]: r["code"] for r in read("stock.location", "read", sorted(ids), ["code"])} if ids else {}


def _shipment(shipment: dict[str, Any], moves: list[dict[str, Any]], warehouse: str) -> Shipment:
    effective = shipment.get("effective_date")
    shipped = datetime.combine(effective, datetime.min.time()) if effective else shipment["create_date"]
    reference = str(shipment.get("reference") or "").strip()
    return Shipment(
        document=str(shipment["number"] or shipment["id"]),
        order_ref=moves[0]["order_ref"],
        shipped_at=shipped,
        changed_at=max(shipment["create_date"], shipment.get("write_date") or shipment["create_date"]),
        lines=[
            ShipmentLine(item_code=m["code"], quantity=Decimal(str(m["quantity"])), location=warehouse) for m in moves
        ],
        tracking_numbers=[reference] if reference else [],
    )
