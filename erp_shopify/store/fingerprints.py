"""The loop guard, by values rather than tags: remember what the middleware wrote to Shopify and
recognise the webhook that our own write triggers.

A writer records the values it is about to set per object (an inventory item at a location ->
``{"available": 7}``; a variant -> ``{"price": "19.90"}``) *before* the write (``intend``), since
the echo webhook can arrive before the write's answer, and confirms them after it succeeded
(``record_many``). Until confirmed, an object accepts the intended values and those it accepted
before (what Shopify still shows if the write failed); the confirmation keeps the written values
alone, so a failed write cannot make a later genuine edit look like an echo beyond the next
successful write. An inbound webhook whose values equal an accepted record is our echo and is
dropped. Any other change is real: to an ERP-owned field (the sync
policy says which) it is a conflict, kept per object until the next sync overwrites it and clears it
(unless a newer change came meanwhile); to a field Shopify or both sides own, the receiver queues it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

import redis
import redis.asyncio

from erp_shopify.policy import Owner, domain_for_topic, owner
from erp_shopify.store.keys import COMPARE_AND_DELETE, Keys, text


class Verdict(StrEnum):
    ECHO = "echo"  # our own write coming back: drop
    CONFLICT = "conflict"  # someone changed an ERP-owned field in Shopify: recorded, the sync overwrites
    CHANGE = "change"  # a real change to data Shopify (co-)owns: queue it


@dataclass(frozen=True)
class Conflict:
    object_key: str
    topic: str
    values: dict[str, Any]
    seen_at: float
    stored: str = field(default="", compare=False, repr=False)  # exactly as kept in Redis: what ``clear`` compares


# Before a write: ARGV holds (object key, intended digest) pairs. Each object then accepts the
# intended digest first, then those it accepted before (newest first, at most ARGV[#ARGV]).
_INTEND = """
local keep = tonumber(ARGV[#ARGV])
for i = 1, #ARGV - 1, 2 do
  local accepted = {ARGV[i + 1]}
  local before = redis.call('HGET', KEYS[1], ARGV[i])
  if before then
    for d in string.gmatch(before, '%S+') do
      if #accepted < keep and d ~= ARGV[i + 1] then table.insert(accepted, d) end
    end
  end
  redis.call('HSET', KEYS[1], ARGV[i], table.concat(accepted, ' '))
end
return (#ARGV - 1) / 2
"""
# Digests an object accepts while writes stay unconfirmed: the intent plus what came before.
MAX_ACCEPTED = 4


def digest(values: Mapping[str, Any]) -> str:
    """A stable digest of synced values: key order and number formatting do not matter."""
    canonical = json.dumps(_canonical(values), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return format(value, "g") if isinstance(value, float) and not value.is_integer() else int(value)
    return str(value)  # Decimal prices: "19.90" and Decimal("19.90") agree


def _gid(kind: str, value: int | str) -> str:
    text = str(value)
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


def inventory_object_key(inventory_item: int | str, location: int | str) -> str:
    """The object key of an inventory level: numeric ids or GIDs give the same key."""
    return f"{_gid('InventoryItem', inventory_item)}@{_gid('Location', location)}"


def inventory_values(available: int) -> dict[str, Any]:
    """The synced values of an inventory level (what ``inventory_levels/update`` carries)."""
    return {"available": int(available)}


def price_values(price: Any) -> dict[str, Any]:
    """The synced values of a variant (``products/update`` carries each variant's price as a
    string): "19.90", "19.9" and ``Decimal("19.90")`` are the same price."""
    return {"price": format(Decimal(str(price)).normalize(), "f")}


ADDRESS_FIELDS = (
    *("first_name", "last_name", "company", "phone"),
    *("address1", "address2", "city", "province_code", "zip", "country_code"),
)


def address_values(addresses: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The synced values of a customer's addresses, in a stable order."""
    rows = [{f: (a.get(f) or "") for f in ADDRESS_FIELDS} for a in addresses]
    return {"addresses": sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))}


def accepts(stored: Any, values: Mapping[str, Any]) -> bool:
    """Whether a stored record (one digest, or several while a write is unconfirmed) accepts
    ``values`` as ours."""
    return stored is not None and digest(values) in text(stored).split()


def judge(stored: Any, topic: str, values: Mapping[str, Any]) -> Verdict:
    """Echo if the stored record accepts these values; otherwise the sync policy decides."""
    if accepts(stored, values):
        return Verdict.ECHO
    return Verdict.CONFLICT if owner(domain_for_topic(topic)) is Owner.ERP else Verdict.CHANGE


def _conflict_json(topic: str, values: Mapping[str, Any], now: float) -> str:
    return json.dumps({"topic": topic, "values": _canonical(values), "seen_at": now}, default=str)


class Fingerprints:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)

    def intend(self, shop: str, writes: Mapping[str, Mapping[str, Any]]) -> None:
        """Accept what the middleware is about to write as ours, on top of what was accepted
        before; call before the write, then ``record_many`` the same writes once it succeeded."""
        if writes:
            pairs = [value for key, values in writes.items() for value in (key, digest(values))]
            self.client.eval(_INTEND, 1, self.keys.fingerprints(shop), *pairs, MAX_ACCEPTED)  # type: ignore[arg-type]

    def record(self, shop: str, object_key: str, values: Mapping[str, Any]) -> None:
        """Remember what the middleware just wrote; call after the write succeeded."""
        self.client.hset(self.keys.fingerprints(shop), object_key, digest(values))

    def record_many(self, shop: str, writes: Mapping[str, Mapping[str, Any]]) -> None:
        """Confirm writes that succeeded: each object accepts exactly the values written."""
        if writes:
            mapping = {key: digest(values) for key, values in writes.items()}
            self.client.hset(self.keys.fingerprints(shop), mapping=mapping)  # type: ignore[arg-type]

    def is_echo(self, shop: str, object_key: str, values: Mapping[str, Any]) -> bool:
        return accepts(self.client.hget(self.keys.fingerprints(shop), object_key), values)

    def observe(
        self, shop: str, topic: str, object_key: str, values: Mapping[str, Any], *, now: float | None = None
    ) -> Verdict:
        """Judge an inbound change and record it as a conflict when it touches an ERP-owned field."""
        verdict = judge(self.client.hget(self.keys.fingerprints(shop), object_key), topic, values)
        if verdict is Verdict.CONFLICT:
            now = time.time() if now is None else now
            self.client.hset(self.keys.conflicts(shop), object_key, _conflict_json(topic, values, now))
        return verdict

    def conflicts(self, shop: str) -> dict[str, Conflict]:
        raw = self.client.hgetall(self.keys.conflicts(shop))
        return {text(k): _conflict(text(k), v) for k, v in raw.items()}

    def clear(self, shop: str, handled: Iterable[Conflict]) -> int:
        """Remove the conflicts the sync read and overwrote, each only if it is still the one read:
        a change recorded between the sync's read and this call is newer than its write, so it
        stays for the next sync. Returns how many were removed."""
        pairs = [value for c in handled for value in (c.object_key, c.stored)]
        if not pairs:
            return 0
        return int(self.client.eval(COMPARE_AND_DELETE, 1, self.keys.conflicts(shop), *pairs))  # type: ignore[arg-type]


class AsyncFingerprints:
    """The receiver's side (``redis.asyncio``): the same judgement as ``Fingerprints.observe``."""

    def __init__(self, client: redis.asyncio.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)

    async def observe(
        self,
        shop: str,
        topic: str,
        object_key: str,
        values: Mapping[str, Any],
        *,
        now: float | None = None,
        tracked_only: bool = False,
    ) -> Verdict | None:
        """``tracked_only``: an object the middleware never wrote is not judged (None), e.g. a
        product that the product sync does not manage."""
        stored = await self.client.hget(self.keys.fingerprints(shop), object_key)
        if stored is None and tracked_only:
            return None
        verdict = judge(stored, topic, values)
        if verdict is Verdict.CONFLICT:
            now = time.time() if now is None else now
            await self.client.hset(self.keys.conflicts(shop), object_key, _conflict_json(topic, values, now))
        return verdict


def _conflict(object_key: str, raw: Any) -> Conflict:
    data = json.loads(raw)
    return Conflict(
        object_key=object_key,
        topic=data["topic"],
        values=data["values"],
        seen_at=float(data["seen_at"]),
        stored=text(raw),
    )
