"""A SKU lookup shared by the delivery threads of one batch, resolving each SKU once."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping

_UNKNOWN = object()


class SharedLookup(Mapping[str, str]):
    """Resolves each SKU once however many threads ask at the same moment.

    A miss runs the xref rules in pandas (tens of milliseconds of CPU under the GIL). Without the
    lock every delivery thread that met a new SKU at the start of a batch resolved it again, and
    each of those resolutions stalled the threads waiting on the ERP. Hits take no lock.
    """

    def __init__(self, lookup: Mapping[str, str]) -> None:
        self._lookup = lookup
        self._lock = threading.Lock()
        self._known: dict[str, str | None] = {}

    def __getitem__(self, sku: str) -> str:
        found = self._known.get(sku, _UNKNOWN)
        if found is _UNKNOWN:
            with self._lock:
                if sku not in self._known:
                    self._known[sku] = self._lookup.get(sku)
                found = self._known[sku]
        if found is None:
            raise KeyError(sku)
        return str(found)

    def __iter__(self) -> Iterator[str]:
        return (sku for sku, item in self._known.items() if item is not None)

    def __len__(self) -> int:
        return sum(1 for item in self._known.values() if item is not None)
