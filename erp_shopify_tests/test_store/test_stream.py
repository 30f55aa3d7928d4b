"""The event stream: dedupe with the append, consumer-group claims, reclaiming a crashed consumer's work."""

from __future__ import annotations

import json
import threading
import time

import redis

from erp_shopify.store import EventStream, InboundEvent
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER, RedisTarget

pytestmark = ON_SINGLE_AND_CLUSTER


def _event(event_id: str, order: int = 1, topic: str = "orders/create") -> InboundEvent:
    body = json.dumps({"admin_graphql_api_id": f"gid://shopify/Order/{order}", "id": order}).encode()
    return InboundEvent(
        shop="demo-us",
        topic=topic,
        event_id=event_id,
        routing_key=f"gid://shopify/Order/{order}",
        body=body,
        headers={"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": "c2lnbmF0dXJl"},
        received_at=1_700_000_000.5,
    )


def test_an_event_id_is_queued_once_within_the_dedupe_window(redis_client: redis.Redis, key_prefix: str) -> None:
    stream = EventStream(redis_client, key_prefix)
    first = stream.append(_event("evt-1"))
    again = stream.append(_event("evt-1"))
    assert not first.duplicate and again.duplicate
    assert again.stream_id == first.stream_id
    assert stream.depth() == 1


def test_the_dedupe_marker_lives_at_least_48_hours(redis_client: redis.Redis, key_prefix: str) -> None:
    stream = EventStream(redis_client, key_prefix)
    stream.append(_event("evt-ttl"))
    ttl = redis_client.ttl(stream.keys.event_seen("demo-us", "evt-ttl"))
    assert 48 * 3600 - 5 <= int(ttl) <= 48 * 3600  # type: ignore[arg-type]


def test_a_claimed_event_keeps_its_raw_body_and_loses_its_signature(redis_client: redis.Redis, key_prefix: str) -> None:
    stream = EventStream(redis_client, key_prefix)
    sent = _event("evt-2", order=42)
    stream.append(sent)
    [event] = stream.claim_batch("worker-a", count=10)
    assert event.body == sent.body
    assert event.routing_key == "gid://shopify/Order/42"
    assert event.received_at == 1_700_000_000.5
    assert event.headers["X-Shopify-Topic"] == "orders/create"
    assert event.headers["X-Shopify-Hmac-Sha256"] == "[redacted]"
    assert event.ledger_key == "demo-us:evt-2"


def test_claims_hand_each_new_event_to_one_consumer(redis_client: redis.Redis, key_prefix: str) -> None:
    stream = EventStream(redis_client, key_prefix)
    for n in range(5):
        stream.append(_event(f"evt-{n}", order=n))
    a = stream.claim_batch("worker-a", count=3)
    b = stream.claim_batch("worker-b", count=3)
    assert [e.event_id for e in a] == ["evt-0", "evt-1", "evt-2"]
    assert [e.event_id for e in b] == ["evt-3", "evt-4"]
    assert stream.claim_batch("worker-c", count=3) == []


def test_ack_removes_the_entry_and_its_pending_record(redis_client: redis.Redis, key_prefix: str) -> None:
    stream = EventStream(redis_client, key_prefix)
    stream.append(_event("evt-1"))
    stream.append(_event("evt-2", order=2))
    claimed = stream.claim_batch("worker-a", count=10)
    assert len(stream.pending()) == 2
    assert stream.ack([claimed[0].stream_id]) == 1
    assert stream.depth() == 1
    assert [p.stream_id for p in stream.pending()] == [claimed[1].stream_id]


