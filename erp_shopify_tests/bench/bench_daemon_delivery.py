"""(d) A burst of queued orders drained by the daemon: what share of the ERP bound it reaches.

The demo world (SAP sandbox at LATENCY_MS per request, webhook-free: the burst is appended to the
stream at once, as the receiver would) and a real ``dagster dev`` on a temporary ``DAGSTER_HOME``
with the default delivery settings: the daemon's ``order_sensor`` launches up to
``delivery.max_concurrent_runs`` ``deliver_orders`` runs per tick, each a process of its own, and
every run's ERP requests share ``delivery.concurrency`` slots. The ERP bound is that many requests
in flight over the latency (one create per new order: the epoch is a new deployment's). Beside orders/s
the ERP's own count of requests gives the slots' use (requests/s over the bound). The drain
time runs from the first order acknowledged (the daemon's start and first tick are set-up) to the
last; progress is read from the stream (an entry is acknowledged once its order is in the ERP), and
the ERP's count is read once at the end, so polling does not load the ERP sandbox. Everything
started here is stopped and the run's Redis keys are deleted.

Where the time goes is printed beside the figure: each run's request, process start, step and end
(from the instance's event log), and the CPU-seconds each role used during the drain (``cpu_share``:
runs, daemon, code server, webserver, this process with the sandboxes) with the machine's busy share.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from tempfile import TemporaryDirectory

import dagster as dg
import httpx

from erp_shopify.config import load_settings
from erp_shopify.delivery import open_queue
from erp_shopify.store.stream import InboundEvent
from erp_shopify_sandbox.demo import _forget_demo_state, dagster_home, demo_world
from erp_shopify_sandbox.demo_orders import order_skus
from erp_shopify_sandbox.devserver import dagster_dev
from erp_shopify_tests.bench.bench_latency import _free_port
from erp_shopify_tests.bench.cpu_share import CpuShare
from erp_shopify_tests.test_mapping.order_payloads import order_payload

ORDERS = int(os.environ.get("BENCH_DAEMON_ORDERS", "5000"))
# "1": every order from a customer of its own (a flash sale of new customers), else all from one
DISTINCT_CUSTOMERS = os.environ.get("BENCH_DAEMON_DISTINCT_CUSTOMERS") == "1"
LATENCY_MS = 50
SET_UP_TIMEOUT = 240.0
DRAIN_TIMEOUT = 900.0
GOAL = 0.8
LIFECYCLE = {dg.DagsterEventType.RUN_START, dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}


def _run_legs(instance: dg.DagsterInstance, first: float) -> list[str]:
    """Each delivery run's request, process start, step start, step end and run end, in seconds
    from the first order acknowledged (negative: before it), with the events it delivered: where the
    drain time goes between runs."""
    lines = []
    records = instance.get_run_records(dg.RunsFilter(job_name="deliver_orders"))
    for record in sorted(records, key=lambda r: r.create_timestamp):
        marks: dict[dg.DagsterEventType, float] = {}
        for entry in instance.all_logs(record.dagster_run.run_id, of_type=LIFECYCLE):
            if entry.dagster_event is not None:
                marks.setdefault(entry.dagster_event.event_type, entry.timestamp)
        times = [record.create_timestamp.timestamp(), *(marks.get(k) for k in LIFECYCLE_ORDER), record.end_time]
        legs = " / ".join("-" if t is None else f"{t - first:+.1f}" for t in times)
        size = record.dagster_run.tags.get("orders/batch_size", "?")
        lines.append(f"  run {record.dagster_run.run_id[:8]} ({size} events): {legs} s")
    return lines


LIFECYCLE_ORDER = [dg.DagsterEventType.RUN_START, dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS]


def _in_erp(erp_url: str, http: httpx.Client) -> int:
    return int(http.get(f"{erp_url}/_sandbox/orders").json()["count"])


def run() -> list[str]:
    with TemporaryDirectory(prefix="bench-daemon-") as folder:
        os.environ["DAGSTER_HOME"] = folder
        home = dagster_home()
        prefix = f"bench-daemon:{uuid.uuid4().hex[:12]}"
        with demo_world("sap", home, key_prefix=prefix) as world, httpx.Client(timeout=30) as http:
            try:
                settings = load_settings(world.config_path)
                erp_url = world.erp.sandbox.url
                http.put(f"{erp_url}/_sandbox/faults", json={"latency_ms": LATENCY_MS}).raise_for_status()
                before = _in_erp(erp_url, http)
                shop, skus = next(iter(world.shops)), order_skus(world)
                with open_queue(settings.redis) as parts:
                    for n in range(ORDERS):
                        customer = {"admin_graphql_api_id": f"gid://shopify/Customer/{900_000 + n}", "id": 900_000 + n}
                        extra = {"customer": customer} if DISTINCT_CUSTOMERS else {}
                        line = [(skus[n % len(skus)], 1, "19.90")]
                        payload = order_payload(20_000_000 + n, line, currency="USD", **extra)
                        body = json.dumps(payload).encode()
                        parts.stream.append(
                            InboundEvent(shop, "orders/create", f"burst-{n}", payload["admin_graphql_api_id"], body)
                        )
                with dagster_dev(world, home, _free_port(), quiet=True) as dev, open_queue(settings.redis) as parts:
                    started, cpu = time.monotonic(), CpuShare(group=dev.pid)
                    while parts.stream.depth() == ORDERS:  # an entry leaves the stream once in the ERP
                        if time.monotonic() - started > SET_UP_TIMEOUT:
                            raise RuntimeError(f"no order reached the ERP in {SET_UP_TIMEOUT:.0f} s")
                        time.sleep(0.1)
                    first, set_up, first_wall = time.monotonic(), time.monotonic() - started, time.time()
                    served = world.erp.sandbox.faults.served  # ERP requests, from here to the drain's end
                    cpu.open()
                    while parts.stream.depth() and time.monotonic() - first < DRAIN_TIMEOUT:
                        time.sleep(0.1)
                        cpu.sample_every(1.0)  # catches each run's figure before it ends
                    drained = time.monotonic() - first
                    requests = world.erp.sandbox.faults.served - served
                    cpu_share = cpu.close()
                done = _in_erp(erp_url, http) - before
                with dg.DagsterInstance.get() as instance:
                    runs = instance.get_runs_count(dg.RunsFilter(job_name="deliver_orders"))
                    legs = _run_legs(instance, first_wall)
            finally:
                _forget_demo_state(world.config_path)
    delivery = settings.delivery
    bound = delivery.concurrency / (LATENCY_MS / 1000)
    rate = done / drained
    return [
        f"{ORDERS} orders queued at once, SAP sandbox at {LATENCY_MS} ms, dagster dev with the default delivery "
        f"settings (batch {delivery.batch_size}, {delivery.max_concurrent_runs} runs at once, "
        f"{delivery.concurrency} ERP slots, sensor every {delivery.sensor_interval_seconds} s)",
        f"{done} delivered in {drained:.1f} s after the first by {runs} deliver_orders run(s): {rate:.1f} orders/s",
        f"orders/s / ERP bound ({delivery.concurrency} in flight / {LATENCY_MS} ms = {bound:.0f}/s): "
        f"{rate / bound:.2f} (goal >= {GOAL})",
        f"ERP requests per order: {requests / max(done, 1):.2f} (its create, and its customer made sure of once "
        f"per batch; {'a new customer per order' if DISTINCT_CUSTOMERS else 'one customer for all'}); "
        f"requests/s / the bound: {requests / drained / bound:.2f}",
        f"set-up to the first order in the ERP (daemon start, first tick, first run): {set_up:.0f} s",
        cpu_share,
        f"runs: requested / process start / step start / step end / run end, from the first order in the ERP "
        f"(drained at +{drained:.1f} s)",
        *legs,
    ]
