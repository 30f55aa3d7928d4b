"""The SAP stock journal cursor: SAP's own high-water mark (the latest material document
``CreationDate + CreationTime``) and the documents already delivered inside the overlap window.
Kept apart from the adapter because it is pure and carries the correctness argument."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from erp_shopify.erp.sap.odata import SYSTEM
from erp_shopify.errors import DataError


@dataclass
class Journal:
    """The journal cursor: the latest (CreationDate, CreationTime) seen, and the documents seen in
    the overlap window before it. Each read starts ``overlap`` before that instant, so documents
    created in the same second or committed late are still found, and skipped if already seen."""

    overlap: timedelta
    at: datetime | None = None
    seen: dict[str, datetime] = field(default_factory=dict)  # "year/document" -> created

    def window_start(self) -> datetime | None:
        return None if self.at is None else self.at - self.overlap

    def observe(self, key: str, created: datetime) -> bool:
        """True the first time a document is seen."""
        if key in self.seen:
            return False
        self.seen[key] = created
        if self.at is None or created > self.at:
            self.at = created
        return True

    def prune(self) -> None:
        start = self.window_start()
        if start is not None:
            self.seen = {key: created for key, created in self.seen.items() if created >= start}

    def encode(self) -> str:
        self.prune()
        at = self.at.replace(tzinfo=None).isoformat(timespec="seconds") if self.at else None
        return json.dumps({"at": at, "seen": _ranges(self.seen)}, separators=(",", ":"))

    @classmethod
    def decode(cls, cursor: str | None, overlap: timedelta) -> Journal:
        if not cursor:
            return cls(overlap)
        try:
            data = json.loads(cursor)
            at = datetime.fromisoformat(data["at"]).replace(tzinfo=UTC) if data["at"] else None
            keys = _unranges(data["seen"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"not a SAP journal cursor: {cursor[:80]!r} ({exc})", system=SYSTEM) from None
        return cls(overlap, at, dict.fromkeys(keys, at or datetime.min.replace(tzinfo=UTC)))


def _ranges(keys: Iterable[str]) -> list[str]:
    """Material document numbers are consecutive, so "2026/4900000001-4900000300" keeps a cursor short."""
    out: list[str] = []
    for key in sorted(keys, key=lambda k: (len(k), k)):
        year, number = key.split("/")
        if out and number.isdigit():
            last_year, last = out[-1].split("/")
            low, _, high = last.partition("-")
            high = high or low
            if last_year == year and high.isdigit() and len(high) == len(number) and int(high) + 1 == int(number):
                out[-1] = f"{year}/{low}-{number}"
                continue
        out.append(key)
    return out


def _unranges(ranges: list[str]) -> list[str]:
    keys: list[str] = []
    for entry in ranges:
        year, number = entry.split("/")
        low, _, high = number.partition("-")
        if not high:
            keys.append(entry)
            continue
        keys.extend(f"{year}/{n:0{len(low)}d}" for n in range(int(low), int(high) + 1))
    return keys
