"""Webhook ingestion latency and the highest rate sustained without errors.

The receiver runs as deployed, ``erp-shopify webhooks serve`` in its own process (uvicorn, real
Redis under a throw-away key prefix). An open-loop load generator runs in another process and
times every request from the moment it was due, not from when it was sent, so a stalled server
cannot hide its queueing delay. Every request is a distinct, signed ``orders/create`` (HMAC
check, dedupe, pending units and XADD all run).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import redis
import uvloop
import yaml

from erp_shopify.ingest.app import WEBHOOK_PATH
from erp_shopify.shopify.webhooks import sign
from erp_shopify.store.keys import Keys
from erp_shopify_tests.receiver_process import serving

REDIS_URL = os.environ.get("ERP_SHOPIFY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "bench-webhook-secret"
DOMAIN = "bench.myshopify.com"
BASE_RATE = 500  # requests per second: the goal is p99 <= 10 ms here
STEP_RATES = (1000, 1500, 2000, 3000, 4000)
SECONDS = 4.0
MAX_CONNECTIONS = 256
_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.I)


@dataclass(frozen=True)
class LoadResult:
    rate: int
    sent: int
    errors: int
    elapsed: float
    latencies_ms: list[float]
    failures: dict[str, int] = field(default_factory=dict)  # HTTP status or exception -> count

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")

    @property
    def achieved(self) -> float:
        return len(self.latencies_ms) / self.elapsed if self.elapsed else 0.0

    def sustained(self) -> bool:
        """No error, the offered rate kept up with, and every answer inside Shopify's 5 s timeout."""
        return self.errors == 0 and self.achieved >= 0.95 * self.rate and self.percentile(0.99) < 5000


def _request(port: int, order_id: int) -> bytes:
    body = json.dumps(
        {
            "id": order_id,
            "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
            "name": f"#{order_id}",
            "currency": "USD",
            "total_price": "59.00",
            "location_id": None,
            "line_items": [
                {"sku": "BENCH-1", "quantity": 2, "current_quantity": 2, "price": "19.50"},
                {"sku": "BENCH-2", "quantity": 1, "current_quantity": 1, "price": "20.00"},
            ],
        }
    ).encode()
    head = (
        f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Shopify-Topic: orders/create\r\n"
        f"X-Shopify-Hmac-Sha256: {sign(body, SECRET)}\r\nX-Shopify-Shop-Domain: {DOMAIN}\r\n"
        f"X-Shopify-API-Version: 2026-10\r\nX-Shopify-Event-Id: {uuid.uuid4()}\r\n"
        f"X-Shopify-Webhook-Id: {uuid.uuid4()}\r\n\r\n"
    )
    return head.encode() + body


def generate_load(port: int, rate: int, seconds: float, first_order: int) -> LoadResult:
    """Runs in the load-generator process: offer ``rate`` requests/s for ``seconds``, open loop."""
    requests = [_request(port, first_order + n) for n in range(int(rate * seconds))]
    return uvloop.run(_drive(port, rate, requests))  # the generator must not be the bottleneck


