"""``delivery.concurrency`` bounds the ERP requests in flight, not the threads; each SKU of a batch
is resolved once however many threads meet it together."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping

import httpx
import redis

from erp_shopify.config import parse_settings
from erp_shopify.delivery import Outcome, deliver_batch
from erp_shopify.delivery.lookup import SharedLookup
from erp_shopify.erp.netsuite.adapter import NetSuiteAdapter
from erp_shopify.retrying import RetryPolicy
from erp_shopify.store.erp_slots import ErpSlots
from erp_shopify_sandbox.faults import Faults
from erp_shopify_sandbox.netsuite import NetSuiteSandbox
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER
from erp_shopify_tests.test_delivery.conftest import Rig, settings_data


class InFlight:
    """Counts the adapter's HTTP requests between sending and the answer's headers."""

    def __init__(self) -> None:
        self.now = self.peak = self.refused = 0
        self.lock = threading.Lock()

    def request(self, request: httpx.Request) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def response(self, response: httpx.Response) -> None:
        with self.lock:
            self.now -= 1
            self.refused += response.status_code == 429


def test_erp_requests_in_flight_fill_the_slots_and_never_exceed_them(rig: Rig) -> None:
    slots = 3
    sandbox = NetSuiteSandbox(
        faults=Faults(latency_ms=40), concurrency_limit=slots, credentials=rig.sandbox.credentials
    )
    sandbox.start()
    try:
        data = settings_data(
            sandbox, rig.redis_url, rig.key_prefix, cluster=rig.cluster, concurrency=slots, max_attempts=1
        )
        settings = parse_settings(data)
        adapter = NetSuiteAdapter(settings.erp, retry=RetryPolicy(max_attempts=1))  # type: ignore[arg-type]
        seen = InFlight()
        adapter.rest._http.event_hooks = {"request": [seen.request], "response": [seen.response]}
        for n in range(4101, 4121):
            rig.order(n)
        report = deliver_batch(rig.claim(), adapter, rig.parts, settings, rig.notifier, owner="slots")
        adapter.close()
    finally:
        sandbox.stop()
    assert report.count(Outcome.DELIVERED) == 20 and not report.dead_letters
    assert seen.refused == 0  # the account's concurrency limit was never exceeded
    assert seen.peak == slots  # ... and reached, by THREADS_PER_SLOT * slots delivery threads


@ON_SINGLE_AND_CLUSTER
def test_erp_slots_are_shared_by_runs_delivering_at_the_same_time(rig: Rig) -> None:
    """Three runs, each with its own adapter and batch, stay under one account limit together."""
    slots = 4
    sandbox = NetSuiteSandbox(
        faults=Faults(latency_ms=40), concurrency_limit=slots, credentials=rig.sandbox.credentials
    )
    sandbox.start()
    seen = InFlight()
    reports = []
    try:
        settings = parse_settings(
            settings_data(
                sandbox, rig.redis_url, rig.key_prefix, cluster=rig.cluster, concurrency=slots, max_attempts=1
            )
        )
        for n in range(4201, 4237):
            rig.order(n)
        batches = [rig.claim(12) for _ in range(3)]
        adapters = [NetSuiteAdapter(settings.erp, retry=RetryPolicy(max_attempts=1)) for _ in batches]  # type: ignore[arg-type]

        def run(index: int) -> None:
            adapter = adapters[index]
            adapter.rest._http.event_hooks = {"request": [seen.request], "response": [seen.response]}
            reports.append(
                deliver_batch(batches[index], adapter, rig.parts, settings, rig.notifier, owner=f"run-{index}")
            )

        threads = [threading.Thread(target=run, args=(index,)) for index in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for adapter in adapters:
            adapter.close()
    finally:
        sandbox.stop()
    assert sum(report.count(Outcome.DELIVERED) for report in reports) == 36
    assert seen.refused == 0  # three runs, one account limit, never exceeded
    assert seen.peak == slots  # ... and reached
    assert ErpSlots(rig.parts.ledger.client, rig.key_prefix, "erp:netsuite", slots).in_use() == 0


def test_a_dead_holders_slot_comes_back_after_its_lease(redis_client: redis.Redis, key_prefix: str) -> None:
    slots = ErpSlots(redis_client, key_prefix, "erp:sap", 1, lease_seconds=0.2)
    dead = ErpSlots(redis_client, key_prefix, "erp:sap", 1, lease_seconds=0.2)
    held = dead.slot()
    held.__enter__()  # a run that died holding its slot: never released
    started = time.monotonic()
    with slots.slot():
        waited = time.monotonic() - started
    assert 0.1 < waited < 1.0
    assert slots.in_use() == 0


class CountingLookup(Mapping[str, str]):
    """A slow SKU lookup that counts its resolutions."""

    def __init__(self) -> None:
        self.resolved: list[str] = []

    def __getitem__(self, sku: str) -> str:
        self.resolved.append(sku)
        time.sleep(0.02)
        if sku == "UNKNOWN":
            raise KeyError(sku)
        return f"ITEM-{sku}"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_threads_meeting_a_new_sku_together_resolve_it_once() -> None:
    inner = CountingLookup()
    shared = SharedLookup(inner)
    start = threading.Barrier(8)
    answers: list[str | None] = []

    def line() -> None:
        start.wait()
        answers.append(shared.get("TEE-M"))
        answers.append(shared.get("UNKNOWN"))

    threads = [threading.Thread(target=line) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(inner.resolved) == ["TEE-M", "UNKNOWN"]
    assert answers.count("ITEM-TEE-M") == 8 and answers.count(None) == 8
    assert dict(shared) == {"TEE-M": "ITEM-TEE-M"}
