"""Oracle's on-hand snapshot tables in Redis: entries with the page that wrote them, read by name
or a chunk at a time, and a lineage's superseded generations deleted in one command, on a single
Redis and on a cluster (every generation of a lineage shares its slot)."""

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
