"""Fulfillments ERP -> Shopify, figures as ratios.

(a) write throughput for 5,000 shipped SAP deliveries (SAP sandbox, Shopify sandbox on the Plus
    plan, real Redis), from a drained cost bucket: deliveries/s against the cost model's ceiling,
    the restore rate over the points one delivery must cost (its read of the order's fulfillment
    orders, at the actual cost Shopify charged in this run, plus 10 for ``fulfillmentCreate``);
(b) latency from the ERP's goods issue to the fulfillment in Shopify under the daemon: the demo
    world behind a real ``dagster dev`` whose ``fulfillments`` schedule runs every minute; the
    warehouse ships one delivery every few seconds, each timed until Shopify holds its fulfillment.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory

import dagster as dg
import redis
import yaml

from erp_shopify.config import parse_settings
from erp_shopify.erp.sap.adapter import SapAdapter
from erp_shopify.shopify.client import PLAN_RESTORE_RATE, ShopifyClient
from erp_shopify.sync.fulfillments import FulfillmentSync
from erp_shopify_sandbox.sap import PASSWORD, USERNAME, SapSandbox
from erp_shopify_sandbox.shopify import start_shopify_sandbox
from erp_shopify_sandbox.shopify.ids import gid
from erp_shopify_tests.test_sync.shipping import sap_sales_order

REDIS_URL = os.environ.get("ERP_SHOPIFY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DELIVERIES = int(os.environ.get("BENCH_FULFILLMENT_DELIVERIES", "5000"))
MUTATION_COST = 10
PLAN = "plus"
GOAL = 0.8


def _book(sap: SapSandbox, state: object, shop: str, orders: int) -> None:
    """``orders`` orders of one unit in Shopify and SAP, each shipped whole by the warehouse."""
    for n in range(orders):
        sku = f"SKU-{n % 50:07d}"
        order = state.place_order([(sku, 1)])  # type: ignore[attr-defined]
        sales_order = sap.store.create_sales_order(sap_sales_order(shop, order.index, {sku: 1}))
        sap.store.deliveries.ship(sales_order["SalesOrder"], bill_of_lading=f"1Z{n:016d}")


def bench_throughput() -> list[str]:
    prefix = f"bench-fulfil:{uuid.uuid4().hex[:8]}"
    os.environ.update(BENCH_SAP_USER=USERNAME, BENCH_SAP_PASSWORD=PASSWORD, BENCH_SHOPIFY_TOKEN="shpat_bench")
    sap = SapSandbox().start()
    shopify = start_shopify_sandbox(access_token="shpat_bench", locations=0, plan=PLAN)
    redis_client = redis.Redis.from_url(REDIS_URL)
    try:
        for n in range(50):
            sap.store.add_material(f"SKU-{n:07d}")
            sap.store.set_stock(f"SKU-{n:07d}", "1010", "0001", Decimal(DELIVERIES))
        shopify.sandbox.state.seed(50, locations=1, available=DELIVERIES)
        settings = parse_settings(
            {
                "erp": {
                    "kind": "sap",
                    "base_url": sap.odata_url,
                    "username": {"env": "BENCH_SAP_USER"},
                    "password": {"env": "BENCH_SAP_PASSWORD"},
                },
                "redis": {"url": REDIS_URL, "key_prefix": prefix},
                "shops": [
                    {
                        "name": "bench",
                        "domain": "bench.myshopify.com",
                        "api_url": shopify.url,
                        "plan": PLAN,
                        "access_token": {"env": "BENCH_SHOPIFY_TOKEN"},
                        "webhook_secret": {"env": "BENCH_SHOPIFY_TOKEN"},
                        "locations": {"1010/0001": gid("Location", 0)},
                    }
                ],
            }
        )
        shop = settings.shop("bench")
        _book(sap, shopify.sandbox.state, shop.name, DELIVERIES)
        bucket = shopify.sandbox.bucket
        with ShopifyClient.for_shop(shop) as client, SapAdapter(settings.erp, overlap=timedelta(minutes=5)) as erp:
            sync = FulfillmentSync(shop, client, erp, redis_client, prefix, workers=8)
            bucket.take(int(bucket.capacity))  # steady state: no stored burst to spend
            started = time.perf_counter()
            result = sync.run(None)
            seconds = time.perf_counter() - started
            throttled = client.throttled
        assert result.fulfilled == DELIVERIES, result
        created = shopify.sandbox.state.write_calls.get("fulfillmentCreate", 0)
    finally:
        for key in redis_client.scan_iter(f"{prefix}*"):
            redis_client.delete(key)
        redis_client.close()
        shopify.stop()
        sap.stop()
    rate = result.fulfilled / seconds
    per_delivery = result.cost_points / result.fulfilled  # the read's actual cost and the mutation's
    ceiling = PLAN_RESTORE_RATE[PLAN] / per_delivery
    return [
        f"(a) {result.fulfilled:,} SAP deliveries fulfilled in {seconds:.1f} s ({rate:.1f}/s), {created:,}"
        f" fulfillmentCreate calls, {per_delivery:.1f} points each with its read ({per_delivery - MUTATION_COST:.1f}"
        f" + {MUTATION_COST})",
        f"(a) cost-model ceiling on {PLAN} ({PLAN_RESTORE_RATE[PLAN]:.0f} points/s / {per_delivery:.1f}):"
        f" {ceiling:.1f}/s: ratio {rate / ceiling:.2f} (goal >= {GOAL}); throttled answers: {throttled}",
    ]


def run() -> list[str]:
    return [*bench_throughput(), *bench_latency()]


def bench_latency() -> list[str]:
    from erp_shopify_sandbox.demo import _forget_demo_state, dagster_home, demo_world
    from erp_shopify_sandbox.demo_orders import order_skus
    from erp_shopify_sandbox.devserver import dagster_dev
    from erp_shopify_tests.bench.bench_latency import _free_port

    deliveries, spacing = int(os.environ.get("BENCH_FULFILLMENT_LATENCY_DELIVERIES", "24")), 10.0
    with TemporaryDirectory(prefix="bench-fulfil-daemon-") as folder:
        os.environ["DAGSTER_HOME"] = folder
        home = dagster_home()
        prefix = f"bench-fulfil-daemon:{uuid.uuid4().hex[:12]}"
        with demo_world("sap", home, key_prefix=prefix) as world:
            try:
                _every_minute(world.config_path)
                shop, skus = "demo-us", order_skus(world)
                state = world.shops[shop].sandbox.state
                sap = world.erp.sandbox
                booked = []
                for n in range(deliveries):
                    lines = {skus[n % len(skus)]: 1}
                    order = state.place_order(list(lines.items()))
                    sales_order = sap.store.create_sales_order(sap_sales_order(shop, order.index, lines))
                    booked.append((order.index, sales_order["SalesOrder"]))
                latencies = []
                with dagster_dev(world, home, _free_port(), quiet=True):
                    shipped: dict[int, float] = {}
                    for n, (order, sales_order) in enumerate(booked):
                        sap.store.deliveries.ship(sales_order, bill_of_lading=f"LAT{n:05d}")
                        shipped[order] = time.monotonic()
                        latencies += _newly_fulfilled(state, shipped)
                        time.sleep(spacing)
                    deadline = time.monotonic() + 300
                    while shipped and time.monotonic() < deadline:
                        latencies += _newly_fulfilled(state, shipped)
                        time.sleep(0.2)
                with dg.DagsterInstance.get() as instance:
                    records = instance.get_run_records(dg.RunsFilter(job_name="fulfillment_sync"))
                    runs = [r.end_time - r.create_timestamp.timestamp() for r in records if r.end_time]
            finally:
                _forget_demo_state(world.config_path)
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else float("nan")
    run = statistics.median(runs)  # from the schedule's request to the run's end, launch included
    bound = 60 + run  # a delivery shipped just after a tick waits the interval, then one whole run
    return [
        f"(b) {len(latencies)} of {deliveries} deliveries shipped {spacing:.0f} s apart reached Shopify under"
        f" dagster dev (fulfillments schedule every minute, {len(runs)} runs of median {run:.0f} s request to end):"
        f" goods issue -> fulfillment p50 {statistics.median(latencies):.0f} s, p95 {p95:.0f} s",
        f"(b) p95 / cadence bound (60 s interval + one run = {bound:.0f} s): {p95 / bound:.2f} (<= 1: the latency is"
        " the schedule's, the sync adds nothing; a shorter `fulfillments.schedule` lowers it)",
    ]


def _every_minute(config_path: Path) -> None:
    data = yaml.safe_load(config_path.read_text())
    data["fulfillments"] = {"schedule": "* * * * *"}
    config_path.write_text(yaml.safe_dump(data))


def _newly_fulfilled(state: object, shipped: dict[int, float]) -> list[float]:
    """Seconds from goods issue to fulfillment of each shipped order Shopify now shows fulfilled."""
    now, done = time.monotonic(), []
    with state.lock:  # type: ignore[attr-defined]
        fulfilled = {f.order for f in state.fulfillment.fulfillments}  # type: ignore[attr-defined]
    for order in [o for o in shipped if o in fulfilled]:
        done.append(now - shipped.pop(order))
    return done
