"""Priced Shopify orders every ERP must reproduce to the cent: line and order discounts, free and
paid shipping, several taxes, taxes excluded and included, a tip, duties and additional fees.
Shared by the mapping tests and the ERP contract suite, which sends each through the mapping to
every backend."""

from __future__ import annotations

from typing import Any

# name -> (lines of (sku, quantity, unit price), checkout pricing; see erp_shopify_sandbox.shopify.checkout)
SCENARIOS: dict[str, tuple[list[tuple[str, int, str]], dict[str, Any]]] = {
    "discounts-paid-shipping-two-taxes": (
        [("SKU-A", 2, "19.90"), ("SKU-B", 3, "9.95")],
        {
            "line_discounts": {"0": "2.50"},
            "order_discount": "5.00",
            "shipping": "6.90",
            "shipping_discount": "1.00",
            "taxes": [["GST", "0.05"], ["PST", "0.07"]],
            "shipping_taxes": [["GST", "0.05"]],
        },
    ),
    "taxes-included-free-shipping-percent-off": (
        [("SKU-A", 1, "24.00"), ("SKU-B", 2, "12.50")],
        {
            "order_discount_percent": "10",
            "shipping": "0.00",
            "taxes": [["VAT", "0.2"]],
            "shipping_taxes": [["VAT", "0.2"]],
            "taxes_included": True,
        },
    ),
    "taxes-included-paid-shipping-line-discount": (
        [("SKU-A", 3, "19.90"), ("SKU-B", 1, "9.50")],
        {
            "line_discounts": {"1": "1.00"},
            "shipping": "4.90",
            "taxes": [["MwSt", "0.19"]],
            "shipping_taxes": [["MwSt", "0.19"]],
            "taxes_included": True,
        },
    ),
    "shipping-discounted-to-free-untaxed": (
        [("SKU-A", 1, "14.00")],
        {"shipping": "4.90", "shipping_discount": "4.90", "order_discount": "0.99"},
    ),
    "tip-on-taxed-order": (
        [("SKU-A", 2, "19.90")],
        {"shipping": "5.90", "taxes": [["GST", "0.05"]], "shipping_taxes": [["GST", "0.05"]], "tip": "3.00"},
    ),
    "duties-and-fees-taxes-included": (
        [("SKU-A", 1, "24.00"), ("SKU-B", 1, "12.50")],
        {
            "shipping": "5.00",
            "taxes": [["VAT", "0.2"]],
            "shipping_taxes": [["VAT", "0.2"]],
            "taxes_included": True,
            "duties": "4.37",
            "additional_fees": "1.25",
        },
    ),
}
