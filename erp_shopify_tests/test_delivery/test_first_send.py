"""One ERP round trip for an order the ledger proves new; a search before every other create.

Runs against the SAP sandbox over HTTP and real Redis. The ERP calls are counted on the adapter's
own HTTP session: a search is a ``GET`` of ``A_SalesOrder`` filtered by reference, a create is the
``POST`` deep insert.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import redis

from erp_shopify.config import Settings, parse_settings
from erp_shopify.delivery import BatchReport, Outcome, QueueParts, ReplaySelection, deliver_batch, replay
from erp_shopify.delivery.parts import order_mapping
from erp_shopify.mapping.orders import CreateOrder, order_action
from erp_shopify.notify import Notifier
from erp_shopify.records import SalesOrder
from erp_shopify.store.epoch import start_new_epoch, trusted_from
from erp_shopify.store.stream import InboundEvent, QueuedEvent
from erp_shopify_tests.test_delivery.test_sap_delivery import _settings
from erp_shopify_tests.test_erp.harness_sap import SapHarness, harness
from erp_shopify_tests.test_mapping.order_payloads import order_payload

SKUS = {"MAT-BLUE-TEE": "TEE-BLUE", "MAT-RED-MUG": "MUG-RED"}


@dataclass
class Calls:
    """The adapter's requests to ``A_SalesOrder``, by kind."""

    seen: list[tuple[str, str]] = field(default_factory=list)
    total: int = 0  # every request the adapter sent, to any service

    def hook(self, request: httpx.Request) -> None:
        self.total += 1
        if request.url.path.endswith("/A_SalesOrder"):
            self.seen.append((request.method, request.url.params.get("$filter", "")))

    @property
    def searches(self) -> int:
        return sum(1 for method, query in self.seen if method == "GET" and "PurchaseOrderByCustomer" in query)

    @property
    def creates(self) -> int:
        return sum(1 for method, _ in self.seen if method == "POST")


@dataclass
class SapRig:
    sap: SapHarness
    settings: Settings
    parts: QueueParts
    calls: Calls

    def queue(self, order_id: int, topic: str = "orders/create", event_id: str | None = None) -> None:
        payload = order_payload(order_id, [("TEE-BLUE", 1, "19.90"), ("MUG-RED", 2, "9.90")])
        body = json.dumps(payload).encode()
        event_id = event_id or f"evt-{topic}-{order_id}"
        event = InboundEvent("demo-eu", topic, event_id, payload["admin_graphql_api_id"], body)
        self.parts.stream.append(event)

    def deliver(self, batch: list[QueuedEvent] | None = None, owner: str = "run-1") -> BatchReport:
        events = self.parts.stream.claim_batch(owner, 10) if batch is None else batch
        return deliver_batch(events, self.sap.adapter, self.parts, self.settings, Notifier(None), owner=owner)


@pytest.fixture
def sap_rig(redis_url: str, key_prefix: str, redis_client: redis.Redis) -> Iterator[SapRig]:
    with harness() as sap:
        calls = Calls()
        sap.adapter.odata._http.event_hooks["request"].append(calls.hook)
        settings = parse_settings(_settings(sap.sandbox.odata_url, key_prefix, redis_url, SKUS))
        start_new_epoch(redis_client, key_prefix)  # a new deployment's Redis: first sends are trusted
        yield SapRig(sap, settings, QueueParts.connect(redis_client, key_prefix, reclaim_idle_ms=100), calls)


def test_fresh_order_costs_one_erp_call_and_no_search(sap_rig: SapRig) -> None:
    sap_rig.queue(8001)
    report = sap_rig.deliver()
    assert list(report.outcomes.values()) == [Outcome.DELIVERED]
    assert (sap_rig.calls.searches, sap_rig.calls.creates, len(sap_rig.calls.seen)) == (0, 1, 1)
    assert sap_rig.sap.count_sales_orders("demo-eu-8001") == 1


def test_retry_after_a_lost_answer_searches_and_leaves_one_order(sap_rig: SapRig) -> None:
    sap_rig.queue(8002)
    sap_rig.sap.lose_next_create_response()  # the create commits; its answer never arrives
    report = sap_rig.deliver()
    sap_rig.sap.clear_faults()
    assert list(report.outcomes.values()) == [Outcome.DELIVERED]
    assert (sap_rig.calls.creates, sap_rig.calls.searches) == (1, 1)  # the retry found it instead of posting
    assert sap_rig.sap.count_sales_orders("demo-eu-8002") == 1


