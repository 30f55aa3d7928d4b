"""Inventory writes to Shopify: absolute ``on_hand`` sets with a compare-and-swap base, logged before
they are sent and recorded after, re-based on Shopify's own numbers when it says the base is stale.

Every write goes through ``InventoryWriter``, so each path of the sync (journal pages, rechecks,
moved holds, reconciliation) has the same guarantees: a write is sent only against the ``on_hand``
it was computed for (``changeFromQuantity``), and a run killed at any point leaves either nothing
sent or an intent the next run resolves (``write_intents.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd
import redis

from erp_shopify.mapping import inventory as m
from erp_shopify.shopify import documents
from erp_shopify.shopify.client import ShopifyClient, ShopifyUserErrors
from erp_shopify.store.fingerprints import Fingerprints, inventory_object_key, inventory_values
from erp_shopify.store.last_written import LastWritten
from erp_shopify.store.pending import PendingUnits
from erp_shopify.store.write_intents import WriteIntents

REASON = "correction"  # Shopify's reason for a count brought in line with the system of record
QUANTITY_NAME = "on_hand"  # sales never move it: a set of on_hand cannot hand back a sold unit
STALE = "CHANGE_FROM_QUANTITY_STALE"
MAX_STALE_ROUNDS = 5
WRITE_WORKERS = 4  # calls in flight: hides latency; the client's cost bucket still paces them
INTENT_COLUMNS = ["inventory_item_id", "location_id", "sku", "quantity", "awaiting", "others_pending"]


def reference_uri(run_id: str) -> str:
    """``referenceDocumentUri`` naming the run, so Shopify's inventory history points back to it."""
    return f"erp-shopify://dagster/run/{run_id}"


