"""Mutations: validation and user errors as Shopify returns them, all-or-nothing writes, and the
webhook each write triggers. The B2B price list mutations live in ``b2b_mutations``."""

from __future__ import annotations

import re
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from erp_shopify_sandbox.shopify import ids, payloads
from erp_shopify_sandbox.shopify.b2b_mutations import price_list_fixed_prices_add, quantity_pricing_by_variant_update
from erp_shopify_sandbox.shopify.company_mutations import company_location_assign_address
from erp_shopify_sandbox.shopify.customer_mutations import customer_set
from erp_shopify_sandbox.shopify.fulfillment_mutations import FULFILLMENT_RESOLVERS
from erp_shopify_sandbox.shopify.idempotency import IDEMPOTENCY_MESSAGES, fingerprint, idempotency_key
from erp_shopify_sandbox.shopify.product_mutations import metafield_definition_create, product_set
from erp_shopify_sandbox.shopify.queries import lookup
from erp_shopify_sandbox.shopify.state import MAX_QUANTITY, Metafield, now_iso
from erp_shopify_sandbox.shopify.user_errors import limit_input, user_error
from erp_shopify_sandbox.shopify.views import InventoryItemView, LocationView, MetafieldView, ProductView, VariantView

MAX_METAFIELDS = 25
REASONS = frozenset(
    [
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    ]
)
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$")
_GID = re.compile(r"^gid://[^/\s]+/[^/\s]+/[^/\s]+$")


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


class AdjustmentGroup:
    typename = "InventoryAdjustmentGroup"

    def __init__(self, index: int, reason: str, reference: str | None, changes: list[dict[str, Any]]) -> None:
        self.id = ids.gid("InventoryAdjustmentGroup", index)
        self.createdAt = now_iso()
        self.reason = reason
        self.referenceDocumentUri = reference
        self._changes = changes

    def changes(
        self,
        info: Any,
        inventoryItemIds: list[str] | None = None,
        locationIds: list[str] | None = None,
        quantityNames: list[str] | None = None,
    ) -> list[dict]:
        return [
            c
            for c in self._changes
            if (inventoryItemIds is None or c["item"].id in inventoryItemIds)
            and (locationIds is None or c["location"].id in locationIds)
            and (quantityNames is None or c["name"] in quantityNames)
        ]


def _idempotent(resolve):  # type: ignore[no-untyped-def]
    """Wrap a mutation resolver with the idempotency ledger; a result with user errors is a failure."""

    def wrapper(_root: Any, info: Any, **arguments: Any) -> dict[str, Any]:
        context = info.context
        key = idempotency_key(info)
        outcome, stored = context.idempotency.begin(key, fingerprint(info.field_name, arguments))
        if outcome == "replay":
            return stored
        if outcome is not None:
            return {"userErrors": [user_error(outcome, ["idempotencyKey"], IDEMPOTENCY_MESSAGES[outcome])]}
        result: dict[str, Any] | None = None
        try:
            if context.options.write_latency_ms:
                time.sleep(context.options.write_latency_ms / 1000)
            result = resolve(_root, info, **arguments)
            return result
        finally:
            context.idempotency.finish(key, succeeded=result is not None and not result["userErrors"], result=result)

    return wrapper


