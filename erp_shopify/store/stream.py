"""The inbound event stream: webhooks queued by the receiver, delivered by the ``deliver_orders`` job.

One Redis stream read through one consumer group. The receiver appends an event and sets its
``X-Shopify-Event-Id`` dedupe marker in one Lua script, so a crash can neither queue an event
without its marker (a retry would double it) nor set the marker without the event (losing it).
An entry is acknowledged (and deleted) only at a final outcome; an entry left pending by a crashed
consumer is claimed again by the next ``claim_batch`` once it has been idle long enough.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis
import redis.asyncio

from erp_shopify.store.keys import DELIVERY_GROUP, Keys, text
from erp_shopify.store.pending import ADD_PENDING_LUA, PendingLine, lines_json, script_keys
from erp_shopify.store.redaction import redact_headers

DEDUPE_TTL_SECONDS = 48 * 3600  # Shopify retries for 4 hours and delivers up to a day late
RECLAIM_IDLE_MS = 5 * 60 * 1000  # a consumer silent this long is taken as crashed

# KEYS: dedupe marker, stream, then (for an order holding stock) the pending-units keys;
# ARGV: dedupe ttl, order ref, pending lines JSON ("" for none), then the entry's field/value pairs.
_APPEND = (
    ADD_PENDING_LUA
    + """
local existing = redis.call('GET', KEYS[1])
if existing then return {0, existing} end
local id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 4))
redis.call('SET', KEYS[1], id, 'EX', ARGV[1])
if ARGV[3] ~= '' then add_pending(KEYS[3], KEYS[4], KEYS[5], ARGV[2], ARGV[3]) end
return {1, id}
"""
)


# Acknowledge one entry inside another atomic step (``Ledger.mark_delivered``): the same XACK + XDEL as ``ack``.
ACK_LUA = """
local function ack_entry(stream, group, id)
  local acked = redis.call('XACK', stream, group, id)
  redis.call('XDEL', stream, id)
  return acked
end
"""


@dataclass(frozen=True)
class StreamAck:
    """One stream entry to acknowledge (and delete) in the ledger's final transition."""

    stream_key: str
    group: str
    stream_id: str


@dataclass(frozen=True)
class InboundEvent:
    """A verified webhook as the receiver queues it: the raw body, exactly as Shopify signed it."""

    shop: str
    topic: str
    event_id: str  # X-Shopify-Event-Id: the same across redeliveries of one event
    routing_key: str  # the order's admin_graphql_api_id (or the object's, for non-order topics)
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # stored redacted
    received_at: float = field(default_factory=time.time)

    def payload(self) -> Any:
        return json.loads(self.body)

    @property
    def ledger_key(self) -> str:
        """The idempotency-ledger key of this order event (one per shop and Shopify event)."""
        return f"{self.shop}:{self.event_id}"


@dataclass(frozen=True)
class QueuedEvent(InboundEvent):
    """An event read from the stream; ``stream_id`` is what ``ack`` takes."""

    stream_id: str = ""


@dataclass(frozen=True)
class AppendResult:
    stream_id: str
    duplicate: bool  # the event id was seen before; nothing was queued


@dataclass(frozen=True)
class PendingEntry:
    """An entry delivered to a consumer and not yet acknowledged."""

    stream_id: str
    consumer: str
    idle_ms: int
    deliveries: int


def _fields(event: InboundEvent) -> list[bytes | str]:
    return [
        "shop",
        event.shop,
        "topic",
        event.topic,
        "event_id",
        event.event_id,
        "routing_key",
        event.routing_key,
        "received_at",
        repr(event.received_at),
        "headers",
        json.dumps(redact_headers(event.headers), sort_keys=True),
        "body",
        event.body,
    ]


