"""Oversized bodies are refused before they are read whole; a Redis outage answers 503 and loses nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from erp_shopify.ingest.app import WEBHOOK_PATH, create_app
from erp_shopify.shopify.webhooks import sign
from erp_shopify.store.keys import Keys
from erp_shopify_sandbox.server import ServerThread

from .conftest import DOMAIN, SECRET, Receiver, free_port, make_settings, order_payload, start_redis


def _headers(body: bytes, event_id: str) -> dict[str, str]:
    return {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sign(body, SECRET),
        "X-Shopify-Shop-Domain": DOMAIN,
        "X-Shopify-Event-Id": event_id,
    }


def test_a_declared_oversize_body_is_refused_with_413(receiver: Receiver) -> None:
    payload = order_payload()
    payload["note"] = "x" * (1024 * 1024)
    response = receiver.send("orders/create", payload)
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert receiver.stream.depth() == 0


def test_a_streamed_body_without_length_is_cut_at_the_cap(
    shop_secrets: None, redis_url: str, key_prefix: str, redis_client: redis.Redis
) -> None:
    app = create_app(make_settings(max_body_bytes=4096), redis_url=redis_url, key_prefix=key_prefix)
    body = json.dumps({**order_payload(), "note": "y" * 8000}).encode()

    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length to trust
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    with ServerThread(app) as server, httpx.Client(timeout=10) as http:
        response = http.post(f"{server.url}{WEBHOOK_PATH}", content=chunks(), headers=_headers(body, "big"))
        small = json.dumps(order_payload()).encode()
        accepted = http.post(f"{server.url}{WEBHOOK_PATH}", content=small, headers=_headers(small, "small"))
    assert response.status_code == 413
    assert accepted.status_code == 200
    assert int(redis_client.xlen(Keys(key_prefix).events)) == 1  # type: ignore[arg-type]


def test_redis_down_answers_503_and_the_retry_is_queued(shop_secrets: None, key_prefix: str) -> None:
    port = free_port()
    own_redis = start_redis(port)
    app = create_app(make_settings(), redis_url=f"redis://127.0.0.1:{port}/0", key_prefix=key_prefix)
    body = json.dumps(order_payload()).encode()
    try:
        with ServerThread(app) as server, httpx.Client(timeout=10) as http:
            url = f"{server.url}{WEBHOOK_PATH}"
            own_redis.terminate()
            own_redis.wait(5)
            down = http.post(url, content=body, headers=_headers(body, "evt-outage"))
            not_ready = http.get(f"{server.url}/readyz")
            own_redis = start_redis(port)  # Shopify retries the same event later
            retried = http.post(url, content=body, headers=_headers(body, "evt-outage"))
            with redis.Redis(port=port) as client:
                depth = client.xlen(Keys(key_prefix).events)
    finally:
        own_redis.terminate()
        own_redis.wait(5)
    assert down.status_code == 503 and down.json()["error"] == "queue_unavailable"
    assert down.headers["retry-after"] == "5"
    assert not_ready.status_code == 503
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert depth == 1


def test_an_unreachable_redis_is_a_503_not_a_hang(shop_secrets: None, key_prefix: str) -> None:
    app = create_app(make_settings(), redis_url=f"redis://127.0.0.1:{free_port()}/0", key_prefix=key_prefix)
    body = json.dumps(order_payload()).encode()
    with ServerThread(app) as server, httpx.Client(timeout=10) as http:
        started = time.monotonic()
        response = http.post(f"{server.url}{WEBHOOK_PATH}", content=body, headers=_headers(body, "e"))
    assert response.status_code == 503
    assert time.monotonic() - started < 4.5  # inside Shopify's 5 s timeout


@pytest.mark.parametrize("missing_env", ["TEST_INGEST_WEBHOOK_SECRET"])
def test_a_shop_whose_secret_is_not_set_answers_503_until_it_is(
    shop_secrets: None, redis_url: str, key_prefix: str, monkeypatch: pytest.MonkeyPatch, missing_env: str
) -> None:
    monkeypatch.delenv(missing_env)
    app = create_app(make_settings(), redis_url=redis_url, key_prefix=key_prefix)
    body = json.dumps(order_payload()).encode()
    with ServerThread(app) as server, httpx.Client(timeout=10) as http:
        response = http.post(f"{server.url}{WEBHOOK_PATH}", content=body, headers=_headers(body, "e"))
    assert response.status_code == 503 and response.json()["error"] == "shop_not_ready"
