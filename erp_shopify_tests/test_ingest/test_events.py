"""The payload rules of the receiver, as pure functions."""

from __future__ import annotations

import pytest

from erp_shopify.ingest.events import MalformedWebhook, observations, pending_lines, routing_key
from erp_shopify.store.pending import PendingLine

DEFAULT = "gid://shopify/Location/1"


def test_an_orders_routing_key_is_its_admin_graphql_api_id() -> None:
    assert routing_key("orders/cancelled", {"admin_graphql_api_id": "gid://shopify/Order/9"}) == "gid://shopify/Order/9"


def test_a_refund_without_its_order_is_malformed() -> None:
    with pytest.raises(MalformedWebhook, match="order_id"):
        routing_key("refunds/create", {"admin_graphql_api_id": "gid://shopify/Refund/1"})


def test_pending_lines_use_the_current_quantity_and_the_orders_location() -> None:
    payload = {
        "location_id": 77,
        "line_items": [{"sku": "A", "quantity": 3, "current_quantity": 1}, {"sku": "", "quantity": 2}],
    }
    assert pending_lines(payload, DEFAULT) == [PendingLine("A", "gid://shopify/Location/77", 1)]


def test_pending_lines_fall_back_to_the_shops_first_location() -> None:
    assert pending_lines({"line_items": [{"sku": "B", "quantity": 2}]}, DEFAULT) == [PendingLine("B", DEFAULT, 2)]


def test_an_inventory_level_is_observed_by_item_and_location() -> None:
    seen = observations("inventory_levels/update", {"inventory_item_id": 5, "location_id": 6, "available": 3})
    assert seen == {"gid://shopify/InventoryItem/5@gid://shopify/Location/6": {"available": 3}}


def test_an_inventory_level_without_a_location_is_malformed() -> None:
    with pytest.raises(MalformedWebhook, match="location_id"):
        observations("inventory_levels/update", {"inventory_item_id": 5, "available": 3})


def test_order_topics_carry_nothing_for_the_loop_guard() -> None:
    assert observations("orders/create", {"admin_graphql_api_id": "gid://shopify/Order/1"}) == {}
