"""``fulfillmentCreate``, ``fulfillmentOrderMove``, ``fulfillmentTrackingInfoUpdate``: user errors as
Shopify answers them (``UserError`` carries no code), all-or-nothing writes, and the webhooks a
fulfillment triggers (``fulfillments/create``; ``orders/fulfilled`` once nothing is left to ship).
None of them takes ``@idempotent``: sending one twice fulfills twice, as in Shopify."""

from __future__ import annotations

import time
from typing import Any

from erp_shopify_sandbox.shopify import ids, payloads
from erp_shopify_sandbox.shopify.fulfillment_views import FulfillmentOrderView, FulfillmentView
from erp_shopify_sandbox.shopify.fulfillments import (
    Fulfillment,
    FulfillmentOrder,
    FulfillmentOrderLine,
    FulfillmentRefused,
    Tracking,
)
from erp_shopify_sandbox.shopify.state import ShopState, now_iso
from erp_shopify_sandbox.shopify.user_errors import limit_input, user_error

MAX_FULFILLMENT_ORDER_LINES = 512


def _refused(payload: dict[str, Any], message: str, field: list[str], *, coded: bool = False) -> dict[str, Any]:
    error = user_error(None, field, message) if coded else {"field": field, "message": message}
    return {**payload, "userErrors": [error]}


def _line_index(gid: str) -> int:
    index = ids.parse_gid(gid, "FulfillmentOrderLineItem")
    return -1 if index is None else index


def _tracking(raw: dict[str, Any] | None) -> list[Tracking]:
    """``FulfillmentTrackingInput`` as Shopify documents it: ``number`` or ``numbers``, ``url`` or
    ``urls`` matched by position, one company for all."""
    if not raw:
        return []
    if raw.get("number") is not None and raw.get("numbers") is not None:
        raise FulfillmentRefused("Only one of number or numbers can be provided.", ["trackingInfo"])
    if raw.get("url") is not None and raw.get("urls") is not None:
        raise FulfillmentRefused("Only one of url or urls can be provided.", ["trackingInfo"])
    numbers = raw.get("numbers") or ([raw["number"]] if raw.get("number") else [])
    urls = raw.get("urls") or ([raw["url"]] if raw.get("url") else [])
    if len(urls) > len(numbers):
        raise FulfillmentRefused("A tracking URL needs a tracking number.", ["trackingInfo", "urls"])
    company = raw.get("company")
    return [Tracking(company, n, urls[i] if i < len(urls) else None) for i, n in enumerate(numbers)] or (
        [Tracking(company, None, None)] if company else []
    )


def fulfillment_create(_root: Any, info: Any, fulfillment: dict[str, Any], message: str | None = None) -> dict:
    context = info.context
    state: ShopState = context.state
    state.count_write("fulfillmentCreate")
    groups = fulfillment["lineItemsByFulfillmentOrder"]
    limit_input(info, groups, ["fulfillment", "lineItemsByFulfillmentOrder"])
    empty = {"fulfillment": None}
    if context.options.write_latency_ms:
        time.sleep(context.options.write_latency_ms / 1000)
    with state.lock:
        book = state.fulfillment
        wanted: list[tuple[FulfillmentOrder, list[tuple[FulfillmentOrderLine, int]] | None]] = []
        for n, group in enumerate(groups):
            path = ["fulfillment", "lineItemsByFulfillmentOrder", str(n)]
            index = ids.parse_gid(group["fulfillmentOrderId"], "FulfillmentOrder")
            if index is None or index >= len(book.orders):
                return _refused(empty, "Fulfillment order does not exist.", [*path, "fulfillmentOrderId"])
            raw_lines = group.get("fulfillmentOrderLineItems")
            lines: list[tuple[FulfillmentOrderLine, int]] | None = None
            if raw_lines is not None:
                if len(raw_lines) > MAX_FULFILLMENT_ORDER_LINES:
                    return _refused(empty, "Too many fulfillment order line items.", path)
                lines = []
                for raw in raw_lines:
                    found = book.line(_line_index(raw["id"]))
                    if found is None:
                        return _refused(empty, "Fulfillment order line item does not exist.", path)
                    lines.append((found[1], int(raw["quantity"])))
            wanted.append((book.orders[index], lines))
        try:
            tracking = _tracking(fulfillment.get("trackingInfo"))
            done = book.fulfill(state, wanted, tracking, notify=bool(fulfillment.get("notifyCustomer")))
        except FulfillmentRefused as exc:
            return _refused(empty, exc.message, exc.field)
        order = state.orders[done.order]
        order.updated_at = done.created_at
        _emit(context, state, done)
    return {"fulfillment": FulfillmentView(state, done.index), "userErrors": []}


