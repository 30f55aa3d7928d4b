"""The dead-letter queue: events that cannot be delivered without a person, with everything needed
to understand and replay them.

A Redis stream, so entries keep their order and an id. Each holds the raw Shopify payload and
headers (signature and credentials redacted), the ERP payload we built (if we got that far), the
classified error with its status and response body (redacted), and the start time of every
attempt. ``erp-shopify dlq`` lists, shows, replays, removes and purges entries.

Entries expire after a retention (``delivery.dlq_retention_days``): a dead letter holds a customer's
name and address, kept only as long as an operator plausibly needs them to replay. The stream's ids
are the time each letter was added, so expiry is one ``XTRIM MINID``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import redis

from erp_shopify.errors import IntegrationError
from erp_shopify.store.keys import Keys, text
from erp_shopify.store.redaction import redact, redact_headers
from erp_shopify.store.stream import InboundEvent

_ENTRY_ID = re.compile(r"\d+-\d+")


class UnknownDeadLetter(KeyError):
    """Ids that name no dead letter (already replayed, or never there)."""

    def __str__(self) -> str:
        return str(self.args[0])


class MalformedDeadLetterId(ValueError):
    """Not a dead-letter id at all (Redis would answer 'Invalid stream ID')."""


def check_entry_id(entry_id: str) -> str:
    if not _ENTRY_ID.fullmatch(entry_id):
        raise MalformedDeadLetterId(
            f"{entry_id!r} is not a dead-letter id: they look like 1764504000000-0 (`erp-shopify dlq list` shows them)"
        )
    return entry_id


@dataclass(frozen=True)
class DeadLetter:
    shop: str
    topic: str
    order_ref: str  # the order's admin_graphql_api_id
    event_id: str
    raw_body: bytes
    headers: Mapping[str, str]
    error_class: str  # transient (retries exhausted) / data / system
    message: str
    status: int | None = None
    response_body: Any = None
    erp_payload: Any = None
    attempts: tuple[float, ...] = ()
    failed_at: float = field(default_factory=time.time)
    source_stream_id: str = ""  # the event-stream entry it came from
    id: str = ""  # the DLQ entry id, set when read back

    @classmethod
    def from_failure(
        cls,
        event: InboundEvent,
        error: IntegrationError,
        *,
        erp_payload: Any = None,
        source_stream_id: str = "",
        secrets: Iterable[str] = (),
    ) -> DeadLetter:
        """The dead letter for ``event`` that failed with ``error`` (its ``attempts`` included).

        ``secrets`` are literal values (tokens, passwords) to scrub from bodies wherever they appear.
        """
        known = list(secrets)
        return cls(
            shop=event.shop,
            topic=event.topic,
            order_ref=event.routing_key,
            event_id=event.event_id,
            raw_body=event.body,
            headers=event.headers,
            error_class=str(error.error_class),
            message=str(redact(error.message, known)),
            status=error.status,
            response_body=redact(error.to_dict()["body"], known),
            erp_payload=redact(erp_payload, known),
            attempts=tuple(error.attempts),
            source_stream_id=source_stream_id,
        )

    def payload(self) -> Any:
        return json.loads(self.raw_body)


def _fields(letter: DeadLetter) -> dict[str, bytes | str]:
    return {
        "shop": letter.shop,
        "topic": letter.topic,
        "order_ref": letter.order_ref,
        "event_id": letter.event_id,
        "raw_body": letter.raw_body,
        "headers": json.dumps(redact_headers(letter.headers), sort_keys=True),
        "error_class": letter.error_class,
        "message": letter.message,
        "status": "" if letter.status is None else str(letter.status),
        "response_body": json.dumps(redact(letter.response_body), default=str),
        "erp_payload": json.dumps(redact(letter.erp_payload), default=str),
        "attempts": json.dumps(list(letter.attempts)),
        "failed_at": repr(letter.failed_at),
        "source_stream_id": letter.source_stream_id,
    }


def _decode(entry_id: Any, raw: Mapping[Any, Any]) -> DeadLetter:
    data = {text(k): v for k, v in raw.items()}
    fields = {k: text(v) for k, v in data.items() if k != "raw_body"}
    return DeadLetter(
        id=text(entry_id),
        shop=fields["shop"],
        topic=fields["topic"],
        order_ref=fields["order_ref"],
        event_id=fields["event_id"],
        raw_body=data["raw_body"],
        headers=json.loads(fields["headers"]),
        error_class=fields["error_class"],
        message=fields["message"],
        status=int(fields["status"]) if fields["status"] else None,
        response_body=json.loads(fields["response_body"]),
        erp_payload=json.loads(fields["erp_payload"]),
        attempts=tuple(json.loads(fields["attempts"])),
        failed_at=float(fields["failed_at"]),
        source_stream_id=fields["source_stream_id"],
    )


class DeadLetterQueue:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.key = Keys(prefix).dead_letters

    def add(self, letter: DeadLetter) -> str:
        """Store ``letter`` (headers and bodies redacted again, whatever the caller did); its id."""
        entry_id = self.client.xadd(self.key, _fields(letter))  # type: ignore[arg-type]
        return text(entry_id)

    def list(self, *, shop: str | None = None, error_class: str | None = None, limit: int = 1000) -> list[DeadLetter]:
        """Entries oldest first, filtered by shop and error class, at most ``limit``."""
        found: list[DeadLetter] = []
        start = "-"
        while len(found) < limit:
            rows: Any = self.client.xrange(self.key, min=start, max="+", count=500)
            if not rows:
                break
            for entry_id, raw in rows:
                letter = _decode(entry_id, raw)
                if (shop is None or letter.shop == shop) and (error_class is None or letter.error_class == error_class):
                    found.append(letter)
            start = "(" + text(rows[-1][0])
        return found[:limit]

    def get(self, entry_id: str) -> DeadLetter | None:
        """The entry, None when there is none; ``MalformedDeadLetterId`` for a string that is no id."""
        check_entry_id(entry_id)
        rows: Any = self.client.xrange(self.key, min=entry_id, max=entry_id)
        return _decode(*rows[0]) if rows else None

    def remove(self, entry_id: str) -> bool:
        return bool(self.client.xdel(self.key, entry_id))

    def depth(self) -> int:
        return int(self.client.xlen(self.key))

    def purge(self, older_than_seconds: float, *, now: float | None = None) -> int:
        """Remove the letters added more than ``older_than_seconds`` ago; how many went."""
        cutoff_ms = int(((time.time() if now is None else now) - older_than_seconds) * 1000)
        return int(self.client.xtrim(self.key, minid=f"{max(cutoff_ms, 0)}-0", approximate=False))
