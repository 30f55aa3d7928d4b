"""The published SKU cross-reference: each shop's Shopify SKU -> ERP item code, as the last usable
``sku_xref`` build mapped it, for order delivery (which does not load the ERP catalogue).

The table is replaced whole and atomically: rows go to a fresh temporary key, then one
``RENAME`` swaps it in, so a reader sees the old table or the new one, never half of each, and a
build that dies midway leaves only a temporary key that expires. The swap is a script rather than
a MULTI because redis-py's cluster client refuses ``RENAME`` in a pipeline; the temporary key
carries the table's hash tag, so both live in one cluster slot.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from itertools import islice

import redis

from erp_shopify.store.keys import Keys, text

CHUNK = 10_000  # fields per HSET: bounded requests even for a million-SKU catalogue
ORPHAN_SECONDS = 3600  # a temporary table a crashed build left behind

# KEYS: the table, the temporary table; ARGV: '1' to swap the temporary table in, '0' to remove the table.
_SWAP = """
if ARGV[1] == '1' then
  redis.call('RENAME', KEYS[2], KEYS[1])
  redis.call('PERSIST', KEYS[1])
else
  redis.call('DEL', KEYS[1])
end
"""


class SkuTable:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)
        self._swap = client.register_script(_SWAP)

    def publish(self, shop: str, rows: Iterable[tuple[str, str]]) -> int:
        """Replace ``shop``'s table with ``(sku, item_code)`` rows; returns the rows published.
        No rows removes the table, so delivery falls back to the mapping rules."""
        key = self.keys.sku_table(shop)
        staging = f"{key}:staging:{uuid.uuid4().hex}"
        published = 0
        rows = iter(rows)
        while chunk := dict(islice(rows, CHUNK)):
            pipe = self.client.pipeline(transaction=False)
            pipe.hset(staging, mapping=chunk)  # type: ignore[arg-type]
            pipe.expire(staging, ORPHAN_SECONDS)
            pipe.execute()
            published += len(chunk)
        self._swap(keys=[key, staging], args=["1" if published else "0"])
        return published

    def item_code(self, shop: str, sku: str) -> str | None:
        """The ERP item the last build mapped ``sku`` to (None: not published, or not mapped)."""
        found = self.client.hget(self.keys.sku_table(shop), sku)
        return None if found is None else text(found)

    def size(self, shop: str) -> int:
        return int(self.client.hlen(self.keys.sku_table(shop)))  # type: ignore[arg-type]
