"""Webhook payloads shaped like Shopify's REST-style JSON, valid against the published JSON Schemas
(``shopify-webhook-schemas``); the fidelity test validates every one the sandbox sends."""

from __future__ import annotations

from typing import Any

from erp_shopify_sandbox.shopify import ids
from erp_shopify_sandbox.shopify.state import Customer, LineItem, Order, Refund, ShopState, now_iso
from erp_shopify_sandbox.shopify.views import ProductView, VariantView

ADDRESS = {
    "address1": "1 Sandbox Street",
    "address2": None,
    "city": "Ottawa",
    "company": None,
    "country": "Canada",
    "country_code": "CA",
    "first_name": "Sandy",
    "last_name": "Box",
    "latitude": None,
    "longitude": None,
    "name": "Sandy Box",
    "phone": "+16135550100",
    "province": "Ontario",
    "province_code": "ON",
    "zip": "K1A 0A1",
}


_FULFILLMENT_STATUS = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial", "UNFULFILLED": None}


def _money_set(amount: str, currency: str) -> dict[str, Any]:
    return {
        "shop_money": {"amount": amount, "currency_code": currency},
        "presentment_money": {"amount": amount, "currency_code": currency},
    }


def inventory_level(state: ShopState, location: int, item: int) -> dict[str, Any]:
    return {
        "inventory_item_id": ids.legacy_id("InventoryItem", item),
        "location_id": ids.legacy_id("Location", location),
        "available": state.quantity(location, item, "available"),
        "updated_at": state.level_updated_at(location, item),
        "admin_graphql_api_id": ids.level_gid(location, item),
    }


def _variant(state: ShopState, variant: int, position: int) -> dict[str, Any]:
    product = state.variant_product[variant]
    available = sum(state.quantity(loc, variant, "available") for loc in range(len(state.locations)))
    view = VariantView(state, variant)
    values = [value for _, value in view.option_pairs()]
    return {
        "admin_graphql_api_id": ids.gid("ProductVariant", variant),
        "barcode": view.barcode,
        "compare_at_price": state.compare_at[variant],
        "created_at": state.created_at,
        "id": ids.legacy_id("ProductVariant", variant),
        "image_id": None,
        "inventory_item_id": ids.legacy_id("InventoryItem", variant),
        "inventory_policy": "deny",
        "inventory_quantity": available,
        "old_inventory_quantity": available,
        "option1": values[0],
        "option2": values[1] if len(values) > 1 else None,
        "option3": values[2] if len(values) > 2 else None,
        "position": position,
        "price": state.prices[variant],
        "product_id": ids.legacy_id("Product", product),
        "sku": state.skus[variant],
        "taxable": True,
        "title": view.title,
        "updated_at": state.variant_updated.get(variant, state.created_at),
    }


def product(state: ShopState, index: int) -> dict[str, Any]:
    """A ``products/create`` or ``products/update`` payload."""
    variants = [_variant(state, v, n + 1) for n, v in enumerate(state.variants_of(index))]
    view = ProductView(state, index)
    master = state.masters.get(index)
    options = master.options if master is not None else [("Title", [v["option1"] for v in variants])]
    product_id = ids.legacy_id("Product", index)
    updated = state.product_updated.get(index, state.created_at)
    return {
        "admin_graphql_api_id": ids.gid("Product", index),
        "body_html": view.descriptionHtml,
        "category": None,
        "created_at": state.created_at,
        "handle": view.handle,
        "has_variants_that_requires_components": False,
        "id": product_id,
        "image": {
            "admin_graphql_api_id": f"gid://shopify/ProductImage/{product_id}",
            "alt": None,
            "created_at": state.created_at,
            "height": 800,
            "id": product_id,
            "position": 1,
            "product_id": product_id,
            "src": f"https://cdn.shopify.com/s/files/sandbox/product-{index + 1}.png",
            "updated_at": state.created_at,
            "variant_ids": [],
            "width": 800,
        },
        "images": [],
        "media": [],
        "options": [
            {"id": product_id * 10 + n, "name": name, "position": n + 1, "product_id": product_id, "values": values}
            for n, (name, values) in enumerate(options)
        ],
        "product_type": view.productType,
        "published_at": state.created_at,
        "published_scope": "global",
        "status": view.status.lower(),
        "tags": ", ".join(view.tags),
        "template_suffix": None,
        "title": view.title,
        "updated_at": updated,
        "variant_gids": [
            {"admin_graphql_api_id": v["admin_graphql_api_id"], "updated_at": v["updated_at"]} for v in variants
        ],
        "variants": variants,
        "vendor": view.vendor,
    }


