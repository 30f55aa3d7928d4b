"""Every piece of state the product keeps in Redis, one module each: the inbound event stream with
dedupe, the idempotency ledger, the dead-letter queue, pause flags, pending order units, the loop
guard's fingerprints, the published SKU table, the last written inventory and prices.

Clients come from ``connection.py`` (the one way to open Redis); every key is named in ``keys.py``
under ``RedisConfig.key_prefix``. The sync classes (redis-py) serve Dagster ops, sensors and the
command line; the ``Async*`` ones serve the webhook receiver.
"""

from __future__ import annotations

from erp_shopify.store.dlq import DeadLetter, DeadLetterQueue
from erp_shopify.store.fingerprints import Conflict, Fingerprints, Verdict, inventory_object_key
from erp_shopify.store.keys import DELIVERY_GROUP, Keys
from erp_shopify.store.ledger import Lease, LeaseLost, LeaseOutcome, Ledger, LedgerEntry, LedgerState
from erp_shopify.store.pause import Paused, PauseFlags
from erp_shopify.store.pending import PendingLine, PendingUnits
from erp_shopify.store.stream import AppendResult, EventStream, InboundEvent, PendingEntry, QueuedEvent

__all__ = [
    "DELIVERY_GROUP",
    "AppendResult",
    "Conflict",
    "DeadLetter",
    "DeadLetterQueue",
    "EventStream",
    "Fingerprints",
    "InboundEvent",
    "Keys",
    "Lease",
    "LeaseLost",
    "LeaseOutcome",
    "Ledger",
    "LedgerEntry",
    "LedgerState",
    "PauseFlags",
    "Paused",
    "PendingEntry",
    "PendingLine",
    "PendingUnits",
    "QueuedEvent",
    "Verdict",
    "inventory_object_key",
]
