"""Shopify global ids (``gid://shopify/<Type>/<n>``) for the sandbox's columnar store.

Seeded objects live at an index in a column; their numeric ids are ``base + index + 1`` with
bases as large as real Shopify ids (beyond 2**31), so clients that squeeze ids into 32 bits fail here.
"""

from __future__ import annotations

import base64

BASES = {
    "Product": 8_100_000_000_000,
    "ProductVariant": 44_100_000_000_000,
    "InventoryItem": 46_100_000_000_000,
    "Location": 70_100_000_000,
    "Order": 5_600_000_000_000,
    "LineItem": 13_600_000_000_000,
    "Refund": 910_000_000_000,
    "Customer": 7_300_000_000_000,
    "MailingAddress": 9_200_000_000_000,
    "PriceList": 21_000_000_000,
    "QuantityPriceBreak": 3_300_000_000,
    "Metafield": 30_500_000_000_000,
    "CompanyLocationCatalog": 61_000_000_000,
    "CompanyLocation": 2_450_000_000,
    "CompanyAddress": 3_150_000_000,
    "CompanyContact": 4_150_000_000,
    "Company": 1_450_000_000,
    "InventoryAdjustmentGroup": 38_000_000_000_000,
    "BulkOperation": 5_100_000_000_000,
    "Shop": 69_000_000_000,
    "FulfillmentOrder": 6_700_000_000_000,
    "FulfillmentOrderLineItem": 15_800_000_000_000,
    "Fulfillment": 5_900_000_000_000,
    "FulfillmentLineItem": 12_300_000_000_000,
    "ProductSetOperation": 2_700_000_000_000,
    "MetafieldDefinition": 160_000_000_000,
}


def legacy_id(kind: str, index: int) -> int:
    return BASES[kind] + index + 1


def gid(kind: str, index: int) -> str:
    return f"gid://shopify/{kind}/{legacy_id(kind, index)}"


def parse_gid(value: str, kind: str) -> int | None:
    """The index behind ``gid://shopify/<kind>/<n>``, or None when it is not such an id."""
    prefix = f"gid://shopify/{kind}/"
    if not isinstance(value, str) or not value.startswith(prefix):
        return None
    number = value[len(prefix) :].split("?", 1)[0]
    if not number.isdigit():
        return None
    index = int(number) - BASES[kind] - 1
    return index if index >= 0 else None


def kind_of(value: str) -> str | None:
    if not isinstance(value, str) or not value.startswith("gid://shopify/"):
        return None
    return value.removeprefix("gid://shopify/").split("/", 1)[0]


def level_gid(location: int, item: int) -> str:
    item_id = legacy_id("InventoryItem", item)
    return f"gid://shopify/InventoryLevel/{legacy_id('Location', location)}?inventory_item_id={item_id}"


def parse_level_gid(value: str) -> tuple[int, int] | None:
    prefix = "gid://shopify/InventoryLevel/"
    if not isinstance(value, str) or not value.startswith(prefix) or "?inventory_item_id=" not in value:
        return None
    location, item = value[len(prefix) :].split("?inventory_item_id=", 1)
    if not (location.isdigit() and item.isdigit()):
        return None
    return int(location) - BASES["Location"] - 1, int(item) - BASES["InventoryItem"] - 1


def cursor(position: int) -> str:
    """Opaque, like Shopify's: clients must not build or parse cursors."""
    return base64.urlsafe_b64encode(f"sandbox:{position}".encode()).decode()


def parse_cursor(value: str | None) -> int:
    """The position after which the next page starts (-1 for the first page)."""
    if value is None:
        return -1
    try:
        text = base64.urlsafe_b64decode(value.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError(f"Invalid cursor {value!r}") from None
    if not text.startswith("sandbox:") or not text[8:].lstrip("-").isdigit():
        raise ValueError(f"Invalid cursor {value!r}")
    return int(text[8:])