def customer(state: ShopState, record: Customer) -> dict[str, Any]:
    customer_id = ids.legacy_id("Customer", record.index)
    if record.addresses is not None:  # written by customerSet: its own list, the first the default
        listed = [_customer_address(customer_id, a, n == 0) for n, a in enumerate(record.addresses)]
        return _customer(state, record, customer_id, listed, listed[0] if listed else None)
    address = {**ADDRESS, **record.address, "first_name": record.first_name, "last_name": record.last_name}
    address["name"] = f"{record.first_name} {record.last_name}"
    default_address: dict[str, Any] = {
        **{k: v for k, v in address.items() if k not in ("latitude", "longitude")},
        "country_name": address["country"],
        "customer_id": customer_id,
        "default": True,
        "id": customer_id,
    }
    only = {
        **default_address,
        "address2": default_address["address2"] or "",
        "company": default_address["company"] or "",
    }
    return _customer(state, record, customer_id, [only], default_address)


COUNTRY_NAMES = {
    "AT": "Austria", "CA": "Canada", "CH": "Switzerland", "DE": "Germany", "FR": "France",
    "GB": "United Kingdom", "IE": "Ireland", "NL": "Netherlands", "US": "United States",
}  # fmt: skip


def _customer_address(customer_id: int, stored: dict[str, Any], default: bool) -> dict[str, Any]:
    country = COUNTRY_NAMES.get(stored["country_code"], stored["country_code"])
    return {
        **{k: stored[k] for k in ("address1", "address2", "city", "company", "first_name", "last_name", "phone")},
        **{"province_code": stored["province_code"], "zip": stored["zip"], "country_code": stored["country_code"]},
        "country": country,
        "country_name": country,
        "customer_id": customer_id,
        "default": default,
        "id": ids.legacy_id("MailingAddress", stored["index"]),
        "name": f"{stored['first_name']} {stored['last_name']}".strip(),
        "province": stored["province_code"],
    }


def _customer(
    state: ShopState,
    record: Customer,
    customer_id: int,
    listed: list[dict[str, Any]],
    default_address: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "addresses": listed,
        "admin_graphql_api_id": ids.gid("Customer", record.index),
        "created_at": record.created_at,
        "currency": state.currency,
        "default_address": default_address,
        "email": record.email,
        "first_name": record.first_name,
        "id": customer_id,
        "last_name": record.last_name,
        "multipass_identifier": None,
        "note": "",
        "phone": record.phone or None,
        "state": "enabled",
        "tax_exempt": False,
        "tax_exemptions": [],
        "updated_at": record.updated_at,
        "verified_email": True,
    }


def line_item(state: ShopState, line: LineItem, currency: str) -> dict[str, Any]:
    product = state.variant_product[line.variant]
    return {
        "admin_graphql_api_id": ids.gid("LineItem", line.index),
        "attributed_staffs": [],
        "current_quantity": line.current_quantity,
        "discount_allocations": [],
        "duties": [],
        "fulfillable_quantity": line.current_quantity,
        "fulfillment_service": "manual",
        "fulfillment_status": None,
        "gift_card": False,
        "grams": 0,
        "id": ids.legacy_id("LineItem", line.index),
        "name": line.title,
        "price": line.price,
        "price_set": _money_set(line.price, currency),
        "product_exists": True,
        "product_id": ids.legacy_id("Product", product),
        "properties": [],
        "quantity": line.quantity,
        "requires_shipping": True,
        "sku": line.sku,
        "tax_lines": [],
        "taxable": True,
        "title": line.title,
        "total_discount": "0.00",
        "total_discount_set": _money_set("0.00", currency),
        "variant_id": ids.legacy_id("ProductVariant", line.variant),
        "variant_inventory_management": "shopify",
        "variant_title": None,
        "vendor": "Sandbox",
    }


