"""The tables of a snapshot-difference change feed (Oracle's on-hand balances), kept in Redis so
that a read holds one page at a time however large the catalogue.

A *lineage* is one chain of cursors (in practice one shop's inventory watermark); each full pass
writes a *generation* of it: a hash ``item<US>location -> "quantity|page"`` (the page of the pass
that wrote the entry, so a cursor taken in the middle of a pass counts only the pages before it).
Generations are written once and only read after, deleted when a later cursor supersedes them,
and expire after ``RETENTION`` unused (a pass whose run failed leaves one behind). Every
generation of a lineage carries the lineage's hash tag: superseded ones are deleted in one command,
and a script may touch two of them (Redis Cluster keeps them in one slot).

A pass costs one round trip a page (``exchange``: the previous generation's entries read and the
new generation's written in one pipeline) and one a ``MISSING_CHUNK`` of the previous generation
at its end (``missing``: a script scans a chunk and answers only the entries the new generation
lacks), so memory stays one page or one chunk whatever the table's size. Resuming from a cursor
taken mid-pass folds two generations into one inside Redis (``fold``), a chunk a script call.
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
MISSING_CHUNK = 2_000  # entries scanned a round trip by ``missing``; only the vanished come back
SEP = "\x1f"

# KEYS: the previous generation, the new one; ARGV: the HSCAN cursor, COUNT. Answers the next
# cursor and the (field, value) pairs of the previous generation the new one has no entry for.
_MISSING = """
local scanned = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local entries, gone = scanned[2], {}
for i = 1, #entries, 2 do
  if redis.call('HEXISTS', KEYS[2], entries[i]) == 0 then
    gone[#gone + 1] = entries[i]
    gone[#gone + 1] = entries[i + 1]
  end
end
return {scanned[1], gone}
"""

# KEYS: a generation, the one it is folded into; ARGV: the HSCAN cursor, COUNT, the last page kept
# (-1: all), the retention in seconds. Copies a chunk's entries (of pages up to the last kept) as
# page 0 and answers the next cursor: nothing of the table crosses to the client.
_FOLD = """
local scanned = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local entries, upto, kept = scanned[2], tonumber(ARGV[3]), {}
for i = 1, #entries, 2 do
  local value = entries[i + 1]
  local cut = string.find(value, '|[^|]*$')
  if upto < 0 or tonumber(string.sub(value, cut + 1)) <= upto then
    kept[#kept + 1] = entries[i]
    kept[#kept + 1] = string.sub(value, 1, cut) .. '0'
  end
end
if #kept > 0 then
  redis.call('HSET', KEYS[2], unpack(kept))
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
return scanned[1]
"""

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
        self._missing = client.register_script(_MISSING)
        self._fold = client.register_script(_FOLD)

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

    def exchange(
        self, lineage: str, base: int | None, names: Sequence[str], generation: int, entries: dict[str, Entry]
    ) -> list[Entry | None]:
        """``names``' entries in ``base`` (none without one), and ``entries`` written into
        ``generation``, in one round trip."""
        if not names and not entries:
            return []
        pipe = self.client.pipeline(transaction=False)
        if base and names:
            pipe.hmget(self.key(lineage, base), list(names))
        if entries:
            key = self.key(lineage, generation)
            pipe.hset(key, mapping={name: f"{quantity}|{page}" for name, (quantity, page) in entries.items()})
            pipe.expire(key, RETENTION)
        answers = pipe.execute()
        return [_entry(v) for v in answers[0]] if base and names else [None] * len(names)

    def missing(
        self, lineage: str, base: int, generation: int, chunk: int = MISSING_CHUNK
    ) -> Iterator[dict[str, Entry]]:
        """The entries of ``base`` that ``generation`` lacks, scanned ``chunk`` at a time in one
        round trip each (chunks with none are not yielded)."""
        keys = [self.key(lineage, base), self.key(lineage, generation)]
        cursor: bytes | str | int = 0
        while True:
            cursor, flat = self._missing(keys=keys, args=[cursor, chunk])
            gone = {text(flat[i]): entry for i in range(0, len(flat), 2) if (entry := _entry(flat[i + 1]))}
            if gone:
                yield gone
            if int(cursor) == 0:
                return

    def fold(self, lineage: str, source: int, into: int, upto: int | None = None) -> None:
        """Copy ``source``'s entries (those of pages up to ``upto``, all without) into ``into`` as
        page 0, ``MISSING_CHUNK`` at a time, one round trip each, inside Redis."""
        keys = [self.key(lineage, source), self.key(lineage, into)]
        cursor: bytes | str | int = 0
        retention = int(RETENTION.total_seconds())
        while True:
            cursor = self._fold(keys=keys, args=[cursor, MISSING_CHUNK, -1 if upto is None else upto, retention])
            if int(cursor) == 0:
                return

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