def test_a_crashed_consumers_entries_are_reclaimed_after_the_idle_time(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    crashed = EventStream(redis_client, key_prefix, reclaim_idle_ms=100)
    crashed.append(_event("evt-1"))
    [lost] = crashed.claim_batch("worker-crashed", count=10)
    survivor = EventStream(redis_client, key_prefix, reclaim_idle_ms=100)
    assert survivor.claim_batch("worker-b", count=10) == []  # not idle long enough yet
    time.sleep(0.15)
    [reclaimed] = survivor.claim_batch("worker-b", count=10)
    assert reclaimed.stream_id == lost.stream_id and reclaimed.body == lost.body
    [entry] = survivor.pending()
    assert entry.consumer == "worker-b" and entry.deliveries == 2


def test_a_blocking_claim_returns_an_event_appended_while_it_waits(
    redis_client: redis.Redis, redis_target: RedisTarget, key_prefix: str
) -> None:
    stream = EventStream(redis_client, key_prefix)
    stream.claim_batch("worker-a", count=1)  # creates the group

    def append_late() -> None:
        with redis_target.client() as producer:
            EventStream(producer, key_prefix).append(_event("late"))

    timer = threading.Timer(0.1, append_late)
    timer.start()
    started = time.monotonic()
    events = stream.claim_batch("worker-a", count=1, block_ms=3000)
    timer.join()
    assert [e.event_id for e in events] == ["late"]
    assert time.monotonic() - started < 2.5


def test_get_reads_entries_by_stream_id(redis_client: redis.Redis, key_prefix: str) -> None:
    stream = EventStream(redis_client, key_prefix)
    ids = [stream.append(_event(f"evt-{n}", order=n)).stream_id for n in range(3)]
    got = stream.get([ids[2], ids[0]])
    assert [e.event_id for e in got] == ["evt-2", "evt-0"]


def test_a_replayed_event_is_queued_again_past_its_dedupe_marker(redis_client: redis.Redis, key_prefix: str) -> None:
    stream = EventStream(redis_client, key_prefix)
    first = stream.append(_event("evt-replay"))
    [claimed] = stream.claim_batch("worker-a", count=1)
    stream.ack([claimed.stream_id])
    new_id = stream.requeue(claimed)
    assert new_id != first.stream_id
    [again] = stream.claim_batch("worker-b", count=1)
    assert again.event_id == "evt-replay" and again.body == claimed.body


def test_reclaim_now_makes_a_stopped_consumers_entries_claimable_at_once(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    stream = EventStream(redis_client, key_prefix, reclaim_idle_ms=60_000)
    stream.append(_event("evt-1"))
    [held] = stream.claim_batch("worker-paused", count=1)
    assert stream.claim_batch("worker-b", count=1) == []
    assert stream.reclaim_now([held.stream_id]) == 1
    [resumed] = stream.claim_batch("worker-b", count=1)
    assert resumed.stream_id == held.stream_id


def test_an_order_is_queued_with_its_pending_units_in_one_step(redis_client: redis.Redis, key_prefix: str) -> None:
    from erp_shopify.store import PendingLine, PendingUnits

    stream = EventStream(redis_client, key_prefix)
    pending = PendingUnits(redis_client, key_prefix)
    lines = [PendingLine("SKU-1", "gid://shopify/Location/1", 2)]
    stream.append(_event("evt-1", order=5), lines)
    assert pending.totals("demo-us") == {("SKU-1", "gid://shopify/Location/1"): 2}
    pending.release("demo-us", "gid://shopify/Order/5")
    stream.append(_event("evt-1", order=5), lines)  # a redelivery after the ERP confirmed
    assert pending.totals("demo-us") == {} and stream.depth() == 1


def test_claims_continue_after_the_stream_was_deleted(redis_client: redis.Redis, key_prefix: str) -> None:
    stream = EventStream(redis_client, key_prefix)
    stream.append(_event("evt-1"))
    stream.claim_batch("worker-a", count=1)
    redis_client.delete(stream.keys.events)  # an operator wiped the stream; its group went with it
    stream.append(_event("evt-2", order=2))
    assert [e.event_id for e in stream.claim_batch("worker-a", count=5)] == ["evt-2"]
