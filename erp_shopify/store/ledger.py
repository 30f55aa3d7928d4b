"""The idempotency ledger of order events, after Stripe's idempotency keys with recovery points.

An order event moves ``received -> in_flight -> delivered | dead_lettered``. ``in_flight`` is a
lease (owner, expiry): a worker that crashed mid-delivery leaves a lease that another can take
over once it expires, and the taker first searches the ERP for the natural reference before it
creates anything. Searching is needed only then: ``begin`` also says ``first_send`` when neither this
event nor any other event of its order was ever handed out for sending (Stripe's recovery point), and
only such a send may skip the search. ``delivered`` is written only after the ERP confirmed, with its document number,
and is final: ``begin`` on a delivered entry never hands out a lease again. Every transition is one
Lua script, so two workers can never both hold the lease. Each script answers with the entry it
left, and a final transition also acknowledges the stream entry (and, for a delivered order,
moves its pending units to awaiting shipment) in the same step: recorded and acknowledged together or not at all,
one Redis round trip at each end of a delivery.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis

from erp_shopify.store.keys import Keys, text
from erp_shopify.store.pending import RELEASE_PENDING_LUA, PendingRelease
from erp_shopify.store.stream import ACK_LUA, StreamAck

RETENTION_SECONDS = 30 * 24 * 3600  # a final outcome is remembered a month (Shopify redelivers for a day)


class LedgerState(StrEnum):
    RECEIVED = "received"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    DEAD_LETTERED = "dead_lettered"


@dataclass(frozen=True)
class LedgerEntry:
    key: str
    state: LedgerState
    owner: str = ""
    lease_expires_at: float = 0.0
    attempts: int = 0
    erp_document: str = ""
    delivered_at: float = 0.0
    dead_letter_id: str = ""
    updated_at: float = 0.0

    @property
    def final(self) -> bool:
        return self.state in (LedgerState.DELIVERED, LedgerState.DEAD_LETTERED)


class LeaseOutcome(StrEnum):
    ACQUIRED = "acquired"  # deliver it; ``took_over`` says a previous owner's lease expired
    BUSY = "busy"  # another worker holds a live lease: leave it alone
    DELIVERED = "delivered"  # already in the ERP: acknowledge, never deliver again
    DEAD_LETTERED = "dead_lettered"  # in the DLQ: acknowledge; replay reopens it


@dataclass(frozen=True)
class Lease:
    outcome: LeaseOutcome
    entry: LedgerEntry
    took_over: bool = False  # a crashed owner's lease was taken: search the ERP before creating
    first_send: bool = False  # no earlier attempt of this event or of any event of its order: cannot be in the ERP


class LeaseLost(RuntimeError):
    """The caller no longer holds the lease it tries to complete (it expired and was taken over)."""


# KEYS[1] entry, KEYS[2] and KEYS[3] (optional, together) the order's sent marker and the Redis epoch
# (``store/epoch.py``); ARGV: owner, now, lease_seconds, retention. Answers {outcome, took_over,
# first_send, the entry's fields}. A missing epoch means this Redis lost its data: it is written
# back as "trusted only after the retention", when every marker the loss erased would have expired.
_BEGIN = """
local state = redis.call('HGET', KEYS[1], 'state')
local now = tonumber(ARGV[2])
if state == 'delivered' or state == 'dead_lettered' then return {state, 0, 0, redis.call('HGETALL', KEYS[1])} end
local took_over = 0
if state == 'in_flight' then
  local owner = redis.call('HGET', KEYS[1], 'owner')
  local expires = tonumber(redis.call('HGET', KEYS[1], 'lease_expires_at'))
  if owner ~= ARGV[1] then
    if expires > now then return {'busy', 0, 0, redis.call('HGETALL', KEYS[1])} end
    took_over = 1
  end
