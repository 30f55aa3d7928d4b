"""GraphQL objects as thin views over ``ShopState``: a view holds an index and reads columns only
for the fields a query asks for, so a page of 250 variants costs 250 small objects, not a copy."""

from __future__ import annotations

from typing import Any

from erp_shopify_sandbox.shopify import ids
from erp_shopify_sandbox.shopify.paging import connection
from erp_shopify_sandbox.shopify.state import QUANTITY_NAMES, Metafield, ShopState


def money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currencyCode": currency}


def money_bag(amount: str, currency: str) -> dict[str, Any]:
    return {"shopMoney": money(amount, currency), "presentmentMoney": money(amount, currency)}


def bulk_of(info: Any) -> bool:
    return bool(getattr(info.context, "unbounded", False))


class _View:
    typename = ""
    kind = ""
    __slots__ = ("index", "state")

    def __init__(self, state: ShopState, index: int) -> None:
        self.state = state
        self.index = index

    @property
    def id(self) -> str:
        return ids.gid(self.kind, self.index)

    @property
    def legacyResourceId(self) -> int:
        return ids.legacy_id(self.kind, self.index)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.index == self.index  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.kind, self.index))


class _HasMetafields(_View):
    __slots__ = ()

    def metafield(self, info: Any, key: str, namespace: str | None = None) -> MetafieldView | None:
        found = self.state.metafields.get((self.id, namespace or "$app", key))
        return MetafieldView(found) if found else None

    def metafields(
        self,
        info: Any,
        first: int | None = None,
        after: str | None = None,
        keys: list[str] | None = None,
        namespace: str | None = None,
    ) -> dict:
        owned = sorted(
            (m.index, m)
            for (owner, ns, key), m in self.state.metafields.items()
            if owner == self.id and (namespace is None or ns == namespace) and (keys is None or f"{ns}.{key}" in keys)
        )
        by_index = dict(owned)
        return connection([i for i, _ in owned], first, after, lambda i: MetafieldView(by_index[i]), bulk=bulk_of(info))


class ProductView(_HasMetafields):
    typename = kind = "Product"
    __slots__ = ()

    def _master(self, attribute: str, seeded: Any) -> Any:
        master = self.state.masters.get(self.index)
        return seeded if master is None else getattr(master, attribute)

    @property
    def title(self) -> str:
        return self.state.product_titles[self.index]

    @property
    def handle(self) -> str:
        return self._master("handle", f"product-{self.index + 1}")

    @property
    def status(self) -> str:
        return self._master("status", "ACTIVE")

    @property
    def vendor(self) -> str:
        return self._master("vendor", "Sandbox")

    @property
    def productType(self) -> str:
        return self._master("product_type", "")

    @property
    def descriptionHtml(self) -> str:
        return self._master("description", "")

    @property
    def tags(self) -> list[str]:
        return self._master("tags", [])

    @property
    def createdAt(self) -> str:
        return self.state.created_at

    @property
    def updatedAt(self) -> str:
        return self.state.product_updated.get(self.index, self.state.created_at)

    def variant_indices(self) -> list[int] | range:
        return self.state.variants_of(self.index)

    @property
    def totalInventory(self) -> int:
        s = self.state
        return sum(s.quantity(loc, v, "available") for v in self.variant_indices() for loc in range(len(s.locations)))

    def variants(self, info: Any, first: int | None = None, after: str | None = None) -> dict:
        return connection(
            self.variant_indices(), first, after, lambda v: VariantView(self.state, v), bulk=bulk_of(info)
        )


class VariantView(_HasMetafields):
    typename = kind = "ProductVariant"
    __slots__ = ()

    @property
    def sku(self) -> str:
        return self.state.skus[self.index]

    @property
    def price(self) -> str:
        return self.state.prices[self.index]

    @property
    def compareAtPrice(self) -> str | None:
        return self.state.compare_at[self.index]

    @property
    def product(self) -> ProductView:
        return ProductView(self.state, self.state.variant_product[self.index])

    def option_pairs(self) -> list[tuple[str, str]]:
        """(option name, value) pairs: the master's, or the seeded "Title" option."""
        product = self.state.variant_product[self.index]
        master = self.state.masters.get(product)
        if master is not None and self.index in master.details:
            names = [name for name, _ in master.options]
            return list(zip(names, master.details[self.index].options, strict=True))
        position = self.index - self.state.product_first_variant[product]
        single = self.state.product_variant_count[product] == 1
        return [("Title", "Default Title" if single else f"Option {position + 1}")]

    @property
    def title(self) -> str:
        return " / ".join(value for _, value in self.option_pairs())

    @property
    def selectedOptions(self) -> list[dict[str, str]]:
        return [{"name": name, "value": value} for name, value in self.option_pairs()]

    @property
    def barcode(self) -> str | None:
        master = self.state.masters.get(self.state.variant_product[self.index])
        detail = master.details.get(self.index) if master else None
        return detail.barcode if detail else None

    @property
    def displayName(self) -> str:
        return f"{self.product.title} - {self.title}"

    @property
    def inventoryItem(self) -> InventoryItemView:
        return InventoryItemView(self.state, self.index)

    @property
    def inventoryQuantity(self) -> int:
        return sum(self.state.quantity(loc, self.index, "available") for loc in range(len(self.state.locations)))

    @property
    def createdAt(self) -> str:
        return self.state.created_at

    @property
    def updatedAt(self) -> str:
        return self.state.variant_updated.get(self.index, self.state.created_at)


