"""Oracle Product Information Management items (``itemsV2``) as ``ProductRecord``s.

- The product master is the item master organization's rows (``item_organization``): Oracle
  answers one row per item and organization it is assigned to.
- A style item is a product and its SKU items (``StyleItemNumber`` names the style) its variants;
  an item with no SKUs is a product of one variant, itself. A SKU's option values are segments of
  its descriptive flexfield (``ItemDFF``), named by ``item_options`` (``Size: size``).
- Title ``ItemDescription``, description ``LongDescription``, product type ``ItemClass``. An item
  whose ``ItemStatusValue`` is inactive or obsolete archives its product (or drops its variant).
- Changes by ``LastUpdateDateTime``: from the cursor's stamp minus an overlap, paged by keyset
  (stamp, item number) so a row that changes during the read moves past the end rather than
  shifting a neighbour out of the page; each (item, stamp, content) already handed out inside the
  window is skipped (the shared overlap cursor, ``erp/shipment_cursor.py``). A change to a SKU or
  its style reads the whole family again, since Shopify replaces the variant list; a row met on a
  later page that this pass's family read already saw at the same stamp is marked, not read again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from erp_shopify.erp.oracle.rest import (
    IN_LIST_CHUNK,
    SYSTEM,
    FusionRest,
    all_of,
    changed_since,
    children,
    equals,
    instant,
    one_of,
)
from erp_shopify.erp.shipment_cursor import ShipmentCursor, digest
from erp_shopify.records import ProductPage, ProductRecord, ProductVariantRecord

RESOURCE = "itemsV2"
UOM = "PrimaryUOMValue"
STAMP = "LastUpdateDateTime"
FIELDS = (
    "ItemNumber",
    "ItemDescription",
    "LongDescription",
    "ItemClass",
    "ItemStatusValue",
    UOM,
    "StyleItemNumber",
    STAMP,
)
DFF = "ItemDFF"
INACTIVE = frozenset({"Inactive", "Obsolete"})
FAMILY_CHUNK = IN_LIST_CHUNK // 2  # two in-lists per family query


def _family(row: dict[str, Any]) -> str:
    return str(row.get("StyleItemNumber") or row["ItemNumber"])


class OracleItems:
    def __init__(
        self, rest: FusionRest, *, organization: str, options: Mapping[str, str], overlap: timedelta, page_size: int
    ) -> None:
        self.rest, self.organization, self.options = rest, organization, dict(options)
        self.overlap, self.page_size = overlap, page_size
        self._units: dict[str, str] = {}  # item number -> primary unit ("" when the master has none)

    def changes(self, cursor: str | None) -> Iterator[ProductPage]:
        state = ShipmentCursor.decode(cursor, self.overlap, system=SYSTEM)
        read: dict[str, str] = {}  # item -> the stamp the family reads of this pass saw
        q = all_of(equals("OrganizationCode", self.organization), changed_since(STAMP, state.window_start()))
        for page in self.rest.changed_pages(
            RESOURCE, stamp=STAMP, key="ItemNumber", q=q, page_size=self.page_size, fields=FIELDS
        ):
            families: dict[str, None] = {}
            for row in page:
                known = read.get(row["ItemNumber"]) == row[STAMP]  # a family read of this pass had it
                if state.observe(row["ItemNumber"], instant(row[STAMP]), digest(row)) and not known:
                    families[_family(row)] = None
            rows = self._rows(list(families)) if families else {}
            read.update((number, r[STAMP]) for number, r in rows.items())
            products = [record for code in families if (record := self._record(code, rows)) is not None]
            yield ProductPage(products=products, cursor=state.encode())

    def primary_units(self, numbers: Sequence[str]) -> dict[str, str]:
        """Each item's primary unit of measure (``PrimaryUOMValue``) in the item master
        organization, read once per item for the adapter's life; an item the master does not list
        gets none (its order line names no unit, so Oracle takes the item's own)."""
        missing = sorted({n for n in numbers if n not in self._units})
        for start in range(0, len(missing), IN_LIST_CHUNK):
            chunk = missing[start : start + IN_LIST_CHUNK]
            q = all_of(equals("OrganizationCode", self.organization), one_of("ItemNumber", chunk))
            for page in self.rest.pages(RESOURCE, limit=self.page_size, q=q, fields=("ItemNumber", UOM)):
                self._units.update((row["ItemNumber"], str(row.get(UOM) or "")) for row in page)
            self._units.update((n, "") for n in chunk if n not in self._units)
        return {n: self._units[n] for n in numbers if self._units.get(n)}

    def families(self, codes: Sequence[str]) -> list[ProductRecord]:
        """Whole products for these product codes (a style item's or a standalone item's number);
        a code that is no product (unknown, or a SKU of a style) is left out."""
        rows = self._rows(codes)
        return [record for code in codes if (record := self._record(code, rows)) is not None]

    def _rows(self, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The rows of these families: the items named and their SKU items, by item number."""
        rows: dict[str, dict[str, Any]] = {}
        query = {"fields": FIELDS, "child_fields": {DFF: list(self.options.values())}, "order_by": ("ItemNumber",)}
        for start in range(0, len(codes), FAMILY_CHUNK):
            chunk = list(codes[start : start + FAMILY_CHUNK])
            q = all_of(
                equals("OrganizationCode", self.organization),
                f"{one_of('ItemNumber', chunk)} or {one_of('StyleItemNumber', chunk)}",
            )
            for page in self.rest.pages(RESOURCE, limit=self.page_size, q=q, **query):
                rows.update((row["ItemNumber"], row) for row in page)
        return rows

    def _record(self, code: str, rows: dict[str, dict[str, Any]]) -> ProductRecord | None:
        head = rows.get(code)
        if head is None or _family(head) != code:
            return None
        skus = [r for number, r in rows.items() if number != code and r.get("StyleItemNumber") == code]
        live = [r for r in skus if r.get("ItemStatusValue") not in INACTIVE]
        return ProductRecord(
            product_code=code,
            title=head.get("ItemDescription") or "",
            description=head.get("LongDescription") or None,
            product_type=head.get("ItemClass") or "",
            options=list(self.options) if skus else [],
            variants=[self._variant(r, bool(skus)) for r in (live if skus else [head])],
            deleted=head.get("ItemStatusValue") in INACTIVE,
            changed_at=max(instant(r[STAMP]) for r in [head, *skus]),
        )

    def _variant(self, row: dict[str, Any], style: bool) -> ProductVariantRecord:
        segments = (children(row, DFF) or [{}])[0]
        values = {name: str(segments.get(segment) or "") for name, segment in self.options.items()}
        return ProductVariantRecord(item_code=row["ItemNumber"], options=values if style else {})
