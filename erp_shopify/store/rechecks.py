"""Inventory levels Shopify says moved, for the next inventory sync to look at.

An ``inventory_levels/update`` carries only ``available``, which moves for many reasons: our own
write, a sale, a fulfilment, a cancel, a hand edit. The payload cannot tell them apart, so it is
never judged a conflict here. If it equals the value our last write left (recorded from the write's
answer), it is our echo and is dropped; otherwise the level is marked for a recheck: the sync reads
its ``on_hand`` (which sales do not move) and compares it with what it last set, and only a real
difference (a hand edit or a shipment) leads to a write.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import redis
import redis.asyncio

from erp_shopify.store.fingerprints import digest
from erp_shopify.store.keys import COMPARE_AND_DELETE, Keys, text

# KEYS: fingerprints hash, rechecks hash; ARGV: object key, digest of the reported values, recheck
# JSON. 1 = our echo (dropped), 0 = marked for a recheck.
_OBSERVE = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return 1 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 0
"""


def _recheck_json(values: Mapping[str, Any], now: float) -> str:
    return json.dumps({"values": dict(values), "seen_at": now}, sort_keys=True)


class AsyncRechecks:
    """The receiver's side: drop our echo or mark the level, in one round trip."""

    def __init__(self, client: redis.asyncio.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)
        self._observe = client.register_script(_OBSERVE)

    async def observe(self, shop: str, object_key: str, values: Mapping[str, Any], now: float) -> bool:
        """True when ``values`` are what our last write left (an echo); else the level is marked."""
        keys = [self.keys.fingerprints(shop), self.keys.inventory_rechecks(shop)]
        return bool(await self._observe(keys=keys, args=[object_key, digest(values), _recheck_json(values, now)]))


class Rechecks:
    """The sync's side: the levels to look at, and a compare-and-delete once they were handled."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)

    def mark(self, shop: str, object_key: str, values: Mapping[str, Any], now: float) -> None:
        self.client.hset(self.keys.inventory_rechecks(shop), object_key, _recheck_json(values, now))

    def read(self, shop: str) -> dict[str, str]:
        """Object key -> the stored mark (kept exactly, for ``clear``)."""
        return {text(k): text(v) for k, v in self.client.hgetall(self.keys.inventory_rechecks(shop)).items()}

    def clear(self, shop: str, handled: Iterable[tuple[str, str]]) -> int:
        pairs = [value for pair in handled for value in pair]
        if not pairs:
            return 0
        return int(self.client.eval(COMPARE_AND_DELETE, 1, self.keys.inventory_rechecks(shop), *pairs))  # type: ignore[arg-type]