async def _drive(port: int, rate: int, requests: list[bytes]) -> LoadResult:
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    opened = 0
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    limit = asyncio.Semaphore(MAX_CONNECTIONS)

    async def one(data: bytes, due: float) -> None:
        nonlocal opened
        async with limit:
            conn = idle.pop() if idle else None
            try:
                if conn is None:
                    opened += 1
                    conn = await asyncio.open_connection("127.0.0.1", port)
                reader, writer = conn
                writer.write(data)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                length = _LENGTH.search(head)
                await reader.readexactly(int(length.group(1)) if length else 0)
                if head[9:12] != b"200":
                    failures[head[9:12].decode()] += 1
                latencies.append((time.perf_counter() - due) * 1000)
                idle.append(conn)
            except (OSError, asyncio.IncompleteReadError) as exc:
                failures[type(exc).__name__] += 1

    start = time.perf_counter() + 0.05
    tasks = []
    for n, data in enumerate(requests):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(data, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for _, writer in idle:
        writer.close()
    errors = sum(failures.values())
    return LoadResult(rate, len(requests), errors, elapsed, latencies, dict(failures))


def service_times(port: int, count: int, first_order: int) -> LoadResult:
    """Closed loop, one request at a time on one connection: the receiver's own cost per webhook,
    without queueing behind other requests."""
    return uvloop.run(_one_by_one(port, [_request(port, first_order + n) for n in range(count)]))


async def _one_by_one(port: int, requests: list[bytes]) -> LoadResult:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    for data in requests:
        sent = time.perf_counter()
        writer.write(data)
        head = await reader.readuntil(b"\r\n\r\n")
        length = _LENGTH.search(head)
        await reader.readexactly(int(length.group(1)) if length else 0)
        errors += head[9:12] != b"200"
        latencies.append((time.perf_counter() - sent) * 1000)
    writer.close()
    elapsed = time.perf_counter() - start
    return LoadResult(rate=0, sent=len(requests), errors=errors, elapsed=elapsed, latencies_ms=latencies)


def _line(result: LoadResult) -> str:
    return (
        f"offered {result.rate}/s: achieved {result.achieved:.0f}/s, p50 {result.percentile(0.5):.2f} ms, "
        f"p99 {result.percentile(0.99):.2f} ms, errors {result.errors}/{result.sent}"
        + (f" {result.failures}" if result.failures else "")
    )


def _write_config(folder: Path, prefix: str) -> Path:
    path = folder / "shops.yaml"
    config = {
        "erp": {
            "kind": "tryton",
            "base_url": "http://127.0.0.1:1",
            "database": "bench",
            "username": {"env": "BENCH_INGEST_TOKEN"},
            "password": {"env": "BENCH_INGEST_TOKEN"},
        },
        "shops": [
            {
                "name": "bench",
                "domain": DOMAIN,
                "access_token": {"env": "BENCH_INGEST_TOKEN"},
                "webhook_secret": {"env": "BENCH_INGEST_WEBHOOK_SECRET"},
                "locations": {"WH1": "gid://shopify/Location/1"},
            }
        ],
        "redis": {"url": REDIS_URL, "key_prefix": prefix},
    }
    path.write_text(yaml.safe_dump(config))
    return path


def _receiver(config: Path, workers: int = 1) -> contextlib.AbstractContextManager[int]:
    """``erp-shopify webhooks serve`` (``workers`` uvicorn processes) on a free port: its port."""
    return serving(config, {"BENCH_INGEST_TOKEN": "unused", "BENCH_INGEST_WEBHOOK_SECRET": SECRET}, workers=workers)


def run() -> list[str]:
    prefix = f"bench-erp-shopify:{uuid.uuid4().hex[:12]}"
    lines: list[str] = []
    client = redis.Redis.from_url(REDIS_URL)
    try:
        with (
            tempfile.TemporaryDirectory() as folder,
            _receiver(_write_config(Path(folder), prefix)) as port,
            ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as loadgen,
        ):
            loadgen.submit(generate_load, port, 200, 1.0, 10**9).result()  # warm up both sides
            alone = loadgen.submit(service_times, port, 1000, 3 * 10**9).result()
            lines.append(
                f"one at a time (service time): p50 {alone.percentile(0.5):.2f} ms, "
                f"p99 {alone.percentile(0.99):.2f} ms, {alone.achieved:.0f}/s on one connection"
            )
            order = 2 * 10**9
            base = loadgen.submit(generate_load, port, BASE_RATE, SECONDS, order).result()
            lines.append(f"{_line(base)} over {SECONDS:g} s (goal p99 <= 10 ms)")
            lines.append(f"p99/p50 at {BASE_RATE}/s: {base.percentile(0.99) / base.percentile(0.5):.1f}x")
            best = base if base.sustained() else None
            for rate in STEP_RATES:
                order += 10**7
                step = loadgen.submit(generate_load, port, rate, SECONDS, order).result()
                lines.append(_line(step))
                if not step.sustained():
                    break
                best = step
            if best is None:
                lines.append(f"no rate sustained (not even {BASE_RATE}/s: errors, or fewer than 95% answered in time)")
            else:
                ratio = best.percentile(0.99) / base.percentile(0.99)
                lines.append(
                    f"highest rate sustained (no errors, >= 95% answered): {best.rate}/s "
                    f"(achieved {best.achieved:.0f}/s); "
                    f"its p99 is {ratio:.1f}x the p99 at {BASE_RATE}/s"
                )
            lines.append(
                f"p99 at {BASE_RATE}/s is {base.percentile(0.99) / alone.percentile(0.99):.1f}x the one-at-a-time p99; "
                f"load average during the run {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)"
            )
            queued = int(client.xlen(Keys(prefix).events))  # type: ignore[arg-type]
            lines.append(f"events queued: {queued} (every 200 is a durable XADD)")
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
    return lines
