"""The exactly-once ledger of fulfillments, keyed by the ERP's delivery document.

``fulfillmentCreate`` has no ``@idempotent``: a repeat after a lost answer would fulfill twice.
So, after Stripe's recovery points, a delivery moves ``(none) -> sending -> fulfilled``, and
``sending`` is written *before* the mutation with what it was about to do: the fulfillment order
lines and quantities, and their remaining quantities as read just before. Whoever finds a delivery
``sending`` (a retry in the same run after a timeout, or the next run after a crash) reads the
remaining quantities again: unchanged means Shopify never applied it (send again), lowered by
exactly the plan means it did (record it), anything else is left to a person.

Deliveries that could not be fulfilled (bad data) are kept apart with the whole shipment, so they
can be replayed once the data is fixed, and are what the ``fulfillments`` asset check shows.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import redis

from erp_shopify.records import Shipment
from erp_shopify.store.keys import Keys, text

SENDING, FULFILLED = "sending", "fulfilled"


@dataclass
class LedgerEntry:
    state: str
    order: str  # the Shopify order GID
    plan: list[dict[str, Any]] = field(default_factory=list)  # [{fulfillment_order, line, quantity}]
    before: dict[str, int] = field(default_factory=dict)  # fulfillment order line GID -> remaining
    fulfillment: str | None = None  # the fulfillment's GID, once fulfilled
    tracking: str = ""  # digest of the tracking last written
    at: float = 0.0


@dataclass(frozen=True)
class FulfillmentError:
    document: str
    order_ref: str
    error: dict[str, Any]
    shipment: dict[str, Any]
    at: float

    @property
    def message(self) -> str:
        return str(self.error.get("message", ""))


class FulfillmentLedger:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)

    def get(self, shop: str, document: str) -> LedgerEntry | None:
        raw = self.client.hget(self.keys.fulfillment_ledger(shop), document)
        return None if raw is None else LedgerEntry(**json.loads(raw))

    def intend(self, shop: str, document: str, entry: LedgerEntry) -> None:
        """Recorded before the mutation is sent; durable before Shopify can apply it."""
        self._put(shop, document, LedgerEntry(**{**asdict(entry), "state": SENDING, "at": time.time()}))

    def fulfilled(self, shop: str, document: str, order: str, fulfillment: str | None, tracking: str) -> None:
        """The delivery's fulfillment exists in Shopify; its error (from an earlier try) is gone."""
        entry = LedgerEntry(FULFILLED, order, fulfillment=fulfillment, tracking=tracking, at=time.time())
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.keys.fulfillment_ledger(shop), document, json.dumps(asdict(entry)))
        pipe.hdel(self.keys.fulfillment_errors(shop), document)
        pipe.execute()

    def abandon(self, shop: str, document: str) -> None:
        """A ``sending`` entry whose mutation Shopify refused (nothing was applied)."""
        self.client.hdel(self.keys.fulfillment_ledger(shop), document)

    def _put(self, shop: str, document: str, entry: LedgerEntry) -> None:
        self.client.hset(self.keys.fulfillment_ledger(shop), document, json.dumps(asdict(entry)))

    # --- bad data, kept for replay ------------------------------------------------------------

    def keep_error(self, shop: str, shipment: Shipment, error: dict[str, Any]) -> None:
        record = {
            "document": shipment.document,
            "order_ref": shipment.order_ref,
            "error": error,
            "shipment": shipment.model_dump(mode="json"),
            "at": time.time(),
        }
        self.client.hset(self.keys.fulfillment_errors(shop), shipment.document, json.dumps(record))

    def errors(self, shop: str) -> list[FulfillmentError]:
        raw = self.client.hgetall(self.keys.fulfillment_errors(shop))
        found = [FulfillmentError(**json.loads(v)) for v in raw.values()]
        return sorted(found, key=lambda e: e.at)

    def error_count(self, shop: str) -> int:
        return int(self.client.hlen(self.keys.fulfillment_errors(shop)))

    def forget_error(self, shop: str, document: str) -> bool:
        return bool(self.client.hdel(self.keys.fulfillment_errors(shop), document))

    def documents(self, shop: str) -> list[str]:
        return sorted(text(k) for k in self.client.hkeys(self.keys.fulfillment_ledger(shop)))
