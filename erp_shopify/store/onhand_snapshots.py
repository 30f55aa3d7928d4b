"""The tables of a snapshot-difference change feed (Oracle's on-hand balances), kept in Redis so
that a read holds one page at a time however large the catalogue.

A *lineage* is one chain of cursors (in practice one shop's inventory watermark); each full pass
writes a *generation* of it: a hash ``item<US>location -> "quantity|page"`` (the page of the pass
that wrote the entry, so a cursor taken in the middle of a pass counts only the pages before it).
Generations are written once and only read after, deleted when a later cursor supersedes them,
and expire after ``RETENTION`` unused (a pass whose run failed leaves one behind). Every
generation of a lineage carries the lineage's hash tag: superseded ones are deleted in one command.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from itertools import islice

import redis

from erp_shopify.config import RedisConfig
from erp_shopify.store.connection import connect
from erp_shopify.store.keys import Keys, text

RETENTION = timedelta(days=14)
SCAN_CHUNK = 500
SEP = "\x1f"

Entry = tuple[str, int]  # (quantity text, page of the pass that wrote it)


def field(item: str, location: str) -> str:
    return f"{item}{SEP}{location}"


def split_field(name: str) -> tuple[str, str]:
    item, _, location = name.partition(SEP)
    return item, location


def _entry(value: bytes | str | None) -> Entry | None:
    if value is None:
        return None
    quantity, _, page = text(value).rpartition("|")
    return quantity, int(page)


class OnhandSnapshots:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)

    @classmethod
    def connect(cls, config: RedisConfig) -> OnhandSnapshots:
        return cls(connect(config), config.key_prefix)

    def key(self, lineage: str, generation: int) -> str:
        return self.keys.onhand_snapshot(lineage, generation)

    def refresh(self, lineage: str, generation: int) -> bool:
        """Whether the generation is there; if so it is kept another ``RETENTION``."""
        return bool(self.client.expire(self.key(lineage, generation), RETENTION))

    def entries(self, lineage: str, generation: int, fields: Sequence[str]) -> list[Entry | None]:
        if not fields:
            return []
        return [_entry(v) for v in self.client.hmget(self.key(lineage, generation), list(fields))]

    def write(self, lineage: str, generation: int, entries: dict[str, Entry]) -> None:
        if not entries:
            return
        key = self.key(lineage, generation)
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(key, mapping={name: f"{quantity}|{page}" for name, (quantity, page) in entries.items()})
        pipe.expire(key, RETENTION)
        pipe.execute()

    def scan(self, lineage: str, generation: int) -> Iterator[dict[str, Entry]]:
        """Every entry of a generation, a chunk at a time."""
        pairs = self.client.hscan_iter(self.key(lineage, generation), count=SCAN_CHUNK)
        while chunk := list(islice(pairs, SCAN_CHUNK)):
            yield {text(name): entry for name, value in chunk if (entry := _entry(value)) is not None}

    def delete(self, lineage: str, generations: Iterable[int]) -> None:
        keys = [self.key(lineage, g) for g in generations]
        if keys:
            self.client.delete(*keys)

    def close(self) -> None:
        self.client.close()
