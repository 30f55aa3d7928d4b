"""Units of Shopify orders, per (shop, SKU, Shopify location), in the two states the inventory rule
needs (see docs/architecture.md, "Never oversell"):

- **pending**: in an order Shopify took but the ERP does not have yet. Other shops that sell the same
  ERP stock must subtract them (Shopify already did for the shop that sold them).
- **awaiting shipment**: in an order the ERP has (so its available stock no longer counts them) that
  Shopify still counts as committed. The shop's ``on_hand`` target adds them back, or they would be
  subtracted twice.

The receiver adds an order's units as pending in the same script that queues its ``orders/create``;
the ledger moves them to awaiting shipment in the same script that records the order delivered. A
cancel or restocking refund withdraws them from awaiting shipment before the ERP is told (once per
event), and the inventory sync takes off what Shopify has shipped (its ``on_hand`` fell). Every
step is one Lua script; a released order leaves a tombstone for a week, so a late redelivery of its
``orders/create`` cannot add its units again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import redis

from erp_shopify.store.keys import Keys, text

TOMBSTONE_SECONDS = 7 * 24 * 3600
WITHDRAWN_SECONDS = 30 * 24 * 3600  # a cancel or refund is redelivered within days, never later
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

# A Lua function too, so that the ledger can move an order's units in the same atomic step that
# records it delivered (see ``ledger.py``): out of pending, into awaiting shipment.
RELEASE_PENDING_LUA = """
local function take_units(units, lines)
  for _, line in ipairs(lines) do
    if redis.call('HINCRBY', units, line[1], -line[2]) <= 0 then redis.call('HDEL', units, line[1]) end
  end
end
local function release_pending(orders, units, tombstone, awaiting_orders, awaiting_units, order_ref, ttl, await)
  local lines = redis.call('HGET', orders, order_ref)
  redis.call('SET', tombstone, '1', 'EX', ttl)
  if not lines then return 0 end
  local decoded = cjson.decode(lines)
  take_units(units, decoded)
  redis.call('HDEL', orders, order_ref)
  if await == '1' then
    for _, line in ipairs(decoded) do redis.call('HINCRBY', awaiting_units, line[1], line[2]) end
    redis.call('HSET', awaiting_orders, order_ref, lines)
  end
  return 1
end
"""

# KEYS: orders, units, tombstone, awaiting orders, awaiting units; ARGV: order_ref, tombstone ttl,
# '1' when the units move to awaiting shipment (the ERP took them) or '0' (nobody holds them now)
_RELEASE = RELEASE_PENDING_LUA + (
    "return release_pending(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2], ARGV[3])"
)

# KEYS: awaiting orders, awaiting units, withdrawn marker; ARGV: order_ref, marker ttl, lines JSON
# ('' = the whole order). Once per event: a redelivered cancel or refund withdraws nothing again.
_WITHDRAW = (
    RELEASE_PENDING_LUA
    + """
if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[2]) then return 0 end
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored then return 0 end
local held = {}
for _, line in ipairs(cjson.decode(stored)) do held[line[1]] = line[2] end
local wanted = ARGV[3] == '' and cjson.decode(stored) or cjson.decode(ARGV[3])
local taken, left = {}, {}
for _, line in ipairs(wanted) do
  local units = math.min(line[2], held[line[1]] or 0)
  if units > 0 then
    table.insert(taken, {line[1], units})
    held[line[1]] = held[line[1]] - units
  end
end
take_units(KEYS[2], taken)
for field, units in pairs(held) do if units > 0 then table.insert(left, {field, units}) end end
if #left == 0 then redis.call('HDEL', KEYS[1], ARGV[1])
else redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(left)) end
return #taken
"""
)

# KEYS: awaiting units; ARGV: field, units pairs. Shopify shipped these (its on_hand fell): take them
# off awaiting shipment, never below zero (the order each unit belonged to does not matter here).
_SHIPPED = """
local taken = 0
for i = 1, #ARGV, 2 do
  local held = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  local units = math.min(held, tonumber(ARGV[i + 1]))
  if units > 0 then
    taken = taken + units
    if redis.call('HINCRBY', KEYS[1], ARGV[i], -units) <= 0 then redis.call('HDEL', KEYS[1], ARGV[i]) end
  end
end
return taken
"""


@dataclass(frozen=True)
class PendingLine:
    sku: str
    location_gid: str  # gid://shopify/Location/<id>
    quantity: int


@dataclass(frozen=True)
class PendingRelease:
    """An order's units to move inside another atomic step (``Ledger.mark_delivered``)."""

    keys: tuple[str, str, str, str, str]  # ``script_keys``
    order_ref: str
    tombstone_seconds: int
    awaits_shipment: bool  # the ERP took the units (they await shipment), or nobody holds them now


def field_of(sku: str, location_gid: str) -> str:
    return f"{sku}{_SEP}{location_gid}"


