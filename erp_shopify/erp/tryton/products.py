"""Tryton's product master as ``ProductRecord``s: a ``product.template`` is the product and its
``product.product`` rows are the variants (Tryton's own split).

- Changes: templates and variants whose ``create_date`` or ``write_date`` is at or after the mark
  minus an overlap window (inactive ones too: an archived template is a change), each version
  (``model:id@stamp``) delivered once; a changed variant re-reads its whole template.
- The product code is the template's ``code``; a variant's SKU its ``code`` (template code plus
  ``suffix_code``). A template with several variants has one option, "Variant", valued by each
  variant's ``description`` (else its suffix). An inactive template is archived, an inactive
  variant dropped. Tryton keeps no brand, barcode type or weight without further modules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from erp_shopify.erp.tryton.rpc import SYSTEM
from erp_shopify.errors import DataError
from erp_shopify.records import ProductPage, ProductRecord, ProductVariantRecord

VARIANT_OPTION = "Variant"
ALL = {"active_test": False}  # inactive (archived) records are changes too


def record_stamp(row: dict[str, Any]) -> datetime:
    """When a Tryton record last changed: its ``write_date``, else its ``create_date``."""
    created: datetime = row["create_date"]
    written: datetime | None = row.get("write_date")
    return max(created, written) if written else created


class TrytonProducts:
    def __init__(self, read: Callable[..., Any], *, overlap: timedelta) -> None:
        self.read, self.overlap = read, overlap

    def changes(self, cursor: str | None) -> Iterator[ProductPage]:
        models = (("product.template", "id"), ("product.product", "template"))
        templates, cursor = changed_since(self.read, models, cursor, self.overlap, "product")
        yield ProductPage(products=self._templates(templates), cursor=cursor)

    def snapshot(self, codes: Sequence[str]) -> list[ProductRecord]:
        ids = self.read("product.template", "search", [("code", "in", list(codes))], 0, None, None, context=ALL)
        return self._templates(ids)

    def _templates(self, ids: list[int]) -> list[ProductRecord]:
        if not ids:
            return []
        heads = self.read("product.template", "read", ids, ["name", "code", "active"], context=ALL)
        variants = self.read(
            "product.product",
            "search_read",
            [("template", "in", ids)],
            0,
            None,
            [("id", "ASC")],
            ["template", "code", "suffix_code", "description", "active"],
            context=ALL,
        )
        return [self._record(head, [v for v in variants if v["template"] == head["id"]]) for head in heads]

    def _record(self, head: dict[str, Any], variants: list[dict[str, Any]]) -> ProductRecord:
        live = [v for v in variants if v["active"]]
        several = len(variants) > 1
        return ProductRecord(
            product_code=head.get("code") or f"template-{head['id']}",
            title=head.get("name") or "",
            options=[VARIANT_OPTION] if several else [],
            variants=[
                ProductVariantRecord(
                    item_code=v.get("code") or f"product-{v['id']}",
                    options={VARIANT_OPTION: v.get("description") or v.get("suffix_code") or ""} if several else {},
                )
                for v in live
            ],
            deleted=not head.get("active", True),
        )


def changed_since(
    read: Callable[..., Any],
    models: Sequence[tuple[str, str]],
    cursor: str | None,
    overlap: timedelta,
    what: str,
) -> tuple[list[int], str]:
    """The ids (``field`` of each ``(model, field)``) whose rows were created or written since the
    cursor's mark minus the overlap, each row version handed out once; and the cursor after them."""
    mark, seen = decode_versions(cursor, what)
    since = mark - overlap if mark else None
    domain: list[Any] = [] if since is None else ["OR", ("create_date", ">=", since), ("write_date", ">=", since)]
    found: dict[int, None] = {}
    for model, field in models:
        fields = ["create_date", "write_date", field]
        rows = read(model, "search_read", domain, 0, None, [("id", "ASC")], fields, context=ALL)
        for row in rows:
            version = f"{model}:{row['id']}@{record_stamp(row).isoformat()}"
            if version in seen:
                continue
            seen[version] = record_stamp(row)
            mark = max(mark, record_stamp(row)) if mark else record_stamp(row)
            found[row[field]] = None
    floor = mark - overlap if mark else None
    kept = {v: at for v, at in seen.items() if floor is None or at >= floor}
    return list(found), encode_versions(mark, kept)


def encode_versions(mark: datetime | None, seen: dict[str, datetime]) -> str:
    """A change cursor: the mark and the record versions (``model:id@stamp``) handed out inside its overlap."""
    versions = {v: at.isoformat() for v, at in seen.items()}
    return json.dumps({"mark": mark.isoformat() if mark else None, "seen": versions}, separators=(",", ":"))


def decode_versions(cursor: str | None, what: str) -> tuple[datetime | None, dict[str, datetime]]:
    if not cursor:
        return None, {}
    try:
        data = json.loads(cursor)
        mark = datetime.fromisoformat(data["mark"]) if data["mark"] else None
        return mark, {v: datetime.fromisoformat(at) for v, at in data["seen"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"not a Tryton {what} cursor: {cursor[:80]!r}", body=cursor, system=SYSTEM) from exc
