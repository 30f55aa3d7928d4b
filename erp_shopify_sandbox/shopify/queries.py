"""Root query fields: lookups by id, SKU search and the top-level connections."""

from __future__ import annotations

from typing import Any

from erp_shopify_sandbox.shopify import ids
from erp_shopify_sandbox.shopify.fulfillment_views import FulfillmentOrderView, FulfillmentView
from erp_shopify_sandbox.shopify.paging import connection, parse_search
from erp_shopify_sandbox.shopify.product_mutations import product_operation
from erp_shopify_sandbox.shopify.sales_views import (
    CatalogView,
    CompanyLocationView,
    CompanyView,
    CustomerView,
    OrderView,
    PriceListView,
)
from erp_shopify_sandbox.shopify.state import ShopState
from erp_shopify_sandbox.shopify.views import (
    InventoryItemView,
    InventoryLevelView,
    LocationView,
    MetafieldView,
    ProductView,
    VariantView,
    bulk_of,
)

PLAN_NAMES = {
    "standard": "Shopify",
    "advanced": "Advanced",
    "plus": "Shopify Plus",
    "enterprise": "Commerce Components",
}


def _sized(kind: str, state: ShopState) -> int:
    return {
        "Product": len(state.product_titles),
        "ProductVariant": state.variant_count,
        "InventoryItem": state.variant_count,
        "Location": len(state.locations),
        "Order": len(state.orders),
        "Customer": len(state.customers),
        "PriceList": len(state.price_lists),
        "CompanyLocation": len(state.price_lists),
        "CompanyLocationCatalog": len(state.price_lists),
        "Company": len(state.price_lists),
        "FulfillmentOrder": len(state.fulfillment.orders),
        "Fulfillment": len(state.fulfillment.fulfillments),
    }.get(kind, 0)


_VIEWS: dict[str, Any] = {
    "FulfillmentOrder": FulfillmentOrderView,
    "Fulfillment": FulfillmentView,
    "Product": ProductView,
    "ProductVariant": VariantView,
    "InventoryItem": InventoryItemView,
    "Location": LocationView,
    "Order": OrderView,
    "Customer": CustomerView,
    "PriceList": PriceListView,
    "CompanyLocation": CompanyLocationView,
    "CompanyLocationCatalog": CatalogView,
    "Company": CompanyView,
}


def lookup(context: Any, gid: str | None) -> Any:
    """The view behind any global id the sandbox knows, or None (Shopify answers null, not an error)."""
    if gid is None:
        return None
    state: ShopState = context.state
    kind = ids.kind_of(gid)
    if kind == "InventoryLevel":
        pair = ids.parse_level_gid(gid)
        if pair and pair[0] < len(state.locations) and 0 <= pair[1] < state.variant_count:
            return InventoryLevelView(state, *pair)
        return None
    if kind == "Metafield":
        index = ids.parse_gid(gid, kind)
        found = next((m for m in state.metafields.values() if m.index == index), None)
        return MetafieldView(found) if found else None
    if kind == "BulkOperation":
        return context.bulk_operations.view(gid)
    if kind not in _VIEWS:
        return None
    index = ids.parse_gid(gid, kind)
    if index is None or (
        kind == "CompanyLocation" and not state.price_lists[index].company_location
        if index < len(state.price_lists)
        else False
    ):
        return None
    if kind in ("ProductVariant", "InventoryItem") and index in state.deleted_variants:
        return None  # deleted by a productSet that left it out
    return _VIEWS[kind](state, index) if index < _sized(kind, state) else None


def _by_id(kind: str):  # type: ignore[no-untyped-def]
    def resolve(_root: Any, info: Any, id: str) -> Any:
        return lookup(info.context, id) if ids.kind_of(id) == kind else None

    return resolve


def _sku_keys(state: ShopState, query: str | None) -> Any:
    skus = parse_search(query, ("sku",)).get("sku")
    if skus is None:
        return state.live_variants()
    return sorted({v for sku in skus for v in state.variants_by_sku(sku)})


def product_variants(
    _root: Any, info: Any, first: int | None = None, after: str | None = None, query: str | None = None
) -> dict:
    state = info.context.state
    return connection(_sku_keys(state, query), first, after, lambda v: VariantView(state, v), bulk=bulk_of(info))


