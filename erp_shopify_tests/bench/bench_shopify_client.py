"""Sustained Admin GraphQL throughput through ``ShopifyClient`` on the Shopify sandbox (standard plan).

The cost model caps what any client can do in ``T`` seconds: the initial bucket plus the restore
rate times ``T``, divided by the points one request really costs (its actual cost, after the
refund). Several threads share one client, as the syncs do, for long enough (``BENCH_SHOPIFY_SECONDS``,
default 30 s) that the restore rate, not the initial bucket, dominates the ceiling. Goal: ratio
>= 0.9 with no throttled answer reaching the caller. For contrast, an unpaced loop on a fresh shop
shows how many throttled answers the same work meets without pacing.
"""

from __future__ import annotations

import os
import threading
import time

import httpx

from erp_shopify.errors import TransientError
from erp_shopify.shopify import documents
from erp_shopify.shopify.client import BUCKET_SECONDS, PLAN_RESTORE_RATE, ShopifyClient
from erp_shopify_sandbox.shopify import start_shopify_sandbox

SECONDS = float(os.environ.get("BENCH_SHOPIFY_SECONDS", "30"))
THREADS = 4
TOKEN = "shpat_bench"
PAGE = {"first": 10}
PLAN = "standard"


def paced_run() -> list[str]:
    restore = PLAN_RESTORE_RATE[PLAN]
    with start_shopify_sandbox(seed=200, locations=2, access_token=TOKEN, plan=PLAN) as shop:
        client = ShopifyClient(shop.graphql_url, TOKEN, restore_rate=restore, bucket_size=restore * BUCKET_SECONDS)
        done = 0
        escaped_throttles = 0
        lock = threading.Lock()
        start = time.monotonic()
        deadline = start + SECONDS

        def work() -> None:
            nonlocal done, escaped_throttles
            while time.monotonic() < deadline:
                try:
                    client.execute("variants_by_sku", PAGE)
                except TransientError as exc:
                    if "THROTTLED" in exc.codes:
                        with lock:
                            escaped_throttles += 1
                    continue
                with lock:
                    done += 1

        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - start
        stats = shop.control.stats()["cost"]
        client.close()
    cost_per_request = stats["actual"] / max(1, stats["requests"] - stats["throttled"])
    bucket = restore * BUCKET_SECONDS
    ceiling = (bucket + restore * elapsed) / cost_per_request
    return [
        f"paced client, {THREADS} threads, {PLAN} plan ({restore:g} pt/s, bucket {bucket:g}), {elapsed:.1f} s: "
        f"{done} requests of {cost_per_request:.0f} points; ceiling {ceiling:.0f}; "
        f"ratio {done / ceiling:.3f} (goal >= 0.9)",
        f"steady state after the initial bucket: {(done * cost_per_request - bucket) / elapsed:.1f} pt/s "
        f"of {restore:g} pt/s restored",
        f"throttled answers received by the client: {client.throttled}; reaching the caller: {escaped_throttles} "
        f"(goal 0); throttled at the sandbox: {stats['throttled']}",
        f"time spent waiting for the bucket: {client.bucket.waited_seconds:.1f} s across threads",
    ]


def unpaced_run(seconds: float) -> list[str]:
    """The same requests sent back to back without pacing (what a client that only retries does)."""
    with start_shopify_sandbox(seed=200, locations=2, access_token=TOKEN, plan=PLAN) as shop:
        sent = throttled = 0
        body = {"query": documents.load("variants_by_sku"), "variables": PAGE}
        with httpx.Client(headers={"X-Shopify-Access-Token": TOKEN}) as raw:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                answer = raw.post(shop.graphql_url, json=body).json()
                sent += 1
                throttled += any(e.get("extensions", {}).get("code") == "THROTTLED" for e in answer.get("errors", []))
    return [f"unpaced loop for comparison, {seconds:g} s: {throttled} of {sent} answers throttled"]


def run() -> list[str]:
    return paced_run() + unpaced_run(min(SECONDS, 10.0))


if __name__ == "__main__":
    for line in run():
        print(line)
