"""Delivery to the SAP sandbox: an order the ERP refuses (HTTP 400) is dead-lettered with SAP's own
error body, and replayed once the mapping is fixed."""

from __future__ import annotations

import json

import redis

from erp_shopify.config import parse_settings
from erp_shopify.delivery import Outcome, QueueParts, ReplaySelection, deliver_batch, replay
from erp_shopify.notify import Notifier
from erp_shopify.store.stream import InboundEvent
from erp_shopify_tests.test_erp.harness_sap import harness
from erp_shopify_tests.test_mapping.order_payloads import order_payload


def _settings(erp_url: str, prefix: str, redis_url: str, overrides: dict[str, str]) -> dict:
    return {
        "erp": {
            "kind": "sap",
            "base_url": erp_url,
            "username": {"env": "SAP_SANDBOX_USER"},
            "password": {"env": "SAP_SANDBOX_PASSWORD"},
        },
        "shops": [
            {
                "name": "demo-eu",
                "domain": "demo-eu.myshopify.com",
                "access_token": {"env": "SAP_SANDBOX_USER"},
                "webhook_secret": {"env": "SAP_SANDBOX_USER"},
                "locations": {"1010/0001": "gid://shopify/Location/1"},
                "sku_overrides": overrides,
            }
        ],
        "redis": {"url": redis_url, "key_prefix": prefix},
        "delivery": {"max_attempts": 2, "initial_backoff_seconds": 0, "max_backoff_seconds": 0},
    }


def test_order_sap_refuses_is_dead_lettered_with_sap_error_and_delivered_after_fix(
    redis_url: str, key_prefix: str, redis_client: redis.Redis
) -> None:
    with harness() as sap:
        data = _settings(sap.sandbox.odata_url, key_prefix, redis_url, {"MAT-BLUE-TEE": "TEE-BLUE"})
        settings = parse_settings(data)
        parts = QueueParts.connect(redis_client, key_prefix)
        payload = order_payload(7001, [("TEE-BLUE", 1, "19.90"), ("MUG-RED", 2, "9.90")])
        parts.stream.append(
            InboundEvent(
                "demo-eu", "orders/create", "evt-7001", payload["admin_graphql_api_id"], json.dumps(payload).encode()
            )
        )

        def deliver() -> dict:
            batch = parts.stream.claim_batch("test", 10)
            return deliver_batch(batch, sap.adapter, parts, settings, Notifier(None), owner="test").outcomes

        assert list(deliver().values()) == [Outcome.DEAD_LETTERED]
        [letter] = parts.dead_letters.list()
        assert (letter.error_class, letter.status) == ("data", 400)
        assert "error" in letter.response_body  # SAP's OData v2 error body, kept whole
        assert [line["item_code"] for line in letter.erp_payload["lines"]] == ["MAT-BLUE-TEE", "MUG-RED"]
        assert sap.count_sales_orders("demo-eu-7001") == 0

        data["shops"][0]["sku_overrides"]["MAT-RED-MUG"] = "MUG-RED"
        settings = parse_settings(data)
        replay(parts, ReplaySelection(everything=True))
        assert list(deliver().values()) == [Outcome.DELIVERED]
        assert sap.count_sales_orders("demo-eu-7001") == 1