def lines_json(lines: Iterable[PendingLine]) -> str:
    """Lines summed per (sku, location); empty SKUs and non-positive quantities carry no stock."""
    summed: dict[str, int] = {}
    for line in lines:
        if line.sku and line.quantity > 0:
            field = field_of(line.sku, line.location_gid)
            summed[field] = summed.get(field, 0) + line.quantity
    return json.dumps([[field, qty] for field, qty in sorted(summed.items())])


def script_keys(keys: Keys, shop: str, order_ref: str) -> list[str]:
    return [
        keys.pending_orders(shop),
        keys.pending_units(shop),
        keys.pending_released(shop, order_ref),
        keys.awaiting_orders(shop),
        keys.awaiting_units(shop),
    ]


def _totals(raw: Mapping[Any, Any]) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = {}
    for field, value in raw.items():
        sku, location = text(field).split(_SEP, 1)
        if int(text(value)) > 0:
            totals[(sku, location)] = int(text(value))
    return totals


class PendingUnits:
    def __init__(self, client: redis.Redis, prefix: str, *, tombstone_seconds: int = TOMBSTONE_SECONDS) -> None:
        self.client = client
        self.keys = Keys(prefix)
        self.tombstone_seconds = tombstone_seconds
        self._add = client.register_script(_ADD)
        self._release = client.register_script(_RELEASE)
        self._withdraw = client.register_script(_WITHDRAW)
        self._shipped = client.register_script(_SHIPPED)

    def _keys(self, shop: str, order_ref: str) -> list[str]:
        return script_keys(self.keys, shop, order_ref)

    def add(self, shop: str, order_ref: str, lines: Iterable[PendingLine]) -> bool:
        """Count an order's units as pending; False if the order was already added or released."""
        return bool(self._add(keys=self._keys(shop, order_ref)[:3], args=[order_ref, lines_json(lines)]))

    def release(self, shop: str, order_ref: str, *, awaits_shipment: bool = True) -> bool:
        """The ERP has the order: its units move to awaiting shipment (or, ``awaits_shipment=False``,
        the order holds none any more: cancelled, refunded to nothing); False if nothing was pending."""
        args: list[str | int] = [order_ref, self.tombstone_seconds, "1" if awaits_shipment else "0"]
        return bool(self._release(keys=self._keys(shop, order_ref), args=args))

    def release_for(self, shop: str, order_ref: str, *, awaits_shipment: bool = True) -> PendingRelease:
        """The same release as ``release``, to be done by the ledger when it records the order delivered."""
        keys = self._keys(shop, order_ref)
        return PendingRelease(
            (keys[0], keys[1], keys[2], keys[3], keys[4]), order_ref, self.tombstone_seconds, awaits_shipment
        )

    def withdraw(self, shop: str, order_ref: str, event: str, lines: Iterable[PendingLine] | None = None) -> int:
        """A cancel (``lines`` None: the whole order) or a refund that restocks unshipped ``lines``:
        Shopify no longer commits these units, so they leave awaiting shipment. Call it before the
        ERP hears of it (then the ERP's stock rises after, never before, the hold falls). Once per
        ``event``; returns how many (field) lines were reduced."""
        keys = [
            self.keys.awaiting_orders(shop),
            self.keys.awaiting_units(shop),
            self.keys.awaiting_withdrawn(shop, event),
        ]
        wanted = "" if lines is None else lines_json(lines)
        return int(self._withdraw(keys=keys, args=[order_ref, WITHDRAWN_SECONDS, wanted]))

    def shipped(self, shop: str, units: Mapping[tuple[str, str], int]) -> int:
        """Shopify shipped ``units`` per (sku, location): they no longer await shipment. Returns units taken."""
        args = [v for (sku, loc), n in units.items() if n > 0 for v in (field_of(sku, loc), int(n))]
        if not args:
            return 0
        return int(self._shipped(keys=[self.keys.awaiting_units(shop)], args=args))

    def totals(self, shop: str) -> dict[tuple[str, str], int]:
        """Pending units per (SKU, Shopify location GID)."""
        return _totals(self.client.hgetall(self.keys.pending_units(shop)))

    def all_totals(self, shops: list[str]) -> dict[str, dict[tuple[str, str], int]]:
        """``totals`` of several shops in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        for shop in shops:
            pipe.hgetall(self.keys.pending_units(shop))
        return {shop: _totals(raw) for shop, raw in zip(shops, pipe.execute(), strict=True)}

    def awaiting(self, shop: str) -> dict[tuple[str, str], int]:
        """Units awaiting shipment per (SKU, Shopify location GID)."""
        return _totals(self.client.hgetall(self.keys.awaiting_units(shop)))

    def orders(self, shop: str) -> list[str]:
        """Order refs whose units are pending."""
        return sorted(text(ref) for ref in self.client.hkeys(self.keys.pending_orders(shop)))
