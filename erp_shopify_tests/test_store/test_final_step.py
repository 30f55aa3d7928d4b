"""A final ledger transition records the outcome, releases the order's pending units and
acknowledges its stream entry in one atomic step, or (lease lost) does none of them."""

from __future__ import annotations

import pytest
import redis

from erp_shopify.store import EventStream, InboundEvent, LeaseLost, Ledger, LedgerState, PendingLine, PendingUnits
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER

pytestmark = ON_SINGLE_AND_CLUSTER

LOC = "gid://shopify/Location/1"
ORDER = "gid://shopify/Order/77"


def _queued(stream: EventStream, pending: list[PendingLine]) -> str:
    event = InboundEvent(shop="demo-us", topic="orders/create", event_id="evt-77", routing_key=ORDER, body=b"{}")
    stream.append(event, pending)
    [claimed] = stream.claim_batch("worker-a", 10)
    return claimed.stream_id


def test_delivered_releases_units_and_acknowledges_in_one_step(redis_client: redis.Redis, key_prefix: str) -> None:
    stream, ledger = EventStream(redis_client, key_prefix), Ledger(redis_client, key_prefix)
    pending = PendingUnits(redis_client, key_prefix)
    stream_id = _queued(stream, [PendingLine("TEE-M", LOC, 2)])
    assert pending.totals("demo-us") == {("TEE-M", LOC): 2}
    ledger.begin("demo-us:evt-77", "worker-a", lease_seconds=60)
    entry = ledger.mark_delivered(
        "demo-us:evt-77",
        "worker-a",
        "SO-77",
        release=pending.release_for("demo-us", ORDER),
        ack=stream.ack_for(stream_id),
        now=2000.0,
    )
    assert (entry.state, entry.erp_document, entry.delivered_at) == (LedgerState.DELIVERED, "SO-77", 2000.0)
    assert pending.totals("demo-us") == {} and pending.orders("demo-us") == []
    assert stream.depth() == 0 and stream.pending() == []
    assert pending.add("demo-us", ORDER, [PendingLine("TEE-M", LOC, 2)]) is False  # the tombstone was left


def test_a_lost_lease_records_releases_and_acknowledges_nothing(redis_client: redis.Redis, key_prefix: str) -> None:
    stream, ledger = EventStream(redis_client, key_prefix), Ledger(redis_client, key_prefix)
    pending = PendingUnits(redis_client, key_prefix)
    stream_id = _queued(stream, [PendingLine("TEE-M", LOC, 2)])
    ledger.begin("demo-us:evt-77", "worker-a", lease_seconds=60, now=1000.0)
    ledger.begin("demo-us:evt-77", "worker-b", lease_seconds=60, now=1061.0)  # a's lease expired
    with pytest.raises(LeaseLost, match="in_flight by 'worker-b'"):
        ledger.mark_delivered(
            "demo-us:evt-77",
            "worker-a",
            "SO-77",
            release=pending.release_for("demo-us", ORDER),
            ack=stream.ack_for(stream_id),
        )
    assert pending.totals("demo-us") == {("TEE-M", LOC): 2}
    assert [p.stream_id for p in stream.pending()] == [stream_id] and stream.depth() == 1
    entry = ledger.get("demo-us:evt-77")
    assert entry is not None and (entry.state, entry.owner) == (LedgerState.IN_FLIGHT, "worker-b")


def test_dead_lettered_acknowledges_and_keeps_the_units_pending(redis_client: redis.Redis, key_prefix: str) -> None:
    stream, ledger = EventStream(redis_client, key_prefix), Ledger(redis_client, key_prefix)
    pending = PendingUnits(redis_client, key_prefix)
    stream_id = _queued(stream, [PendingLine("TEE-M", LOC, 2)])
    ledger.begin("demo-us:evt-77", "worker-a", lease_seconds=60)
    entry = ledger.mark_dead_lettered("demo-us:evt-77", "worker-a", "9-0", ack=stream.ack_for(stream_id))
    assert (entry.state, entry.dead_letter_id) == (LedgerState.DEAD_LETTERED, "9-0")
    assert stream.depth() == 0
    assert pending.totals("demo-us") == {("TEE-M", LOC): 2}  # the order is not in the ERP


def test_begin_answers_with_the_entry_it_left(redis_client: redis.Redis, key_prefix: str) -> None:
    ledger = Ledger(redis_client, key_prefix)
    ledger.begin("k", "worker-a", lease_seconds=60, now=1000.0)
    ledger.mark_delivered("k", "worker-a", "SO-1", now=1001.0)
    again = ledger.begin("k", "worker-b", lease_seconds=60, now=1002.0)
    assert again.entry == ledger.get("k")
    assert (again.entry.erp_document, again.entry.attempts, again.entry.updated_at) == ("SO-1", 1, 1001.0)