class InventoryItemView(_View):
    typename = kind = "InventoryItem"
    __slots__ = ()
    tracked = True

    @property
    def sku(self) -> str:
        return self.state.skus[self.index]

    @property
    def duplicateSkuCount(self) -> int:
        return len(self.state.variants_by_sku(self.sku)) - 1

    @property
    def variant(self) -> VariantView:
        return VariantView(self.state, self.index)

    @property
    def createdAt(self) -> str:
        return self.state.created_at

    @property
    def updatedAt(self) -> str:
        return self.state.variant_updated.get(self.index, self.state.created_at)

    def inventoryLevel(self, info: Any, locationId: str) -> InventoryLevelView | None:
        location = ids.parse_gid(locationId, "Location")
        if location is None or location >= len(self.state.locations):
            return None
        return InventoryLevelView(self.state, location, self.index)

    def inventoryLevels(self, info: Any, first: int | None = None, after: str | None = None) -> dict:
        return connection(
            range(len(self.state.locations)),
            first,
            after,
            lambda loc: InventoryLevelView(self.state, loc, self.index),
            bulk=bulk_of(info),
        )


class InventoryLevelView:
    typename = "InventoryLevel"
    __slots__ = ("item_index", "location_index", "state")

    def __init__(self, state: ShopState, location: int, item: int) -> None:
        self.state, self.location_index, self.item_index = state, location, item

    @property
    def id(self) -> str:
        return ids.level_gid(self.location_index, self.item_index)

    @property
    def item(self) -> InventoryItemView:
        return InventoryItemView(self.state, self.item_index)

    @property
    def location(self) -> LocationView:
        return LocationView(self.state, self.location_index)

    @property
    def createdAt(self) -> str:
        return self.state.created_at

    @property
    def updatedAt(self) -> str:
        return self.state.level_updated_at(self.location_index, self.item_index)

    def quantities(self, info: Any, names: list[str]) -> list[dict[str, Any]]:
        unknown = [n for n in names if n not in QUANTITY_NAMES]
        if unknown:
            from graphql import GraphQLError

            raise GraphQLError(f"Invalid quantity names {unknown}: use {', '.join(QUANTITY_NAMES)}")
        return [
            {
                "id": f"gid://shopify/InventoryQuantity/{ids.legacy_id('Location', self.location_index)}"
                f"?inventory_item_id={ids.legacy_id('InventoryItem', self.item_index)}&name={name}",
                "name": name,
                "quantity": self.state.quantity(self.location_index, self.item_index, name),
                "updatedAt": self.updatedAt,
            }
            for name in names
        ]


class LocationView(_View):
    typename = kind = "Location"
    __slots__ = ()
    isActive = True
    fulfillsOnlineOrders = True

    @property
    def name(self) -> str:
        return self.state.locations[self.index]

    @property
    def isPrimary(self) -> bool:
        return self.index == 0

    def inventoryLevel(self, info: Any, inventoryItemId: str) -> InventoryLevelView | None:
        item = ids.parse_gid(inventoryItemId, "InventoryItem")
        if item is None or item >= self.state.variant_count:
            return None
        return InventoryLevelView(self.state, self.index, item)


class MetafieldView:
    typename = "Metafield"
    __slots__ = ("metafield",)

    def __init__(self, metafield: Metafield) -> None:
        self.metafield = metafield

    def __getattr__(self, name: str) -> Any:
        m = self.metafield
        fields = {
            "id": ids.gid("Metafield", m.index),
            "namespace": m.namespace,
            "key": m.key,
            "type": m.type,
            "value": m.value,
            "createdAt": m.created_at,
            "updatedAt": m.updated_at,
            "compareDigest": compare_digest(m),
            "ownerType": OWNER_TYPES.get(ids.kind_of(m.owner) or "", "SHOP"),
        }
        if name in fields:
            return fields[name]
        raise AttributeError(name)


OWNER_TYPES = {
    "Product": "PRODUCT",
    "ProductVariant": "PRODUCTVARIANT",
    "Customer": "CUSTOMER",
    "Order": "ORDER",
    "Location": "LOCATION",
    "Company": "COMPANY",
    "CompanyLocation": "COMPANY_LOCATION",
    "Shop": "SHOP",
}


def compare_digest(metafield: Metafield) -> str:
    """Changes whenever the metafield is written, like Shopify's opaque digest."""
    import hashlib

    raw = f"{metafield.owner}|{metafield.namespace}|{metafield.key}|{metafield.version}|{metafield.value}"
    return hashlib.sha256(raw.encode()).hexdigest()
