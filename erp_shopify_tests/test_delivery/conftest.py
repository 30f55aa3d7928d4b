"""A delivery rig: a real ERP sandbox over HTTP, real Redis, a real alert receiver on loopback."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from erp_shopify.config import Settings, parse_settings
from erp_shopify.delivery import BatchReport, QueueParts, deliver_batch
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.erp.netsuite.adapter import NetSuiteAdapter
from erp_shopify.notify import Notifier
from erp_shopify.retrying import RetryPolicy
from erp_shopify.store.connection import connect
from erp_shopify.store.stream import AppendResult, InboundEvent, QueuedEvent
from erp_shopify_sandbox.netsuite import NetSuiteSandbox
from erp_shopify_sandbox.server import ServerThread
from erp_shopify_tests.redis_cluster import RedisTarget
from erp_shopify_tests.test_mapping.order_payloads import order_payload

SHOP = "demo-eu"
SKUS = {"TEE-M": "NS-TEE-M", "CAP": "NS-CAP"}  # Shopify SKU -> ERP item (sku_overrides inverted)


class AlertReceiver:
    """A Slack-style incoming webhook that records what it was sent."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.status = 200
        self.app = Starlette(routes=[Route("/hooks/alerts", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> JSONResponse:
        self.received.append(json.loads(await request.body())["text"])
        return JSONResponse({"ok": True}, status_code=self.status)


@pytest.fixture
def alerts() -> Iterator[tuple[AlertReceiver, str]]:
    receiver = AlertReceiver()
    with ServerThread(receiver.app) as server:
        yield receiver, f"{server.url}/hooks/alerts"


_event_ids = itertools.count(1)


@dataclass
class Rig:
    sandbox: NetSuiteSandbox
    settings: Settings
    config_path: Path
    adapter: ErpAdapter
    parts: QueueParts
    notifier: Notifier
    alerts: AlertReceiver
    redis_url: str
    key_prefix: str
    env: dict[str, str] = field(default_factory=dict)
    cluster: bool = False

    def settings_data(self, sandbox: NetSuiteSandbox | None = None, **delivery: Any) -> dict[str, Any]:
        """This rig's shops file (or one for another ``sandbox``), with ``delivery`` settings changed."""
        erp = sandbox or self.sandbox
        return settings_data(erp, self.redis_url, self.key_prefix, cluster=self.cluster, **delivery)

    def queue(self, topic: str, payload: dict[str, Any], event_id: str | None = None) -> AppendResult:
        return queue_webhook(self.parts, topic, payload, event_id)

    def order(
        self, order_id: int, topic: str = "orders/create", event_id: str | None = None, **fields: Any
    ) -> AppendResult:
        payload = order_payload(order_id, [("TEE-M", 2, "19.90"), ("CAP", 1, "12.00")], **fields)
        return self.queue(topic, payload, event_id)

    def claim(self, count: int = 100) -> list[QueuedEvent]:
        return self.parts.stream.claim_batch("test-consumer", count)

    def deliver(self, events: list[QueuedEvent] | None = None, owner: str = "test-run") -> BatchReport:
        batch = self.claim() if events is None else events
        return deliver_batch(batch, self.adapter, self.parts, self.settings, self.notifier, owner=owner, sleep=no_wait)

    def orders_in_erp(self, external_ref: str) -> int:
        answer = httpx.get(f"{self.sandbox.url}/_sandbox/orders", params={"externalId": external_ref})
        return int(answer.json()["count"])

    def faults(self, **faults: Any) -> None:
        httpx.put(f"{self.sandbox.url}/_sandbox/faults", json=faults).raise_for_status()


@dataclass
class QueueRig:
    """The orders' queue, delivery settings and alerts of one ERP, as a delivery run has them."""

    settings: Settings
    parts: QueueParts
    alerts: AlertReceiver
    notifier: Notifier

    def queue(self, topic: str, payload: dict[str, Any], event_id: str | None = None) -> None:
        queue_webhook(self.parts, topic, payload, event_id)

    def deliver_to(self, erp: ErpAdapter) -> BatchReport:
        batch = self.parts.stream.claim_batch("test-consumer", 100)
        return deliver_batch(batch, erp, self.parts, self.settings, self.notifier, owner="run", sleep=no_wait)


def queue_webhook(parts: QueueParts, topic: str, payload: dict[str, Any], event_id: str | None = None) -> AppendResult:
    """Queue a webhook as the receiver does (same stream, same fields)."""
    gid = payload.get("admin_graphql_api_id", "")
    routing = f"gid://shopify/Order/{payload['order_id']}" if topic == "refunds/create" else gid
    event = InboundEvent(
        shop=SHOP,
        topic=topic,
        event_id=event_id or f"evt-{next(_event_ids)}",
        routing_key=routing,
        body=json.dumps(payload).encode(),
        headers={"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": "c2lnbmF0dXJl"},
    )
    return parts.stream.append(event)


def no_wait(seconds: float) -> None:
    """Backoff without waiting: the retries still happen, against the real ERP."""


def settings_data(
    sandbox: NetSuiteSandbox | dict[str, Any],
    redis_url: str,
    key_prefix: str,
    *,
    cluster: bool = False,
    **delivery: Any,
) -> dict[str, Any]:
    """The rig's shops file for the NetSuite ``sandbox``, or for another ERP's ``erp`` section."""
    erp = (
        sandbox
        if isinstance(sandbox, dict)
        else {
            "kind": "netsuite",
            "base_url": sandbox.url,
            "account_id": sandbox.credentials.account_id,
            "consumer_key": {"env": "NETSUITE_CONSUMER_KEY"},
            "consumer_secret": {"env": "NETSUITE_CONSUMER_SECRET"},
            "token_id": {"env": "NETSUITE_TOKEN_ID"},
            "token_secret": {"env": "NETSUITE_TOKEN_SECRET"},
        }
    )
    return {
        "erp": erp,
        "shops": [
            {
                "name": SHOP,
                "domain": "demo-eu.myshopify.com",
                "access_token": {"env": "SHOP_DEMO_EU_TOKEN"},
                "webhook_secret": {"env": "SHOP_DEMO_EU_WEBHOOK_SECRET"},
                "currency": "EUR",
                "locations": {"1": "gid://shopify/Location/1"},
                "sku_overrides": {item: sku for sku, item in SKUS.items()},
            }
        ],
        "redis": {"url": redis_url, "key_prefix": key_prefix, "cluster": cluster},
        "alert_webhook_url": {"env": "ERP_SHOPIFY_ALERT_WEBHOOK_URL"},
        "delivery": {"max_attempts": 3, "initial_backoff_seconds": 0, "max_backoff_seconds": 0, **delivery},
    }


@pytest.fixture
def rig(
    alerts: tuple[AlertReceiver, str],
    redis_target: RedisTarget,
    key_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Rig]:
    receiver, alert_url = alerts
    sandbox = NetSuiteSandbox(concurrency_limit=20).start()
    env = {
        **sandbox.environment(),
        "SHOP_DEMO_EU_TOKEN": "shpat_test_token_value",
        "SHOP_DEMO_EU_WEBHOOK_SECRET": "whsec_test_secret_value",
        "ERP_SHOPIFY_ALERT_WEBHOOK_URL": alert_url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    data = settings_data(sandbox, redis_target.url, key_prefix, cluster=redis_target.cluster)
    config_path = tmp_path / "shops.yaml"
    config_path.write_text(yaml.safe_dump(data))
    settings = parse_settings(data)
    adapter = NetSuiteAdapter(settings.erp, timeout=1.0, retry=RetryPolicy(max_attempts=1))  # type: ignore[arg-type]
    client = connect(settings.redis)
    parts = QueueParts.connect(client, key_prefix, reclaim_idle_ms=300)
    try:
        yield Rig(
            sandbox,
            settings,
            config_path,
            adapter,
            parts,
            Notifier(alert_url),
            receiver,
            redis_target.url,
            key_prefix,
            env,
            redis_target.cluster,
        )
    finally:
        adapter.close()
        client.close()
        sandbox.stop()