def read_levels(client: ShopifyClient, items: pd.DataFrame, locations: int) -> pd.DataFrame:
    """Shopify's available, committed and on_hand of each (inventory item, location) in ``items``."""
    # Each item costs 1, its levels connection 2, each level 1 + location 1 + one per quantity name
    # asked (3): stay under the 1000-point query limit.
    per_call = max(1, 1000 // (3 + 5 * locations))
    ids = list(dict.fromkeys(items["inventory_item_id"]))
    rows = []
    for start in range(0, len(ids), per_call):
        data = client.execute(
            "inventory_levels", {"inventoryItemIds": ids[start : start + per_call], "locationsFirst": locations}
        )
        for node in data.get("nodes") or []:
            for level in ((node or {}).get("inventoryLevels") or {}).get("nodes") or []:
                named = {q["name"]: q["quantity"] for q in level["quantities"]}
                rows.append(
                    (
                        node["id"],
                        level["location"]["id"],
                        named.get("available"),
                        named.get("committed"),
                        named.get("on_hand"),
                    )
                )
    fresh = pd.DataFrame(rows, columns=["inventory_item_id", "location_id", "available", "committed", "on_hand"])
    fresh = fresh.astype({"available": "Int64", "committed": "Int64", "on_hand": "Int64"})
    return fresh.merge(items[["inventory_item_id", "location_id"]], on=["inventory_item_id", "location_id"])


@dataclass
class WriteTally:
    written: int = 0
    calls: int = 0
    stale_retries: int = 0
    shipped_units: int = 0  # units Shopify shipped (on_hand fell), taken off awaiting shipment

    def add(self, other: WriteTally) -> None:
        for name, value in other.__dict__.items():
            setattr(self, name, getattr(self, name) + value)


class InventoryWriter:
    def __init__(
        self,
        shop: str,
        client: ShopifyClient,
        redis_client: redis.Redis,
        prefix: str,
        locations: int,
        *,
        workers: int = WRITE_WORKERS,
        log: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.shop = shop
        self.client = client
        self.locations = locations
        self.workers = workers
        self.log = log
        self.units = PendingUnits(redis_client, prefix)
        self.last_written = LastWritten(redis_client, prefix)
        self.fingerprints = Fingerprints(redis_client, prefix)
        self.intents = WriteIntents(redis_client, prefix)
        self.held: dict[str, str] = {}

    def rebase(self, rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
        """``rows`` (targets with ``change_from``) re-based on Shopify's numbers read now; shipped
        units come off awaiting shipment in the store too. Returns the rows and the units shipped."""
        fresh = read_levels(self.client, rows, self.locations)
        rebased, shipped = m.after_shopify_read(rows, fresh)
        taken = {
            (s, loc): int(u) for s, loc, u in zip(shipped["sku"], shipped["location_id"], shipped["units"], strict=True)
        }
        return rebased, self.units.shipped(self.shop, taken)

    def settle(self, rows: pd.DataFrame) -> None:
        """Rows Shopify already shows (no write needed): their base and holds are recorded."""
        self.last_written.store(self.shop, rows)
        self.last_written.store_held(self.shop, rows, self.held)

    def write(self, writes: pd.DataFrame, run_id: str) -> WriteTally:
        """Send planned writes (``TARGET_COLUMNS`` + ``change_from``) in batches of 250, a few in
        flight. Raises if any batch failed (after the others finished)."""
        tally = WriteTally()
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for outcome in pool.map(lambda b: self._write(b, run_id), list(m.batches(writes))):
                tally.add(outcome)
        return tally

    def _write(self, batch: pd.DataFrame, run_id: str) -> WriteTally:
        tally = WriteTally()
        while True:
            variables = self._variables(batch, run_id)
            key = variables["idempotencyKey"]
            self.intents.record(self.shop, key, {"variables": variables, "rows": _rows(batch)})
            tally.calls += 1
            try:
                data = self.client.execute("inventory_set_quantities", variables)
            except ShopifyUserErrors as exc:
                self.intents.done(self.shop, key)  # refused whole: nothing of it was applied
                if set(exc.codes) != {STALE} or tally.stale_retries == MAX_STALE_ROUNDS:
                    raise
                tally.stale_retries += 1
                batch, shipped = self.rebase(batch)
                tally.shipped_units += shipped
                plan = m.plan_writes(batch)
                self.settle(plan.settled)
                batch = plan.writes
                if batch.empty:
                    return tally
                continue
            self._record(batch, data, key)
            tally.written += len(batch)
            return tally

    def _variables(self, batch: pd.DataFrame, run_id: str) -> dict[str, Any]:
        quantities = m.quantities_input(batch)
        return {
            "input": {
                "name": QUANTITY_NAME,
                "reason": REASON,
                "referenceDocumentUri": reference_uri(run_id),
                "quantities": quantities,
            },
            "idempotencyKey": documents.idempotency_key("inventory_set_quantities", quantities, scope=run_id),
        }

    def _record(self, rows: pd.DataFrame, data: dict[str, Any], key: str) -> None:
        """After Shopify applied a write: the next base, the holds it used, the ``available`` it left
        (so the receiver knows its echo), then the intent is closed. A crash between these steps is
        harmless: the intent stays, and its replay records the same values again."""
        self.settle(rows)
        group = (data.get("inventorySetQuantities") or {}).get("inventoryAdjustmentGroup") or {}
        changes = group.get("changes") or []
        self.fingerprints.record_many(
            self.shop,
            {
                inventory_object_key(c["item"]["id"], c["location"]["id"]): inventory_values(c["quantityAfterChange"])
                for c in changes
                if c.get("name") == "available" and c.get("quantityAfterChange") is not None
            },
        )
        self.intents.done(self.shop, key)

    def replay_intents(self) -> int:
        """Resolve the writes a killed run left unrecorded: each is re-sent with its own idempotency
        key, so Shopify either answers the stored result of the write it applied or applies it now
        (its base is still checked); a refusal means it never took effect. Returns intents resolved."""
        resolved = 0
        for key, intent in self.intents.open(self.shop).items():
            rows = pd.DataFrame(intent["rows"], columns=INTENT_COLUMNS)
            try:
                data = self.client.execute("inventory_set_quantities", intent["variables"])
            except ShopifyUserErrors as exc:
                self.log(f"{self.shop}: an unrecorded write was refused on replay ({', '.join(exc.codes)}): dropped")
                self.intents.done(self.shop, key)
            else:
                self._record(rows, data, key)
            resolved += 1
        return resolved


def _rows(batch: pd.DataFrame) -> list[list[Any]]:
    return json.loads(batch[INTENT_COLUMNS].to_json(orient="values"))
