"""Receiver scale-out: the highest rate answered with p99 <= 10 ms by 1, 2 and 4 uvicorn workers.

The same receiver, load generator and requests as ``bench_ingest`` (open loop, every request a
distinct signed ``orders/create``, timed from when it was due). For each worker count the offered
rate climbs in steps until p99 passes 10 ms, a request fails or fewer than 95 % are answered in
time; the last step that met all three is the figure. Reported as ratios measured in the same run:
against one worker, and against the ceiling of perfect scaling on this machine (one worker's rate
times the workers that have a core of their own: the load generator and Redis share the cores).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from concurrent.futures import Executor, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import redis

from erp_shopify_tests.bench.bench_ingest import REDIS_URL, LoadResult, _receiver, _write_config, generate_load

GOAL_P99_MS = 10.0
RATES = (250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000, 4000)
SECONDS = 4.0
WORKERS = tuple(int(n) for n in os.environ.get("BENCH_INGEST_WORKERS", "1,2,4").split(","))


def meets_goal(result: LoadResult) -> bool:
    return result.errors == 0 and result.achieved >= 0.95 * result.rate and result.percentile(0.99) <= GOAL_P99_MS


def best_rate(loadgen: Executor, port: int, first_order: int) -> tuple[LoadResult | None, list[LoadResult]]:
    """The highest step that met the goal (None: not even the first), and every step run."""
    best, steps = None, []
    for index, rate in enumerate(RATES):
        step = loadgen.submit(generate_load, port, rate, SECONDS, first_order + index * 10**7).result()
        steps.append(step)
        if not meets_goal(step):
            break
        best = step
    return best, steps


def run() -> list[str]:
    prefix = f"bench-erp-shopify:{uuid.uuid4().hex[:12]}"
    lines: list[str] = []
    found: dict[int, float] = {}
    client = redis.Redis.from_url(REDIS_URL)
    try:
        with (
            tempfile.TemporaryDirectory() as folder,
            ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as loadgen,
        ):
            config = _write_config(Path(folder), prefix)
            for n, workers in enumerate(WORKERS):
                with _receiver(config, workers) as port:
                    loadgen.submit(generate_load, port, 200, 1.0, (n + 1) * 10**10).result()  # warm up
                    best, steps = best_rate(loadgen, port, (n + 1) * 10**10 + 10**9)
                found[workers] = best.achieved if best else 0.0
                tried = ", ".join(f"{s.rate}/s p99 {s.percentile(0.99):.1f} ms" for s in steps)
                lines.append(
                    f"{workers} worker(s): {found[workers]:.0f} req/s at p99 <= {GOAL_P99_MS:g} ms "
                    f"(offered {best.rate if best else 0}/s; steps: {tried})"
                )
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
    one = found.get(1, 0.0)
    cores = os.cpu_count() or 1
    for workers in WORKERS:
        if workers == 1 or not one:
            continue
        usable = min(workers, cores)
        ceiling = one * usable
        lines.append(
            f"{workers} workers: {found[workers] / one:.2f}x one worker; "
            f"{found[workers] / ceiling:.2f} of the ceiling {ceiling:.0f} req/s (one worker x {usable} cores)"
        )
    lines.append(f"load average after the run {os.getloadavg()[0]:.1f} on {cores} cores (shared machine)")
    return lines
