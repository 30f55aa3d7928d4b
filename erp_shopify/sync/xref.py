"""Build one shop's SKU cross-reference: Shopify variants (paged, or by bulk export for large
catalogues) matched to the ERP's item codes by the rules in ``mapping.xref``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from erp_shopify.config import ShopConfig
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.mapping.xref import XrefResult, build_xref, variants_frame
from erp_shopify.shopify.client import ShopifyClient

# Both are ``.graphql`` documents (``shopify/graphql/``), validated against the official schema.
VARIANTS_PAGE = "variants_by_sku"  # with no ``query`` filter it pages the whole catalogue
VARIANTS_BULK = "variants_bulk_export"


def shopify_variants(client: ShopifyClient, *, bulk: bool) -> Iterator[dict[str, Any]]:
    """Every variant as ``{sku, variant_id, inventory_item_id, product_id}``. Paging costs a query
    per 250 variants; for large catalogues one bulk export is cheaper and gentler on the bucket."""
    nodes = client.bulk_query(VARIANTS_BULK) if bulk else client.paginate(VARIANTS_PAGE, {}, "productVariants")
    for node in nodes:
        yield {
            "sku": node.get("sku"),
            "variant_id": node["id"],
            "inventory_item_id": (node.get("inventoryItem") or {}).get("id"),
            "product_id": (node.get("product") or {}).get("id"),
        }


def erp_item_codes(adapter: ErpAdapter) -> list[str]:
    """The ERP's stocked item codes (every item with a stock level at any location)."""
    codes: dict[str, None] = {}
    for page in adapter.inventory_snapshot():
        codes.update(dict.fromkeys(level.item_code for level in page))
    return list(codes)


def build_shop_xref(shop: ShopConfig, client: ShopifyClient, adapter: ErpAdapter, *, bulk: bool) -> XrefResult:
    variants = variants_frame(shopify_variants(client, bulk=bulk))
    return build_xref(variants, erp_item_codes(adapter), shop.sku_overrides)
