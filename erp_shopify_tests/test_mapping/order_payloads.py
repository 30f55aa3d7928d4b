"""Order and refund webhook payloads for tests, shaped by Shopify's published JSON Schemas.

Every required field the schema lists is present (with a neutral value of its type), and the
fields a test cares about are set on top, so the payloads stay valid as the schema evolves.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from erp_shopify.artefacts import webhook_schema
from erp_shopify_sandbox.shopify.checkout import Pricing, checkout, refund_money

_NEUTRAL = {"string": "", "integer": 0, "number": 0, "boolean": False, "null": None}


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type", "object" if "properties" in schema else "null")
    return kind if isinstance(kind, list) else [kind]


def instance(schema: Any, override: Any = None) -> Any:
    """A value valid for ``schema`` holding ``override`` where given."""
    if not isinstance(schema, dict):
        return override
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if "null" not in _types(s)]
        return None if override is None else instance(options[0], override)
    types = _types(schema)
    if override is None:
        if "null" in types and "object" not in types:
            return None
        if "object" in types:
            override = {}
        elif "array" in types:
            return []
        else:
            return _NEUTRAL[next(t for t in types if t != "null")]
    if isinstance(override, dict) and "object" in types:
        props = schema.get("properties", {})
        keys = [*schema.get("required", []), *(k for k in override if k not in schema.get("required", []))]
        return {k: instance(props.get(k, True), override.get(k)) for k in keys}
    if isinstance(override, list) and "array" in types:
        return [instance(schema.get("items", True), item) for item in override]
    return override


def _money(amount: Decimal | str, currency: str) -> dict[str, Any]:
    money = {"amount": str(amount), "currency_code": currency}
    return {"shop_money": money, "presentment_money": money}


ADDRESS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "name": "Ada Lovelace",
    "address1": "1 Analytical Way",
    "city": "London",
    "zip": "N1 9GU",
    "country": "United Kingdom",
    "country_code": "GB",
    "province": "",
    "province_code": "",
    "phone": "+44 20 7946 0000",
}


def order_payload(
    order_id: int,
    lines: list[tuple[str, int, str]],
    *,
    currency: str = "EUR",
    shipping: str = "4.90",
    **fields: Any,
) -> dict[str, Any]:
    """An ``orders/create`` payload with ``lines`` of (sku, quantity, unit price), untaxed and
    undiscounted, its totals their sum (a test that adds taxes or discounts sets the totals)."""
    line_items = [
        {
            "admin_graphql_api_id": f"gid://shopify/LineItem/{order_id * 100 + i}",
            "id": order_id * 100 + i,
            "sku": sku,
            "title": f"Product {sku}",
            "name": f"Product {sku}",
            "quantity": quantity,
            "current_quantity": quantity,
            "price": price,
            "price_set": _money(price, currency),
            "total_discount": "0.00",
            "total_discount_set": _money("0.00", currency),
            "requires_shipping": True,
            "taxable": True,
            "tax_lines": [],
        }
        for i, (sku, quantity, price) in enumerate(lines)
    ]
    total = str(sum((Decimal(price) * quantity for _, quantity, price in lines), Decimal(shipping)))
    payload = {
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "id": order_id,
        "name": f"#{order_id % 100000}",
        "currency": currency,
        "presentment_currency": currency,
        "created_at": "2026-11-27T12:00:00+01:00",
        "processed_at": "2026-11-27T12:00:00+01:00",
        "updated_at": "2026-11-27T12:00:00+01:00",
        "email": "ada@example.com",
        "contact_email": "ada@example.com",
        "customer": {"admin_graphql_api_id": "gid://shopify/Customer/7", "id": 7, "email": "ada@example.com"},
        "shipping_address": ADDRESS,
        "billing_address": ADDRESS,
        "line_items": line_items,
        "shipping_lines": [
            {
                "title": "Standard",
                "price": shipping,
                "discounted_price": shipping,
                "price_set": _money(shipping, currency),
                "discounted_price_set": _money(shipping, currency),
                "tax_lines": [],
            }
        ],
        "total_discounts": "0.00",
        "total_price": total,
        "current_total_price": total,
        **fields,
    }
    return instance(webhook_schema("orders/create"), payload)


def refund_payload(
    refund_id: int, order_id: int, lines: list[tuple[str, int, str]], *, currency: str = "EUR"
) -> dict[str, Any]:
    """A ``refunds/create`` payload refunding (sku, quantity, subtotal) lines, paid back in full."""
    refund_lines = [
        {
            "id": refund_id * 100 + i,
            "line_item_id": order_id * 100 + i,
            "quantity": quantity,
            "restock_type": "return",
            "subtotal": float(subtotal),
            "subtotal_set": _money(subtotal, currency),
            "total_tax": 0,
            "total_tax_set": _money("0.00", currency),
            "line_item": {
                "admin_graphql_api_id": f"gid://shopify/LineItem/{order_id * 100 + i}",
                "id": order_id * 100 + i,
                "sku": sku,
                "title": f"Product {sku}",
                "quantity": quantity,
                "price": subtotal,
                "price_set": _money(subtotal, currency),
                "total_discount": "0.00",
                "total_discount_set": _money("0.00", currency),
            },
        }
        for i, (sku, quantity, subtotal) in enumerate(lines)
    ]
    total = sum((Decimal(s) for _, _, s in lines), Decimal("0"))
    payload = {
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
        "id": refund_id,
        "order_id": order_id,
        "created_at": "2026-11-28T09:00:00+01:00",
        "processed_at": "2026-11-28T09:00:00+01:00",
        "note": "damaged in transit",
        "refund_line_items": refund_lines,
        "transactions": [
            {
                "admin_graphql_api_id": f"gid://shopify/OrderTransaction/{refund_id}",
                "id": refund_id,
                "order_id": order_id,
                "kind": "refund",
                "status": "success",
                "amount": str(total),
                "currency": currency,
                "gateway": "bogus",
                "created_at": "2026-11-28T09:00:00+01:00",
                "receipt": {},
            }
        ],
    }
    return instance(webhook_schema("refunds/create"), payload)


def priced_payload(order_id: int, lines: list[tuple[str, int, str]], pricing: dict[str, Any], **fields: Any) -> dict:
    """An ``orders/create`` payload whose discounts, shipping, taxes and totals the Shopify
    sandbox's checkout computed for ``pricing`` (see ``erp_shopify_sandbox.shopify.checkout``)."""
    currency = fields.get("currency", "EUR")
    sums = checkout([(Decimal(price), quantity) for _, quantity, price in lines], Pricing.from_json(pricing), currency)
    payload = order_payload(order_id, lines, **fields)
    for item, money in zip(payload["line_items"], sums["line_items"], strict=True):
        item.update(money)
    total = f"{sums['total']:.2f}"
    payload.update(
        shipping_lines=sums["shipping_lines"],
        discount_applications=sums["discount_applications"],
        tax_lines=sums["tax_lines"],
        taxes_included=sums["taxes_included"],
        total_discounts=f"{sums['discounts']:.2f}",
        total_tax=f"{sums['tax']:.2f}",
        total_price=total,
        current_total_price=total,
        total_tip_received=f"{sums['tip']:.2f}",
        original_total_duties_set=sums["duties"],
        current_total_duties_set=sums["duties"],
        original_total_additional_fees_set=sums["additional_fees"],
        current_total_additional_fees_set=sums["additional_fees"],
    )
    return payload