def test_reclaimed_entry_of_a_crashed_run_searches_and_leaves_one_order(sap_rig: SapRig) -> None:
    sap_rig.queue(8003)
    [event] = sap_rig.parts.stream.claim_batch("crashed-run", 10)
    # The crashed run took the lease, sent the create (the ERP committed) and died before recording it.
    lease = sap_rig.parts.ledger.begin(
        event.ledger_key, "crashed-run", 1, sends_order=(event.shop, event.routing_key), now=time.time() - 10
    )
    assert lease.first_send
    order = sap_rig.sap.adapter.create_sales_order(_order_of(sap_rig, event), known_new=True)
    sap_rig.calls.seen.clear()
    time.sleep(0.2)  # past the stream's reclaim idle time
    reclaimed = sap_rig.parts.stream.claim_batch("survivor", 10)
    assert [e.stream_id for e in reclaimed] == [event.stream_id]
    report = sap_rig.deliver(reclaimed, owner="survivor")
    assert report.documents == {event.stream_id: order.number}
    assert (sap_rig.calls.searches, sap_rig.calls.creates) == (1, 0)
    assert sap_rig.sap.count_sales_orders("demo-eu-8003") == 1


def test_dead_letter_replayed_after_its_create_committed_searches_and_leaves_one_order(
    sap_rig: SapRig, redis_url: str, key_prefix: str
) -> None:
    data = _settings(sap_rig.sap.sandbox.odata_url, key_prefix, redis_url, SKUS)
    data["delivery"]["max_attempts"] = 1  # the lost answer exhausts the budget at once
    sap_rig.settings = parse_settings(data)
    sap_rig.queue(8004)
    sap_rig.sap.lose_next_create_response()
    assert list(sap_rig.deliver().outcomes.values()) == [Outcome.DEAD_LETTERED]
    sap_rig.sap.clear_faults()
    assert sap_rig.sap.count_sales_orders("demo-eu-8004") == 1  # it did reach the ERP
    replay(sap_rig.parts, ReplaySelection(everything=True))
    sap_rig.calls.seen.clear()
    report = sap_rig.deliver(owner="run-2")
    assert list(report.outcomes.values()) == [Outcome.DELIVERED]
    assert (sap_rig.calls.searches, sap_rig.calls.creates) == (1, 0)
    assert sap_rig.sap.count_sales_orders("demo-eu-8004") == 1


def test_create_after_another_event_of_the_order_created_it_searches(sap_rig: SapRig) -> None:
    sap_rig.queue(8005, topic="orders/paid")  # arrived and was delivered before orders/create
    sap_rig.deliver()
    sap_rig.calls.seen.clear()
    sap_rig.queue(8005)
    report = sap_rig.deliver(owner="run-2")
    assert list(report.outcomes.values()) == [Outcome.DELIVERED]
    assert (sap_rig.calls.searches, sap_rig.calls.creates) == (1, 0)
    assert sap_rig.sap.count_sales_orders("demo-eu-8005") == 1


def _order_of(rig: SapRig, event: QueuedEvent) -> SalesOrder:
    action = order_action(event.topic, json.loads(event.body), order_mapping(rig.settings, event.shop, rig.parts.skus))
    assert isinstance(action, CreateOrder)
    return action.order


def test_a_failing_erp_gets_the_delivery_budget_of_attempts_not_a_multiple(sap_rig: SapRig) -> None:
    sap_rig.queue(8006)
    sap_rig.sap.inject_status(503)
    report = sap_rig.deliver()
    sap_rig.sap.clear_faults()
    assert list(report.outcomes.values()) == [Outcome.DEAD_LETTERED]
    [letter] = sap_rig.parts.dead_letters.list()
    budget = sap_rig.settings.delivery.max_attempts
    assert sap_rig.calls.total == budget == len(letter.attempts)  # the adapter itself retried nothing


ORDER_IDS = range(9100, 9120)


def _forget(client: redis.Redis, prefix: str) -> None:
    """What a flush or a restart without persistence leaves of this test's state: nothing (only this
    test's keys are deleted; the Redis is shared)."""
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


def _drain(rig: SapRig, owner: str) -> None:
    while rig.parts.stream.depth():
        rig.deliver(owner=owner)


def test_redelivered_orders_after_a_flush_are_found_not_created_again(
    sap_rig: SapRig, redis_client: redis.Redis, key_prefix: str
) -> None:
    for order_id in ORDER_IDS:
        sap_rig.queue(order_id)
    first = sap_rig.deliver()  # half of the burst reaches the ERP, then Redis forgets everything
    assert first.count(Outcome.DELIVERED) == 10 and sap_rig.calls.searches == 0
    _forget(redis_client, key_prefix)
    for order_id in ORDER_IDS:  # Shopify redelivers the same webhooks (same event ids)
        sap_rig.queue(order_id)
    sap_rig.calls.seen.clear()
    _drain(sap_rig, "run-2")
    counts = [sap_rig.sap.count_sales_orders(f"demo-eu-{order_id}") for order_id in ORDER_IDS]
    assert counts == [1] * len(ORDER_IDS)  # 0 duplicates, 0 lost
    assert (sap_rig.calls.searches, sap_rig.calls.creates) == (20, 10)  # every create searched first
    assert (trusted_from(redis_client, key_prefix) or 0) > time.time() + 29 * 24 * 3600
