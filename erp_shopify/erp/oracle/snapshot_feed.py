"""The Oracle change feed: a difference of on-hand snapshots, each kept as a table in Redis.

``inventoryOnhandBalances`` has no change stamp and Oracle documents no stock journal a REST
client can read, so each read is a full pass over the balances compared with the quantities the
previous pass saw. The previous pass's table lives in Redis (``store/onhand_snapshots.py``), one
generation per pass; the cursor only names it (``ohb2.`` + lineage, generation), so a read holds one
page of balances at a time, whatever the catalogue's size, and the watermark stays small. Each page
costs one Redis round trip (the previous entries read and the new ones written in one pipeline);
the end of a pass, one per ``MISSING_CHUNK`` of the previous table (a script answers the vanished).

Resuming is safe at every page: the cursor after a page names the previous table and the pages of
this pass delivered so far (each entry of a pass records its page). A resumed read first folds the
two into one table, then makes a new full pass: rows already delivered compare equal and are not
repeated, rows not yet reached still differ and are not skipped. A balance that disappears (Oracle
keeps no on-hand row at zero) is delivered as zero at the end of a *complete* pass only. A change
committed while a pass is under way is delivered by this pass if its row is still ahead, else by
the next one. A pass that changed nothing hands back no cursor (the caller keeps its own) and drops
its table. Reading from a cursor deletes the tables it superseded; a cursor whose table expired
(unused for ``RETENTION``) reads as a first pass: every balance is delivered again, absolute.
"""

from __future__ import annotations

import base64
import json
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice

from erp_shopify.records import InventoryChange, InventoryPage, StockLevel
from erp_shopify.store.onhand_snapshots import Entry, OnhandSnapshots, split_field
from erp_shopify.store.onhand_snapshots import field as table_field

PREFIX = "ohb2."
LEGACY_PREFIX = "ohb1."  # the table itself in the cursor (before the tables moved to Redis)
PAGE = 500  # rows a page of vanished balances carries


def quantity_text(quantity: Decimal) -> str:
    """One text per quantity ("5", "2.5"), so equal quantities compare equal as text."""
    return format(quantity.normalize(), "f")


def change_id(item: str, location: str, quantity: str, generation: int) -> str:
    return f"{location}/{item}={quantity}#{generation}"


@dataclass
class FeedCursor:
    lineage: str
    base: int | None = None  # a complete pass's table
    overlay: int | None = None  # a pass under way, of which pages up to ``upto`` were delivered
    upto: int = 0
    stale: list[int] = field(default_factory=list)  # tables this cursor superseded

    def encode(self) -> str:
        state = {"l": self.lineage, "b": self.base, "o": self.overlay, "u": self.upto, "s": self.stale}
        return PREFIX + json.dumps(state, separators=(",", ":"))

    @classmethod
    def decode(cls, cursor: str) -> FeedCursor:
        try:
            state = json.loads(cursor[len(PREFIX) :])
            return cls(str(state["l"]), state["b"], state["o"], int(state["u"]), [int(g) for g in state["s"]])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not an Oracle on-hand snapshot cursor: {cursor[:40]!r} ({exc})") from None


def legacy_table(cursor: str) -> dict[str, str]:
    """An ``ohb1.`` cursor's table (read once, when a deployment moves its tables to Redis)."""
    try:
        state = json.loads(zlib.decompress(base64.urlsafe_b64decode(cursor[len(LEGACY_PREFIX) :])))
        return {table_field(str(i), str(loc)): quantity_text(Decimal(q)) for i, loc, q in state["q"]}
    except (ValueError, KeyError, TypeError, zlib.error) as exc:
        raise ValueError(f"not an Oracle on-hand snapshot cursor: {cursor[:40]!r} ({exc})") from None


