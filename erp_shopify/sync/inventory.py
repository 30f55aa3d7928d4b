"""One inventory sync of one shop: ERP changes since a watermark -> ``inventorySetQuantities``.

Plain Python over the Shopify client, the ERP adapter, the queue and the pure mapping; the Dagster
asset only supplies the watermark and records the result. The watermark returned is the ERP's own
journal position; the caller stores it only when this function returns (every write succeeded),
so a run that dies midway is simply replayed, and the replay converges: values already written
are skipped, the rest are written with a fresh compare-and-swap base.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import redis

from erp_shopify.config import ShopConfig
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.mapping import inventory as m
from erp_shopify.records import StockLevel
from erp_shopify.shopify import documents
from erp_shopify.shopify.client import ShopifyClient, ShopifyUserErrors
from erp_shopify.store.fingerprints import Fingerprints, inventory_values
from erp_shopify.store.last_written import LastWritten, object_keys
from erp_shopify.store.pending import PendingUnits

REASON = "correction"  # Shopify's reason for a count brought in line with the system of record
STALE = "CHANGE_FROM_QUANTITY_STALE"
MAX_STALE_ROUNDS = 5
WRITE_WORKERS = 4  # calls in flight: hides latency; the client's cost bucket still paces them


def reference_uri(run_id: str) -> str:
    """``referenceDocumentUri`` naming the run, so Shopify's inventory history points back to it."""
    return f"erp-shopify://dagster/run/{run_id}"


@dataclass
class InventorySyncResult:
    watermark: str | None
    changes_read: int = 0
    written: int = 0
    unchanged: int = 0
    unmapped_items: int = 0
    unmapped_locations: int = 0
    stale_retries: int = 0
    conflicts_overwritten: int = 0  # levels changed by hand in Shopify, set back to the ERP's value
    siblings_reread: int = 0  # items whose merged locations were re-read to complete a partial sum
    write_calls: int = 0
    cost_points: float = 0.0
    seconds: float = 0.0
    full_resync: bool = False
    unmapped_sample: list[str] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "unmapped_sample"}


