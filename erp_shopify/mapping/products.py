"""An ERP product as Shopify's ``productSet`` input, and the values the loop guard compares.

Pure. The input holds exactly the fields the sync policy gives the ERP
(``policy.product_fields_owned_by_erp``) and ``product_input`` refuses to build any other:
``productSet`` replaces every list it is sent, so a Shopify-owned list sent by mistake (media,
collections, metafields) would delete the merchant's data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from erp_shopify.policy import product_fields_owned_by_erp
from erp_shopify.records import ProductRecord

# A product without options has Shopify's one default option, named so by Shopify itself.
DEFAULT_OPTION, DEFAULT_VALUE = "Title", "Default Title"


class OwnershipViolation(ValueError):
    """The input would write a field the sync policy gives to Shopify."""


def option_values(record: ProductRecord) -> list[tuple[str, list[str]]]:
    """Each option with its values in first-seen variant order (a value shared by several
    variants is listed once: Shopify refuses a repeated value)."""
    if not record.options:
        return [(DEFAULT_OPTION, [DEFAULT_VALUE])]
    return [
        (name, list(dict.fromkeys(variant.options.get(name, "") for variant in record.variants)))
        for name in record.options
    ]


def _variant_options(record: ProductRecord, options: Mapping[str, str]) -> list[str]:
    return [options.get(name, "") for name in record.options] if record.options else [DEFAULT_VALUE]


def product_input(
    record: ProductRecord, owned: frozenset[str], variant_ids: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The ``ProductSetInput`` of a product: the whole of what the ERP owns. ``variant_ids`` (SKU ->
    variant GID, from earlier writes) keeps existing variants, so their inventory items, and the
    SKU cross-reference built on them, survive the update."""
    known = variant_ids or {}
    names = [name for name, _ in option_values(record)]
    fields: dict[str, Any] = {
        "title": record.title,
        "vendor": record.vendor,
        "productType": record.product_type,
        "status": "ARCHIVED" if record.deleted else "ACTIVE",
        "productOptions": [
            {"name": name, "position": n + 1, "values": [{"name": value} for value in values]}
            for n, (name, values) in enumerate(option_values(record))
        ],
        "variants": [
            _variant_input(variant.item_code, names, _variant_options(record, variant.options), variant, known)
            for variant in record.variants
        ],
    }
    if record.description is not None:
        fields["descriptionHtml"] = record.description
    if record.tags is not None and "tags" in owned:
        fields["tags"] = list(record.tags)
    stray = set(fields) - owned
    if stray:
        raise OwnershipViolation(f"the product input would write Shopify-owned fields {sorted(stray)}")
    return fields


def _variant_input(
    sku: str, names: list[str], values: list[str], variant: Any, known: Mapping[str, str]
) -> dict[str, Any]:
    item: dict[str, Any] = {"tracked": True}
    if variant.weight is not None:
        item["measurement"] = {"weight": {"unit": variant.weight_unit, "value": float(variant.weight)}}
    data: dict[str, Any] = {
        "sku": sku,
        "barcode": variant.barcode or None,
        "optionValues": [{"optionName": n, "name": v} for n, v in zip(names, values, strict=True)],
        "inventoryItem": item,
    }
    if sku in known:
        data["id"] = known[sku]
    return data


def default_owned(handed_over: Sequence[str] = ()) -> frozenset[str]:
    return product_fields_owned_by_erp(frozenset(handed_over))


def product_values(record: ProductRecord) -> dict[str, Any]:
    """The synced product fields a ``products/update`` payload shows, for the loop guard: an echo
    of our write shows exactly these. (Descriptions and weights are left out: the payload carries
    Shopify's rendering of the HTML and no weight.)"""
    return {
        "title": record.title,
        "vendor": record.vendor,
        "product_type": record.product_type,
        "status": "archived" if record.deleted else "active",
        "options": [[name, values] for name, values in option_values(record)],
        "variants": sorted(
            [v.item_code, v.barcode or "", _variant_options(record, v.options)] for v in record.variants
        ),
    }


def payload_values(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The same values read from a ``products/update`` payload."""
    variants = [v for v in payload.get("variants") or [] if isinstance(v, Mapping)]
    options = [o for o in payload.get("options") or [] if isinstance(o, Mapping)]
    return {
        "title": payload.get("title") or "",
        "vendor": payload.get("vendor") or "",
        "product_type": payload.get("product_type") or "",
        "status": str(payload.get("status") or "").lower(),
        "options": [[o.get("name"), list(o.get("values") or [])] for o in options],
        "variants": sorted(
            [
                v.get("sku") or "",
                v.get("barcode") or "",
                [v[k] for k in ("option1", "option2", "option3") if v.get(k) is not None],
            ]
            for v in variants
        ),
    }