def priced_refund_payload(
    refund_id: int,
    order: dict[str, Any],
    lines: list[tuple[str, int, str]],
    pricing: dict[str, Any],
    refunded: dict[int, int],
    *,
    shipping: bool = False,
) -> dict[str, Any]:
    """A ``refunds/create`` payload for ``order`` (a ``priced_payload``) refunding {line position:
    quantity} and its shipping, with the shares the Shopify sandbox's checkout gives back."""
    currency = order["currency"]
    sums = refund_money(
        [(Decimal(price), quantity) for _, quantity, price in lines],
        Pricing.from_json(pricing),
        currency,
        sorted(refunded.items()),
        shipping,
    )
    payload = refund_payload(
        refund_id, int(order["id"]), [(lines[p][0], q, "0") for p, q in sorted(refunded.items())], currency=currency
    )
    for row, position, shares in zip(payload["refund_line_items"], sorted(refunded), sums["line_items"], strict=True):
        row["line_item"] = {k: v for k, v in order["line_items"][position].items() if k != "current_quantity"}
        row["subtotal"], row["total_tax"] = float(shares["subtotal"]), float(shares["total_tax"])
    payload["order_adjustments"] = sums["order_adjustments"]
    payload["transactions"][0]["amount"] = f"{sums['total']:.2f}"
    return payload
