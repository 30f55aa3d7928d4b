"""The Shopify sandbox's own overhead per request, as ratios to a bare Starlette echo endpoint
served by the same uvicorn thread in the same run; how fast a large catalog seeds; and how many
bytes a variant costs (tracemalloc), with the SKU index compared to the dict-of-lists it replaced."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc

import httpx
from starlette.responses import JSONResponse

from erp_shopify_sandbox.server import ServerThread
from erp_shopify_sandbox.shopify import SandboxOptions, ShopifySandbox
from erp_shopify_sandbox.shopify.state import ShopState

ROUNDS = 300
TOKEN = "shpat_bench"
LOOKUP = '{ productVariants(first: 1, query: "sku:SKU-0500000") { nodes { id sku price inventoryItem { id } } } }'
PAGE = "{ productVariants(first: 250) { nodes { id sku price } pageInfo { hasNextPage endCursor } } }"


def _median_seconds(client: httpx.Client, url: str, body: dict, headers: dict) -> float:
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        client.post(url, json=body, headers=headers).raise_for_status()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def memory_per_variant(variants: int = 1_000_000) -> list[str]:
    """Bytes per variant of the whole seeded state and of its SKU index, against the former index
    (``dict[str, list[int]]``: one list and one int object per SKU) rebuilt from the same SKUs."""
    tracemalloc.start()
    try:
        empty = _traced()
        state = ShopState("memory.myshopify.com")
        state.seed(variants, locations=2)
        seeded = _traced()
        rows, shared = state.sku_rows, state.sku_duplicates
        state.sku_rows, state.sku_duplicates = {}, {}
        del rows, shared
        index = seeded - _traced()
        before = _traced()
        former: dict[str, list[int]] = {}
        for row, sku in enumerate(state.skus):
            former.setdefault(sku, []).append(row)
        former_index = _traced() - before
        del former, state
    finally:
        tracemalloc.stop()
    total = seeded - empty
    return [
        f"state of {variants:,} variants x 2 locations: {total / variants:.0f} B/variant ({total / 2**20:.0f} MiB)",
        f"SKU index (sku -> row, shared SKUs listed apart): {index / variants:.0f} B/variant",
        f"former SKU index (sku -> [rows]): {former_index / variants:.0f} B/variant"
        f" = {former_index / index:.1f}x the current one",
    ]


def run() -> list[str]:
    memory = memory_per_variant()
    sandbox = ShopifySandbox(SandboxOptions(access_token=TOKEN, plan="enterprise", bucket_size=1e9))
    started = time.perf_counter()
    sandbox.state.seed(1_000_000, locations=2)
    seeded = time.perf_counter() - started
    inner = sandbox.app.app  # the Starlette app inside the fault middleware

    async def echo(request):  # type: ignore[no-untyped-def]
        return JSONResponse(await request.json())

    inner.add_route("/echo", echo, methods=["POST"])
    server = ServerThread(sandbox.app).start()
    try:
        with httpx.Client(base_url=server.url) as client:
            headers = {"X-Shopify-Access-Token": TOKEN}
            graphql = "/admin/api/2026-10/graphql.json"
            echo_s = _median_seconds(client, "/echo", {"query": LOOKUP}, headers)
            lookup_s = _median_seconds(client, graphql, {"query": LOOKUP}, headers)
            page_s = _median_seconds(client, graphql, {"query": PAGE}, headers)
    finally:
        server.stop()
        sandbox.close()
    return [
        *memory,
        f"seed 1,000,000 variants x 2 locations: {seeded:.2f} s",
        f"bare echo request (median of {ROUNDS}): {echo_s * 1e3:.2f} ms",
        f"SKU lookup: {lookup_s * 1e3:.2f} ms = {lookup_s / echo_s:.1f}x echo",
        f"page of 250 variants: {page_s * 1e3:.2f} ms = {page_s / echo_s:.1f}x echo",
    ]


if __name__ == "__main__":
    print("\n".join(run()))
