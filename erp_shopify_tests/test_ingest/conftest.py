"""A running webhook receiver on loopback for one test: its own key prefix, real Redis, real HTTP."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis

from erp_shopify.config import Settings, parse_settings
from erp_shopify.ingest.app import WEBHOOK_PATH, create_app
from erp_shopify.shopify.webhooks import sign
from erp_shopify.store import EventStream
from erp_shopify_sandbox.server import ServerThread
from erp_shopify_tests.redis_cluster import RedisTarget

SECRET = "whsec-current-0123456789"
PREVIOUS_SECRET = "whsec-previous-9876543210"
DOMAIN = "demo-us.myshopify.com"
DEFAULT_LOCATION = "gid://shopify/Location/1001"


def make_settings(
    *, max_body_bytes: int = 1024 * 1024, previous: bool = True, redis: dict[str, Any] | None = None
) -> Settings:
    shop: dict[str, Any] = {
        "name": "demo-us",
        "domain": DOMAIN,
        "access_token": {"env": "TEST_INGEST_TOKEN"},
        "webhook_secret": {"env": "TEST_INGEST_WEBHOOK_SECRET"},
        "locations": {"WH1": DEFAULT_LOCATION, "WH2": "gid://shopify/Location/1002"},
    }
    if previous:
        shop["previous_webhook_secret"] = {"env": "TEST_INGEST_PREVIOUS_WEBHOOK_SECRET"}
    return parse_settings(
        {
            "erp": {
                "kind": "tryton",
                "base_url": "http://127.0.0.1:1",
                "database": "t",
                "username": {"env": "U"},
                "password": {"env": "P"},
            },
            "shops": [shop],
            "ingest": {"max_body_bytes": max_body_bytes},
            **({"redis": redis} if redis else {}),
        }
    )


@dataclass
class Receiver:
    url: str
    http: httpx.Client
    stream: EventStream
    app: Any

    def send(
        self,
        topic: str,
        payload: Any = None,
        *,
        event_id: str | None = None,
        secret: str = SECRET,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        drop: tuple[str, ...] = (),
    ) -> httpx.Response:
        raw = body if body is not None else json.dumps(payload).encode()
        sent = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(raw, secret),
            "X-Shopify-Shop-Domain": DOMAIN,
            "X-Shopify-API-Version": "2026-10",
            "X-Shopify-Webhook-Id": uuid.uuid4().hex,
            "X-Shopify-Event-Id": event_id or uuid.uuid4().hex,
            "X-Shopify-Triggered-At": "2026-11-27T10:00:00Z",
            **(headers or {}),
        }
        for name in drop:
            sent.pop(name)
        return self.http.post(f"{self.url}{WEBHOOK_PATH}", content=raw, headers=sent)

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.app.state.receiver.counts.local)


@pytest.fixture
def shop_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_INGEST_TOKEN", "shpat_test")
    monkeypatch.setenv("TEST_INGEST_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TEST_INGEST_PREVIOUS_WEBHOOK_SECRET", PREVIOUS_SECRET)


@pytest.fixture
def receiver(
    shop_secrets: None, redis_target: RedisTarget, key_prefix: str, redis_client: redis.Redis
) -> Iterator[Receiver]:
    app = create_app(make_settings(redis=redis_target.settings(key_prefix)))
    with ServerThread(app) as server, httpx.Client(timeout=10) as http:
        yield Receiver(server.url, http, EventStream(redis_client, key_prefix), app)


def order_payload(order_id: int = 820982911946154508, location_id: int | None = None) -> dict[str, Any]:
    return {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": "#9999",
        "location_id": location_id,
        "line_items": [
            {"sku": "IPOD-342-N", "quantity": 2, "current_quantity": 2},
            {"sku": "IPOD-342-N", "quantity": 1, "current_quantity": 1},
            {"sku": "SHIRT-M", "quantity": 3, "current_quantity": 3},
            {"sku": None, "quantity": 1, "current_quantity": 1},
        ],
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_redis(port: int, *options: str, password: str | None = None) -> subprocess.Popen[bytes]:
    """A throw-away redis-server of our own, to stop and start again (never the shared one);
    ``options`` are more ``--name value`` settings (later ones win)."""
    server = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            *options,
            *(("--requirepass", password) if password else ()),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 5
    with redis.Redis(port=port, password=password) as client:
        while True:
            try:
                client.ping()
                return server
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    server.kill()
                    raise
                time.sleep(0.02)