@_idempotent
def inventory_set_quantities(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    context = info.context
    state = context.state
    state.count_write("inventorySetQuantities")
    quantities = input["quantities"]
    limit_input(info, quantities, ["input", "quantities"])
    errors = []
    if input["name"] not in ("available", "on_hand"):
        errors.append(
            user_error("INVALID_NAME", ["input", "name"], "The quantity name must be either 'available' or 'on_hand'.")
        )
    if input["reason"] not in REASONS:
        errors.append(
            user_error("INVALID_REASON", ["input", "reason"], f"The reason {input['reason']!r} is not valid.")
        )
    reference = input.get("referenceDocumentUri")
    if reference is not None and not (
        _URI.match(reference) and (not reference.startswith("gid://") or _GID.match(reference))
    ):
        errors.append(
            user_error(
                "INVALID_REFERENCE_DOCUMENT",
                ["input", "referenceDocumentUri"],
                "The reference document URI is not a valid URI.",
            )
        )
    with state.lock:
        targets: list[tuple[int, int, int]] = []
        seen: set[tuple[int, int]] = set()
        for n, q in enumerate(quantities):
            path = ["input", "quantities", str(n)]
            item = ids.parse_gid(q["inventoryItemId"], "InventoryItem")
            location = ids.parse_gid(q["locationId"], "Location")
            if item is None or item >= state.variant_count:
                errors.append(
                    user_error(
                        "INVALID_INVENTORY_ITEM",
                        [*path, "inventoryItemId"],
                        "The specified inventory item could not be found.",
                    )
                )
            if location is None or location >= len(state.locations):
                errors.append(
                    user_error("INVALID_LOCATION", [*path, "locationId"], "The specified location could not be found.")
                )
            if q["quantity"] < 0:
                errors.append(
                    user_error("INVALID_QUANTITY_NEGATIVE", [*path, "quantity"], "The quantity can't be negative.")
                )
            elif q["quantity"] > MAX_QUANTITY:
                errors.append(
                    user_error(
                        "INVALID_QUANTITY_TOO_HIGH",
                        [*path, "quantity"],
                        f"The quantity can't be higher than {MAX_QUANTITY:,}.",
                    )
                )
            if "changeFromQuantity" not in q:
                errors.append(
                    user_error(
                        None,
                        [*path, "changeFromQuantity"],
                        "changeFromQuantity is required: pass the expected quantity, or null to skip the check.",
                    )
                )
            if item is None or location is None or item >= state.variant_count or location >= len(state.locations):
                continue
            if (item, location) in seen:
                errors.append(
                    user_error(
                        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                        path,
                        "The combination of inventoryItemId and locationId must be unique.",
                    )
                )
            seen.add((item, location))
            expected = q.get("changeFromQuantity")
            current = state.quantity(location, item, input["name"])
            if expected is not None and expected != current:
                errors.append(
                    user_error(
                        "CHANGE_FROM_QUANTITY_STALE",
                        [*path, "changeFromQuantity"],
                        f"The specified compare quantity {expected} does not match the current quantity {current}.",
                    )
                )
            targets.append((location, item, q["quantity"]))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes = []
        for location, item, quantity in targets:
            delta = state.set_quantity(location, item, input["name"], quantity)
            for name in ("available", "on_hand"):
                changes.append(
                    {
                        "name": name,
                        "delta": delta,
                        "quantityAfterChange": state.quantity(location, item, name),
                        "item": InventoryItemView(state, item),
                        "location": LocationView(state, location),
                        "ledgerDocumentUri": None,
                    }
                )
            if delta:
                context.webhooks.emit("inventory_levels/update", payloads.inventory_level(state, location, item))
        state.adjustment_groups.append({})
        group = AdjustmentGroup(len(state.adjustment_groups) - 1, input["reason"], reference, changes)
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def product_variants_bulk_update(
    _root: Any, info: Any, productId: str, variants: list[dict[str, Any]], allowPartialUpdates: bool = False
) -> dict[str, Any]:
    context = info.context
    state = context.state
    state.count_write("productVariantsBulkUpdate")
    limit_input(info, variants, ["variants"])
    product = lookup(context, productId)
    if not isinstance(product, ProductView):
        return {
            "product": None,
            "productVariants": None,
            "userErrors": [user_error("PRODUCT_DOES_NOT_EXIST", ["productId"], "Product does not exist")],
        }
    errors, updates = [], []
    own = product.variant_indices()
    for n, variant_input in enumerate(variants):
        path = ["variants", str(n)]
        if not variant_input.get("id"):
            errors.append(
                user_error("PRODUCT_VARIANT_ID_MISSING", [*path, "id"], "Product variant is missing ID attribute")
            )
            continue
        variant = lookup(context, variant_input["id"])
        if not isinstance(variant, VariantView):
            errors.append(user_error("PRODUCT_VARIANT_DOES_NOT_EXIST", [*path, "id"], "Product variant does not exist"))
            continue
        if variant.index not in own:
            errors.append(
                user_error("MUST_BE_FOR_THIS_PRODUCT", [*path, "id"], "Product variant does not belong to the product")
            )
            continue
        for field in ("price", "compareAtPrice"):
            if field in variant_input and variant_input[field] is not None:
                amount = _amount(variant_input[field])
                if amount is None:
                    errors.append(user_error("INVALID_INPUT", [*path, field], f"{field} is not a decimal amount"))
                elif amount < 0:
                    errors.append(
                        user_error("NEGATIVE_PRICE_VALUE", [*path, field], "Price must be greater than or equal to 0")
                    )
        updates.append((variant.index, variant_input))
    if errors:
        return {"product": None, "productVariants": None, "userErrors": errors}
    with state.lock:
        for index, variant_input in updates:
            compare_at = variant_input.get("compareAtPrice", ...)
            state.set_variant(
                index,
                price=str(Decimal(str(variant_input["price"])).quantize(Decimal("0.01")))
                if variant_input.get("price") is not None
                else None,
                compare_at=None
                if compare_at is ...
                else (str(Decimal(str(compare_at)).quantize(Decimal("0.01"))) if compare_at is not None else ""),
                sku=(variant_input.get("inventoryItem") or {}).get("sku"),
            )
        context.webhooks.emit("products/update", payloads.product(state, product.index))
    return {"product": product, "productVariants": [VariantView(state, i) for i, _ in updates], "userErrors": []}


def metafields_set(_root: Any, info: Any, metafields: list[dict[str, Any]]) -> dict[str, Any]:
    context = info.context
    state = context.state
    state.count_write("metafieldsSet")
    limit_input(info, metafields, ["metafields"], MAX_METAFIELDS)
    from erp_shopify_sandbox.shopify.views import compare_digest

    errors = []
    with state.lock:
        for n, m in enumerate(metafields):
            namespace = m.get("namespace") or "$app"
            existing = state.metafields.get((m["ownerId"], namespace, m["key"]))
            if lookup(context, m["ownerId"]) is None and ids.kind_of(m["ownerId"]) != "Shop":
                errors.append(
                    {
                        **user_error("INVALID", ["metafields", str(n), "ownerId"], "Owner does not exist."),
                        "elementIndex": n,
                    }
                )
            if existing is None and not m.get("type"):
                errors.append(
                    {**user_error("BLANK", ["metafields", str(n), "type"], "Type can't be blank."), "elementIndex": n}
                )
            digest = m.get("compareDigest")
            if digest is not None and (existing is None or compare_digest(existing) != digest):
                errors.append(
                    {
                        **user_error(
                            "STALE_OBJECT",
                            ["metafields", str(n), "compareDigest"],
                            "The resource has been updated since it was loaded.",
                        ),
                        "elementIndex": n,
                    }
                )
        if errors:
            return {"metafields": None, "userErrors": errors}
        written = []
        for m in metafields:
            namespace = m.get("namespace") or "$app"
            key = (m["ownerId"], namespace, m["key"])
            existing = state.metafields.get(key)
            stamp = now_iso()
            if existing is None:
                existing = Metafield(
                    len(state.metafields), m["ownerId"], namespace, m["key"], m["type"], m["value"], stamp, stamp
                )
                state.metafields[key] = existing
            else:
                existing.value, existing.updated_at, existing.version = m["value"], stamp, existing.version + 1
                existing.type = m.get("type") or existing.type
            written.append(MetafieldView(existing))
    return {"metafields": written, "userErrors": []}


def bulk_operation_run_query(_root: Any, info: Any, query: str, groupObjects: bool = False) -> dict[str, Any]:
    info.context.state.count_write("bulkOperationRunQuery")
    return info.context.bulk_operations.start(query)


MUTATION_RESOLVERS = {
    "inventorySetQuantities": inventory_set_quantities,
    "productVariantsBulkUpdate": product_variants_bulk_update,
    "priceListFixedPricesAdd": price_list_fixed_prices_add,
    "quantityPricingByVariantUpdate": quantity_pricing_by_variant_update,
    "metafieldsSet": metafields_set,
    "bulkOperationRunQuery": bulk_operation_run_query,
    **FULFILLMENT_RESOLVERS,
    "productSet": product_set,
    "customerSet": customer_set,
    "companyLocationAssignAddress": company_location_assign_address,
    "metafieldDefinitionCreate": metafield_definition_create,
}
