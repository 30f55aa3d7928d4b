"""Operator actions on stopped work: replay dead letters, resume a paused ERP connection.

Both only put events back on the stream; the next ``deliver_orders`` run delivers them through the
same ledger, so a replay of something already in the ERP is acknowledged, never duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass

from erp_shopify.config import Settings
from erp_shopify.delivery.claims import run_consumer
from erp_shopify.delivery.parts import QueueParts, erp_connection
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.notify import Notifier, Severity
from erp_shopify.store.dlq import DeadLetter, UnknownDeadLetter
from erp_shopify.store.pause import Paused
from erp_shopify.store.stream import InboundEvent


@dataclass(frozen=True)
class ReplaySelection:
    """Which dead letters to replay: everything, given ids, or those of a shop and/or error class."""

    everything: bool = False
    ids: tuple[str, ...] = ()
    shop: str | None = None
    error_class: str | None = None

    def __post_init__(self) -> None:
        if not (self.everything or self.ids or self.shop or self.error_class):
            raise ValueError("say what to replay: everything, ids, a shop or an error class")


@dataclass(frozen=True)
class Replayed:
    dead_letter_id: str
    stream_id: str
    shop: str
    topic: str


def select(parts: QueueParts, selection: ReplaySelection) -> list[DeadLetter]:
    if selection.ids:
        letters = [parts.dead_letters.get(i) for i in selection.ids]
        missing = [i for i, letter in zip(selection.ids, letters, strict=True) if letter is None]
        if missing:
            raise UnknownDeadLetter(f"no dead letter with id {', '.join(missing)} (`erp-shopify dlq list` shows them)")
        return [letter for letter in letters if letter is not None]
    return parts.dead_letters.list(shop=selection.shop, error_class=selection.error_class, limit=1_000_000)


def replay(parts: QueueParts, selection: ReplaySelection) -> list[Replayed]:
    """Re-queue the selected dead letters for delivery (with today's mapping and configuration)."""
    done: list[Replayed] = []
    for letter in select(parts, selection):
        event = InboundEvent(
            shop=letter.shop,
            topic=letter.topic,
            event_id=letter.event_id,
            routing_key=letter.order_ref,
            body=letter.raw_body,
            headers=letter.headers,
        )
        parts.ledger.reopen(event.ledger_key)
        stream_id = parts.stream.requeue(event)
        parts.dead_letters.remove(letter.id)  # after the requeue: a crash in between leaves a harmless copy
        done.append(Replayed(letter.id, stream_id, letter.shop, letter.topic))
    return done


@dataclass(frozen=True)
class Resumed:
    was_paused: Paused | None
    released: int  # events held back by the pause, claimable again now


def resume(adapter: ErpAdapter, parts: QueueParts, settings: Settings, notifier: Notifier) -> Resumed:
    """Probe the ERP and, only if it answers, lift the pause and hand the held events back.

    A failing probe raises its classified error and the pause stays: resuming into a broken
    connection would only pause again, one batch later.
    """
    connection = erp_connection(settings)
    was_paused = parts.pauses.status(connection)
    adapter.health()
    parts.pauses.resume(connection)
    released = parts.stream.reclaim_now(p.stream_id for p in parts.stream.pending(count=100_000))
    if was_paused is not None:
        notifier.alert(
            Severity.P1,
            "operations",
            f"Order delivery to {connection} resumed; {released} held event(s) will be delivered",
            f"It was paused since {was_paused.since:.0f} (unix time): {was_paused.reason}",
        )
    return Resumed(was_paused, released)


def release_failed_run(parts: QueueParts, stream_ids: list[str], owner: str) -> int:
    """Hand a failed run's batches back at once, rather than after its leases expire: the one it was
    launched with (``stream_ids``) and those it claimed itself (``delivery/claims.py``). Give back
    every ledger lease ``owner`` (the dead run) still holds on them, and make their stream entries
    claimable by the next claim. What the run finished stays finished (``give_back`` leaves a final
    entry alone, and acknowledged entries are no longer pending). Answers the entries made claimable."""
    stream_ids = list(dict.fromkeys([*stream_ids, *parts.stream.pending_of(run_consumer(owner))]))
    for event in parts.stream.get(stream_ids):
        parts.ledger.give_back(event.ledger_key, owner)
    return parts.stream.reclaim_now(stream_ids)
