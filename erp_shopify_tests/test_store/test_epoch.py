"""The epoch decides whether a first send may skip the ERP search: trusted on a declared new Redis,
never after a data loss until the ledger's retention has passed."""

from __future__ import annotations

import redis

from erp_shopify.store.epoch import describe_epoch, start_new_epoch, trusted_from
from erp_shopify.store.keys import Keys
from erp_shopify.store.ledger import Ledger
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER

pytestmark = ON_SINGLE_AND_CLUSTER

RETENTION = 1000


def _first_send(ledger: Ledger, order: str, now: float) -> bool:
    lease = ledger.begin(f"shop:evt-{order}", "worker", 60, sends_order=("shop", order), now=now)
    return lease.first_send


def test_a_declared_new_redis_trusts_first_sends(redis_client: redis.Redis, key_prefix: str) -> None:
    ledger = Ledger(redis_client, key_prefix, retention_seconds=RETENTION)
    start_new_epoch(redis_client, key_prefix)
    assert _first_send(ledger, "order-1", now=5000.0)
    assert not _first_send(ledger, "order-1", now=5001.0)  # the order was sent: never first again


def test_a_missing_epoch_means_lost_data_and_no_first_send_until_the_retention_passed(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    ledger = Ledger(redis_client, key_prefix, retention_seconds=RETENTION)
    assert not _first_send(ledger, "order-1", now=5000.0)  # the epoch was missing: written as lost
    assert trusted_from(redis_client, key_prefix) == 5000.0 + RETENTION
    assert not _first_send(ledger, "order-2", now=5999.0)
    assert _first_send(ledger, "order-3", now=6000.0)  # every marker the loss erased has expired
    assert describe_epoch(6000.0, now=5000.0).startswith("recovering from a data loss")
    assert describe_epoch(None).startswith("missing")


def test_a_new_epoch_is_written_once(redis_client: redis.Redis, key_prefix: str) -> None:
    assert trusted_from(redis_client, key_prefix) is None
    assert start_new_epoch(redis_client, key_prefix)
    redis_client.set(Keys(key_prefix).epoch, "123.0")  # e.g. rewritten by a lease after a data loss
    assert not start_new_epoch(redis_client, key_prefix)
    assert trusted_from(redis_client, key_prefix) == 123.0