end
redis.call('HSET', KEYS[1], 'state', 'in_flight', 'owner', ARGV[1],
  'lease_expires_at', tostring(now + tonumber(ARGV[3])), 'updated_at', ARGV[2])
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('EXPIRE', KEYS[1], ARGV[4])
local first_send = 0
if KEYS[2] then
  local fresh = redis.call('SET', KEYS[2], KEYS[1], 'NX', 'EX', ARGV[4])
  local trusted_from = tonumber(redis.call('GET', KEYS[3]))
  if not trusted_from then
    trusted_from = now + tonumber(ARGV[4])
    redis.call('SET', KEYS[3], tostring(trusted_from), 'NX')
  end
  if fresh and attempts == 1 and took_over == 0 and now >= trusted_from then first_send = 1 end
end
return {'acquired', took_over, first_send, redis.call('HGETALL', KEYS[1])}
"""

# KEYS[1] entry, then the pending-units keys (5: ``pending.script_keys``) when ARGV[7] ~= '', then the
# stream when ARGV[10] ~= ''.
# ARGV: owner, now, new state, retention, field, value, order ref to release, tombstone ttl, group,
# stream id, whether the released units await shipment (1|0).
# Answers {1 or 0 (the lease was lost: nothing done), the entry's fields}. Releasing and
# acknowledging again after an earlier identical finish is harmless (both are idempotent).
_FINISH = (
    RELEASE_PENDING_LUA
    + ACK_LUA
    + """
local function finish()
  local state = redis.call('HGET', KEYS[1], 'state')
  if state == ARGV[3] and redis.call('HGET', KEYS[1], ARGV[5]) == ARGV[6] then return 1 end
  if state ~= 'in_flight' or redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
  redis.call('HSET', KEYS[1], 'state', ARGV[3], ARGV[5], ARGV[6], 'updated_at', ARGV[2], 'lease_expires_at', '0')
  if ARGV[3] == 'delivered' then redis.call('HSET', KEYS[1], 'delivered_at', ARGV[2]) end
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  return 1
end
if finish() == 0 then return {0, redis.call('HGETALL', KEYS[1])} end
local stream = 2
if ARGV[7] ~= '' then
  release_pending(KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[7], ARGV[8], ARGV[11])
  stream = 7
