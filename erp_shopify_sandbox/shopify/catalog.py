"""The product master behind ``productSet``, as Shopify documents it for 2026-10:

- the product is found by its ``identifier`` (``id``, ``handle``, or ``customId``: the value of a
  product metafield whose definition has the type ``id``), and created when a handle or custom id
  finds nothing;
- list fields (``variants``, ``productOptions``, ``metafields``, ``collections``, ``tags``) are
  replaced by what is sent: a variant left out is deleted; a list not sent is left alone, and so
  are scalar fields not sent;
- a variant is matched by its ``id``, else by its option values, else created;
- the limits and their user errors: at most 3 options, 2048 variants, option values unique in
  their option, option names unique, every variant naming one declared value of every option and
  no two variants the same combination, a title that is not blank.

All checks run before anything changes, so a refused input changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from erp_shopify_sandbox.shopify import ids
from erp_shopify_sandbox.shopify.state import Metafield, ShopState, now_iso
from erp_shopify_sandbox.shopify.user_errors import user_error

MAX_OPTIONS = 3
MAX_VARIANTS = 2048
ID_TYPE = "id"
APP_NAMESPACE = "$app"
DEFAULT_OPTION = ("Title", ["Default Title"])


@dataclass
class VariantDetail:
    options: list[str]
    barcode: str | None = None
    weight: tuple[float, str] | None = None  # value, WeightUnit


@dataclass
class ProductMaster:
    handle: str
    description: str = ""
    vendor: str = ""
    product_type: str = ""
    status: str = "ACTIVE"
    tags: list[str] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)  # added by the merchant (control API)
    options: list[tuple[str, list[str]]] = field(default_factory=list)
    variants: list[int] = field(default_factory=list)
    details: dict[int, VariantDetail] = field(default_factory=dict)


@dataclass
class Outcome:
    product: int | None
    created: bool
    errors: list[dict[str, Any]]


def master_of(state: ShopState, product: int) -> ProductMaster:
    """The product's master, made from the seeded columns the first time a seeded product is set."""
    master = state.masters.get(product)
    if master is None:
        variants = list(state.variants_of(product))
        names = ["Default Title"] if len(variants) == 1 else [f"Option {n + 1}" for n in range(len(variants))]
        master = ProductMaster(
            handle=f"product-{product + 1}",
            vendor="Sandbox",
            options=[("Title", names)],
            variants=variants,
            details={v: VariantDetail([name]) for v, name in zip(variants, names, strict=True)},
        )
        state.masters[product] = master
    return master