class SnapshotFeed:
    """Passes over ``balances`` (pages of summed stock levels) compared with the stored tables."""

    def __init__(self, tables: OnhandSnapshots, balances: Callable[[], Iterator[list[StockLevel]]]) -> None:
        self.tables, self.balances = tables, balances

    def position(self) -> str:
        """A full pass into a new lineage: the next read reports what changes after it."""
        cursor = FeedCursor(uuid.uuid4().hex[:16]).encode()
        for page in self.changes(cursor):
            cursor = page.cursor or cursor
        return cursor

    def changes(self, cursor: str | None) -> Iterator[InventoryPage]:
        start = self._start(cursor)
        base, generation = start.base, (start.base or 0) + 1
        self.tables.delete(start.lineage, [generation])  # what a failed pass from the same table left
        observed = datetime.now(UTC)  # Oracle gives no change time: when this pass saw it
        held: tuple[list[InventoryChange], int] | None = None  # the last page with changes
        pages = 0
        for levels in self.balances():
            pages += 1
            names = [table_field(level.item_code, level.location) for level in levels]
            quantities = [quantity_text(level.available) for level in levels]
            entries: dict[str, Entry] = {
                name: (quantity, pages) for name, quantity in zip(names, quantities, strict=True)
            }
            before = self.tables.exchange(start.lineage, base, names, generation, entries)  # one round trip
            rows = [
                self._change(level.item_code, level.location, quantity, generation, observed)
                for level, quantity, prior in zip(levels, quantities, before, strict=True)
                if prior is None or prior[0] != quantity
            ]
            if rows:
                if held:
                    yield self._page(held[0], FeedCursor(start.lineage, base, generation, held[1], start.stale))
                held = (rows, pages)
        for rows in self._vanished(start.lineage, base, generation, observed):
            if held:
                yield self._page(held[0], FeedCursor(start.lineage, base, generation, pages, start.stale))
            held = (rows, pages)
        if held is None:  # nothing changed: the caller's cursor still holds
            self.tables.delete(start.lineage, [generation])
            return
        superseded = [*start.stale, *([base] if base else [])]
        yield self._page(held[0], FeedCursor(start.lineage, generation, stale=superseded))

    def _vanished(
        self, lineage: str, base: int | None, generation: int, observed: datetime
    ) -> Iterator[list[InventoryChange]]:
        """Balances of the previous table the pass did not meet: nothing on hand any more."""
        if not base:
            return
        for chunk in self.tables.missing(lineage, base, generation):  # one round trip a chunk
            gone = [name for name, (quantity, _) in chunk.items() if quantity != "0"]
            rows = iter(self._change(*split_field(name), "0", generation, observed) for name in gone)
            while page := list(islice(rows, PAGE)):
                yield page

    def _start(self, cursor: str | None) -> FeedCursor:
        """The complete table this pass compares with: superseded tables deleted, a pass under way
        folded into one table, an ``ohb1.`` table moved to Redis, an expired one read as none."""
        if not cursor:
            return FeedCursor(uuid.uuid4().hex[:16])
        if cursor.startswith(LEGACY_PREFIX):
            start = FeedCursor(uuid.uuid4().hex[:16], base=1)
            table = legacy_table(cursor)
            self.tables.write(start.lineage, 1, {name: (quantity, 0) for name, quantity in table.items()})
            return start
        if not cursor.startswith(PREFIX):
            raise ValueError(f"not an Oracle on-hand snapshot cursor: {cursor[:40]!r}")
        state = FeedCursor.decode(cursor)
        self.tables.delete(state.lineage, state.stale)
        if state.base and not self.tables.refresh(state.lineage, state.base):
            return FeedCursor(uuid.uuid4().hex[:16])  # expired: a first pass delivers every balance again
        if state.overlay is None:
            return FeedCursor(state.lineage, state.base)
        folded = max(state.base or 0, state.overlay) + 1
        self.tables.delete(state.lineage, [folded])
        for source, upto in ((state.base, None), (state.overlay, state.upto)):
            if source:
                self.tables.fold(state.lineage, source, folded, upto)
        return FeedCursor(state.lineage, folded, stale=[g for g in (state.base, state.overlay) if g])

    @staticmethod
    def _change(item: str, location: str, quantity: str, generation: int, observed: datetime) -> InventoryChange:
        return InventoryChange(
            item_code=item,
            location=location,
            available=Decimal(quantity),
            change_id=change_id(item, location, quantity, generation),
            changed_at=observed,
        )

    @staticmethod
    def _page(rows: list[InventoryChange], cursor: FeedCursor) -> InventoryPage:
        return InventoryPage(rows=rows, cursor=cursor.encode())
