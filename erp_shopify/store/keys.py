"""Every Redis key the middleware uses, named in one place.

All keys live under the configured ``RedisConfig.key_prefix`` so that several deployments (and
every test) can share one Redis without touching each other's data. Keys that hold a shop's data
carry the shop name, so an operator can inspect or delete one shop's state with one ``SCAN``.

**Hash tags (Redis Cluster).** A Lua script or a MULTI may touch only keys of one cluster slot, and
a key's slot is decided by its first ``{...}`` alone. So every key that one script or transaction
touches together carries the same tag, and the rule is by what runs together:

- ``{queue}``: the event stream and everything its scripts touch with it (dedupe markers, the
  ledger, the order-sent markers, the epoch, pending and awaiting units);
- ``{<shop>}``: a shop's sync state (loop guard, conflicts, rechecks, inventory, prices, SKU table,
  and the temporary keys swapped in by ``RENAME``, the fulfillment ledger and its errors, the
  products written);
- ``{<connection>}``: an ERP connection's request slots and their wake-ups;
- ``{onhand:<lineage>}``: the generations of one chain of snapshot cursors (Oracle's on-hand
  tables, ``onhand_snapshots.py``), deleted together when superseded.

A key that is only ever read or written alone (the DLQ, a pause flag, the receiver's counters)
needs no tag. A new store picks the tag of the keys its scripts share, or none. On a single Redis
the braces are just characters of the name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The consumer group that delivers orders to the ERP (the ``deliver_orders`` job reads through it).
DELIVERY_GROUP = "deliver_orders"


# KEYS[1] a hash; ARGV (field, value the reader saw) pairs: each field is deleted only if it still
# holds that value, so an entry written again since the read survives for the next reader.
COMPARE_AND_DELETE = """
local deleted = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    deleted = deleted + 1
  end