end
if ARGV[10] ~= '' then ack_entry(KEYS[stream], ARGV[9], ARGV[10]) end
return {1, redis.call('HGETALL', KEYS[1])}
"""
)

# KEYS[1] entry; ARGV: owner, now  (a transient failure: give the event back for a later run)
_GIVE_BACK = """
if redis.call('HGET', KEYS[1], 'state') ~= 'in_flight' or redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'state', 'received', 'owner', '', 'lease_expires_at', '0', 'updated_at', ARGV[2])
return 1
"""

# KEYS[1] entry; ARGV: now, retention  (replay from the DLQ; an entry past its retention is
# recreated with one attempt, because the dead letter proves there was one)
_REOPEN = """
local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'dead_lettered' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'received', 'owner', '', 'dead_letter_id', '', 'updated_at', ARGV[1])
if not state then
  redis.call('HSET', KEYS[1], 'attempts', 1)
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1
"""


class Ledger:
    """Idempotency ledger entries, one per order event (``InboundEvent.ledger_key``)."""

    def __init__(self, client: redis.Redis, prefix: str, *, retention_seconds: int = RETENTION_SECONDS) -> None:
        self.client = client
        self.keys = Keys(prefix)
        self.retention_seconds = retention_seconds
        self._begin = client.register_script(_BEGIN)
        self._finish = client.register_script(_FINISH)
        self._give_back = client.register_script(_GIVE_BACK)
        self._reopen = client.register_script(_REOPEN)

    def get(self, key: str) -> LedgerEntry | None:
        raw = self.client.hgetall(self.keys.ledger(key))
        return _entry(key, raw) if raw else None

    def begin(
        self,
        key: str,
        owner: str,
        lease_seconds: float,
        *,
        sends_order: tuple[str, str] | None = None,
        now: float | None = None,
    ) -> Lease:
        """Take the delivery lease: from ``received`` (or no entry yet), from an expired lease, or
        renew one's own. ``sends_order`` (shop, order ref) says the event may create its order; the
        lease then tells whether this is the very first send of anything for that order (never on a
        Redis whose epoch shows it lost its data, see ``store/epoch.py``)."""
        now = time.time() if now is None else now
        args: list[str | int] = [owner, repr(now), repr(lease_seconds), self.retention_seconds]
        keys = [self.keys.ledger(key)]
        if sends_order is not None:
            keys += [self.keys.order_sent(*sends_order), self.keys.epoch]
        outcome, took_over, first_send, fields = self._begin(keys=keys, args=args)
        entry = _entry(key, _pairs(fields))
        return Lease(LeaseOutcome(text(outcome)), entry, took_over=bool(took_over), first_send=bool(first_send))

    def mark_delivered(
        self,
        key: str,
        owner: str,
        erp_document: str,
        *,
        release: PendingRelease | None = None,
        ack: StreamAck | None = None,
        now: float | None = None,
    ) -> LedgerEntry:
        """Record the ERP's confirmation and, in the same atomic step, ``release`` the order's pending
        units and ``ack`` its stream entry. Raises ``LeaseLost`` (having done nothing) if ``owner`` no
        longer holds the lease: the new owner finds the document by its reference and records it."""
        return self._complete(key, owner, LedgerState.DELIVERED, "erp_document", erp_document, release, ack, now)

    def mark_dead_lettered(
        self, key: str, owner: str, dead_letter_id: str, *, ack: StreamAck | None = None, now: float | None = None
    ) -> LedgerEntry:
        """Record the dead letter and ``ack`` the stream entry in the same atomic step."""
        return self._complete(key, owner, LedgerState.DEAD_LETTERED, "dead_letter_id", dead_letter_id, None, ack, now)

    def give_back(self, key: str, owner: str, *, now: float | None = None) -> bool:
        """Return an in-flight event to ``received`` (transient failure, or a paused connection)."""
        now = time.time() if now is None else now
        return bool(self._give_back(keys=[self.keys.ledger(key)], args=[owner, repr(now)]))

    def reopen(self, key: str, *, now: float | None = None) -> bool:
        """Replay: a dead-lettered event becomes ``received`` again. A delivered one never does."""
        now = time.time() if now is None else now
        return bool(self._reopen(keys=[self.keys.ledger(key)], args=[repr(now), self.retention_seconds]))

    def _complete(
        self,
        key: str,
        owner: str,
        state: LedgerState,
        name: str,
        value: str,
        release: PendingRelease | None,
        ack: StreamAck | None,
        now: float | None,
    ) -> LedgerEntry:
        now = time.time() if now is None else now
        keys = [self.keys.ledger(key)]
        args: list[str | int] = [owner, repr(now), str(state), self.retention_seconds, name, value, "", 0, "", "", "0"]
        if release is not None:
            keys += release.keys
            args[6:8] = [release.order_ref, release.tombstone_seconds]
            args[10] = "1" if release.awaits_shipment else "0"
        if ack is not None:
            keys.append(ack.stream_key)
            args[8:10] = [ack.group, ack.stream_id]
        done, fields = self._finish(keys=keys, args=args)
        raw = _pairs(fields)
        if not done:
            holder = f"{text(raw['state'])} by {text(raw.get('owner', ''))!r}" if raw else "no entry"
            raise LeaseLost(f"ledger {key!r}: {owner!r} does not hold the lease ({holder})")
        return _entry(key, raw)


def _pairs(fields: list[Any]) -> dict[Any, Any]:
    """A hash as a script returns it (a flat list of field, value) as a dict."""
    return {text(name): value for name, value in zip(fields[::2], fields[1::2], strict=True)}


def _entry(key: str, raw: Mapping[Any, Any]) -> LedgerEntry:
    data = {text(k): text(v) for k, v in raw.items()}
    return LedgerEntry(
        key=key,
        state=LedgerState(data["state"]),
        owner=data.get("owner", ""),
        lease_expires_at=float(data.get("lease_expires_at") or 0),
        attempts=int(data.get("attempts") or 0),
        erp_document=data.get("erp_document", ""),
        delivered_at=float(data.get("delivered_at") or 0),
        dead_letter_id=data.get("dead_letter_id", ""),
        updated_at=float(data.get("updated_at") or 0),
    )
