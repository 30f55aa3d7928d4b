"""The idempotency ledger: received -> in_flight (lease) -> delivered | dead_lettered."""

from __future__ import annotations

import pytest
import redis

from erp_shopify.store import LeaseLost, LeaseOutcome, Ledger, LedgerState
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER

pytestmark = ON_SINGLE_AND_CLUSTER


def test_a_new_event_is_leased_to_its_first_worker(redis_client: redis.Redis, key_prefix: str) -> None:
    ledger = Ledger(redis_client, key_prefix)
    lease = ledger.begin("demo-us:evt-1", "worker-a", lease_seconds=60, now=1000.0)
    assert lease.outcome is LeaseOutcome.ACQUIRED and not lease.took_over
    assert lease.entry.state is LedgerState.IN_FLIGHT
    assert lease.entry.owner == "worker-a" and lease.entry.lease_expires_at == 1060.0
    assert lease.entry.attempts == 1


def test_a_live_lease_keeps_other_workers_out(redis_client: redis.Redis, key_prefix: str) -> None:
    ledger = Ledger(redis_client, key_prefix)
    ledger.begin("k", "worker-a", lease_seconds=60, now=1000.0)
    busy = ledger.begin("k", "worker-b", lease_seconds=60, now=1059.0)
    assert busy.outcome is LeaseOutcome.BUSY
    assert busy.entry.owner == "worker-a"


def test_an_expired_lease_is_taken_over_and_the_old_owner_cannot_complete(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    ledger = Ledger(redis_client, key_prefix)
    ledger.begin("k", "worker-a", lease_seconds=60, now=1000.0)
    taken = ledger.begin("k", "worker-b", lease_seconds=60, now=1061.0)
    assert taken.outcome is LeaseOutcome.ACQUIRED and taken.took_over
    assert taken.entry.attempts == 2
    with pytest.raises(LeaseLost, match="worker-a"):
        ledger.mark_delivered("k", "worker-a", "SO-1")
    assert ledger.mark_delivered("k", "worker-b", "SO-1").erp_document == "SO-1"


def test_a_delivered_event_is_never_leased_again(redis_client: redis.Redis, key_prefix: str) -> None:
    ledger = Ledger(redis_client, key_prefix)
    ledger.begin("k", "worker-a", lease_seconds=60)
    delivered = ledger.mark_delivered("k", "worker-a", "4711", now=1234.5)
    assert delivered.state is LedgerState.DELIVERED and delivered.delivered_at == 1234.5
    again = ledger.begin("k", "worker-b", lease_seconds=60)
    assert again.outcome is LeaseOutcome.DELIVERED and again.entry.erp_document == "4711"
    assert ledger.reopen("k") is False
    # completing twice with the same document is harmless
    assert ledger.mark_delivered("k", "worker-a", "4711").erp_document == "4711"


def test_a_transient_failure_gives_the_event_back(redis_client: redis.Redis, key_prefix: str) -> None:
    ledger = Ledger(redis_client, key_prefix)
    ledger.begin("k", "worker-a", lease_seconds=600)
    assert ledger.give_back("k", "worker-b") is False
    assert ledger.give_back("k", "worker-a") is True
    entry = ledger.get("k")
    assert entry is not None and entry.state is LedgerState.RECEIVED
    assert ledger.begin("k", "worker-b", lease_seconds=60).outcome is LeaseOutcome.ACQUIRED


def test_a_dead_lettered_event_can_be_reopened_for_replay(redis_client: redis.Redis, key_prefix: str) -> None:
    ledger = Ledger(redis_client, key_prefix)
    ledger.begin("k", "worker-a", lease_seconds=60)
    dead = ledger.mark_dead_lettered("k", "worker-a", "1-0")
    assert dead.state is LedgerState.DEAD_LETTERED and dead.dead_letter_id == "1-0" and dead.final
    assert ledger.begin("k", "worker-a", lease_seconds=60).outcome is LeaseOutcome.DEAD_LETTERED
    assert ledger.reopen("k") is True
    lease = ledger.begin("k", "worker-c", lease_seconds=60)
    assert lease.outcome is LeaseOutcome.ACQUIRED and lease.entry.attempts == 2


def test_final_entries_expire_after_the_retention(redis_client: redis.Redis, key_prefix: str) -> None:
    ledger = Ledger(redis_client, key_prefix, retention_seconds=3600)
    ledger.begin("k", "worker-a", lease_seconds=60)
    ledger.mark_delivered("k", "worker-a", "SO-9")
    assert 3590 <= int(redis_client.ttl(ledger.keys.ledger("k"))) <= 3600  # type: ignore[arg-type]
