"""End to end with the Shopify sandbox: its signed, redelivered webhooks reach the stream once, and
its retries after a Redis outage are queued once Redis is back."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import redis

from erp_shopify.ingest.app import WEBHOOK_PATH, create_app
from erp_shopify.store import EventStream, PendingUnits
from erp_shopify_sandbox.server import ServerThread
from erp_shopify_sandbox.shopify.control import SandboxControl
from erp_shopify_sandbox.shopify.sandbox import start_shopify_sandbox

from .conftest import DOMAIN, SECRET, Receiver, free_port, make_settings, start_redis


def _wait(condition: Callable[[], Any], seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)
    return result


def _ok_deliveries(control: SandboxControl) -> list[dict[str, Any]]:
    return [d for d in control.deliveries()["deliveries"] if d["ok"]]


def test_a_sandbox_order_delivered_twice_is_queued_once_with_its_units(
    receiver: Receiver, redis_client: redis.Redis, key_prefix: str
) -> None:
    with start_shopify_sandbox(seed=3, shop_domain=DOMAIN, webhook_secret=SECRET, duplicate_webhooks=True) as shop:
        control = SandboxControl(shop.url)
        try:
            control.subscribe("orders/create", f"{receiver.url}{WEBHOOK_PATH}")
            level = control.levels()[0]
            order = control.place_order({level["sku"]: 2})
            _wait(lambda: len(_ok_deliveries(control)) == 2)
        finally:
            control.close()
    [event] = receiver.stream.claim_batch("worker", count=10)
    assert event.routing_key == order["id"]
    assert event.payload()["line_items"][0]["sku"] == level["sku"]
    assert PendingUnits(redis_client, key_prefix).totals("demo-us") == {(level["sku"], level["location_id"]): 2}


def test_shopifys_retries_after_a_redis_outage_are_queued(shop_secrets: None, key_prefix: str) -> None:
    port = free_port()
    own_redis = start_redis(port)
    app = create_app(make_settings(), redis_url=f"redis://127.0.0.1:{port}/0", key_prefix=key_prefix)
    # 0.0002: the first retries come after about 11 ms, 22 ms, 45 ms...
    options = {"shop_domain": DOMAIN, "webhook_secret": SECRET, "webhook_time_scale": 0.0002}
    try:
        with ServerThread(app) as receiver, start_shopify_sandbox(seed=2, **options) as shop, ExitStack() as stack:
            control = SandboxControl(shop.url)
            stack.callback(control.close)
            control.subscribe("orders/create", f"{receiver.url}{WEBHOOK_PATH}")
            own_redis.terminate()
            own_redis.wait(5)
            control.place_order({control.levels()[0]["sku"]: 1})
            failed = _wait(lambda: [d for d in control.deliveries()["deliveries"] if d["status"] == 503])
            own_redis = start_redis(port)
            _wait(lambda: _ok_deliveries(control), seconds=30)
            with redis.Redis(port=port) as client:
                assert EventStream(client, key_prefix).depth() == 1
            assert failed[0]["attempt"] == 1
    finally:
        own_redis.terminate()
        own_redis.wait(5)
