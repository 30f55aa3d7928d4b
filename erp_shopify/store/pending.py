"""Units in Shopify orders that the ERP does not know yet, per (shop, SKU, Shopify location).

Shopify already subtracted them from its stock; the ERP will only when the order arrives there.
Until then the inventory sync subtracts ``totals`` from the ERP's available quantity, or it would
hand those units back to Shopify and oversell. The receiver adds an order's units in the same
script that queues its ``orders/create``; the delivery side releases them when the ERP confirms
the order, or on cancel.

Both operations are idempotent per order and atomic (one Lua script each). A released order leaves
a tombstone for a week, so a late redelivery of its ``orders/create`` cannot add its units again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import redis

from erp_shopify.store.keys import Keys, text

TOMBSTONE_SECONDS = 7 * 24 * 3600
_SEP = "\x1f"  # unit separator: cannot occur in a SKU or a GID

# A Lua function, so that the receiver's script can add an order's units in the same atomic step
# that queues its orders/create (see ``stream.py``).
ADD_PENDING_LUA = """
local function add_pending(orders, units, tombstone, order_ref, lines)
  if redis.call('EXISTS', tombstone) == 1 or redis.call('HEXISTS', orders, order_ref) == 1 then return 0 end
  redis.call('HSET', orders, order_ref, lines)
  for _, line in ipairs(cjson.decode(lines)) do
    redis.call('HINCRBY', units, line[1], line[2])
  end
  return 1
end
"""

# KEYS: orders hash, units hash, tombstone; ARGV: order_ref, lines JSON
_ADD = ADD_PENDING_LUA + "return add_pending(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2])"

# A Lua function too, so that the ledger can release an order's units in the same atomic step that
# records it delivered (see ``ledger.py``).
RELEASE_PENDING_LUA = """
local function release_pending(orders, units, tombstone, order_ref, ttl)
  local lines = redis.call('HGET', orders, order_ref)
  redis.call('SET', tombstone, '1', 'EX', ttl)
  if not lines then return 0 end
  for _, line in ipairs(cjson.decode(lines)) do
    if redis.call('HINCRBY', units, line[1], -line[2]) <= 0 then redis.call('HDEL', units, line[1]) end
  end
  redis.call('HDEL', orders, order_ref)
  return 1
end
"""

# KEYS: orders hash, units hash, tombstone; ARGV: order_ref, tombstone ttl
_RELEASE = RELEASE_PENDING_LUA + "return release_pending(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2])"


@dataclass(frozen=True)
class PendingLine:
    sku: str
    location_gid: str  # gid://shopify/Location/<id>
    quantity: int


@dataclass(frozen=True)
class PendingRelease:
    """An order's units to release inside another atomic step (``Ledger.mark_delivered``)."""

    keys: tuple[str, str, str]  # orders hash, units hash, tombstone (``script_keys``)
    order_ref: str
    tombstone_seconds: int


def lines_json(lines: Iterable[PendingLine]) -> str:
    """Lines summed per (sku, location); empty SKUs and non-positive quantities carry no stock."""
    summed: dict[str, int] = {}
    for line in lines:
        if line.sku and line.quantity > 0:
            field = f"{line.sku}{_SEP}{line.location_gid}"
            summed[field] = summed.get(field, 0) + line.quantity
    return json.dumps([[field, qty] for field, qty in sorted(summed.items())])


def script_keys(keys: Keys, shop: str, order_ref: str) -> list[str]:
    return [keys.pending_orders(shop), keys.pending_units(shop), keys.pending_released(shop, order_ref)]


class PendingUnits:
    def __init__(self, client: redis.Redis, prefix: str, *, tombstone_seconds: int = TOMBSTONE_SECONDS) -> None:
        self.client = client
        self.keys = Keys(prefix)
        self.tombstone_seconds = tombstone_seconds
        self._add = client.register_script(_ADD)
        self._release = client.register_script(_RELEASE)

    def _keys(self, shop: str, order_ref: str) -> list[str]:
        return script_keys(self.keys, shop, order_ref)

    def add(self, shop: str, order_ref: str, lines: Iterable[PendingLine]) -> bool:
        """Count an order's units as pending; False if the order was already added or released."""
        return bool(self._add(keys=self._keys(shop, order_ref), args=[order_ref, lines_json(lines)]))

    def release(self, shop: str, order_ref: str) -> bool:
        """The ERP has the order (or it was cancelled); False if nothing was pending for it."""
        return bool(self._release(keys=self._keys(shop, order_ref), args=[order_ref, self.tombstone_seconds]))

    def release_for(self, shop: str, order_ref: str) -> PendingRelease:
        """The same release as ``release``, to be done by the ledger when it records the order delivered."""
        orders, units, tombstone = self._keys(shop, order_ref)
        return PendingRelease((orders, units, tombstone), order_ref, self.tombstone_seconds)

    def totals(self, shop: str) -> dict[tuple[str, str], int]:
        """Pending units per (SKU, Shopify location GID)."""
        raw = self.client.hgetall(self.keys.pending_units(shop))
        totals: dict[tuple[str, str], int] = {}
        for field, value in raw.items():
            sku, location = text(field).split(_SEP, 1)
            if int(value) > 0:
                totals[(sku, location)] = int(value)
        return totals

    def orders(self, shop: str) -> list[str]:
        """Order refs whose units are pending."""
        return sorted(text(ref) for ref in self.client.hkeys(self.keys.pending_orders(shop)))
