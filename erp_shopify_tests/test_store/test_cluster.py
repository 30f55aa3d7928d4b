"""Redis Cluster: the keys each script or transaction touches share one slot, the sync's stores work
on a real three-primary cluster as on a single Redis, and durability is judged on every primary."""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path

import pandas as pd
import pytest
import redis
import redis.cluster
import yaml
from click.testing import CliRunner
from redis.crc import key_slot

from erp_shopify.cli import main
from erp_shopify.store.connection import connect_async
from erp_shopify.store.durability import Finding, Status, check, check_async
from erp_shopify.store.epoch import trusted_from
from erp_shopify.store.fingerprints import Fingerprints, inventory_object_key, inventory_values
from erp_shopify.store.keys import Keys
from erp_shopify.store.last_written import LastWritten
from erp_shopify.store.pending import PendingLine, PendingUnits
from erp_shopify.store.price_snapshot import PriceSnapshot
from erp_shopify.store.rechecks import AsyncRechecks, Rechecks
from erp_shopify.store.stream import EventStream, InboundEvent
from erp_shopify.store.write_intents import WriteIntents
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER, RedisTarget
from erp_shopify_tests.test_ingest.conftest import make_settings

SHOP = "demo-eu"


def _slots(*keys: str) -> set[int]:
    return {key_slot(key.encode()) for key in keys}


def _every_key(keys: Keys, shop: str) -> dict[str, str]:
    """Every key ``Keys`` names, by method, for one shop, connection and order."""
    named = {}
    for name, member in inspect.getmembers(Keys):
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            named[name] = getattr(keys, name)
        elif callable(member):
            arity = len(inspect.signature(member).parameters) - 1
            named[name] = member(keys, *[shop, "gid://shopify/Order/1"][:arity])
    return named


def test_keys_that_scripts_touch_together_share_one_slot_and_shops_spread() -> None:
    keys = Keys("erp_shopify")
    every = _every_key(keys, SHOP)
    queue = {name for name, key in every.items() if "{queue}" in key}
    assert queue == {
        *("events", "event_seen", "ledger", "order_sent", "epoch"),
        *("pending_orders", "pending_units", "pending_released"),
        *("awaiting_orders", "awaiting_units", "awaiting_withdrawn"),
    }
    assert len(_slots(*(every[name] for name in queue))) == 1
    shop_state = [name for name, key in every.items() if "{demo-eu}" in key]
    assert {"fingerprints", "conflicts", "inventory_rechecks", "inventory_written", "sku_table"} <= set(shop_state)
    assert len(_slots(*(every[name] for name in shop_state))) == 1
    assert len(_slots(keys.erp_slots("erp:sap"), keys.erp_slot_wakeups("erp:sap"))) == 1
    assert len(_slots(*(keys.fingerprints(f"shop-{n}") for n in range(20)))) == 20  # shops are not one hot slot


@pytest.mark.slow
def test_a_cluster_client_refuses_a_script_whose_keys_span_slots(redis_cluster_target: RedisTarget) -> None:
    """The cluster the tests start is real: the rule the keys follow is enforced, not assumed."""
    with redis_cluster_target.client() as client:
        assert isinstance(client, redis.cluster.RedisCluster)
        assert len(client.get_primaries()) == 3
        keys = Keys("test-erp-shopify:slots")
        with pytest.raises(redis.RedisClusterException, match="same key slot"):
            client.eval("return 1", 2, keys.fingerprints("a"), keys.fingerprints("b"))


@ON_SINGLE_AND_CLUSTER
def test_the_sync_stores_keep_and_clear_their_state(redis_client: redis.Redis, key_prefix: str) -> None:
    level = inventory_object_key(7, 1)
    written = pd.DataFrame(
        {"inventory_item_id": [7, 8], "location_id": [1, 1], "quantity": [5, 9], "awaiting": [2, 0]}
    ).assign(others_pending=[0, 0])
    last = LastWritten(redis_client, key_prefix)
    last.store(SHOP, written)
    last.store_held(SHOP, written, held={})
    assert last.lookup(SHOP, written)["quantity"].tolist() == [5, 9]
    assert last.held(SHOP) == {level: "2,0"}
    last.forget(SHOP)
    assert last.lookup(SHOP, written).empty and last.held(SHOP) == {}

    intents = WriteIntents(redis_client, key_prefix)
    intents.record(SHOP, "run-1:abc", {"rows": [1]})
    assert intents.open(SHOP) == {"run-1:abc": {"rows": [1]}}
    intents.done(SHOP, "run-1:abc")
    assert intents.open(SHOP) == {}

    prices = PriceSnapshot(redis_client, key_prefix)
    row = {"target": "retail", "variant_id": "v1", "product_id": "p1", "item_code": "I1", "currency": "EUR"}
    prices.store(SHOP, pd.DataFrame([{**row, "min_quantity": 1, "price": "9.90", "compare_at": None}]))
    assert prices.load(SHOP)["price"].tolist() == ["9.90"]

    guard = Fingerprints(redis_client, key_prefix)
    guard.intend(SHOP, {level: inventory_values(5)})
    assert guard.is_echo(SHOP, level, inventory_values(5))
    rechecks = Rechecks(redis_client, key_prefix)
    rechecks.mark(SHOP, level, {"available": 3}, now=1.0)
    assert rechecks.clear(SHOP, rechecks.read(SHOP).items()) == 1 and rechecks.read(SHOP) == {}

    pending = PendingUnits(redis_client, key_prefix)
    pending.add(SHOP, "gid://shopify/Order/1", [PendingLine("TEE", "gid://shopify/Location/1", 2)])
    pending.add("demo-us", "gid://shopify/Order/2", [PendingLine("TEE", "gid://shopify/Location/1", 1)])
    assert pending.all_totals([SHOP, "demo-us"]) == {
        SHOP: {("TEE", "gid://shopify/Location/1"): 2},
        "demo-us": {("TEE", "gid://shopify/Location/1"): 1},
    }
    assert pending.release(SHOP, "gid://shopify/Order/1")
    assert pending.withdraw(SHOP, "gid://shopify/Order/1", "cancel-1") == 1
    assert pending.awaiting(SHOP) == {}


