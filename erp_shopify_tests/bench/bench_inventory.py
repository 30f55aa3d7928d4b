"""Inventory sync against the Shopify sandbox (standard plan, real Redis), figures as ratios.

(a) write throughput for 50,000 changed SKUs with 100 ms latency, from a drained cost bucket:
    items/s against the cost model's ceiling (restore rate / 10 points per call x 250 items) and
    against a naive loop (100 items per call, 500 ms sleep) measured in the same run;
(b) a no-op sync of a 100,000-SKU catalogue: write calls made;
(c) the same 1,000 changes synced in a 10,000 and in a 1,000,000-SKU catalogue: time and points.

The ERP side is a stock table handed to ``InventorySync.sync_stock`` (what each ERP page
becomes), so the figures are the sync's own; the ERP adapters have their own benches.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import redis

from erp_shopify.config import ShopConfig
from erp_shopify.mapping import inventory as m
from erp_shopify.shopify import documents
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.keys import Keys
from erp_shopify.store.last_written import LastWritten
from erp_shopify.sync.holds import Holds
from erp_shopify.sync.inventory import InventorySync, InventorySyncResult
from erp_shopify_sandbox.faults import Faults
from erp_shopify_sandbox.shopify import RunningShopifySandbox, start_shopify_sandbox
from erp_shopify_sandbox.shopify.ids import BASES

REDIS_URL = os.environ.get("ERP_SHOPIFY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LOCATION = f"gid://shopify/Location/{BASES['Location'] + 1}"
MUTATION_COST, ITEMS_PER_CALL = 10, 250


def _gids(kind: str, count: int) -> pd.Series:
    return ("gid://shopify/" + kind + "/") + (pd.RangeIndex(count) + BASES[kind] + 1).astype(str)


def catalogue_xref(count: int) -> pd.DataFrame:
    """The xref a sandbox catalogue of ``count`` seeded variants maps to (built, not read: setup)."""
    return pd.DataFrame(
        {
            "item_code": pd.Series([f"SKU-{n:07d}" for n in range(count)], dtype="string"),
            "sku": pd.Series([f"SKU-{n:07d}" for n in range(count)], dtype="string"),
            "variant_id": _gids("ProductVariant", count).astype("string"),
            "inventory_item_id": _gids("InventoryItem", count).astype("string"),
            "product_id": _gids("Product", count).astype("string"),
            "rule": "identity",
        }
    )


def stock(first: int, count: int, available: int) -> pd.DataFrame:
    codes = [f"SKU-{n:07d}" for n in range(first, first + count)]
    frame = pd.DataFrame({"item_code": codes, "location": "1010/0001", "available": float(available)})
    return frame.assign(changed_at=pd.Timestamp.now(tz="UTC"), change_id=[f"c{n}" for n in range(count)]).astype(
        {"item_code": "string", "location": "string"}
    )


@contextmanager
def shop(variants: int, latency_ms: float = 0) -> Iterator[tuple[RunningShopifySandbox, InventorySync, ShopConfig]]:
    prefix = f"bench-erp-shopify:{uuid.uuid4().hex[:8]}"
    os.environ["BENCH_SHOPIFY_TOKEN"] = "shpat_bench"
    sandbox = start_shopify_sandbox(access_token="shpat_bench", locations=0, faults=Faults(latency_ms=latency_ms))
    sandbox.sandbox.state.seed(variants, locations=1, available=0)
    config = ShopConfig.model_validate(
        {
            "name": "bench",
            "domain": "bench.myshopify.com",
            "api_url": sandbox.url,
            "access_token": {"env": "BENCH_SHOPIFY_TOKEN"},
            "webhook_secret": {"env": "BENCH_SHOPIFY_TOKEN"},
            "locations": {"1010/0001": LOCATION},
        }
    )
    client = ShopifyClient.for_shop(config)
    redis_client = redis.Redis.from_url(REDIS_URL)
    sync = InventorySync(config, client, _NoErp(), redis_client, prefix)
    try:
        yield sandbox, sync, config
    finally:
        LastWritten(redis_client, prefix).forget("bench")
        redis_client.delete(Keys(prefix).fingerprints("bench"))
        redis_client.close()
        client.close()
        sandbox.stop()


NO_HOLDS = Holds(m.pending_frame({}), m.erp_units_frame([]))


class _NoErp:
    """The benches hand stock tables straight to ``sync_stock``; nothing asks the ERP."""

    name = "none"


def writes_for(sync: InventorySync, xref: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    targets = m.available_to_sell(
        rows, xref, sync.shop.locations, m.pending_frame({}), m.erp_units_frame([]), sync.shop.safety_stock
    ).targets
    return m.plan_writes(m.with_base(targets, sync.last_written.lookup("bench", targets))).writes


def naive_loop(client: ShopifyClient, writes: pd.DataFrame) -> float:
    """What a first integration often does: 100 items per call, a fixed 500 ms pause between calls."""
    started = time.perf_counter()
    for start in range(0, len(writes), 100):
        batch = writes.iloc[start : start + 100]
        quantities = m.quantities_input(batch.assign(change_from=pd.NA))
        variables = {
            "input": {"name": "available", "reason": "correction", "quantities": quantities},
            "idempotencyKey": documents.idempotency_key("inventory_set_quantities", quantities, scope="naive"),
        }
        client.execute("inventory_set_quantities", variables)
        time.sleep(0.5)
    return len(writes) / (time.perf_counter() - started)


def bench_throughput() -> list[str]:
    items = 50_000
    with shop(items + 3_000, latency_ms=100) as (sandbox, sync, _):
        xref = catalogue_xref(items + 3_000)
        writes = writes_for(sync, xref, stock(0, items, 7))
        sandbox.sandbox.bucket.take(int(sandbox.sandbox.bucket.capacity))  # steady state: no stored burst
        started = time.perf_counter()
        tally = sync.writer.write(writes, "bench-a")
        written, calls = tally.written, tally.calls
        rate = written / (time.perf_counter() - started)
        ceiling = sandbox.sandbox.options.restore_rate / MUTATION_COST * ITEMS_PER_CALL
        throttled = sync.client.throttled
        naive_writes = writes_for(sync, xref, stock(items, 3_000, 5))
        naive = naive_loop(sync.client, naive_writes)
    return [
        f"(a) {written:,} items in {calls} calls at {rate:,.0f} items/s; cost-model ceiling {ceiling:,.0f} items/s:"
        f" ratio {rate / ceiling:.2f} (goal >= 0.9)",
        f"(a) naive loop (100 per call, 500 ms sleep) {naive:,.0f} items/s: ours is {rate / naive:.1f}x (goal >= 10x)",
        f"(a) throttled answers absorbed by the client's pacing: {throttled}; errors reaching the sync: 0",
    ]


def bench_noop() -> list[str]:
    items = 100_000
    with shop(items) as (sandbox, sync, _):
        xref = catalogue_xref(items)
        for first in range(0, items, 20_000):  # Shopify and our memory agree, as after a previous sync
            targets = writes_for(sync, xref, stock(first, 20_000, 0))
            sync.last_written.store("bench", targets.assign(quantity=0))
        before = sandbox.sandbox.state.write_calls.get("inventorySetQuantities", 0)
        result = InventorySyncResult(watermark=None)
        started = time.perf_counter()
        sync.sync_stock(stock(0, items, 0), NO_HOLDS, xref, "bench-b", result)
        seconds = time.perf_counter() - started
        calls = sandbox.sandbox.state.write_calls.get("inventorySetQuantities", 0) - before
    return [
        f"(b) no-op sync of {items:,} SKUs: {calls} write calls, {result.unchanged:,} skipped unchanged,"
        f" {seconds:.2f} s ({items / seconds:,.0f} items/s compared)"
    ]


def _changes_cost(catalogue: int, repeats: int = 3) -> tuple[float, float]:
    """Median seconds and points of syncing 1,000 changes (each repeat a different 1,000 SKUs)."""
    seconds, points = [], []
    with shop(catalogue) as (_, sync, _):
        xref = catalogue_xref(catalogue)
        for repeat in range(repeats):
            rows = stock(catalogue // 2 + repeat * 1_000, 1_000, 9)
            result = InventorySyncResult(watermark=None)
            used = sync.client.points_used
            started = time.perf_counter()
            sync.sync_stock(rows, NO_HOLDS, xref, f"bench-c-{repeat}", result)
            seconds.append(time.perf_counter() - started)
            points.append(sync.client.points_used - used)
            assert result.written == 1_000
    return statistics.median(seconds), statistics.median(points)


def bench_catalogue_size() -> list[str]:
    small_seconds, small_points = _changes_cost(10_000)
    large_seconds, large_points = _changes_cost(1_000_000)
    return [
        f"(c) 1,000 changes (median of 3): {small_seconds:.2f} s / {small_points:.0f} points in a 10,000 catalogue,"
        f" {large_seconds:.2f} s / {large_points:.0f} points in a 1,000,000 catalogue:"
        f" time ratio {large_seconds / small_seconds:.2f}, points ratio {large_points / small_points:.2f} (goal <= 1.2)"
    ]


def run() -> list[str]:
    return [*bench_throughput(), *bench_noop(), *bench_catalogue_size()]
