"""SAP's product master (``API_PRODUCT_SRV``) as ``ProductRecord``s.

- Changes: ``A_Product`` rows whose ``LastChangeDateTime`` (an ``Edm.DateTimeOffset``, UTC) is at
  or after the cursor's stamp minus an overlap window, ordered by it; a (product, stamp) pair
  already delivered in the window is skipped, so a change committed late in the same millisecond
  is still found and none is delivered twice.
- Variants, as SAP retail keeps generic articles: a product whose ``CrossPlantConfigurableProduct``
  names another is a variant of that one, its option "Size" from ``SizeOrDimensionText``. A change
  to one variant re-reads its whole group, since Shopify replaces the variant list it is sent.
- Title from ``to_Description`` in the configured language, vendor from ``Brand``, product type
  from ``ProductGroup``, barcode from ``ProductStandardID`` (GTIN), weight from ``GrossWeight`` and
  ``WeightUnit``; ``IsMarkedForDeletion`` archives the product, or drops the one variant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from erp_shopify.erp.sap.odata import SYSTEM, ODataClient, filter_chunks, parse_date, results, string_literal
from erp_shopify.errors import DataError
from erp_shopify.records import ProductPage, ProductRecord, ProductVariantRecord

PRODUCT_SERVICE = "API_PRODUCT_SRV"
SIZE_OPTION = "Size"
_SELECT = ",".join(
    (
        "Product",
        "ProductGroup",
        "Brand",
        "ProductStandardID",
        "GrossWeight",
        "WeightUnit",
        "SizeOrDimensionText",
        "CrossPlantConfigurableProduct",
        "IsMarkedForDeletion",
        "LastChangeDateTime",
        "to_Description/Language",
        "to_Description/ProductDescription",
    )
)
PRODUCT_TERM = 40  # a Product (or CrossPlantConfigurableProduct) eq '...' or term beside the code
# SAP's ISO units of weight -> Shopify's WeightUnit; other units send no weight
WEIGHT_UNITS = {"KG": "KILOGRAMS", "G": "GRAMS", "LB": "POUNDS", "OZ": "OUNCES"}


@dataclass
class ProductCursor:
    """The latest ``LastChangeDateTime`` seen and the (product, stamp) pairs inside the overlap."""

    overlap: timedelta
    at: datetime | None = None
    seen: dict[str, str] = field(default_factory=dict)  # product -> stamp (ISO) delivered

    def observe(self, product: str, stamp: datetime) -> bool:
        """True the first time this change of this product is seen."""
        text = stamp.isoformat()
        if self.seen.get(product) == text:
            return False
        self.seen[product] = text
        self.at = stamp if self.at is None or stamp > self.at else self.at
        return True

    def encode(self) -> str:
        start = None if self.at is None else self.at - self.overlap
        seen = {p: s for p, s in self.seen.items() if start is None or datetime.fromisoformat(s) >= start}
        return json.dumps({"at": self.at.isoformat() if self.at else None, "seen": seen}, separators=(",", ":"))

    @classmethod
    def decode(cls, cursor: str | None, overlap: timedelta) -> ProductCursor:
        if not cursor:
            return cls(overlap)
        try:
            data = json.loads(cursor)
            at = datetime.fromisoformat(data["at"]) if data["at"] else None
            return cls(overlap, at, dict(data["seen"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"not a SAP product cursor: {cursor[:80]!r} ({exc})", system=SYSTEM) from None


class SapProducts:
    def __init__(self, odata: ODataClient, *, page_size: int, overlap: timedelta, language: str = "EN") -> None:
        self.odata, self.page_size, self.overlap, self.language = odata, page_size, overlap, language

    def changes(self, cursor: str | None) -> Iterator[ProductPage]:
        position = ProductCursor.decode(cursor, self.overlap)
        params = {"$select": "Product,CrossPlantConfigurableProduct,LastChangeDateTime"}
        params["$orderby"] = "LastChangeDateTime,Product"
        if position.at is not None:
            start = (position.at - self.overlap).astimezone(UTC).replace(tzinfo=None)
            params["$filter"] = f"LastChangeDateTime ge datetimeoffset'{start.isoformat(timespec='milliseconds')}Z'"
        for page in self.odata.pages(PRODUCT_SERVICE, "A_Product", params, self.page_size):
            groups = {
                row.get("CrossPlantConfigurableProduct") or row["Product"]: None
                for row in page
                if position.observe(row["Product"], _stamp(row))
            }
            yield ProductPage(products=self.snapshot(list(groups)), cursor=position.encode())

    def snapshot(self, codes: Sequence[str]) -> list[ProductRecord]:
        """Whole products (every variant) for these product codes."""
        rows: dict[str, dict[str, Any]] = {}
        for chunk in filter_chunks(sorted(set(codes)), PRODUCT_TERM):
            # the products themselves, then their variants: one property per filter, which a
            # database answers from its index on that property
            for prop in ("Product", "CrossPlantConfigurableProduct"):
                terms = " or ".join(f"{prop} eq {string_literal(c)}" for c in chunk)
                params = {"$filter": terms, "$select": _SELECT, "$expand": "to_Description", "$orderby": "Product"}
                for page in self.odata.pages(PRODUCT_SERVICE, "A_Product", params, self.page_size):
                    rows.update((row["Product"], row) for row in page)
        return [record for code in codes if (record := self._record(code, rows)) is not None]

    def _record(self, code: str, rows: dict[str, dict[str, Any]]) -> ProductRecord | None:
        head = rows.get(code)
        members = sorted((r for r in rows.values() if r.get("CrossPlantConfigurableProduct") == code), key=_key)
        if head is None and not members:
            return None
        live = [r for r in members if not r.get("IsMarkedForDeletion")]
        sellable = live if members else [head]
        options = [SIZE_OPTION] if members else []
        basis = head or members[0]
        return ProductRecord(
            product_code=code,
            title=self._title(head) if head else "",
            vendor=basis.get("Brand") or "",
            product_type=basis.get("ProductGroup") or "",
            options=options,
            variants=[_variant(row, bool(members)) for row in sellable if row is not None],
            deleted=bool(head and head.get("IsMarkedForDeletion")) or (bool(members) and not live),
            changed_at=max(_stamp(r) for r in [*members, *([head] if head else [])]),
        )

    def _title(self, row: dict[str, Any]) -> str:
        texts = {d["Language"]: d["ProductDescription"] for d in results(row.get("to_Description"))}
        return texts.get(self.language) or next(iter(texts.values()), "")


def _variant(row: dict[str, Any], sized: bool) -> ProductVariantRecord:
    unit = WEIGHT_UNITS.get((row.get("WeightUnit") or "").upper())
    weight = Decimal(row["GrossWeight"]) if unit and row.get("GrossWeight") not in (None, "") else None
    return ProductVariantRecord(
        item_code=row["Product"],
        options={SIZE_OPTION: row.get("SizeOrDimensionText") or ""} if sized else {},
        barcode=row.get("ProductStandardID") or "",
        weight=weight if weight else None,
        weight_unit=unit or "KILOGRAMS",
    )


def _stamp(row: dict[str, Any]) -> datetime:
    stamp = parse_date(row.get("LastChangeDateTime"))
    if stamp is None:
        raise DataError(f"product {row.get('Product')!r} has no LastChangeDateTime", body=row, system=SYSTEM)
    return stamp


def _key(row: dict[str, Any]) -> str:
    return str(row["Product"])