@ON_SINGLE_AND_CLUSTER
def test_the_receivers_recheck_script_runs_on_the_shops_slot(redis_target: RedisTarget, key_prefix: str) -> None:
    level = inventory_object_key(7, 1)

    async def observe() -> tuple[bool, bool]:
        client = connect_async(redis_target.config(key_prefix))
        try:
            rechecks = AsyncRechecks(client, key_prefix)
            return await rechecks.observe(SHOP, level, {"available": 4}, 1.0), await rechecks.observe(
                SHOP, level, {"available": 5}, 2.0
            )
        finally:
            await client.aclose()

    with redis_target.client() as client:
        Fingerprints(client, key_prefix).record(SHOP, level, inventory_values(5))
        assert asyncio.run(observe()) == (False, True)  # a move to mark, then our own echo
        assert list(Rechecks(client, key_prefix).read(SHOP)) == [level]


@pytest.mark.slow
def test_durability_is_judged_on_every_primary(redis_cluster_target: RedisTarget) -> None:
    with redis_cluster_target.client() as client:
        assert isinstance(client, redis.cluster.RedisCluster)
        primaries = sorted(node.name for node in client.get_primaries())
        findings = {f.name: f for f in check(client)}
        assert findings["persistence"].status is Status.FAIL  # the test cluster keeps nothing on disk
        assert [name for name in primaries if name in findings["persistence"].detail] == primaries
        assert findings["eviction"] == Finding("eviction", Status.OK, "noeviction (all 3 primaries)")
        one = client.get_primaries()[0]
        client.config_set("maxmemory-policy", "allkeys-lru", target_nodes=one)
        try:
            eviction = {f.name: f for f in check(client)}["eviction"]
            receiver_view = {f.name: f for f in asyncio.run(_check_async(redis_cluster_target))}["eviction"]
        finally:
            client.config_set("maxmemory-policy", "noeviction", target_nodes=one)
    assert (
        eviction.status is Status.FAIL
        and eviction.detail == f"{one.name}: maxmemory-policy allkeys-lru: needs noeviction (evicts ledger keys)"
    )
    assert receiver_view == eviction


async def _check_async(target: RedisTarget) -> list[Finding]:
    client = connect_async(target.config("unused"))
    try:
        return await check_async(client)
    finally:
        await client.aclose()


@pytest.mark.slow
def test_the_command_line_reads_a_cluster_deployment(
    redis_cluster_target: RedisTarget, key_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``doctor`` names each primary that falls short and declares the epoch in the stream's slot;
    ``webhooks stats`` reads the stream and the counters."""
    monkeypatch.setenv("TEST_INGEST_TOKEN", "unused")
    monkeypatch.setenv("TEST_INGEST_WEBHOOK_SECRET", "unused")
    settings = make_settings(redis=redis_cluster_target.settings(key_prefix))
    config = tmp_path / "shops.yaml"
    config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude_none=True)))
    doctor = CliRunner().invoke(main, ["doctor", "--new-deployment", "--config", str(config)])
    assert doctor.exit_code == 1, doctor.output  # the test cluster keeps nothing on disk and has no replicas
    assert doctor.output.count("appendonly is not yes") == 3
    assert "epoch: ok" in doctor.output
    with redis_cluster_target.client() as client:
        assert trusted_from(client, key_prefix) == 0
        EventStream(client, key_prefix).append(
            InboundEvent("demo-us", "orders/paid", "e-1", "gid://shopify/Order/1", b"{}")
        )
    stats = CliRunner().invoke(main, ["webhooks", "stats", "--json", "--config", str(config)])
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.output) == {"waiting": 1}
