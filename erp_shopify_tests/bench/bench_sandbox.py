"""The Shopify sandbox's own overhead per request, as ratios to a bare Starlette echo endpoint
served by the same uvicorn thread in the same run; and how fast a large catalog seeds."""

from __future__ import annotations

import statistics
import time

import httpx
from starlette.responses import JSONResponse

from erp_shopify.sandbox.server import ServerThread
from erp_shopify.sandbox.shopify import SandboxOptions, ShopifySandbox

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


def run() -> list[str]:
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
        f"seed 1,000,000 variants x 2 locations: {seeded:.2f} s",
        f"bare echo request (median of {ROUNDS}): {echo_s * 1e3:.2f} ms",
        f"SKU lookup: {lookup_s * 1e3:.2f} ms = {lookup_s / echo_s:.1f}x echo",
        f"page of 250 variants: {page_s * 1e3:.2f} ms = {page_s / echo_s:.1f}x echo",
    ]


if __name__ == "__main__":
    print("\n".join(run()))
