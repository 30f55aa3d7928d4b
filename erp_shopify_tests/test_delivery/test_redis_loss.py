"""A Redis restarted without persistence under load causes no duplicate order and loses none that
Shopify redelivers.

Delivery skips the ERP search only on a proven first send, and that proof lives in Redis. When
Redis forgets, the epoch key is missing: every create searches from then on, so the redelivered
webhooks of orders already in the ERP find them. Against the SAP sandbox over HTTP and a private
redis-server the test starts itself (the flushed-keys case is in ``test_first_send.py``).
"""

from __future__ import annotations

import threading
import time

import pytest
import redis

from erp_shopify.config import parse_settings
from erp_shopify.delivery import QueueParts
from erp_shopify.store.epoch import start_new_epoch
from erp_shopify_tests.test_delivery.test_first_send import SKUS, Calls, SapRig
from erp_shopify_tests.test_delivery.test_sap_delivery import _settings
from erp_shopify_tests.test_erp.harness_sap import SapHarness, harness
from erp_shopify_tests.test_ingest.conftest import free_port, start_redis


@pytest.mark.slow
@pytest.mark.chaos
def test_a_private_redis_restarted_without_persistence_under_load_duplicates_and_loses_nothing(
    key_prefix: str,
) -> None:
    orders = range(9200, 9400)
    port = free_port()
    server = start_redis(port)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        with harness() as sap, redis.Redis.from_url(url) as client:
            sap.control_call("PUT", "/_sandbox/faults", {"latency_ms": 5})
            settings = parse_settings(_settings(sap.sandbox.odata_url, key_prefix, url, SKUS))
            rig = SapRig(sap, settings, QueueParts.connect(client, key_prefix, reclaim_idle_ms=100), Calls())
            start_new_epoch(client, key_prefix)
            for order_id in orders:
                rig.queue(order_id)
            stop = threading.Event()
            errors: list[str] = []

            def deliver_forever() -> None:
                while not stop.is_set():
                    try:
                        if not rig.deliver(owner=f"run-{time.monotonic_ns()}").outcomes:
                            time.sleep(0.05)
                    except redis.exceptions.ConnectionError as exc:
                        errors.append(type(exc).__name__)  # the restart: the run fails, the next one goes on
                        time.sleep(0.05)

            worker = threading.Thread(target=deliver_forever, daemon=True)
            worker.start()
            while _in_erp(sap) < 50:
                time.sleep(0.02)
            server.kill()
            server.wait(5)
            server = start_redis(port)  # empty: no persistence
            for order_id in orders:  # Shopify redelivers what it sent (its event ids, same payloads)
                rig.queue(order_id)
            deadline = time.monotonic() + 120
            while _in_erp(sap) < len(orders) or rig.parts.stream.depth():
                assert time.monotonic() < deadline, f"{_in_erp(sap)} of {len(orders)} delivered"
                time.sleep(0.1)
            stop.set()
            worker.join(30)
            counts = [sap.count_sales_orders(f"demo-eu-{order_id}") for order_id in orders]
            assert counts == [1] * len(orders)  # 0 duplicates, 0 lost
            assert errors  # the restart did hit delivery mid-stream
    finally:
        server.kill()
        server.wait(5)


def _in_erp(sap: SapHarness) -> int:
    """Sales orders in the ERP, all of this test's (the sandbox is the test's own)."""
    return int(sap.control_call("GET", "/_sandbox/orders")["count"])
