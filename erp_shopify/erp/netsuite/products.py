"""NetSuite items as ``ProductRecord``s, read by SuiteQL on ``item.lastmodifieddate``.

- Changes: items modified at or after the cursor's time minus an overlap window, paged by keyset
  (time, id) so a row changing during the read moves past the end instead of hiding a neighbour;
  an (item, time) pair already delivered in the window is skipped (the cursor keeps them).
- Matrix items are variants: a child names its ``parent``; its option values are the item fields
  the configuration lists (``matrix_options``, e.g. ``Size: custitem_size``). A change to a child
  or to its parent re-reads the whole family, since Shopify replaces the variant list.
- Title from the parent's ``displayname``, vendor from ``manufacturer``, barcode from ``upccode``,
  weight from ``weight``/``weightunit``; an inactive parent is archived, an inactive child dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from erp_shopify.erp.netsuite.suiteql import (
    IN_LIST_CHUNK,
    SQL_TIME_FORMAT,
    TIME_FORMAT,
    encode_cursor,
    keyset_condition,
    literal,
    parse_cursor,
    seen_key,
)
from erp_shopify.records import ProductPage, ProductRecord, ProductVariantRecord

# NetSuite's weight unit list (item.weightunit) -> Shopify's WeightUnit
WEIGHT_UNITS = {"1": "POUNDS", "2": "OUNCES", "3": "KILOGRAMS", "4": "GRAMS"}
_CHANGED = "i.lastmodifieddate"


def _select(options: Mapping[str, str]) -> str:
    extra = "".join(f", i.{column} AS {column}" for column in options.values())
    return (
        "SELECT i.id AS id, i.itemid AS itemid, i.displayname AS displayname, i.parent AS parent, "
        "i.isinactive AS isinactive, i.upccode AS upccode, i.manufacturer AS manufacturer, i.weight AS weight, "
        f"i.weightunit AS weightunit{extra}, TO_CHAR({_CHANGED}, {literal(SQL_TIME_FORMAT)}) AS changed FROM item i"
    )


class NetSuiteProducts:
    def __init__(
        self,
        query: Callable[[str], dict[str, Any]],
        pages: Callable[[str], Iterator[list[dict[str, Any]]]],
        *,
        options: Mapping[str, str],
        overlap: timedelta,
    ) -> None:
        self.query, self.pages, self.options, self.overlap = query, pages, dict(options), overlap

    def changes(self, cursor: str | None) -> Iterator[ProductPage]:
        high, seen = parse_cursor(cursor)
        lower = (datetime.strptime(high, TIME_FORMAT) - self.overlap).strftime(TIME_FORMAT) if high else None
        after: tuple[str, str] | None = None
        emitted: set[str] = set()  # families read whole earlier in this read
        while True:
            page = self.query(self._changes_query(lower, after))
            families: dict[str, None] = {}
            for row in page["items"]:
                after = (row["changed"], row["id"])
                family = row.get("parent") or row["id"]
                if family in emitted:
                    continue  # left unmarked: the next read, from an earlier time, takes it again
                # NetSuite stamps to the second: the row's content tells two changes in one second apart
                key = seen_key(json.dumps(row, sort_keys=True))
                if key in seen:
                    continue
                seen[key] = row["changed"]
                high = max(high or row["changed"], row["changed"])
                families[family] = None
            emitted |= set(families)
            products = self._families(sorted(families, key=int)) if families else []
            yield ProductPage(products=products, cursor=encode_cursor(high, seen, self.overlap))
            if not page["hasMore"]:
                return

    def snapshot(self, codes: Sequence[str]) -> list[ProductRecord]:
        """Whole families for these product codes (a matrix parent's or a plain item's ``itemid``)."""
        ids: list[str] = []
        for start in range(0, len(codes), IN_LIST_CHUNK):
            in_list = ", ".join(map(literal, codes[start : start + IN_LIST_CHUNK]))
            for rows in self.pages(f"SELECT i.id AS id FROM item i WHERE i.itemid IN ({in_list}) ORDER BY i.id"):
                ids.extend(row["id"] for row in rows)
        return self._families(ids) if ids else []

    def _families(self, ids: Sequence[str]) -> list[ProductRecord]:
        rows: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), IN_LIST_CHUNK):
            in_list = ", ".join(str(int(i)) for i in ids[start : start + IN_LIST_CHUNK])
            query = f"{_select(self.options)} WHERE i.id IN ({in_list}) OR i.parent IN ({in_list}) ORDER BY i.id"
            for page in self.pages(query):
                rows.update((row["id"], row) for row in page)
        return [record for family in ids if (record := self._record(family, rows)) is not None]

    def _record(self, family: str, rows: dict[str, dict[str, Any]]) -> ProductRecord | None:
        head = rows.get(family)
        if head is None:
            return None
        children = [r for r in rows.values() if r.get("parent") == family]
        live = [r for r in children if r.get("isinactive") != "T"]
        return ProductRecord(
            product_code=head["itemid"],
            title=head.get("displayname") or "",
            vendor=head.get("manufacturer") or "",
            options=list(self.options) if children else [],
            variants=[self._variant(r, bool(children)) for r in (live if children else [head])],
            deleted=head.get("isinactive") == "T",
            changed_at=datetime.strptime(max(r["changed"] for r in [head, *children]), TIME_FORMAT),
        )

    def _changes_query(self, lower: str | None, after: tuple[str, str] | None) -> str:
        condition = keyset_condition(_CHANGED, "i.id", lower, after)
        return f"{_select(self.options)}{condition} ORDER BY {_CHANGED}, i.id"

    def _variant(self, row: dict[str, Any], matrix: bool) -> ProductVariantRecord:
        unit = WEIGHT_UNITS.get(str(row.get("weightunit", "")))
        try:
            weight = Decimal(row["weight"]) if unit and row.get("weight") else None
        except InvalidOperation:
            weight = None
        return ProductVariantRecord(
            item_code=row["itemid"],
            options={name: row.get(column, "") for name, column in self.options.items()} if matrix else {},
            barcode=row.get("upccode") or "",
            weight=weight,
            weight_unit=unit or "KILOGRAMS",
        )
