"""The cursor of every adapter's ``shipment_changes``: the ERP's own latest change stamp of a
shipped document, and for the documents changed inside the overlap window before it, a digest of
what was handed out. Each read starts ``overlap`` before that stamp (a stamp may be coarse, SAP's
is a date, or a commit may land late) and hands a document out again only when its content
changed since (a tracking number entered after the goods issue). Pure, shared by the adapters."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from erp_shopify.errors import DataError


def digest(content: Any) -> str:
    return hashlib.sha1(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:10]


@dataclass
class ShipmentCursor:
    overlap: timedelta
    at: datetime | None = None  # naive, in the ERP's own clock
    seen: dict[str, tuple[datetime, str]] = field(default_factory=dict)  # document -> (changed, digest)

    def window_start(self) -> datetime | None:
        return None if self.at is None else self.at - self.overlap

    def observe(self, document: str, changed: datetime, content_digest: str) -> bool:
        """True when the document is new, or changed since it was last handed out."""
        if self.seen.get(document, (None, None))[1] == content_digest:
            return False
        self.seen[document] = (changed, content_digest)
        if self.at is None or changed > self.at:
            self.at = changed
        return True

    def encode(self) -> str:
        start = self.window_start()
        kept = {
            d: f"{c.isoformat(timespec='seconds')}|{h}"
            for d, (c, h) in self.seen.items()
            if start is None or c >= start
        }
        at = self.at.isoformat(timespec="seconds") if self.at else None
        return json.dumps({"at": at, "seen": kept}, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, cursor: str | None, overlap: timedelta, *, system: str) -> ShipmentCursor:
        if not cursor:
            return cls(overlap)
        try:
            data = json.loads(cursor)
            at = datetime.fromisoformat(data["at"]) if data["at"] else None
            seen = {}
            for document, entry in data["seen"].items():
                changed, _, content_digest = entry.partition("|")
                seen[document] = (datetime.fromisoformat(changed), content_digest)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DataError(f"not a shipment cursor: {cursor[:80]!r} ({exc})", system=system) from None
        return cls(overlap, at, seen)
