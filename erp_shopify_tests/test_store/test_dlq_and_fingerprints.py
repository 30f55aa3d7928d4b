"""The dead-letter queue keeps full context without secrets and expires; the loop guard tells echoes from
changes; delivery latency is counted per shop."""

from __future__ import annotations

import json
import math
import time

import pytest
import redis

from erp_shopify.errors import DataError, SystemFailure
from erp_shopify.store import DeadLetter, DeadLetterQueue, Fingerprints, InboundEvent, Verdict, inventory_object_key
from erp_shopify.store.latency import DeliveryLatency

EVENT = InboundEvent(
    shop="demo-us",
    topic="orders/create",
    event_id="evt-1",
    routing_key="gid://shopify/Order/7",
    body=b'{"admin_graphql_api_id": "gid://shopify/Order/7"}',
    headers={"X-Shopify-Hmac-Sha256": "c2lnbmF0dXJl", "X-Shopify-Topic": "orders/create"},
)


def test_a_dead_letter_keeps_payload_error_and_attempts_without_secrets(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    error = DataError(
        "Material unknown",
        status=400,
        body={"error": {"code": "V1/123", "message": {"value": "unknown material"}}, "access_token": "shpat_x"},
    )
    error.attempts = [1.0, 2.5]  # type: ignore[attr-defined]
    letter = DeadLetter.from_failure(
        EVENT, error, erp_payload={"Material": "X", "password": "pw"}, source_stream_id="5-0", secrets=["s3cr3t"]
    )
    dlq = DeadLetterQueue(redis_client, key_prefix)
    entry_id = dlq.add(letter)
    stored = dlq.get(entry_id)
    assert stored is not None
    assert stored.raw_body == EVENT.body and stored.payload()["admin_graphql_api_id"] == "gid://shopify/Order/7"
    assert stored.headers == {"X-Shopify-Hmac-Sha256": "[redacted]", "X-Shopify-Topic": "orders/create"}
    assert stored.error_class == "data" and stored.status == 400 and stored.attempts == (1.0, 2.5)
    assert stored.response_body["error"]["code"] == "V1/123"
    assert stored.response_body["access_token"] == "[redacted]"
    assert stored.erp_payload == {"Material": "X", "password": "[redacted]"}
    assert stored.order_ref == "gid://shopify/Order/7" and stored.source_stream_id == "5-0"
    raw = json.dumps({k.decode(): v.decode(errors="replace") for k, v in redis_client.xrange(dlq.key)[0][1].items()})
    assert "shpat_x" not in raw and "c2lnbmF0dXJl" not in raw


def test_a_known_secret_value_is_scrubbed_from_the_message(redis_client: redis.Redis, key_prefix: str) -> None:
    error = SystemFailure("login failed for token s3cr3t", status=401, body="bad token s3cr3t")
    letter = DeadLetter.from_failure(EVENT, error, secrets=["s3cr3t"])
    assert "s3cr3t" not in letter.message and "s3cr3t" not in letter.response_body


def test_dead_letters_are_listed_by_shop_and_error_class_and_removed(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    dlq = DeadLetterQueue(redis_client, key_prefix)
    data = DeadLetter.from_failure(EVENT, DataError("bad", status=422))
    system = DeadLetter.from_failure(EVENT, SystemFailure("denied", status=403))
    other_shop = DeadLetter.from_failure(
        InboundEvent("demo-eu", "orders/create", "e2", "gid://shopify/Order/8", b"{}"), DataError("bad", status=400)
    )
    ids = [dlq.add(letter) for letter in (data, system, other_shop)]
    assert [d.id for d in dlq.list(shop="demo-us")] == ids[:2]
    assert [d.id for d in dlq.list(error_class="data")] == [ids[0], ids[2]]
    assert dlq.depth() == 3
    assert dlq.remove(ids[0]) is True and dlq.remove(ids[0]) is False
    assert dlq.get(ids[0]) is None and dlq.depth() == 2


def test_our_own_write_coming_back_is_an_echo(redis_client: redis.Redis, key_prefix: str) -> None:
    guard = Fingerprints(redis_client, key_prefix)
    key = inventory_object_key(808950810, 655441491)
    guard.record("demo-us", key, {"available": 7})
    assert key == "gid://shopify/InventoryItem/808950810@gid://shopify/Location/655441491"
    same_key = inventory_object_key("gid://shopify/InventoryItem/808950810", 655441491)
    assert guard.is_echo("demo-us", same_key, {"available": 7})
    assert guard.observe("demo-us", "inventory_levels/update", key, {"available": 7}) is Verdict.ECHO
    assert guard.conflicts("demo-us") == {}


def test_a_change_to_an_erp_owned_field_is_a_conflict_until_cleared(redis_client: redis.Redis, key_prefix: str) -> None:
    guard = Fingerprints(redis_client, key_prefix)
    key = inventory_object_key(1, 2)
    guard.record("demo-us", key, {"available": 7})
    verdict = guard.observe("demo-us", "inventory_levels/update", key, {"available": 5}, now=50.0)
    assert verdict is Verdict.CONFLICT
    conflict = guard.conflicts("demo-us")[key]
    assert conflict.values == {"available": 5} and conflict.topic == "inventory_levels/update"
    assert guard.clear("demo-us", [conflict]) == 1
    assert guard.clear("demo-us", [conflict]) == 0 and guard.conflicts("demo-us") == {}


def test_clearing_keeps_a_conflict_recorded_after_the_read(redis_client: redis.Redis, key_prefix: str) -> None:
    guard = Fingerprints(redis_client, key_prefix)
    edited, untouched = inventory_object_key(1, 2), inventory_object_key(3, 2)
    guard.observe("demo-us", "inventory_levels/update", edited, {"available": 5}, now=50.0)
    guard.observe("demo-us", "inventory_levels/update", untouched, {"available": 1}, now=50.0)
    read = guard.conflicts("demo-us")
    guard.observe("demo-us", "inventory_levels/update", edited, {"available": 5}, now=51.0)  # edited again, same value
    assert guard.clear("demo-us", read.values()) == 1
    [(key, survivor)] = guard.conflicts("demo-us").items()
    assert (key, survivor.values, survivor.seen_at) == (edited, {"available": 5}, 51.0)


def test_a_change_to_customer_data_is_a_real_change_not_a_conflict(redis_client: redis.Redis, key_prefix: str) -> None:
    guard = Fingerprints(redis_client, key_prefix)
    verdict = guard.observe("demo-us", "customers/update", "gid://shopify/Customer/1", {"addresses": []})
    assert verdict is Verdict.CHANGE and guard.conflicts("demo-us") == {}


def test_prices_compare_by_value_not_by_spelling(redis_client: redis.Redis, key_prefix: str) -> None:
    from decimal import Decimal

    guard = Fingerprints(redis_client, key_prefix)
    guard.record("demo-us", "gid://shopify/ProductVariant/1", {"price": Decimal("19.90")})
    assert guard.is_echo("demo-us", "gid://shopify/ProductVariant/1", {"price": "19.90"})
    assert not guard.is_echo("demo-us", "gid://shopify/ProductVariant/1", {"price": "19.99"})


def test_an_intended_write_is_an_echo_before_it_is_confirmed(redis_client: redis.Redis, key_prefix: str) -> None:
    guard = Fingerprints(redis_client, key_prefix)
    variant = "gid://shopify/ProductVariant/1"
    guard.record("demo-us", variant, {"price": "10.00"})
    guard.intend("demo-us", {variant: {"price": "12.00"}})
    # The echo can come before the write's answer; Shopify may still show the old price if it fails.
    assert guard.observe("demo-us", "products/update", variant, {"price": "12.00"}) is Verdict.ECHO
    assert guard.observe("demo-us", "products/update", variant, {"price": "10.00"}) is Verdict.ECHO
    assert guard.observe("demo-us", "products/update", variant, {"price": "11.00"}) is Verdict.CONFLICT


def test_a_confirmed_write_accepts_only_the_written_values(redis_client: redis.Redis, key_prefix: str) -> None:
    guard = Fingerprints(redis_client, key_prefix)
    variant = "gid://shopify/ProductVariant/1"
    guard.record("demo-us", variant, {"price": "10.00"})
    guard.intend("demo-us", {variant: {"price": "12.00"}})  # this write failed: nothing confirms it
    guard.intend("demo-us", {variant: {"price": "13.00"}})  # the next sync's write succeeds
    guard.record_many("demo-us", {variant: {"price": "13.00"}})
    accepted = [p for p in ("10.00", "12.00", "13.00") if guard.is_echo("demo-us", variant, {"price": p})]
    assert accepted == ["13.00"]


def test_unconfirmed_intents_are_bounded(redis_client: redis.Redis, key_prefix: str) -> None:
    guard = Fingerprints(redis_client, key_prefix)
    variant = "gid://shopify/ProductVariant/1"
    for cents in range(10):  # ten failed writes in a row
        guard.intend("demo-us", {variant: {"price": f"10.0{cents}"}})
    accepted = [cents for cents in range(10) if guard.is_echo("demo-us", variant, {"price": f"10.0{cents}"})]
    assert accepted == [6, 7, 8, 9]


def test_purge_removes_the_letters_added_before_the_retention_and_keeps_the_rest(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    dlq = DeadLetterQueue(redis_client, key_prefix)
    letter = DeadLetter.from_failure(EVENT, DataError("bad", status=422))
    older = dlq.add(letter)
    older_ms = int(older.split("-")[0])
    while time.time() * 1000 < older_ms + 5:  # the next id is at least 5 ms later
        time.sleep(0.001)
    newer = dlq.add(letter)
    newer_ms = int(newer.split("-")[0])
    week = 7 * 86400
    assert dlq.purge(week, now=(older_ms - 1) / 1000 + week) == 0  # both younger than a week then
    assert dlq.purge(week, now=(newer_ms - 2) / 1000 + week) == 1
    assert [x.id for x in dlq.list()] == [newer]


def test_the_delivery_latency_histogram_counts_each_sample_in_its_bucket_per_shop(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    latency = DeliveryLatency(redis_client, key_prefix)
    latency.observe([("demo-us", 0.7), ("demo-us", 4000.0), ("demo-eu", 0.1)])
    latency.observe([("demo-us", 1.0)])  # on a bound: counted in it, as Prometheus's ``le`` says
    us = latency.read("demo-us")
    assert dict(us.buckets)[0.5] == 0 and dict(us.buckets)[1.0] == 2 and dict(us.buckets)[3600.0] == 2
    assert us.buckets[-1] == (math.inf, 3) and us.count == 3 and us.sum == pytest.approx(4001.7)
    assert latency.read("demo-eu").count == 1 and latency.read("demo-ca").count == 0