def _append_call(
    keys: Keys, event: InboundEvent, pending: Sequence[PendingLine] | None, ttl: int
) -> tuple[list[str], list[Any]]:
    names = [keys.event_seen(event.shop, event.event_id), keys.events]
    lines = ""
    if pending is not None:
        names += script_keys(keys, event.shop, event.routing_key)[:3]
        lines = lines_json(pending)
    return names, [ttl, event.routing_key, lines, *_fields(event)]


def _decode(stream_id: Any, fields: Mapping[Any, Any]) -> QueuedEvent:
    raw = {text(k): v for k, v in fields.items()}
    return QueuedEvent(
        shop=raw["shop"].decode(),
        topic=raw["topic"].decode(),
        event_id=raw["event_id"].decode(),
        routing_key=raw["routing_key"].decode(),
        received_at=float(raw["received_at"]),
        headers=json.loads(raw["headers"]),
        body=raw["body"],
        stream_id=text(stream_id),
    )


def _result(raw: Sequence[Any]) -> AppendResult:
    stream_id = text(raw[1])
    return AppendResult(stream_id=stream_id, duplicate=int(raw[0]) == 0)


class EventStream:
    """The stream and its delivery consumer group (sync: used from Dagster ops and sensors)."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        *,
        group: str = DELIVERY_GROUP,
        dedupe_ttl_seconds: int = DEDUPE_TTL_SECONDS,
        reclaim_idle_ms: int = RECLAIM_IDLE_MS,
    ) -> None:
        self.client = client
        self.keys = Keys(prefix)
        self.group = group
        self.dedupe_ttl_seconds = dedupe_ttl_seconds
        self.reclaim_idle_ms = reclaim_idle_ms
        self._append = client.register_script(_APPEND)
        self._group_ready = False

    def append(self, event: InboundEvent, pending: Sequence[PendingLine] | None = None) -> AppendResult:
        """Queue ``event`` unless its event id was queued within the dedupe window. ``pending``: the
        units an ``orders/create`` holds back, counted in the same atomic step (see ``pending.py``)."""
        keys, args = _append_call(self.keys, event, pending, self.dedupe_ttl_seconds)
        return _result(self._append(keys=keys, args=args))

    def claim_batch(self, consumer: str, count: int, block_ms: int = 0) -> list[QueuedEvent]:
        """Up to ``count`` events for ``consumer``: first entries abandoned by crashed consumers
        (idle longer than ``reclaim_idle_ms``), then new ones. ``block_ms=0`` does not wait."""
        self._ensure_group()
        try:
            return self._claim(consumer, count, block_ms)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._group_ready = False  # the stream was deleted and created again: a new group
            self._ensure_group()
            return self._claim(consumer, count, block_ms)

    def _claim(self, consumer: str, count: int, block_ms: int) -> list[QueuedEvent]:
        claimed = self._reclaim(consumer, count)
        if len(claimed) < count:
            block = block_ms if (block_ms > 0 and not claimed) else None
            answer: Any = self.client.xreadgroup(
                self.group, consumer, {self.keys.events: ">"}, count=count - len(claimed), block=block
            )
            for _, entries in answer or []:
                claimed.extend(_decode(sid, fields) for sid, fields in entries if fields)
        return claimed

    def _reclaim(self, consumer: str, count: int) -> list[QueuedEvent]:
        found: list[QueuedEvent] = []
        cursor: bytes | str = "0-0"
        while len(found) < count:
            answer: Any = self.client.xautoclaim(
                self.keys.events, self.group, consumer, self.reclaim_idle_ms, start_id=cursor, count=count - len(found)
            )
            cursor, entries = answer[0], answer[1]
            found.extend(_decode(sid, fields) for sid, fields in entries if fields)
            if cursor in (b"0-0", "0-0"):
                break
        return found

    def get(self, stream_ids: Iterable[str]) -> list[QueuedEvent]:
        """The entries with these ids that are still in the stream (in the order given)."""
        pipe = self.client.pipeline(transaction=False)
        for sid in stream_ids:
            pipe.xrange(self.keys.events, sid, sid)
        results: Any = pipe.execute()
        return [_decode(sid, fields) for rows in results for sid, fields in rows]

    def ack(self, stream_ids: Iterable[str]) -> int:
        """Acknowledge final outcomes; the entries are deleted, so ``depth`` counts open work only."""
        ids = list(stream_ids)
        if not ids:
            return 0
        pipe = self.client.pipeline(transaction=True)
        pipe.xack(self.keys.events, self.group, *ids)
        pipe.xdel(self.keys.events, *ids)
        acked, _ = pipe.execute()
        return int(acked)

    def ack_for(self, stream_id: str) -> StreamAck:
        """The same acknowledgement as ``ack([stream_id])``, to be done by the ledger at a final outcome."""
        return StreamAck(self.keys.events, self.group, stream_id)

    def requeue(self, event: InboundEvent) -> str:
        """Queue ``event`` again past its dedupe marker (a replay from the dead-letter queue); its new id."""
        flat = _fields(event)
        entry: Any = dict(zip(flat[::2], flat[1::2], strict=True))
        return text(self.client.xadd(self.keys.events, entry))

    def reclaim_now(self, stream_ids: Iterable[str]) -> int:
        """Make pending entries claimable by the next ``claim_batch`` at once (after a resume: their
        consumer stopped on purpose, it did not crash, so there is no reason to wait)."""
        ids: list[Any] = list(stream_ids)
        if not ids:
            return 0
        self._ensure_group()
        claimed = self.client.xclaim(
            self.keys.events, self.group, "resumed", 0, ids, idle=self.reclaim_idle_ms, justid=True
        )
        return len(claimed)

    def depth(self) -> int:
        """Events queued and not yet acknowledged (new and in progress)."""
        return int(self.client.xlen(self.keys.events))

    def oldest_queued_at(self) -> float | None:
        """When the oldest event still queued arrived (its stream id's time), None when none is."""
        rows: Any = self.client.xrange(self.keys.events, min="-", max="+", count=1)
        return int(text(rows[0][0]).split("-")[0]) / 1000 if rows else None

    def pending(self, count: int = 1000) -> list[PendingEntry]:
        """Entries handed to a consumer and not acknowledged yet, oldest first."""
        self._ensure_group()
        rows: Any = self.client.xpending_range(self.keys.events, self.group, min="-", max="+", count=count)
        return [
            PendingEntry(
                stream_id=text(row["message_id"]),
                consumer=text(row["consumer"]),
                idle_ms=int(row["time_since_delivered"]),
                deliveries=int(row["times_delivered"]),
            )
            for row in rows
        ]

    def pending_of(self, consumer: str, count: int = 100_000) -> list[str]:
        """The ids of the entries handed to ``consumer`` and not acknowledged yet."""
        self._ensure_group()
        rows: Any = self.client.xpending_range(
            self.keys.events, self.group, min="-", max="+", count=count, consumername=consumer
        )
        return [text(row["message_id"]) for row in rows]

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self.client.xgroup_create(self.keys.events, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True


class AsyncEventWriter:
    """The receiver's side of the stream (``redis.asyncio``): the same script, the same fields."""

    def __init__(
        self, client: redis.asyncio.Redis, prefix: str, *, dedupe_ttl_seconds: int = DEDUPE_TTL_SECONDS
    ) -> None:
        self.keys = Keys(prefix)
        self.dedupe_ttl_seconds = dedupe_ttl_seconds
        self._append = client.register_script(_APPEND)

    async def append(self, event: InboundEvent, pending: Sequence[PendingLine] | None = None) -> AppendResult:
        """One round trip: dedupe, XADD and (for ``orders/create``) the pending units, atomically."""
        keys, args = _append_call(self.keys, event, pending, self.dedupe_ttl_seconds)
        return _result(await self._append(keys=keys, args=args))