end
return deleted
"""


def tag(name: str) -> str:
    """``name`` as a hash tag: every key carrying it lands in one cluster slot."""
    return "{" + name + "}"


QUEUE_TAG = tag("queue")  # the event stream's slot: see the module's docstring


def text(value: Any) -> str:
    """A Redis reply (bytes from a raw client) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class Keys:
    prefix: str

    @property
    def events(self) -> str:
        """The inbound webhook event stream (orders, refunds, customer changes)."""
        return f"{self.prefix}:{QUEUE_TAG}:events"

    def event_seen(self, shop: str, event_id: str) -> str:
        """Dedupe marker for one ``X-Shopify-Event-Id`` (holds the stream id it was queued as)."""
        return f"{self.prefix}:{QUEUE_TAG}:seen:{shop}:{event_id}"

    def ledger(self, key: str) -> str:
        """The idempotency ledger entry of one order event."""
        return f"{self.prefix}:{QUEUE_TAG}:ledger:{key}"

    def order_sent(self, shop: str, order_ref: str) -> str:
        """Marker that some event of this order was handed out to create it in the ERP: until it
        exists, nothing of the order can have reached the ERP (so its first create needs no search)."""
        return f"{self.prefix}:{QUEUE_TAG}:ledger:{shop}:order-sent:{order_ref}"

    @property
    def epoch(self) -> str:
        """When first sends may skip the ERP search (``store/epoch.py``): absent after a data loss."""
        return f"{self.prefix}:{QUEUE_TAG}:epoch"

    @property
    def dead_letters(self) -> str:
        return f"{self.prefix}:dlq"

    def erp_slots(self, connection: str) -> str:
        """Sorted set: the ERP request slots held across all delivery runs (token -> lease expiry)."""
        return f"{self.prefix}:erp-slots:{tag(connection)}"

    def erp_slot_wakeups(self, connection: str) -> str:
        """List: one entry per slot just given back, which threads waiting for a slot block on."""
        return f"{self.prefix}:erp-slots:{tag(connection)}:wake"

    def pause(self, connection: str) -> str:
        return f"{self.prefix}:pause:{connection}"

    def pending_orders(self, shop: str) -> str:
        """Hash: order ref -> the order's pending lines (JSON), for orders not yet in the ERP."""
        return f"{self.prefix}:{QUEUE_TAG}:pending:{shop}:orders"

    def pending_units(self, shop: str) -> str:
        """Hash: ``sku<US>location_gid`` -> units in orders not yet in the ERP."""
        return f"{self.prefix}:{QUEUE_TAG}:pending:{shop}:units"

    def pending_released(self, shop: str, order_ref: str) -> str:
        """Tombstone of a released order, so a late duplicate ``orders/create`` cannot re-add it."""
        return f"{self.prefix}:{QUEUE_TAG}:pending:{shop}:released:{order_ref}"

    def awaiting_orders(self, shop: str) -> str:
        """Hash: order ref -> the order's lines (JSON) the ERP has taken from its available stock
        while Shopify still counts them committed (delivered, not yet shipped in Shopify)."""
        return f"{self.prefix}:{QUEUE_TAG}:awaiting:{shop}:orders"

    def awaiting_units(self, shop: str) -> str:
        """Hash: ``sku<US>location_gid`` -> units of delivered orders Shopify has not shipped yet."""
        return f"{self.prefix}:{QUEUE_TAG}:awaiting:{shop}:units"

    def awaiting_withdrawn(self, shop: str, event: str) -> str:
        """Marker that one cancel or refund event already withdrew its units from awaiting shipment."""
        return f"{self.prefix}:{QUEUE_TAG}:awaiting:{shop}:withdrawn:{event}"

    def inventory_intents(self, shop: str) -> str:
        """Hash: idempotency key -> an inventory write about to be sent (JSON), until it is recorded."""
        return f"{self.prefix}:inventory:{tag(shop)}:intents"

    def inventory_held(self, shop: str) -> str:
        """Hash: inventory object key -> the holds (awaiting, other shops' pending) the last write used."""
        return f"{self.prefix}:inventory:{tag(shop)}:held"

    def inventory_rechecks(self, shop: str) -> str:
        """Hash: inventory object key -> when Shopify last reported a level move we did not recognise."""
        return f"{self.prefix}:inventory:{tag(shop)}:rechecks"

    def fulfillment_ledger(self, shop: str) -> str:
        """Hash: ERP delivery document -> its fulfillment's state (JSON): about to be sent, or done."""
        return f"{self.prefix}:fulfillments:{tag(shop)}:ledger"

    def fulfillment_errors(self, shop: str) -> str:
        """Hash: ERP delivery document -> the shipment that could not be fulfilled and why (JSON)."""
        return f"{self.prefix}:fulfillments:{tag(shop)}:errors"

    def fingerprints(self, shop: str) -> str:
        """Hash: object key -> digest of the values the middleware last wrote to Shopify."""
        return f"{self.prefix}:fingerprints:{tag(shop)}"

    def inventory_written(self, shop: str) -> str:
        """Hash: inventory object key -> the ``on_hand`` quantity the inventory sync last set."""
        return f"{self.prefix}:inventory:{tag(shop)}:on-hand"

    def customers_written(self, shop: str) -> str:
        """What the customer sync last wrote per customer (external reference -> digests only)."""
        return f"{self.prefix}:customers:{tag(shop)}:written"

    def products_written(self, shop: str) -> str:
        """The products last written to a shop: ERP product code -> product, variants, input digest."""
        return f"{self.prefix}:products:{tag(shop)}:written"

    def product_id_definition(self, shop: str) -> str:
        """Set once the shop holds the ``id`` metafield definition that keys products (``customId``)."""
        return f"{self.prefix}:products:{tag(shop)}:id-definition"

    def prices_written(self, shop: str) -> str:
        """Hash: ``target|variant|min_quantity`` -> the price row the price sync last wrote (JSON)."""
        return f"{self.prefix}:prices:{tag(shop)}:written"

    def sku_table(self, shop: str) -> str:
        """Hash: Shopify SKU -> ERP item code, the shop's last usable ``sku_xref`` (replaced whole)."""
        return f"{self.prefix}:xref:{tag(shop)}:skus"

    def conflicts(self, shop: str) -> str:
        """Hash: object key -> a change made in Shopify to an ERP-owned field (JSON)."""
        return f"{self.prefix}:conflicts:{tag(shop)}"

    def onhand_snapshot(self, lineage: str, generation: int) -> str:
        """Hash: ``item<US>location`` -> quantity and pass page, one generation of a snapshot table."""
        return f"{self.prefix}:onhand:{tag('onhand:' + lineage)}:{generation}"

    @property
    def ingest_counters(self) -> str:
        """Hash: what the webhook receiver did (queued, duplicate, echo, rejected_*)."""
        return f"{self.prefix}:ingest:counters"

    def delivery_latency(self, shop: str) -> str:
        """Counts per latency bucket of the shop's delivered order events (``store/latency.py``)."""
        return f"{self.prefix}:latency:{shop}:delivery"
