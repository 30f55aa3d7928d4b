"""Secondary indexes of the SAP sandbox's store, as a database keeps them.

A filter such as ``PurchaseOrderByCustomer eq 'X' and ...`` or ``(Material eq 'A' or Material eq
'B') and ...`` needs only the rows holding those values, so the sandbox looks them up instead of
scanning every order or stock row. The full filter is still applied to what the index returns, so
an index changes the cost of a query, never its answer; rows come back in the order a full scan
would list them, so paging and ``$orderby`` ties are unchanged too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any


class Index:
    """Rows of one entity set by the value of one property."""

    def __init__(self) -> None:
        self._rows: defaultdict[Any, list[tuple[int, Any]]] = defaultdict(list)
        self._added = 0

    def add(self, key: Any, row: Any) -> None:
        """Index ``row`` (added after every row already indexed, as the set lists it)."""
        self._rows[key].append((self._added, row))
        self._added += 1

    def lookup(self, keys: Iterable[Any]) -> list[Any]:
        found = [entry for key in set(keys) if key in self._rows for entry in self._rows[key]]
        found.sort(key=lambda entry: entry[0])
        return [row for _, row in found]
