"""The B2B price list mutations: ``priceListFixedPricesAdd`` and ``quantityPricingByVariantUpdate``,
validated all-or-nothing with Shopify's user error codes (the pure checks are in ``b2b``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from erp_shopify_sandbox.shopify import ids
from erp_shopify_sandbox.shopify.b2b import Problem, duplicate_positions, quantity_rule_problems
from erp_shopify_sandbox.shopify.sales_views import price_list_price
from erp_shopify_sandbox.shopify.user_errors import limit_input, user_error
from erp_shopify_sandbox.shopify.views import VariantView


def _price_list(context: Any, price_list_id: str) -> Any:
    index = ids.parse_gid(price_list_id, "PriceList")
    state = context.state
    return state.price_lists[index] if index is not None and index < len(state.price_lists) else None


def _variant_index(context: Any, gid: str) -> int | None:
    index = ids.parse_gid(gid, "ProductVariant")
    return index if index is not None and index < context.state.variant_count else None


def price_list_fixed_prices_add(
    _root: Any, info: Any, priceListId: str, prices: list[dict[str, Any]]
) -> dict[str, Any]:
    context = info.context
    context.state.count_write("priceListFixedPricesAdd")
    limit_input(info, prices, ["prices"])
    record = _price_list(context, priceListId)
    if record is None:
        return {
            "prices": None,
            "userErrors": [user_error("PRICE_LIST_NOT_FOUND", ["priceListId"], "Price list not found.")],
        }
    errors, accepted = [], []
    for n, entry in enumerate(prices):
        variant = _variant_index(context, entry["variantId"])
        if variant is None:
            errors.append(user_error("VARIANT_NOT_FOUND", ["prices", str(n), "variantId"], "Variant not found."))
        currencies = {entry["price"]["currencyCode"]} | (
            {entry["compareAtPrice"]["currencyCode"]} if entry.get("compareAtPrice") else set()
        )
        if currencies != {record.currency}:
            errors.append(
                user_error(
                    "PRICE_LIST_CURRENCY_MISMATCH",
                    ["prices", str(n), "price", "currencyCode"],
                    f"The currency must match the price list's currency ({record.currency}).",
                )
            )
        accepted.append((variant, entry))
    if errors:
        return {"prices": None, "userErrors": errors}
    with context.state.lock:
        for variant, entry in accepted:
            compare_at = entry.get("compareAtPrice")
            record.fixed[variant] = (
                f"{Decimal(str(entry['price']['amount'])):.2f}",
                f"{Decimal(str(compare_at['amount'])):.2f}" if compare_at else None,
            )
        return {
            "prices": [price_list_price(context.state, record, v) for v, _ in accepted if v is not None],
            "userErrors": [],
        }


def quantity_pricing_by_variant_update(
    _root: Any, info: Any, priceListId: str, input: dict[str, Any]
) -> dict[str, Any]:
    context = info.context
    state = context.state
    state.count_write("quantityPricingByVariantUpdate")
    for name in ("pricesToAdd", "quantityPriceBreaksToAdd", "quantityRulesToAdd"):
        limit_input(info, input[name], ["input", name])
    record = _price_list(context, priceListId)
    if record is None:
        return {
            "productVariants": None,
            "userErrors": [user_error("PRICE_LIST_NOT_FOUND", ["priceListId"], "Price list not found.")],
        }
    errors: list[dict[str, Any]] = []
    touched: set[int] = set()

    def variant_of(gid: str, code: str, path: list[str]) -> int | None:
        variant = _variant_index(context, gid)
        if variant is None:
            errors.append(user_error(code, path, "Variant not found."))
        else:
            touched.add(variant)
        return variant

    def resolve(field: str, code: str) -> list[tuple[int | None, dict[str, Any]]]:
        """Each entry of ``input[field]`` with its variant (None, and a user error, when unknown)."""
        return [
            (variant_of(entry["variantId"], code, ["input", field, str(n), "variantId"]), entry)
            for n, entry in enumerate(input[field])
        ]

    prices = resolve("pricesToAdd", "PRICE_ADD_VARIANT_NOT_FOUND")
    breaks = resolve("quantityPriceBreaksToAdd", "QUANTITY_PRICE_BREAK_ADD_VARIANT_NOT_FOUND")
    rules = resolve("quantityRulesToAdd", "QUANTITY_RULE_ADD_VARIANT_NOT_FOUND")
    for n, (_, p) in enumerate(prices):
        if p["price"]["currencyCode"] != record.currency:
            errors.append(
                user_error(
                    "PRICE_ADD_CURRENCY_MISMATCH",
                    ["input", "pricesToAdd", str(n), "price", "currencyCode"],
                    "Currency mismatch.",
                )
            )
    for n, (_, b) in enumerate(breaks):
        if b["price"]["currencyCode"] != record.currency:
            errors.append(
                user_error(
                    "QUANTITY_PRICE_BREAK_ADD_CURRENCY_MISMATCH",
                    ["input", "quantityPriceBreaksToAdd", str(n), "price", "currencyCode"],
                    "Currency mismatch.",
                )
            )
    problems: list[Problem] = []
    for name, key, code in (
        ("pricesToAdd", lambda i: i["variantId"], "PRICE_ADD_DUPLICATE_INPUT_FOR_VARIANT"),
        (
            "quantityPriceBreaksToAdd",
            lambda i: (i["variantId"], i["minimumQuantity"]),
            "QUANTITY_PRICE_BREAK_ADD_DUPLICATE_INPUT_FOR_VARIANT_AND_MIN",
        ),
        ("quantityRulesToAdd", lambda i: i["variantId"], "QUANTITY_RULE_ADD_DUPLICATE_INPUT_FOR_VARIANT"),
    ):
        problems += [
            (code, ["input", name, str(n)], "Inputs must be unique.")
            for n in duplicate_positions(key(i) for i in input[name])
        ]
    priced = set(record.fixed) | {v for v, _ in prices}
    problems += [
        (
            "QUANTITY_PRICE_BREAK_ADD_PRICE_LIST_PRICE_NOT_FOUND",
            ["input", "quantityPriceBreaksToAdd", str(n), "variantId"],
            "Quantity price break's fixed price not found.",
        )
        for n, (variant, _) in enumerate(breaks)
        if variant is not None and variant not in priced
    ]
    for n, (_, r) in enumerate(rules):
        problems += quantity_rule_problems(r, ["input", "quantityRulesToAdd", str(n)])
    errors += [user_error(code, field, message) for code, field, message in problems]
    deletes = [
        variant_of(g, "PRICE_DELETE_VARIANT_NOT_FOUND", ["input", "pricesToDeleteByVariantId", str(n)])
        for n, g in enumerate(input["pricesToDeleteByVariantId"])
    ]
    if errors:
        return {"productVariants": None, "userErrors": errors}
    with state.lock:
        for variant in deletes:
            record.fixed.pop(variant, None)  # type: ignore[arg-type]
        for gid in input.get("quantityPriceBreaksToDeleteByVariantId") or []:
            variant = _variant_index(context, gid)
            for key in [k for k in record.breaks if k[0] == variant]:
                del record.breaks[key]
        dropped = {ids.parse_gid(g, "QuantityPriceBreak") for g in input["quantityPriceBreaksToDelete"]}
        for key in [k for k, (break_id, _) in record.breaks.items() if break_id in dropped]:
            del record.breaks[key]
        for gid in input["quantityRulesToDeleteByVariantId"]:
            record.rules.pop(_variant_index(context, gid), None)  # type: ignore[arg-type]
        for variant, p in prices:
            record.fixed[variant] = (f"{Decimal(str(p['price']['amount'])):.2f}", None)  # type: ignore[index]
        for variant, b in breaks:
            record.breaks[(variant, b["minimumQuantity"])] = (
                state.price_break_count,
                f"{Decimal(str(b['price']['amount'])):.2f}",
            )  # type: ignore[index]
            state.price_break_count += 1
        for variant, r in rules:
            record.rules[variant] = (r["minimum"], r.get("maximum"), r["increment"])  # type: ignore[index]
    return {"productVariants": [VariantView(state, v) for v in sorted(touched)], "userErrors": []}