def read_available(client: ShopifyClient, items: pd.DataFrame, locations: int) -> pd.DataFrame:
    """Shopify's current ``available`` of each (inventory item, location) in ``items``."""
    # Each item costs 1, its levels connection 2, each level 1 + location 1 + quantities 1: stay under 1000.
    per_call = max(1, 1000 // (3 + 3 * locations))
    ids = list(dict.fromkeys(items["inventory_item_id"]))
    rows = []
    for start in range(0, len(ids), per_call):
        data = client.execute(
            "inventory_levels", {"inventoryItemIds": ids[start : start + per_call], "locationsFirst": locations}
        )
        for node in data.get("nodes") or []:
            for level in ((node or {}).get("inventoryLevels") or {}).get("nodes") or []:
                available = next((q["quantity"] for q in level["quantities"] if q["name"] == "available"), None)
                rows.append((node["id"], level["location"]["id"], available))
    fresh = pd.DataFrame(rows, columns=m.KNOWN_COLUMNS)
    return fresh.merge(items[["inventory_item_id", "location_id"]], on=["inventory_item_id", "location_id"])


class InventorySync:
    """Everything one shop's sync talks to."""

    def __init__(
        self,
        shop: ShopConfig,
        client: ShopifyClient,
        adapter: ErpAdapter,
        redis_client: redis.Redis,
        key_prefix: str,
        *,
        workers: int = WRITE_WORKERS,
        log: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.shop = shop
        self.client = client
        self.adapter = adapter
        self.pending = PendingUnits(redis_client, key_prefix)
        self.fingerprints = Fingerprints(redis_client, key_prefix)
        self.last_written = LastWritten(redis_client, key_prefix)
        self.workers = workers
        self.log = log

    def run(
        self, xref: pd.DataFrame, cursor: str | None, run_id: str, *, full_resync: bool = False
    ) -> InventorySyncResult:
        """Sync changes since ``cursor`` (or everything, with ``full_resync``); return the new watermark."""
        started, points = time.monotonic(), self.client.points_used
        if full_resync:
            result = InventorySyncResult(watermark=self.adapter.journal_position(), full_resync=True)
            pages: Iterator[Iterable[StockLevel]] = self.adapter.inventory_snapshot()
        else:
            result = InventorySyncResult(watermark=cursor)
            pages = self._change_pages(result)
        xref = m.by_item_code(xref)  # indexed once per run, looked up by every page
        self.overwrite_conflicts(xref, run_id, result)
        for rows in pages:
            stock = m.stock_frame(rows)
            result.changes_read += len(stock)
            stock = self.complete_merged_locations(stock, result)
            self.sync_stock(stock, xref, run_id, result, full=full_resync)
            self.log(f"{self.shop.name}: {result.changes_read} rows read, {result.written} written so far")
        result.cost_points = round(self.client.points_used - points, 1)
        result.seconds = round(time.monotonic() - started, 3)
        return result

    def _change_pages(self, result: InventorySyncResult) -> Iterator[list[Any]]:
        for page in self.adapter.inventory_changes(result.watermark):
            yield page.rows
            if page.cursor is not None:
                result.watermark = page.cursor

    def complete_merged_locations(self, stock: pd.DataFrame, result: InventorySyncResult) -> pd.DataFrame:
        """Re-read the sibling locations of items this page touches at a merged Shopify location,
        so the sum written is the whole of it, not the one warehouse that changed."""
        partial = m.items_with_partial_sums(stock, self.shop.locations)
        if not partial:
            return stock
        result.siblings_reread += len(partial)
        levels = m.stock_frame(level for page in self.adapter.inventory_snapshot(partial) for level in page)
        return m.with_sibling_levels(stock, levels, self.shop.locations)

    def overwrite_conflicts(self, xref: pd.DataFrame, run_id: str, result: InventorySyncResult) -> None:
        """Set levels changed by hand in Shopify (the loop guard's conflicts) back to the ERP's value.

        Their ERP level did not move, so no journal entry brings them up: re-read them from the ERP,
        write from what the webhook said Shopify shows, then clear the conflicts handled, each only
        if it is still the one read (a newer edit recorded meanwhile waits for the next run). A
        conflict whose item or location is not mapped stays until it is.
        """
        conflicts = self.fingerprints.conflicts(self.shop.name)
        shown = m.conflict_levels({key: c.values.get("available") for key, c in conflicts.items()})
        mapped = xref.loc[xref["inventory_item_id"].isin(shown["inventory_item_id"])]
        if mapped.empty:
            return
        stock = m.stock_frame(
            level for page in self.adapter.inventory_snapshot(mapped["item_code"].tolist()) for level in page
        )
        pending = m.pending_frame(self.pending.totals(self.shop.name))
        targets = m.available_to_sell(stock, xref, self.shop.locations, pending, self.shop.safety_stock).targets
        targets = targets.merge(shown[["inventory_item_id", "location_id"]], on=["inventory_item_id", "location_id"])
        plan = m.plan_writes(targets, shown)
        writes = plan.writes.merge(
            targets.drop(columns=["quantity"]), on=["inventory_item_id", "location_id"], how="left"
        )
        written, calls, stale = self.write(writes, run_id)
        result.write_calls += calls
        result.stale_retries += stale
        result.conflicts_overwritten += written
        handled = [conflicts[key] for key in object_keys(targets) if key in conflicts]
        self.fingerprints.clear(self.shop.name, handled)  # a conflict recorded since the read stays

    def sync_stock(
        self, stock: pd.DataFrame, xref: pd.DataFrame, run_id: str, result: InventorySyncResult, *, full: bool = False
    ) -> None:
        """One page of ERP stock rows (``mapping.inventory.STOCK_COLUMNS``) brought to Shopify."""
        pending = m.pending_frame(self.pending.totals(self.shop.name))
        placed = m.available_to_sell(stock, xref, self.shop.locations, pending, self.shop.safety_stock)
        result.unmapped_items += len(placed.unmapped_items)
        result.unmapped_locations += len(placed.unmapped_locations)
        room = 20 - len(result.unmapped_sample)
        result.unmapped_sample += placed.unmapped_items["item_code"].head(max(room, 0)).tolist()
        targets = placed.targets
        if full:  # reconciliation: compare with what Shopify really shows, not with our memory
            known = read_available(self.client, targets, len(set(self.shop.locations.values())))
        else:
            known = self.last_written.lookup(self.shop.name, targets)
        plan = m.plan_writes(targets, known)
        result.unchanged += plan.unchanged
        if full:
            self.last_written.store(self.shop.name, known)
        writes = plan.writes.merge(
            targets.drop(columns=["quantity"]), on=["inventory_item_id", "location_id"], how="left"
        )
        written, calls, stale = self.write(writes, run_id)
        result.written += written
        result.write_calls += calls
        result.stale_retries += stale

    def write(self, writes: pd.DataFrame, run_id: str) -> tuple[int, int, int]:
        """Send planned writes (TARGET_COLUMNS + ``change_from``) in batches of 250, a few in
        flight; returns (items written, calls, stale retries). Raises if any batch failed."""
        totals = [0, 0, 0]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for outcome in pool.map(lambda b: self._write(b, run_id), list(m.batches(writes))):
                totals = [t + o for t, o in zip(totals, outcome, strict=True)]
        return totals[0], totals[1], totals[2]

    def _write(self, batch: pd.DataFrame, run_id: str) -> tuple[int, int, int]:
        """Write one batch, re-reading and recomputing it while Shopify calls it stale."""
        calls = stale_rounds = 0
        while True:
            quantities = m.quantities_input(batch)
            variables = {
                "input": {
                    "name": "available",
                    "reason": REASON,
                    "referenceDocumentUri": reference_uri(run_id),
                    "quantities": quantities,
                },
                "idempotencyKey": documents.idempotency_key("inventory_set_quantities", quantities, scope=run_id),
            }
            calls += 1
            try:
                self.client.execute("inventory_set_quantities", variables)
            except ShopifyUserErrors as exc:
                if set(exc.codes) != {STALE} or stale_rounds == MAX_STALE_ROUNDS:
                    raise
                stale_rounds += 1
                fresh = read_available(self.client, batch, len(set(self.shop.locations.values())))
                batch = m.recompute_after_stale(batch, fresh, m.pending_frame(self.pending.totals(self.shop.name)))
                settled = batch["quantity"] == batch["change_from"]
                self.last_written.store(self.shop.name, batch.loc[settled])  # Shopify already shows these
                batch = batch.loc[~settled]
                if batch.empty:
                    return 0, calls, stale_rounds
                continue
            self._remember(batch)
            return len(batch), calls, stale_rounds

    def _remember(self, batch: pd.DataFrame) -> None:
        """After a successful write: the next base, and the loop guard's fingerprints."""
        self.last_written.store(self.shop.name, batch)
        self.fingerprints.record_many(
            self.shop.name,
            {key: inventory_values(q) for key, q in zip(object_keys(batch), batch["quantity"], strict=True)},
        )