def inventory_items(
    _root: Any, info: Any, first: int | None = None, after: str | None = None, query: str | None = None
) -> dict:
    state = info.context.state
    return connection(_sku_keys(state, query), first, after, lambda v: InventoryItemView(state, v), bulk=bulk_of(info))


def _product_keys(state: ShopState, query: str | None) -> Any:
    terms = parse_search(query, ("sku",)).get("sku")
    if terms is None:
        return range(len(state.product_titles))
    return sorted({state.variant_product[v] for sku in terms for v in state.variants_by_sku(sku)})


def products(
    _root: Any, info: Any, first: int | None = None, after: str | None = None, query: str | None = None
) -> dict:
    state = info.context.state
    return connection(_product_keys(state, query), first, after, lambda p: ProductView(state, p), bulk=bulk_of(info))


def _count(total: int, limit: int | None) -> dict[str, Any]:
    """Shopify's ``Count``: exact up to ``limit`` (default 10,000; null for none), else the limit, AT_LEAST."""
    if limit is not None and total > limit:
        return {"count": limit, "precision": "AT_LEAST"}
    return {"count": total, "precision": "EXACT"}


def product_variants_count(_root: Any, info: Any, limit: int | None = 10000, query: str | None = None) -> dict:
    return _count(len(_sku_keys(info.context.state, query)), limit)


def products_count(_root: Any, info: Any, limit: int | None = 10000, query: str | None = None) -> dict:
    return _count(len(_product_keys(info.context.state, query)), limit)


def locations(
    _root: Any,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    includeInactive: bool = False,
    query: str | None = None,
) -> dict:
    state = info.context.state
    parse_search(query, ())
    return connection(range(len(state.locations)), first, after, lambda i: LocationView(state, i), bulk=bulk_of(info))


def orders(_root: Any, info: Any, first: int | None = None, after: str | None = None, query: str | None = None) -> dict:
    state = info.context.state
    names = parse_search(query, ("name",)).get("name")
    keys = [o.index for o in state.orders if names is None or o.name in names or o.name.lstrip("#") in names]
    return connection(keys, first, after, lambda i: OrderView(state, i), bulk=bulk_of(info))


def price_lists(_root: Any, info: Any, first: int | None = None, after: str | None = None) -> dict:
    state = info.context.state
    return connection(
        range(len(state.price_lists)), first, after, lambda i: PriceListView(state, i), bulk=bulk_of(info)
    )


def shop(_root: Any, info: Any) -> dict:
    context = info.context
    plan = context.options.plan
    return {
        "id": ids.gid("Shop", 0),
        "name": context.state.domain.split(".")[0],
        "myshopifyDomain": context.state.domain,
        "currencyCode": context.state.currency,
        "plan": {
            "displayName": PLAN_NAMES[plan],
            "publicDisplayName": PLAN_NAMES[plan],
            "partnerDevelopment": False,
            "shopifyPlus": plan in ("plus", "enterprise"),
        },
    }


QUERY_RESOLVERS = {
    "product": _by_id("Product"),
    "productVariant": _by_id("ProductVariant"),
    "inventoryItem": _by_id("InventoryItem"),
    "inventoryLevel": _by_id("InventoryLevel"),
    "location": lambda _root, info, id=None: (
        lookup(info.context, id or ids.gid("Location", 0))
        if ids.kind_of(id or "gid://shopify/Location/") == "Location"
        else None
    ),
    "order": _by_id("Order"),
    "customer": _by_id("Customer"),
    "fulfillment": _by_id("Fulfillment"),
    "fulfillmentOrder": _by_id("FulfillmentOrder"),
    "priceList": _by_id("PriceList"),
    "companyLocation": _by_id("CompanyLocation"),
    "bulkOperation": _by_id("BulkOperation"),
    "currentBulkOperation": lambda _root, info, type="QUERY": info.context.bulk_operations.current(),
    "node": lambda _root, info, id: lookup(info.context, id),
    "nodes": lambda _root, info, ids: [lookup(info.context, i) for i in ids],
    "productVariants": product_variants,
    "inventoryItems": inventory_items,
    "products": products,
    "productVariantsCount": product_variants_count,
    "productsCount": products_count,
    "locations": locations,
    "orders": orders,
    "priceLists": price_lists,
    "shop": shop,
    "productOperation": product_operation,
}
