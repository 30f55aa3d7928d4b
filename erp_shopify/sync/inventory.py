"""One inventory sync of one shop: ERP changes since a watermark -> ``inventorySetQuantities``.

Plain Python over the Shopify client, the ERP adapter, the store and the pure mapping; the Dagster
asset only supplies the watermark and records the result. The watermark returned is the ERP's own
journal position; the caller stores it only when this function returns (every write succeeded),
so a run that dies midway is simply replayed, and the replay converges: writes it left unrecorded
are resolved first (``InventoryWriter.replay_intents``), values already written are skipped, the
rest are written against a fresh compare-and-swap base.

Besides the journal, a run looks at what moved outside it: levels Shopify reported moving that we
did not recognise (rechecks), and levels whose holds changed since their last write (an order of
this shop delivered or cancelled, an order of another shop on the same stock). Those items are
re-read from the ERP and written like any change.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import redis

from erp_shopify.config import ShopConfig
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.mapping import inventory as m
from erp_shopify.records import StockLevel
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.last_written import LastWritten, object_keys
from erp_shopify.store.rechecks import Rechecks
from erp_shopify.sync.holds import HoldReader, Holds, level_holds, moved_items
from erp_shopify.sync.inventory_writes import WRITE_WORKERS, InventoryWriter, WriteTally, read_levels

UNMAPPED_SAMPLE = 20  # ERP items without a variant named in a run's metadata


@dataclass
class InventorySyncResult:
    watermark: str | None
    changes_read: int = 0
    written: int = 0
    unchanged: int = 0
    unmapped_items: int = 0
    unmapped_locations: int = 0
    stale_retries: int = 0
    intents_replayed: int = 0  # writes a killed run left unrecorded, resolved before anything else
    rechecked: int = 0  # levels read back from Shopify: reported moving unrecognised, or awaiting shipment
    holds_moved: int = 0  # items re-read because an order's units moved (delivered, cancelled, other shop)
    shipped_units: int = 0  # units Shopify shipped since our last write (on_hand fell): no longer held
    shopify_moved: int = 0  # levels read back whose on_hand left our last write (shipped, or edited by hand)
    siblings_reread: int = 0  # items whose merged locations were re-read to complete a partial sum
    write_calls: int = 0
    cost_points: float = 0.0
    seconds: float = 0.0
    full_resync: bool = False
    unmapped_sample: list[str] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "unmapped_sample"}

    def add(self, tally: WriteTally) -> None:
        self.written += tally.written
        self.write_calls += tally.calls
        self.stale_retries += tally.stale_retries
        self.shipped_units += tally.shipped_units


class InventorySync:
    """Everything one shop's sync talks to. ``peers`` are the shops selling some of the same ERP
    stock (``holds.stock_peers``): their pending units are held back here too."""

    def __init__(
        self,
        shop: ShopConfig,
        client: ShopifyClient,
        adapter: ErpAdapter,
        redis_client: redis.Redis,
        key_prefix: str,
        *,
        peers: Sequence[ShopConfig] = (),
        workers: int = WRITE_WORKERS,
        log: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.shop = shop
        self.client = client
        self.adapter = adapter
        self.locations = len(set(shop.locations.values()))
        self.holds = HoldReader(shop, peers, redis_client, key_prefix)
        self.last_written = LastWritten(redis_client, key_prefix)
        self.rechecks = Rechecks(redis_client, key_prefix)
        self.writer = InventoryWriter(
            shop.name, client, redis_client, key_prefix, self.locations, workers=workers, log=log
        )
        self.log = log
        self.siblings_reread = 0

    def run(
        self, xref: pd.DataFrame, cursor: str | None, run_id: str, *, full_resync: bool = False
    ) -> InventorySyncResult:
        """Sync changes since ``cursor`` (or everything, with ``full_resync``); return the new watermark."""
        started, points = time.monotonic(), self.client.points_used
        result = InventorySyncResult(watermark=cursor, full_resync=full_resync)
        result.intents_replayed = self.writer.replay_intents()
        self.writer.held = self.last_written.held(self.shop.name)
        xref = m.by_item_code(xref)  # indexed once per run, looked up by every page
        if full_resync:
            result.watermark = self.adapter.journal_position()
            pages: Iterable[Iterable[StockLevel]] = self.adapter.inventory_snapshot()
        else:
            self.sync_outside_journal(xref, run_id, result)
            pages = self._change_pages(result)
        for read, stock, holds in self._bracketed(pages):
            result.changes_read += read
            self.sync_stock(stock, holds, xref, run_id, result, verify=full_resync)
            self.log(f"{self.shop.name}: {result.changes_read} rows read, {result.written} written so far")
        result.siblings_reread = self.siblings_reread
        result.cost_points = round(self.client.points_used - points, 1)
        result.seconds = round(time.monotonic() - started, 3)
        return result

    def _change_pages(self, result: InventorySyncResult) -> Iterator[list[Any]]:
        for page in self.adapter.inventory_changes(result.watermark):
            yield page.rows
            if page.cursor is not None:
                result.watermark = page.cursor

    def _bracketed(self, pages: Iterable[Iterable[StockLevel]]) -> Iterator[tuple[int, pd.DataFrame, Holds]]:
        """Each page of ERP stock: its row count, its rows completed at merged locations, and the
        holds read just before and just after it (a unit that moved between ERP and store meanwhile
        counts on the side that sells less)."""
        pages = iter(pages)
        while True:
            before = self.holds.read()
            rows = next(pages, None)
            if rows is None:
                return
            stock = m.stock_frame(rows)
            completed = self.complete_merged_locations(stock)
            yield len(stock), completed, before.then(self.holds.read())

    def snapshot(self, items: list[str]) -> Iterator[tuple[int, pd.DataFrame, Holds]]:
        """The ERP's current stock of ``items`` (all their locations), bracketed like a journal page."""
        if items:
            yield from self._bracketed([[level for page in self.adapter.inventory_snapshot(items) for level in page]])

    def complete_merged_locations(self, stock: pd.DataFrame) -> pd.DataFrame:
        """Re-read the sibling locations of items this page touches at a merged Shopify location,
        so the sum written is the whole of it, not the one warehouse that changed."""
        partial = m.items_with_partial_sums(stock, self.shop.locations)
        if not partial:
            return stock
        self.siblings_reread += len(partial)
        levels = m.stock_frame(level for page in self.adapter.inventory_snapshot(partial) for level in page)
        return m.with_sibling_levels(stock, levels, self.shop.locations)

    def sync_outside_journal(self, xref: pd.DataFrame, run_id: str, result: InventorySyncResult) -> None:
        """Levels no journal entry brings: those Shopify reported moving unrecognised (rechecks), and
        those with units awaiting shipment (a shipment moves nothing but Shopify's ``on_hand``, and
        its webhook shows the same ``available`` as our last write), both read back from Shopify;
        and those whose holds moved since their last write. Marks are cleared only if unchanged
        since read (a newer one waits for the next run)."""
        marks = self.rechecks.read(self.shop.name)
        current = level_holds(self.holds.read(), xref, dict(self.shop.locations))
        awaiting = current.loc[current["awaiting"] > 0]
        verify = set(marks) | set(object_keys(awaiting) if len(awaiting) else [])
        moved = moved_items(current, self.writer.held, xref)
        verified = xref.loc[xref["inventory_item_id"].isin({key.partition("@")[0] for key in verify}), "item_code"]
        result.holds_moved = len(moved)
        items = list(dict.fromkeys([*verified.tolist(), *moved]))
        for _, stock, holds in self.snapshot(items):
            self.sync_stock(stock, holds, xref, run_id, result, verify=verify)
        result.rechecked = len(verify)
        mapped = set(xref["inventory_item_id"])
        self.rechecks.clear(self.shop.name, [(k, v) for k, v in marks.items() if k.partition("@")[0] in mapped])

    def sync_stock(
        self,
        stock: pd.DataFrame,
        holds: Holds,
        xref: pd.DataFrame,
        run_id: str,
        result: InventorySyncResult,
        *,
        verify: bool | set[str] = False,
    ) -> None:
        """ERP stock rows (``mapping.inventory.STOCK_COLUMNS``) brought to Shopify. Levels in
        ``verify`` (all, for a reconciliation), and levels never written, are first read back from
        Shopify and re-based on its ``on_hand``; the rest are compared with what we last wrote."""
        targets = self.targets(stock, holds, xref, result)
        rows = m.with_base(targets, self.last_written.lookup(self.shop.name, targets))
        to_read = rows["change_from"].isna()
        if verify is True:
            to_read[:] = True
        elif verify:
            to_read |= pd.Series(object_keys(rows), index=rows.index).isin(verify)
        if to_read.any():
            ours = rows.loc[to_read, "change_from"].reset_index(drop=True)
            rebased, shipped = self.writer.rebase(rows.loc[to_read])
            result.shipped_units += shipped
            result.shopify_moved += int((ours.notna() & ours.ne(rebased["change_from"]).fillna(True)).sum())
            rows = pd.concat([rows.loc[~to_read], rebased], ignore_index=True)
        plan = m.plan_writes(rows)
        result.unchanged += plan.unchanged
        self.writer.settle(plan.settled)
        result.add(self.writer.write(plan.writes, run_id))

    def targets(
        self, stock: pd.DataFrame, holds: Holds, xref: pd.DataFrame, result: InventorySyncResult
    ) -> pd.DataFrame:
        placed = m.available_to_sell(
            stock, xref, self.shop.locations, holds.awaiting, holds.others_pending, self.shop.safety_stock
        )
        result.unmapped_items += len(placed.unmapped_items)
        result.unmapped_locations += len(placed.unmapped_locations)
        # An item unmapped at several locations is one row per location: name it once.
        codes = dict.fromkeys([*result.unmapped_sample, *placed.unmapped_items["item_code"]])
        result.unmapped_sample = list(codes)[:UNMAPPED_SAMPLE]
        return placed.targets

    def drift_sample(self, xref: pd.DataFrame, size: int) -> pd.DataFrame:
        """The target and Shopify's ``on_hand`` for a random sample of mapped items (``drift``: they
        differ). Read-only: a check of the sync's own rule, against both systems as they are now."""
        columns = ["sku", "location_id", "quantity", "shopify", "drift"]
        items = random.sample(list(xref["item_code"]), min(size, len(xref)))
        frames = [
            self.targets(stock, holds, m.by_item_code(xref), InventorySyncResult(None))
            for _, stock, holds in self.snapshot(items)
        ]
        if not frames or frames[0].empty:
            return pd.DataFrame(columns=columns)
        targets = frames[0]
        shown = read_levels(self.client, targets, self.locations)[["inventory_item_id", "location_id", "on_hand"]]
        compared = targets.merge(shown.rename(columns={"on_hand": "shopify"}), on=["inventory_item_id", "location_id"])
        compared["drift"] = compared["quantity"] != compared["shopify"]
        return compared[columns]