def fulfillment_order_move(
    _root: Any,
    info: Any,
    id: str,
    newLocationId: str,
    fulfillmentOrderLineItems: list[dict[str, Any]] | None = None,
) -> dict:
    context = info.context
    state: ShopState = context.state
    state.count_write("fulfillmentOrderMove")
    empty = {"movedFulfillmentOrder": None, "originalFulfillmentOrder": None}
    with state.lock:
        book = state.fulfillment
        index = ids.parse_gid(id, "FulfillmentOrder")
        if index is None or index >= len(book.orders):
            return _refused(empty, "Fulfillment order does not exist.", ["id"], coded=True)
        location = ids.parse_gid(newLocationId, "Location")
        if location is None or location >= len(state.locations):
            return _refused(empty, "Location does not exist.", ["newLocationId"], coded=True)
        lines = None
        if fulfillmentOrderLineItems is not None:
            lines = []
            for raw in fulfillmentOrderLineItems:
                found = book.line(_line_index(raw["id"]))
                if found is None or found[0].index != index:
                    return _refused(
                        empty, "Fulfillment order line item does not exist.", ["fulfillmentOrderLineItems"], coded=True
                    )
                lines.append((found[1], int(raw["quantity"])))
        try:
            original, moved = book.move(state, book.orders[index], location, lines)
        except FulfillmentRefused as exc:
            return _refused(empty, exc.message, exc.field, coded=True)
    return {
        "movedFulfillmentOrder": FulfillmentOrderView(state, moved.index),
        "originalFulfillmentOrder": FulfillmentOrderView(state, original.index),
        "userErrors": [],
    }


def fulfillment_tracking_info_update(
    _root: Any,
    info: Any,
    fulfillmentId: str,
    trackingInfoInput: dict[str, Any],
    notifyCustomer: bool | None = None,
) -> dict:
    state: ShopState = info.context.state
    state.count_write("fulfillmentTrackingInfoUpdate")
    with state.lock:
        index = ids.parse_gid(fulfillmentId, "Fulfillment")
        if index is None or index >= len(state.fulfillment.fulfillments):
            return _refused({"fulfillment": None}, "Fulfillment does not exist.", ["fulfillmentId"])
        try:
            tracking = _tracking(trackingInfoInput)
        except FulfillmentRefused as exc:
            return _refused({"fulfillment": None}, exc.message, ["trackingInfoInput"])
        record = state.fulfillment.fulfillments[index]
        record.tracking, record.updated_at = tracking, now_iso()
        record.notified = record.notified or bool(notifyCustomer)
    return {"fulfillment": FulfillmentView(state, index), "userErrors": []}


def _emit(context: Any, state: ShopState, done: Fulfillment) -> None:
    order = state.orders[done.order]
    context.webhooks.emit("fulfillments/create", fulfillment_payload(state, done))
    if state.fulfillment.display_status(done.order) == "FULFILLED":
        context.webhooks.emit("orders/fulfilled", payloads.order(state, order))
    for line, _ in done.lines:
        context.webhooks.emit(
            "inventory_levels/update", payloads.inventory_level(state, done.location, line.line_item.variant)
        )


def fulfillment_payload(state: ShopState, done: Fulfillment) -> dict[str, Any]:
    """A ``fulfillments/create`` body (REST-style JSON, as the published schema has it)."""
    order = state.orders[done.order]
    numbers = [t.number for t in done.tracking if t.number]
    urls = [t.url for t in done.tracking if t.url]
    lines = []
    for line, quantity in done.lines:
        body = payloads.line_item(state, line.line_item, order.currency)
        lines.append({**body, "quantity": quantity, "fulfillment_status": "fulfilled"})
    return {
        "admin_graphql_api_id": ids.gid("Fulfillment", done.index),
        "created_at": done.created_at,
        "destination": payloads.ADDRESS,
        "email": order.email or "buyer@example.com",
        "id": ids.legacy_id("Fulfillment", done.index),
        "line_items": lines,
        "location_id": ids.legacy_id("Location", done.location),
        "name": FulfillmentView(state, done.index).name,
        "order_id": ids.legacy_id("Order", order.index),
        "origin_address": {},
        "receipt": {},
        "service": "manual",
        "shipment_status": None,
        "status": "success",
        "tracking_company": next((t.company for t in done.tracking if t.company), None) or "",
        "tracking_number": numbers[0] if numbers else "",
        "tracking_numbers": numbers,
        "tracking_url": urls[0] if urls else "",
        "tracking_urls": urls,
        "updated_at": done.updated_at,
    }


FULFILLMENT_RESOLVERS = {
    "fulfillmentCreate": fulfillment_create,
    "fulfillmentOrderMove": fulfillment_order_move,
    "fulfillmentTrackingInfoUpdate": fulfillment_tracking_info_update,
}