def create_definition(state: ShopState, definition: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """``metafieldDefinitionCreate``: the definition's id, or ``TAKEN`` when it exists."""
    key = (definition["ownerType"], definition.get("namespace") or APP_NAMESPACE, definition["key"])
    with state.lock:
        if key in state.metafield_definitions:
            message = "Key is in use for Product metafields on the 'namespace' namespace."
            return None, [user_error("TAKEN", ["definition", "key"], message)]
        if not 2 <= len(definition["key"]) <= 64:
            return None, [user_error("TOO_SHORT", ["definition", "key"], "Key is too short (minimum is 2)")]
        state.metafield_definitions[key] = definition["type"]
        return ids.gid("MetafieldDefinition", len(state.metafield_definitions) - 1), []


def product_set(state: ShopState, identifier: dict[str, Any] | None, data: dict[str, Any]) -> Outcome:
    with state.lock:
        product, errors = _target(state, identifier or {}, data)
        creating = product is None
        errors += _product_errors(data, creating)
        existing = None if creating else master_of(state, product)  # type: ignore[arg-type]
        errors += _variant_errors(state, data, existing)
        if errors:
            return Outcome(None, False, errors)
        if creating:
            product = _new_product(state, data)
        assert product is not None
        _apply(state, product, data, identifier or {})
        return Outcome(product, creating, [])


def _target(state: ShopState, identifier: dict[str, Any], data: dict[str, Any]) -> tuple[int | None, list]:
    if "id" in identifier and identifier["id"] is not None:
        index = ids.parse_gid(identifier["id"], "Product")
        if index is None or index >= len(state.product_titles):
            return None, [user_error("NOT_FOUND", ["identifier", "id"], "Product does not exist")]
        return index, []
    if identifier.get("handle"):
        return next(
            (p for p in range(len(state.product_titles)) if _handle(state, p) == identifier["handle"]), None
        ), []
    custom = identifier.get("customId")
    if custom:
        namespace = custom.get("namespace") or APP_NAMESPACE
        if state.metafield_definitions.get(("PRODUCT", namespace, custom["key"])) != ID_TYPE:
            message = f"No metafield definition of type 'id' exists for {namespace}.{custom['key']} on products."
            return None, [user_error("NOT_FOUND", ["identifier", "customId"], message)]
        sent = data.get("metafields")
        if sent is not None and not any(
            (m.get("namespace") or APP_NAMESPACE, m.get("key"), m.get("value"))
            == (namespace, custom["key"], custom["value"])
            for m in sent
        ):
            message = "The input argument `metafields` (if present) must contain the `customId` value."
            return None, [user_error("METAFIELD_MISMATCH", ["input", "metafields"], message)]
        return state.custom_ids.get((namespace, custom["key"], custom["value"])), []
    return None, []


def _handle(state: ShopState, product: int) -> str:
    master = state.masters.get(product)
    return master.handle if master else f"product-{product + 1}"


def _product_errors(data: dict[str, Any], creating: bool) -> list[dict[str, Any]]:
    errors = []
    if ("title" in data or creating) and not (data.get("title") or "").strip():
        errors.append(user_error("INVALID_PRODUCT", ["input", "title"], "Title can't be blank"))
    options = data.get("productOptions")
    if options is None:
        return errors
    if len(options) > MAX_OPTIONS:
        message = f"Can only specify a maximum of {MAX_OPTIONS} options"
        errors.append(user_error("OPTIONS_OVER_LIMIT", ["input", "productOptions"], message))
    names = [(o.get("name") or "").strip() for o in options]
    for n, (option, name) in enumerate(zip(options, names, strict=True)):
        path = ["input", "productOptions", str(n)]
        if names.index(name) != n:
            errors.append(user_error("DUPLICATED_OPTION_NAME", [*path, "name"], f"Duplicated option name '{name}'."))
        values = [(v.get("name") or "").strip() for v in option.get("values") or []]
        if not values:
            errors.append(user_error("OPTION_VALUES_MISSING", [*path, "values"], "Option values missing"))
        for m, value in enumerate(values):
            if values.index(value) != m:
                message = f"Duplicated option value '{value}'."
                errors.append(user_error("DUPLICATED_OPTION_VALUE", [*path, "values", str(m)], message))
    return errors


def _options(data: dict[str, Any], existing: ProductMaster | None) -> list[tuple[str, list[str]]]:
    if data.get("productOptions") is not None:
        return [(o["name"].strip(), [v["name"].strip() for v in o["values"]]) for o in data["productOptions"]]
    if existing is not None:
        return existing.options
    return [DEFAULT_OPTION]


def _combination(variant: dict[str, Any], options: list[tuple[str, list[str]]]) -> tuple[list[str], str | None]:
    """The variant's value of every option in option order, or the reason it has none."""
    given = {(v.get("optionName") or "").strip(): (v.get("name") or "").strip() for v in variant["optionValues"]}
    if not given and options == [DEFAULT_OPTION]:
        return ["Default Title"], None
    values = []
    for name, allowed in options:
        if name not in given:
            return [], f"OPTION_DOES_NOT_EXIST:Option '{name}' has no value for this variant."
        if given[name] not in allowed:
            return [], f"OPTION_VALUE_DOES_NOT_EXIST:Option value '{given[name]}' does not exist on option '{name}'."
        values.append(given[name])
    unknown = set(given) - {name for name, _ in options}
    if unknown:
        return [], f"OPTION_DOES_NOT_EXIST:Option '{sorted(unknown)[0]}' does not exist."
    return values, None


def _variant_errors(state: ShopState, data: dict[str, Any], existing: ProductMaster | None) -> list[dict[str, Any]]:
    variants = data.get("variants")
    if variants is None:
        return []
    if len(variants) > MAX_VARIANTS:
        message = f"The number of variants ({len(variants)}) exceeds the limit of {MAX_VARIANTS}."
        return [user_error("VARIANTS_OVER_LIMIT", ["input", "variants"], message)]
    if data.get("productOptions") is None and any(v["optionValues"] for v in variants) and existing is None:
        return [
            user_error(
                "PRODUCT_OPTIONS_INPUT_MISSING", ["input"], "Must specify product options when updating variants."
            )
        ]
    options = _options(data, existing)
    errors, seen = [], set()
    own = set(existing.variants) if existing else set()
    for n, variant in enumerate(variants):
        path = ["input", "variants", str(n)]
        if variant.get("id") and ids.parse_gid(variant["id"], "ProductVariant") not in own:
            errors.append(user_error("INVALID_VARIANT", [*path, "id"], "Product variant does not exist"))
        values, problem = _combination(variant, options)
        if problem:
            code, _, message = problem.partition(":")
            errors.append(user_error(code, [*path, "optionValues"], message))
        elif tuple(values) in seen:
            message = f"The variant '{' / '.join(values)}' already exists."
            errors.append(user_error("INVALID_VARIANT", [*path, "optionValues"], message))
        seen.add(tuple(values))
    return errors


def _new_product(state: ShopState, data: dict[str, Any]) -> int:
    product = len(state.product_titles)
    state.product_titles.append(data["title"])
    state.product_first_variant.append(state.variant_count)
    state.product_variant_count.append(0)
    taken = {_handle(state, p) for p in state.masters} | {f"product-{p + 1}" for p in range(product)}
    handle = data.get("handle") or re.sub(r"[^a-z0-9]+", "-", data["title"].lower()).strip("-") or "product"
    base, n = handle, 1
    while handle in taken:
        n += 1
        handle = f"{base}-{n}"
    state.masters[product] = ProductMaster(handle=handle, options=[DEFAULT_OPTION])
    return product


def _apply(state: ShopState, product: int, data: dict[str, Any], identifier: dict[str, Any]) -> None:
    master = master_of(state, product)
    stamp = now_iso()
    if data.get("title") is not None:
        state.product_titles[product] = data["title"]
    for name, attribute in (
        ("descriptionHtml", "description"),
        ("vendor", "vendor"),
        ("productType", "product_type"),
        ("status", "status"),
        ("handle", "handle"),
    ):
        if data.get(name) is not None:
            setattr(master, attribute, data[name])
    for name in ("tags", "collections"):
        if data.get(name) is not None:
            setattr(master, name, list(data[name]))
    owner = ids.gid("Product", product)
    custom = identifier.get("customId")
    metafields = list(data.get("metafields") or [])
    if data.get("metafields") is not None:
        for key in [k for k in state.metafields if k[0] == owner]:
            del state.metafields[key]
    if custom:
        metafields.append({**custom, "type": ID_TYPE})
        state.custom_ids[(custom.get("namespace") or APP_NAMESPACE, custom["key"], custom["value"])] = product
    for m in metafields:
        _put_metafield(state, owner, m, stamp)
    if data.get("variants") is not None:
        master.options = _options(data, master)
        master.variants = [_set_variant(state, product, master, v) for v in data["variants"]]
        for gone in set(master.details) - set(master.variants):
            _delete_variant(state, master, gone)
        state.product_variant_count[product] = len(master.variants)
    elif data.get("productOptions") is not None:
        master.options = _options(data, master)
    state.product_updated[product] = stamp


def _put_metafield(state: ShopState, owner: str, m: dict[str, Any], stamp: str) -> None:
    key = (owner, m.get("namespace") or APP_NAMESPACE, m["key"])
    existing = state.metafields.get(key)
    if existing is None:
        kind = m.get("type") or state.metafield_definitions.get(("PRODUCT", key[1], key[2]), "single_line_text_field")
        state.metafields[key] = Metafield(len(state.metafields), owner, key[1], key[2], kind, m["value"], stamp, stamp)
    elif existing.value != m["value"]:
        existing.value, existing.updated_at, existing.version = m["value"], stamp, existing.version + 1


def _set_variant(state: ShopState, product: int, master: ProductMaster, data: dict[str, Any]) -> int:
    values, _ = _combination(data, master.options)
    if data.get("id"):
        variant = ids.parse_gid(data["id"], "ProductVariant")
    else:
        variant = next((v for v in master.variants if master.details[v].options == values), None)
    if variant is None:
        variant = _append_variant(state, product)
    detail = master.details.setdefault(variant, VariantDetail(values))
    detail.options = values
    if "barcode" in data:
        detail.barcode = data["barcode"]
    weight = ((data.get("inventoryItem") or {}).get("measurement") or {}).get("weight")
    if weight is not None:
        detail.weight = (float(weight["value"]), weight["unit"])
    sku = data.get("sku") or (data.get("inventoryItem") or {}).get("sku")
    price = data.get("price")
    compare_at = data.get("compareAtPrice")
    state.set_variant(
        variant,
        sku=sku if sku is not None else None,
        price=f"{float(price):.2f}" if price is not None else None,
        compare_at=f"{float(compare_at):.2f}" if compare_at is not None else None,
    )
    return variant


def _append_variant(state: ShopState, product: int) -> int:
    variant = state.variant_count
    state.skus.append("")
    state.prices.append("0.00")
    state.compare_at.append(None)
    state.variant_product.append(product)
    for columns in state.levels:
        columns["available"].append(0)
        columns["committed"].append(0)
    state._index_sku("", variant)
    return variant


def _delete_variant(state: ShopState, master: ProductMaster, variant: int) -> None:
    state._unindex_sku(state.skus[variant], variant)
    state.deleted_variants.add(variant)
    del master.details[variant]
