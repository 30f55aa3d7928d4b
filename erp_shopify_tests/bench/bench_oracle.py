"""Oracle adapter on the Oracle sandbox: the snapshot-difference change feed against a raw paging
loop over the same balances, its memory at ten times the catalogue, and a replayed create against a
first create.

Every figure is a ratio within this run (same machine, same sandbox), never a bare time.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal

from erp_shopify.erp.oracle.adapter import ONHAND, ONHAND_FIELDS, ONHAND_ORDER, OracleAdapter
from erp_shopify_sandbox.oracle import SEED_ITEMS, SEED_ORGANIZATION, SEED_SUBINVENTORIES, OracleSandbox
from erp_shopify_tests.bench.replayed_create import replayed_create_figures
from erp_shopify_tests.test_erp.harness_oracle import oracle_config, sandbox_environment

ITEMS = 1_000  # x 2 subinventories = 2,000 balances
CHANGED_SHARE = 10  # one balance in ten changes between the position and the read


def _adapter(sandbox: OracleSandbox, requests: list[str]) -> OracleAdapter:
    with sandbox_environment(sandbox):
        adapter = OracleAdapter(oracle_config(sandbox))
    adapter.rest._http.event_hooks["request"].append(lambda r: requests.append(f"{r.method} {r.url.path}"))
    return adapter


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _stock(sandbox: OracleSandbox, items: int, offset: int = 0) -> None:
    for n in range(items):
        for subinventory in SEED_SUBINVENTORIES:
            sandbox.pod.set_onhand(f"BENCH-{n:06d}", SEED_ORGANIZATION, subinventory, Decimal((n + offset) % 50 + 1))


def _feed_against_raw_paging(sandbox: OracleSandbox) -> list[str]:
    _stock(sandbox, ITEMS)
    requests: list[str] = []
    adapter = _adapter(sandbox, requests)
    position = adapter.journal_position()
    for n in range(0, ITEMS, CHANGED_SHARE):
        sandbox.pod.set_onhand(f"BENCH-{n:06d}", SEED_ORGANIZATION, SEED_SUBINVENTORIES[0], Decimal(999))
    requests.clear()
    feed_s, feed_rows = _timed(lambda: sum(len(p.rows) for p in adapter.inventory_changes(position)))
    feed_requests = len(requests)
    raw = adapter.rest.pages(ONHAND, fields=ONHAND_FIELDS, order_by=ONHAND_ORDER)
    raw_s, raw_rows = _timed(lambda: sum(len(rows) for rows in raw))
    adapter.close()
    return [
        f"change feed: {feed_rows} changed of {raw_rows} balances in {feed_requests} requests (pages of 500)",
        f"change feed time / raw paging loop time over the same balances: {feed_s / raw_s:.2f}",
    ]


def _peak_of_a_read(sandbox: OracleSandbox, items: int) -> tuple[int, int]:
    """Peak traced bytes of one change-feed read after a stock change everywhere, and its cursor's size."""
    requests: list[str] = []
    adapter = _adapter(sandbox, requests)
    position = adapter.journal_position()
    _stock(sandbox, items, offset=1)
    tracemalloc.start()
    cursor = position
    for page in adapter.inventory_changes(position):
        cursor = page.cursor
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    adapter.close()
    return peak, len(cursor or "")


def _memory_at_ten_times() -> list[str]:
    figures = []
    for items in (ITEMS, ITEMS * 10):
        sandbox = OracleSandbox().start()
        try:
            _stock(sandbox, items)
            figures.append((items * 2, *_peak_of_a_read(sandbox, items)))
        finally:
            sandbox.stop()
    (small, small_peak, small_cursor), (large, large_peak, large_cursor) = figures
    return [
        f"peak memory of a read, {large} / {small} balances: {large_peak / small_peak:.2f} "
        f"({large_peak / large:.0f} bytes a balance at {large}); the table of the last pass is the cursor",
        f"cursor size: {small_cursor / small:.1f} bytes a balance at {small}, {large_cursor / large:.1f} at {large}",
    ]


def _replayed_create(sandbox: OracleSandbox) -> list[str]:
    requests: list[str] = []
    adapter = _adapter(sandbox, requests)
    try:
        return replayed_create_figures(adapter, requests, SEED_ITEMS[0])
    finally:
        adapter.close()


def run() -> list[str]:
    sandbox = OracleSandbox().start()
    try:
        lines = _feed_against_raw_paging(sandbox) + _replayed_create(sandbox)
    finally:
        sandbox.stop()
    return lines + _memory_at_ten_times()
