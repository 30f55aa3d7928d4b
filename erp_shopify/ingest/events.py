"""What the receiver reads from a webhook payload: pure functions, no I/O.

Kept apart from the HTTP app so the rules (which order a webhook belongs to, which units it holds
back, which values the loop guard compares) read and test on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erp_shopify.mapping.customers import observed_values
from erp_shopify.mapping.products import payload_values
from erp_shopify.policy import CUSTOMER_ECHO_TOPICS, REFUND_TOPIC
from erp_shopify.store.fingerprints import inventory_object_key, inventory_values, price_values
from erp_shopify.store.pending import PendingLine


class MalformedWebhook(ValueError):
    """The payload is valid JSON but lacks what its topic must carry."""


def _gid(value: Any, kind: str) -> str:
    text = str(value)
    if text.startswith("gid://"):
        return text
    if not text.isdigit():
        raise MalformedWebhook(f"{kind} id {value!r} is neither a number nor a GID")
    return f"gid://shopify/{kind}/{text}"


def routing_key(topic: str, payload: Mapping[str, Any]) -> str:
    """The order a webhook belongs to (its ``admin_graphql_api_id``), so that every event of one
    order is delivered in order by one worker; for a refund, its order; otherwise the object itself."""
    if topic == REFUND_TOPIC:
        if payload.get("order_id") is None:
            raise MalformedWebhook("refunds/create payload has no order_id")
        return _gid(payload["order_id"], "Order")
    return str(payload["admin_graphql_api_id"])


def pending_lines(payload: Mapping[str, Any], default_location_gid: str) -> list[PendingLine]:
    """The units an ``orders/create`` takes from Shopify's stock, at the order's location (the
    payload's ``location_id``, else the shop's first configured location)."""
    location = payload.get("location_id")
    location_gid = _gid(location, "Location") if location is not None else default_location_gid
    lines: list[PendingLine] = []
    for item in payload.get("line_items") or []:
        if not isinstance(item, Mapping):
            raise MalformedWebhook("line_items holds something that is not an object")
        quantity = item.get("current_quantity", item.get("quantity"))
        if item.get("sku") and isinstance(quantity, int):
            lines.append(PendingLine(sku=str(item["sku"]), location_gid=location_gid, quantity=quantity))
    return lines


def restocked_unshipped_lines(payload: Mapping[str, Any], default_location_gid: str) -> list[PendingLine]:
    """The units a ``refunds/create`` puts back before they shipped (``restock_type`` "cancel"):
    Shopify no longer commits them. Returned goods (``return``) come back through ``on_hand``."""
    lines: list[PendingLine] = []
    for refunded in payload.get("refund_line_items") or []:
        if not isinstance(refunded, Mapping) or refunded.get("restock_type") != "cancel":
            continue
        item = refunded.get("line_item")
        if not isinstance(item, Mapping):
            continue
        location = refunded.get("location_id")
        location_gid = _gid(location, "Location") if location is not None else default_location_gid
        if item.get("sku") and isinstance(refunded.get("quantity"), int):
            lines.append(PendingLine(sku=str(item["sku"]), location_gid=location_gid, quantity=refunded["quantity"]))
    return lines


def product_observation(topic: str, payload: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """For ``products/update``: the product and the product master values it shows (judged only
    for products the product sync wrote: it alone records them)."""
    if topic != "products/update":
        return None
    return str(payload["admin_graphql_api_id"]), payload_values(payload)


def observations(topic: str, payload: Mapping[str, Any], shop: str = "") -> dict[str, dict[str, Any]]:
    """Object key -> the synced values this webhook shows, for the loop guard.

    ``products/update`` is judged by its variants' prices (the product fields we write); a payload
    without variants shows nothing the guard can compare. A customer or company location is judged
    by its contact fields and addresses (``mapping.customers.guard_values``).
    """
    if topic == "inventory_levels/update":
        for name in ("inventory_item_id", "location_id"):
            if payload.get(name) is None:
                raise MalformedWebhook(f"inventory_levels/update payload has no {name}")
        key = inventory_object_key(payload["inventory_item_id"], payload["location_id"])
        return {key: inventory_values(payload.get("available") or 0)}
    if topic == "products/update":
        found: dict[str, dict[str, Any]] = {}
        variants = [v for v in payload.get("variants") or [] if isinstance(v, Mapping)]
        for variant in variants:
            if variant.get("admin_graphql_api_id") and variant.get("price") is not None:
                found[str(variant["admin_graphql_api_id"])] = price_values(variant["price"])
        return found
    if topic in CUSTOMER_ECHO_TOPICS:
        return {str(payload["admin_graphql_api_id"]): observed_values(topic, dict(payload), shop)}
    return {}
