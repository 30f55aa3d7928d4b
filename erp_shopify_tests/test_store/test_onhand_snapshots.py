"""Oracle's on-hand snapshot tables in Redis: entries with the page that wrote them, read by name
or a chunk at a time, a page compared and written in one exchange, the vanished entries answered by
a script, and a lineage's superseded generations deleted in one command, on a single Redis and on a
cluster (every generation of a lineage shares its slot)."""

from __future__ import annotations

import redis
from redis.crc import key_slot

from erp_shopify.store.onhand_snapshots import SCAN_CHUNK, OnhandSnapshots, field, split_field
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER


@ON_SINGLE_AND_CLUSTER
def test_generations_keep_entries_and_are_deleted_together(redis_client: redis.Redis, key_prefix: str) -> None:
    tables = OnhandSnapshots(redis_client, key_prefix)
    names = [field(f"ITEM-{n}", "M1/FinGood") for n in range(SCAN_CHUNK + 7)]
    tables.write("lineage-a", 1, {name: (str(n), 1) for n, name in enumerate(names)})
    tables.write("lineage-a", 2, {names[0]: ("9.5", 3)})
    assert tables.entries("lineage-a", 2, [names[0], names[1]]) == [("9.5", 3), None]
    scanned = {name: entry for chunk in tables.scan("lineage-a", 1) for name, entry in chunk.items()}
    assert len(scanned) == len(names) and scanned[names[7]] == ("7", 1)
    assert split_field(names[7]) == ("ITEM-7", "M1/FinGood")
    assert key_slot(tables.key("lineage-a", 1).encode()) == key_slot(tables.key("lineage-a", 2).encode())
    assert tables.refresh("lineage-a", 1) and redis_client.ttl(tables.key("lineage-a", 1)) > 0
    tables.delete("lineage-a", [1, 2])
    assert not tables.refresh("lineage-a", 1) and tables.entries("lineage-a", 2, [names[0]]) == [None]


@ON_SINGLE_AND_CLUSTER
def test_a_page_is_compared_and_written_in_one_exchange(redis_client: redis.Redis, key_prefix: str) -> None:
    tables = OnhandSnapshots(redis_client, key_prefix)
    a, b = field("ITEM-A", "M1/FinGood"), field("ITEM-B", "M1/FinGood")
    tables.write("lineage-x", 1, {a: ("4", 1)})
    assert tables.exchange("lineage-x", 1, [a, b], 2, {a: ("5", 1), b: ("1", 1)}) == [("4", 1), None]
    assert tables.exchange("lineage-x", None, [a], 3, {a: ("5", 1)}) == [None]  # a first pass: nothing before
    assert (
        tables.entries("lineage-x", 2, [a, b]) == [("5", 1), ("1", 1)]
        and redis_client.ttl(tables.key("lineage-x", 2)) > 0
    )


@ON_SINGLE_AND_CLUSTER
def test_missing_answers_only_the_entries_the_new_generation_lacks(redis_client: redis.Redis, key_prefix: str) -> None:
    tables = OnhandSnapshots(redis_client, key_prefix)
    names = [field(f"ITEM-{n}", "M1/FinGood") for n in range(1_200)]
    tables.write("lineage-y", 1, {name: (str(n % 7), 1) for n, name in enumerate(names)})
    tables.write("lineage-y", 2, {name: ("1", 1) for n, name in enumerate(names) if n % 100})
    chunks = list(tables.missing("lineage-y", 1, 2, chunk=300))
    gone = {name: entry for chunk in chunks for name, entry in chunk.items()}
    assert gone == {names[n]: (str(n % 7), 1) for n in range(0, 1_200, 100)}
    assert all(len(chunk) <= 300 for chunk in chunks)


@ON_SINGLE_AND_CLUSTER
def test_fold_copies_the_delivered_pages_inside_redis(redis_client: redis.Redis, key_prefix: str) -> None:
    tables = OnhandSnapshots(redis_client, key_prefix)
    names = [field(f"ITEM-{n}", "M1/FinGood") for n in range(2_500)]
    tables.write("lineage-z", 1, {name: ("1.5", 1) for name in names})
    tables.write("lineage-z", 2, {names[0]: ("7", 2), names[1]: ("8", 3)})  # page 3 was never delivered
    tables.fold("lineage-z", 1, 3)
    tables.fold("lineage-z", 2, 3, upto=2)
    folded = {name: entry for chunk in tables.scan("lineage-z", 3) for name, entry in chunk.items()}
    assert len(folded) == 2_500 and folded[names[0]] == ("7", 0) and folded[names[1]] == ("1.5", 0)
    assert redis_client.ttl(tables.key("lineage-z", 3)) > 0