def order(state: ShopState, record: Order) -> dict[str, Any]:
    c = record.currency
    total = record.total()
    refunded = sum(float(li.price) * li.refunded for li in record.line_items)
    current = f"{float(total) - refunded:.2f}"
    zero = _money_set("0.00", c)
    buyer = state.customers[record.customer] if record.customer is not None else None
    order_id = ids.legacy_id("Order", record.index)
    return {
        "admin_graphql_api_id": ids.gid("Order", record.index),
        "app_id": None,
        "billing_address": ADDRESS,
        "browser_ip": None,
        "buyer_accepts_marketing": False,
        "cancel_reason": record.cancel_reason.lower() if record.cancel_reason else None,
        "cancelled_at": record.cancelled_at,
        "cart_token": None,
        "checkout_token": None,
        "client_details": None,
        "closed_at": None,
        "confirmation_number": f"SBX{record.number}",
        "confirmed": True,
        "contact_email": record.email or "",
        "created_at": record.created_at,
        "currency": c,
        "current_shipping_price_set": zero,
        "current_subtotal_price": current,
        "current_subtotal_price_set": _money_set(current, c),
        "current_total_additional_fees_set": None,
        "current_total_discounts": "0.00",
        "current_total_discounts_set": zero,
        "current_total_duties_set": None,
        "current_total_price": current,
        "current_total_price_set": _money_set(current, c),
        "current_total_tax": "0.00",
        "current_total_tax_set": zero,
        "customer": customer(state, buyer)
        if buyer
        else customer(state, Customer(-1, "Guest", "Buyer", record.email or "", record.created_at, record.created_at)),
        "customer_locale": "en",
        "device_id": None,
        "discount_applications": [],
        "discount_codes": [],
        "duties_included": False,
        "email": record.email or "",
        "estimated_taxes": False,
        "financial_status": record.financial_status.lower(),
        "fulfillment_status": _FULFILLMENT_STATUS[state.fulfillment.display_status(record.index)],
        "fulfillments": [],
        "id": order_id,
        "landing_site": None,
        "landing_site_ref": None,
        "line_item_groups": [],
        "line_items": [line_item(state, li, c) for li in record.line_items],
        "location_id": ids.legacy_id("Location", record.location),
        "merchant_business_entity_id": "MTE5MjI2NTM1",
        "merchant_of_record_app_id": None,
        "name": record.name,
        "note": None,
        "note_attributes": [],
        "number": record.number - 1000,
        "order_number": record.number,
        "order_status_url": f"https://{state.domain}/orders/{order_id}/authenticate",
        "original_total_additional_fees_set": None,
        "original_total_duties_set": None,
        "payment_gateway_names": ["bogus"],
        "payment_terms": None,
        "phone": None,
        "po_number": None,
        "presentment_currency": c,
        "processed_at": record.created_at,
        "reference": None,
        "referring_site": None,
        "refunds": [],
        "returns": [],
        "shipping_address": ADDRESS,
        "shipping_lines": [],
        "source_identifier": None,
        "source_name": "web",
        "source_url": None,
        "subtotal_price": total,
        "subtotal_price_set": _money_set(total, c),
        "tags": "",
        "tax_exempt": False,
        "tax_lines": [],
        "taxes_included": False,
        "test": False,
        "token": f"sandbox-{order_id}",
        "total_cash_rounding_payment_adjustment_set": zero,
        "total_cash_rounding_refund_adjustment_set": zero,
        "total_discounts": "0.00",
        "total_discounts_set": zero,
        "total_line_items_price": total,
        "total_line_items_price_set": _money_set(total, c),
        "total_outstanding": "0.00",
        "total_price": total,
        "total_price_set": _money_set(total, c),
        "total_shipping_price_set": zero,
        "total_tax": "0.00",
        "total_tax_set": zero,
        "total_tip_received": "0.00",
        "total_weight": 0,
        "updated_at": record.updated_at,
        "user_id": None,
    }


def refund(state: ShopState, record: Refund) -> dict[str, Any]:
    parent = state.orders[record.order]
    c = parent.currency
    refund_id = ids.legacy_id("Refund", record.index)
    lines = []
    for line, quantity, restocked in record.lines:
        subtotal = float(line.price) * quantity
        lines.append(
            {
                "id": ids.legacy_id("LineItem", line.index) + 7,
                "line_item": {
                    k: v
                    for k, v in line_item(state, line, c).items()
                    if k not in ("attributed_staffs", "current_quantity")
                },
                "line_item_id": ids.legacy_id("LineItem", line.index),
                "location_id": ids.legacy_id("Location", parent.location) if restocked else None,
                "quantity": quantity,
                "restock_type": "cancel" if restocked else "no_restock",
                "subtotal": subtotal,
                "subtotal_set": _money_set(f"{subtotal:.2f}", c),
                "total_tax": 0,
                "total_tax_set": _money_set("0.00", c),
            }
        )
    return {
        "admin_graphql_api_id": ids.gid("Refund", record.index),
        "created_at": record.created_at,
        "duties": [],
        "id": refund_id,
        "note": record.note or "",
        "order_adjustments": [],
        "order_id": ids.legacy_id("Order", record.order),
        "processed_at": record.created_at or now_iso(),
        "refund_line_items": lines,
        "refund_shipping_lines": [],
        "restock": any(restocked for _, _, restocked in record.lines),
        "return": None,
        "total_duties_set": _money_set("0.00", c),
        "transactions": [],
        "user_id": 0,
    }
