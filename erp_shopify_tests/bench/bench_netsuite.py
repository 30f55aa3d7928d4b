"""NetSuite adapter on the NetSuite sandbox: the change feed against a plain snapshot, the cost of
looking an order up before writing it, and throughput under the per-account concurrency limit.

Every figure is a ratio within this run (same machine, same sandbox), never a bare time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import httpx

from erp_shopify.erp.netsuite.adapter import NetSuiteAdapter
from erp_shopify.records import Address, Customer, SalesOrder, SalesOrderLine
from erp_shopify.retrying import RetryPolicy
from erp_shopify_sandbox.netsuite import NetSuiteSandbox
from erp_shopify_tests.test_erp.harness_netsuite import netsuite_config, sandbox_environment

ITEMS = 2_000  # x 2 locations = 4,000 changed rows
CALLERS, LIMIT, LATENCY_MS = 12, 5, 100


def _adapter(sandbox: NetSuiteSandbox, requests: list[str], **options: object) -> NetSuiteAdapter:
    with sandbox_environment(sandbox):
        adapter = NetSuiteAdapter(netsuite_config(sandbox), **options)  # type: ignore[arg-type]
    adapter.rest._http.event_hooks["request"].append(lambda r: requests.append(f"{r.method} {r.url.path}"))
    return adapter


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _feed_against_snapshot(sandbox: NetSuiteSandbox) -> list[str]:
    for n in range(ITEMS):
        for location in (1, 2):
            sandbox.account.set_stock(f"BENCH-{n:05d}", location, Decimal(n % 50))
    requests: list[str] = []
    adapter = _adapter(sandbox, requests)
    feed_s, feed_rows = _timed(lambda: sum(len(p.rows) for p in adapter.inventory_changes(None)))
    feed_requests = len(requests)
    snap_s, snap_rows = _timed(lambda: sum(len(p) for p in adapter.inventory_snapshot()))
    adapter.close()
    assert isinstance(feed_rows, int) and isinstance(snap_rows, int)
    return [
        f"change feed: {feed_rows} rows in {feed_requests} SuiteQL requests (tie-set + keyset pages of 1000)",
        f"change feed row rate / offset-paged snapshot row rate: {(feed_rows / feed_s) / (snap_rows / snap_s):.2f}",
    ]


def _order_lookup_overhead(sandbox: NetSuiteSandbox) -> list[str]:
    requests: list[str] = []
    adapter = _adapter(sandbox, requests)
    order = SalesOrder(
        external_ref="BENCH-ORDER-1",
        shop="bench",
        currency="USD",
        ordered_at=datetime(2026, 11, 27, tzinfo=UTC),
        customer=Customer(),
        ship_to=Address(),
        lines=[SalesOrderLine(item_code="BENCH-00001", quantity=Decimal(1), unit_price=Decimal(1))],
    )
    first_s, _ = _timed(lambda: adapter.create_sales_order(order))
    first = len(requests)
    replay_s, _ = _timed(lambda: adapter.create_sales_order(order))
    adapter.close()
    return [
        f"first create: {first} requests ({', '.join(requests[:first])}); replayed create: {len(requests) - first}",
        f"replayed create time / first create time: {replay_s / first_s:.2f}",
    ]


def _under_the_concurrency_limit() -> list[str]:
    sandbox = NetSuiteSandbox(concurrency_limit=LIMIT).start()
    try:
        httpx.put(f"{sandbox.url}/_sandbox/faults", json={"latency_ms": LATENCY_MS}).raise_for_status()
        requests: list[str] = []
        adapter = _adapter(sandbox, requests, retry=RetryPolicy(max_attempts=20, initial_backoff=0.05, max_backoff=1))
        barrier = threading.Barrier(CALLERS)

        def call() -> None:
            barrier.wait()
            adapter.health()

        threads = [threading.Thread(target=call) for _ in range(CALLERS)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        adapter.close()
        ideal = -(-CALLERS // LIMIT) * LATENCY_MS / 1000  # waves of LIMIT requests
        return [
            f"{CALLERS} callers over a limit of {LIMIT}: {len(requests)} attempts for {CALLERS} answers "
            f"({len(requests) / CALLERS:.2f} attempts per answer)",
            f"wall time / ideal ({-(-CALLERS // LIMIT)} waves of {LATENCY_MS} ms): {elapsed / ideal:.2f}",
        ]
    finally:
        sandbox.stop()


def run() -> list[str]:
    sandbox = NetSuiteSandbox().start()
    try:
        lines = _feed_against_snapshot(sandbox) + _order_lookup_overhead(sandbox)
    finally:
        sandbox.stop()
    return lines + _under_the_concurrency_limit()
