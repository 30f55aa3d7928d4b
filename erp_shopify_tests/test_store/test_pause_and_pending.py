"""Pause flags per ERP connection, and pending units of orders not yet in the ERP."""

from __future__ import annotations

import redis

from erp_shopify.store import PauseFlags, PendingLine, PendingUnits
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER

pytestmark = ON_SINGLE_AND_CLUSTER

LOC_A = "gid://shopify/Location/1"
LOC_B = "gid://shopify/Location/2"


def test_a_pause_keeps_its_first_reason_until_resumed(redis_client: redis.Redis, key_prefix: str) -> None:
    flags = PauseFlags(redis_client, key_prefix)
    assert flags.status("erp") is None
    first = flags.pause("erp", "SAP answered 401", now=100.0)
    second = flags.pause("erp", "SAP answered 403", now=200.0)
    assert first == second and second.reason == "SAP answered 401" and second.since == 100.0
    assert flags.status("shopify:demo-us") is None
    assert flags.resume("erp") is True
    assert flags.status("erp") is None and flags.resume("erp") is False


def test_pending_units_add_per_sku_and_location(redis_client: redis.Redis, key_prefix: str) -> None:
    pending = PendingUnits(redis_client, key_prefix)
    pending.add("demo-us", "gid://shopify/Order/1", [PendingLine("SKU-1", LOC_A, 2), PendingLine("SKU-1", LOC_A, 1)])
    pending.add("demo-us", "gid://shopify/Order/2", [PendingLine("SKU-1", LOC_A, 4), PendingLine("SKU-2", LOC_B, 5)])
    pending.add("demo-eu", "gid://shopify/Order/3", [PendingLine("SKU-1", LOC_A, 9)])
    assert pending.totals("demo-us") == {("SKU-1", LOC_A): 7, ("SKU-2", LOC_B): 5}


def test_adding_an_order_twice_counts_it_once(redis_client: redis.Redis, key_prefix: str) -> None:
    pending = PendingUnits(redis_client, key_prefix)
    assert pending.add("demo-us", "o1", [PendingLine("SKU-1", LOC_A, 3)]) is True
    assert pending.add("demo-us", "o1", [PendingLine("SKU-1", LOC_A, 3)]) is False
    assert pending.totals("demo-us") == {("SKU-1", LOC_A): 3}


def test_release_is_idempotent_and_leaves_other_orders(redis_client: redis.Redis, key_prefix: str) -> None:
    pending = PendingUnits(redis_client, key_prefix)
    pending.add("demo-us", "o1", [PendingLine("SKU-1", LOC_A, 3), PendingLine("SKU-2", LOC_A, 1)])
    pending.add("demo-us", "o2", [PendingLine("SKU-1", LOC_A, 2)])
    assert pending.release("demo-us", "o1") is True
    assert pending.release("demo-us", "o1") is False
    assert pending.totals("demo-us") == {("SKU-1", LOC_A): 2}
    assert pending.orders("demo-us") == ["o2"]


def test_a_late_duplicate_of_a_released_order_adds_nothing(redis_client: redis.Redis, key_prefix: str) -> None:
    pending = PendingUnits(redis_client, key_prefix)
    pending.add("demo-us", "o1", [PendingLine("SKU-1", LOC_A, 3)])
    pending.release("demo-us", "o1")
    assert pending.add("demo-us", "o1", [PendingLine("SKU-1", LOC_A, 3)]) is False
    assert pending.totals("demo-us") == {}


def test_lines_without_sku_or_units_carry_no_stock(redis_client: redis.Redis, key_prefix: str) -> None:
    pending = PendingUnits(redis_client, key_prefix)
    lines = [PendingLine("", LOC_A, 3), PendingLine("SKU-1", LOC_A, 0), PendingLine("S", LOC_A, 1)]
    pending.add("demo-us", "o1", lines)
    assert pending.totals("demo-us") == {("S", LOC_A): 1}
