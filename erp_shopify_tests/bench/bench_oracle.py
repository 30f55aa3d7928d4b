"""Oracle adapter on the Oracle sandbox: the snapshot-difference change feed against a raw paging
loop over the same balances, its memory at ten times the catalogue (the sandbox then runs in a
process of its own, so only the adapter's allocations are traced), and a replayed create against a
first create.

Every figure is a ratio within this run (same machine, same sandbox), never a bare time.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from multiprocessing.connection import Connection

import redis.connection

from erp_shopify.config import OracleConfig, Secret
from erp_shopify.erp.oracle.adapter import ONHAND, ONHAND_FIELDS, ONHAND_ORDER, OracleAdapter
from erp_shopify.store.onhand_snapshots import OnhandSnapshots
from erp_shopify_sandbox.oracle import ENV, SEED_ITEMS, SEED_ORGANIZATION, SEED_SUBINVENTORIES, OracleSandbox
from erp_shopify_sandbox.oracle.state import Pod
from erp_shopify_tests.bench.replayed_create import replayed_create_figures
from erp_shopify_tests.test_erp.harness import exported
from erp_shopify_tests.test_erp.harness_oracle import oracle_config, sandbox_environment, snapshot_tables

ITEMS = 1_000  # x 2 subinventories = 2,000 balances
CHANGED_SHARE = 10  # one balance in ten changes between the position and the read
REPEATS = 9
PASSWORD = "bench-oracle-password"


def _adapter(sandbox: OracleSandbox, requests: list[str], tables: OnhandSnapshots) -> OracleAdapter:
    with sandbox_environment(sandbox):
        adapter = OracleAdapter(oracle_config(sandbox), tables=tables)
    adapter.rest._http.event_hooks["request"].append(lambda r: requests.append(f"{r.method} {r.url.path}"))
    return adapter


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _stock(pod: Pod, items: int, offset: int = 0) -> None:
    for n in range(items):
        for subinventory in SEED_SUBINVENTORIES:
            pod.set_onhand(f"BENCH-{n:06d}", SEED_ORGANIZATION, subinventory, Decimal((n + offset) % 50 + 1))


def _redis_round_trips() -> Callable[[], int]:
    """A counter of the commands and pipelines this process sends to Redis (one each a round trip)."""
    sent = [0]
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self: redis.connection.AbstractConnection, command: object, check_health: bool = True) -> None:
        sent[0] += 1
        original(self, command, check_health)  # type: ignore[arg-type]

    redis.connection.AbstractConnection.send_packed_command = counting  # type: ignore[method-assign]
    return lambda: sent[0]


def _feed_against_raw_paging(sandbox: OracleSandbox, tables: OnhandSnapshots) -> list[str]:
    """The median over ``REPEATS`` reads from the same position (a read of some 30 ms is at the
    mercy of the shared machine's scheduler), each next to a raw paging loop over the same rows."""
    _stock(sandbox.pod, ITEMS)
    requests: list[str] = []
    adapter = _adapter(sandbox, requests, tables)
    position = adapter.journal_position()
    for n in range(0, ITEMS, CHANGED_SHARE):
        sandbox.pod.set_onhand(f"BENCH-{n:06d}", SEED_ORGANIZATION, SEED_SUBINVENTORIES[0], Decimal(999))
    round_trips = _redis_round_trips()
    feed_times, raw_times, trips = [], [], []
    for _ in range(REPEATS):
        requests.clear()
        before = round_trips()
        feed_s, feed_rows = _timed(lambda: sum(len(p.rows) for p in adapter.inventory_changes(position)))
        trips.append(round_trips() - before)
        feed_requests = len(requests)
        raw_s, raw_rows = _timed(
            lambda: sum(len(rows) for rows in adapter.rest.pages(ONHAND, fields=ONHAND_FIELDS, order_by=ONHAND_ORDER))
        )
        feed_times.append(feed_s)
        raw_times.append(raw_s)
    adapter.close()
    return [
        f"change feed: {feed_rows} changed of {raw_rows} balances in {feed_requests} requests (pages of 500), "
        f"{statistics.median(trips):.0f} Redis round trips a read",
        f"change feed time / raw paging loop time over the same balances (median of {REPEATS}): "
        f"{statistics.median(feed_times) / statistics.median(raw_times):.2f} "
        f"(single reads {min(feed_times) / max(raw_times):.2f}-{max(feed_times) / min(raw_times):.2f})",
    ]


def _serve(conn: Connection, items: int) -> None:
    """The sandbox in a process of its own, so the measured process holds the adapter alone."""
    sandbox = OracleSandbox(password=PASSWORD).start()
    _stock(sandbox.pod, items)
    conn.send((sandbox.url, sandbox.environment()))
    while (command := conn.recv()) != "stop":
        _stock(sandbox.pod, items, offset=command)
        conn.send("stocked")
    sandbox.stop()


def _peak_of_a_read(items: int) -> tuple[int, int, int]:
    """Peak traced bytes of one change-feed read after a stock change everywhere, the cursor's
    size, and the Redis table's size."""
    parent, child = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(child, items), daemon=True)
    server.start()
    url, environment = parent.recv()
    secrets = {field: Secret(env=env) for field, env in ENV.items()}
    try:
        with snapshot_tables() as tables, exported(environment):
            adapter = OracleAdapter(OracleConfig(kind="oracle", base_url=url, **secrets), tables=tables)  # type: ignore[arg-type]
            position = adapter.journal_position()
            parent.send(1)
            parent.recv()
            tracemalloc.start()
            cursor = position
            for page in adapter.inventory_changes(position):
                cursor = page.cursor
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            adapter.close()
            keys = tables.client.scan_iter(match=f"{tables.keys.prefix}:onhand:*")
            table = max(keys, key=lambda k: int(k.rsplit(b":", 1)[1]))  # the newest generation
            table_bytes = int(tables.client.memory_usage(table, samples=0) or 0)
    finally:
        parent.send("stop")
        server.join(timeout=30)
    return peak, len(cursor or ""), table_bytes


def _memory_at_ten_times() -> list[str]:
    (small_peak, small_cursor, _), (large_peak, large_cursor, large_table) = (
        _peak_of_a_read(ITEMS),
        _peak_of_a_read(ITEMS * 10),
    )
    small, large = ITEMS * 2, ITEMS * 20
    return [
        f"peak memory of a read, {large} / {small} balances: {large_peak / small_peak:.2f} "
        f"({large_peak / 1e6:.1f} MB at {large}, {small_peak / 1e6:.1f} MB at {small}); the tables are in Redis",
        f"cursor size: {small_cursor} bytes at {small} balances, {large_cursor} at {large}",
        f"Redis table: {large_table / large:.0f} bytes a balance at {large} (MEMORY USAGE)",
    ]


def _replayed_create(sandbox: OracleSandbox, tables: OnhandSnapshots) -> list[str]:
    requests: list[str] = []
    adapter = _adapter(sandbox, requests, tables)
    try:
        return replayed_create_figures(adapter, requests, SEED_ITEMS[0])
    finally:
        adapter.close()


def run() -> list[str]:
    sandbox = OracleSandbox().start()
    try:
        with snapshot_tables() as tables:
            lines = _feed_against_raw_paging(sandbox, tables) + _replayed_create(sandbox, tables)
    finally:
        sandbox.stop()
    return lines + _memory_at_ten_times()
