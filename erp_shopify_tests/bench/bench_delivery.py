"""Order delivery Shopify -> ERP on the SAP sandbox, real Redis, real Dagster.

(b) Throughput: 5,000 orders delivered with concurrency 5 (ERP requests in flight) to a sandbox
    answering every request after 50 ms, as a ratio of the bound 5 / 0.05 s = 100 orders/s (one ERP
    round trip per order: a fresh order the ledger proves new is created without the search by
    reference). The sandbox runs in this process, as in every test, so its own work per request
    competes with delivery for the GIL; the machine's load average is printed with the figures.
(c) Webhook-to-ERP latency p50/p95 through ``order_sensor`` and ``deliver_orders``: the sensor is
    evaluated in a loop at its configured interval on a real Dagster instance and each run executes
    in process (not under ``dagster dev`` and its daemon, which would add the run launch time).
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import dagster as dg
import httpx
import redis
import yaml

from erp_shopify.config import Settings, parse_settings
from erp_shopify.defs.orders.jobs import deliver_orders
from erp_shopify.defs.orders.sensors import order_sensor
from erp_shopify.defs.resources import ErpResource, NotifierResource, RedisResource, SettingsResource
from erp_shopify.delivery import Outcome, QueueParts, deliver_batch
from erp_shopify.erp.sap.adapter import SapAdapter
from erp_shopify.notify import Notifier
from erp_shopify.retrying import RetryPolicy
from erp_shopify.store.epoch import start_new_epoch
from erp_shopify.store.stream import InboundEvent
from erp_shopify_sandbox.faults import Faults
from erp_shopify_sandbox.sap import PASSWORD, USERNAME, SapSandbox
from erp_shopify_tests.test_mapping.order_payloads import order_payload

ORDERS = int(os.environ.get("BENCH_DELIVERY_ORDERS", "5000"))
LATENCY_MS = 50
CONCURRENCY = 5
BATCH = 500
MATERIALS = {"TEE-M": "MAT-BLUE-TEE", "MUG": "MAT-RED-MUG"}  # Shopify SKU -> SAP material
SHOP = "bench-eu"
REDIS_URL = os.environ.get("ERP_SHOPIFY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class Bench:
    sandbox: SapSandbox
    settings: Settings
    config_path: Path
    parts: QueueParts
    prefix: str


@contextmanager
def _bench(tmp: Path, **delivery: Any) -> Iterator[Bench]:
    os.environ.update({"BENCH_SAP_USER": USERNAME, "BENCH_SAP_PASSWORD": PASSWORD, "BENCH_SHOP_TOKEN": "x"})
    sandbox = SapSandbox(faults=Faults(latency_ms=LATENCY_MS)).start()
    httpx.post(f"{sandbox.url}/_sandbox/seed", json={"materials": list(MATERIALS.values())}).raise_for_status()
    prefix = f"bench-delivery:{uuid.uuid4().hex[:8]}"
    data = {
        "erp": {
            "kind": "sap",
            "base_url": sandbox.odata_url,
            "username": {"env": "BENCH_SAP_USER"},
            "password": {"env": "BENCH_SAP_PASSWORD"},
        },
        "shops": [
            {
                "name": SHOP,
                "domain": "bench-eu.myshopify.com",
                "access_token": {"env": "BENCH_SHOP_TOKEN"},
                "webhook_secret": {"env": "BENCH_SHOP_TOKEN"},
                "currency": "EUR",
                "locations": {"1010/0001": "gid://shopify/Location/1"},
                "sku_overrides": {material: sku for sku, material in MATERIALS.items()},
            }
        ],
        "redis": {"url": REDIS_URL, "key_prefix": prefix},
        "delivery": {"concurrency": CONCURRENCY, **delivery},
    }
    config_path = tmp / "shops.yaml"
    config_path.write_text(yaml.safe_dump(data))
    client = redis.Redis.from_url(REDIS_URL)
    try:
        start_new_epoch(client, prefix)  # a new deployment's Redis: first sends skip the search
        yield Bench(sandbox, parse_settings(data), config_path, QueueParts.connect(client, prefix), prefix)
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
        sandbox.stop()


def _queue(parts: QueueParts, order_id: int) -> InboundEvent:
    payload = order_payload(order_id, [("TEE-M", 2, "19.90"), ("MUG", 1, "9.90")])
    event = InboundEvent(
        shop=SHOP,
        topic="orders/create",
        event_id=f"bench-{order_id}",
        routing_key=payload["admin_graphql_api_id"],
        body=json.dumps(payload).encode(),
    )
    parts.stream.append(event)
    return event


def throughput(tmp: Path) -> list[str]:
    with _bench(tmp) as bench:
        for n in range(ORDERS):
            _queue(bench.parts, 10_000_000 + n)
        requests: list[str] = []
        sent: dict[int, float] = {}  # request id -> when it left; a response hook turns it into a wire time
        wire: list[float] = []
        adapter = SapAdapter(bench.settings.erp, retry=RetryPolicy(max_attempts=1))  # type: ignore[arg-type]

        def on_request(request: httpx.Request) -> None:
            requests.append(request.method)
            sent[id(request)] = time.perf_counter()

        def on_response(response: httpx.Response) -> None:
            wire.append(time.perf_counter() - sent.pop(id(response.request)))

        adapter.odata._http.event_hooks["request"].append(on_request)
        adapter.odata._http.event_hooks["response"].append(on_response)
        delivered = 0
        start = time.perf_counter()
        while batch := bench.parts.stream.claim_batch("bench", BATCH):
            report = deliver_batch(batch, adapter, bench.parts, bench.settings, Notifier(None), owner="bench")
            delivered += report.count(Outcome.DELIVERED)
        elapsed = time.perf_counter() - start
        load = os.getloadavg()[0]
        adapter.close()
    rate = delivered / elapsed
    calls = len(requests) / max(delivered, 1)
    bound_one = CONCURRENCY / (LATENCY_MS / 1000)
    bound_needed = bound_one / calls
    cycle = CONCURRENCY / (rate * calls) * 1000  # ms from one request taking a slot to the next doing so
    on_wire = statistics.mean(wire) * 1000
    return [
        f"(b) {delivered}/{ORDERS} orders delivered in {elapsed:.1f} s with concurrency {CONCURRENCY}, "
        f"{LATENCY_MS} ms ERP latency, batches of {BATCH}: {rate:.1f} orders/s",
        f"(b) ratio to the 1-round-trip bound {bound_one:.0f} orders/s: {rate / bound_one:.2f} (goal >= 0.8)",
        f"(b) ERP round trips per order: {calls:.2f} (the create, plus one CSRF token fetch); "
        f"ratio to the bound for that many, {bound_needed:.1f} orders/s: {rate / bound_needed:.2f}",
        f"(b) each ERP slot's cycle: {cycle:.1f} ms, of which {on_wire:.1f} ms from request sent to response "
        f"headers ({LATENCY_MS} ms of it the sandbox's latency) and {cycle - on_wire:.1f} ms the rest (request "
        "building, the slot's hand-over, the body's parsing)",
        f"(b) load average (1 min) at the end: {load:.2f} on {os.cpu_count()} cores",
    ]


def latency(tmp: Path, duration: float = 40.0, every: float = 0.5) -> list[str]:
    with _bench(tmp) as bench, dg.instance_for_test() as instance:
        settings = SettingsResource(config_path=str(bench.config_path))
        resources = {
            "settings": settings,
            "erp": ErpResource(config=settings),
            "redis": RedisResource(config=settings),
            "notifier": NotifierResource(config=settings),
        }
        interval = bench.settings.delivery.sensor_interval_seconds
        queued: list[InboundEvent] = []

        def shopify() -> None:
            for n in range(int(duration / every)):
                queued.append(_queue(bench.parts, 20_000_000 + n))
                time.sleep(every)

        producer = threading.Thread(target=shopify)
        producer.start()
        cursor, runs = None, 0
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        for _ in range(int(duration // interval) + 2):  # the last tick comes after the last order
            tick = time.monotonic()
            with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
                result = order_sensor(context)
            assert isinstance(result, dg.SensorResult)
            cursor = result.cursor
            for request in result.run_requests or []:
                run_config = {**dict(request.run_config), **quiet}
                deliver_orders.execute_in_process(run_config=run_config, resources=resources, instance=instance)
                runs += 1
            time.sleep(max(0.0, interval - (time.monotonic() - tick)))
        producer.join()
        waits = []
        for event in queued:
            entry = bench.parts.ledger.get(event.ledger_key)
            if entry is not None and entry.delivered_at:
                waits.append(entry.delivered_at - event.received_at)
    waits.sort()
    p95 = waits[int(0.95 * (len(waits) - 1))] if waits else float("nan")
    return [
        f"(c) {len(waits)}/{len(queued)} orders, one every {every} s, sensor interval {interval} s, {runs} runs "
        "(sensor evaluated in a loop, runs executed in process; not under dagster dev)",
        f"(c) webhook-to-ERP latency p50 {statistics.median(waits):.1f} s, p95 {p95:.1f} s (goal p95 <= 15 s)",
    ]


def run() -> list[str]:
    with TemporaryDirectory() as tmp:
        lines = throughput(Path(tmp))
        if os.environ.get("BENCH_DELIVERY_SKIP_LATENCY") != "1":
            lines += latency(Path(tmp))
    return lines
