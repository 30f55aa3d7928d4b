"""The Oracle change feed: a difference of on-hand snapshots, carried in the cursor.

``inventoryOnhandBalances`` has no change stamp and Oracle documents no stock journal a REST
client can read, so each read is a full pass over the balances compared with the quantities the
previous pass saw. The cursor *is* that table (item, location -> quantity: the fingerprint is the
quantity's normal text itself, exact and smaller than a hash), zlib-compressed: the watermark stays one opaque
string in the asset's metadata, and no store outside it can drift from it.

Resuming is safe at every page: the cursor after a page is the previous table updated with the rows
delivered so far. A resumed read is a new full pass; rows already delivered compare equal and are
not repeated, rows not yet reached still differ and are not skipped. A balance that disappears
(Oracle keeps no on-hand row at zero) is delivered as zero at the end of a *complete* pass only.
A change committed while a pass is under way is delivered by this pass if its row is still ahead,
else by the next one; never twice, since delivery updates the table.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

PREFIX = "ohb1."

Key = tuple[str, str]  # (item number, location "ORG/SUBINVENTORY")


def quantity_text(quantity: Decimal) -> str:
    """One text per quantity ("5", "2.5"), so equal quantities compare equal as text."""
    return format(quantity.normalize(), "f")


@dataclass
class SnapshotCursor:
    generation: int = 0  # increases with every pass: change ids of two passes never collide
    quantities: dict[Key, str] = field(default_factory=dict)  # quantity_text of each balance

    def encode(self) -> str:
        """Every page's cursor: kept cheap (no sort, no per-row formatting), since a pass encodes one a page."""
        rows = [[item, location, quantity] for (item, location), quantity in self.quantities.items()]
        raw = json.dumps({"g": self.generation, "q": rows}, separators=(",", ":")).encode()
        return PREFIX + base64.urlsafe_b64encode(zlib.compress(raw, 6)).decode()

    @classmethod
    def decode(cls, cursor: str | None) -> SnapshotCursor:
        if not cursor:
            return cls()
        if not cursor.startswith(PREFIX):
            raise ValueError(f"not an Oracle on-hand snapshot cursor: {cursor[:40]!r}")
        try:
            state = json.loads(zlib.decompress(base64.urlsafe_b64decode(cursor[len(PREFIX) :])))
            quantities = {(str(item), str(location)): quantity_text(Decimal(qty)) for item, location, qty in state["q"]}
            return cls(int(state["g"]), quantities)
        except (ValueError, KeyError, TypeError, zlib.error) as exc:
            raise ValueError(f"not an Oracle on-hand snapshot cursor: {cursor[:40]!r} ({exc})") from None


def change_id(key: Key, quantity: str, generation: int) -> str:
    item, location = key
    return f"{location}/{item}={quantity}#{generation}"
