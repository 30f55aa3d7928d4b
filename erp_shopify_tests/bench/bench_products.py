"""Product master sync: SAP sandbox (``API_PRODUCT_SRV``) -> Shopify sandbox (standard plan,
``productSet``), real Redis; figures as ratios measured in the same run.

(a) ``PRODUCTS`` products of ``VARIANTS`` variants each, created from scratch: products/s against
    the cost model's ceiling (the plan's restore rate / the mean actual cost of one product's
    ``productSet``, as the sandbox charged it in this run);
(b) a resync of the unchanged catalogue: ``productSet`` calls made (goal 0);
(c) a resync after 1 % of the products changed: ``productSet`` calls per changed product (goal 1).

``BENCH_PRODUCTS`` scales (a) down for a quick look; the recorded figures use 10,000.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import redis

from erp_shopify.config import ProductsConfig, SapConfig, Secret, ShopConfig
from erp_shopify.erp.sap.adapter import SapAdapter
from erp_shopify.shopify.client import PLAN_RESTORE_RATE, ShopifyClient
from erp_shopify.sync.products import ProductSync, ProductSyncResult
from erp_shopify_sandbox.sap import PASSWORD, USERNAME, SapSandbox
from erp_shopify_sandbox.shopify import start_shopify_sandbox

REDIS_URL = os.environ.get("ERP_SHOPIFY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "10000"))
VARIANTS = 5
CHANGED_SHARE = 0.01


def _specs(first: int, count: int, title: str = "Tee") -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    for n in range(first, first + count):
        code = f"P{n:06d}"
        specs.append({"product": code, "description": f"{title} {n}", "brand": "ACME", "product_group": "TEES"})
        specs += [
            {"product": f"{code}-{v}", "configurable_product": code, "size": f"S{v}", "gtin": f"40{n:06d}{v}"}
            for v in range(VARIANTS)
        ]
    return specs


def _load(sap: SapSandbox, specs: list[dict[str, Any]]) -> None:
    for start in range(0, len(specs), 5000):
        httpx.put(f"{sap.url}/_sandbox/products", json=specs[start : start + 5000], timeout=120).raise_for_status()


def run() -> list[str]:
    os.environ.update(BENCH_SAP_USER=USERNAME, BENCH_SAP_PASSWORD=PASSWORD, BENCH_SHOPIFY_TOKEN="shpat_bench")
    prefix = f"bench-erp-shopify:{uuid.uuid4().hex[:8]}"
    sap = SapSandbox().start()
    shopify = start_shopify_sandbox(access_token="shpat_bench", locations=1)
    redis_client = redis.Redis.from_url(REDIS_URL)
    shop = ShopConfig.model_validate(
        {
            "name": "bench",
            "domain": "bench.myshopify.com",
            "api_url": shopify.url,
            "access_token": {"env": "BENCH_SHOPIFY_TOKEN"},
            "webhook_secret": {"env": "BENCH_SHOPIFY_TOKEN"},
            "locations": {"1010/0001": "gid://shopify/Location/1"},
        }
    )
    erp = SapConfig(
        kind="sap",
        base_url=sap.odata_url,
        username=Secret(env="BENCH_SAP_USER"),
        password=Secret(env="BENCH_SAP_PASSWORD"),
    )
    client = ShopifyClient.for_shop(shop)
    adapter = SapAdapter(erp, overlap=timedelta(seconds=5))
    calls = lambda: shopify.sandbox.state.write_calls.get("productSet", 0)  # noqa: E731
    try:
        _load(sap, _specs(0, PRODUCTS))
        sync = ProductSync(shop, client, adapter, redis_client, prefix, ProductsConfig())
        sync.ensure_id_definition()
        points_before, started = client.points_used, time.perf_counter()
        created: ProductSyncResult = sync.run(None)
        elapsed = time.perf_counter() - started
        cost_per_product = (client.points_used - points_before) / max(created.created, 1)
        ceiling = PLAN_RESTORE_RATE["standard"] / cost_per_product
        rate = created.created / elapsed
        lines = [
            f"created {created.created} products x {VARIANTS} variants in {elapsed:.0f} s: {rate:.2f} products/s, "
            f"{rate / ceiling:.2f} of the cost-model ceiling ({ceiling:.2f}/s = 100 pt/s / "
            f"{cost_per_product:.1f} pt per productSet); refused {len(created.refused)}, throttled {client.throttled}"
        ]
        before = calls()
        noop = sync.run(None, full_resync=True)
        lines.append(
            f"no-op full resync of {noop.read} products: {calls() - before} productSet calls "
            f"(goal 0), {noop.unchanged} unchanged"
        )
        changed = max(1, int(PRODUCTS * CHANGED_SHARE))
        _load(sap, _specs(0, changed, title="Navy tee"))
        before = calls()
        resync = sync.run(created.watermark)
        lines.append(
            f"resync after {changed} changed products ({CHANGED_SHARE:.0%}): {calls() - before} productSet calls, "
            f"{(calls() - before) / changed:.2f} per changed product (goal 1), {resync.read} read"
        )
        return lines
    finally:
        for key in redis_client.scan_iter(f"{prefix}:*"):
            redis_client.delete(key)
        redis_client.close()
        adapter.close()
        client.close()
        shopify.stop()
        sap.stop()
