"""The in-memory state of one sandbox shop.

The catalog is columnar (one list or array per attribute, indexed by variant) so that seeding a
million variants takes seconds and little memory; orders, customers, price lists and metafields are
few and kept as small records. One re-entrant lock guards everything: the GraphQL executor runs
requests on worker threads. (A little over 400 lines on purpose: catalogue, levels, orders and
customers change together under that one lock, and a split would spread it over modules.)
"""

from __future__ import annotations

import threading
import time
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from erp_shopify_sandbox.shopify import ids
from erp_shopify_sandbox.shopify.checkout import Pricing, checkout

QUANTITY_NAMES = (
    "available",
    "on_hand",
    "committed",
    "incoming",
    "reserved",
    "damaged",
    "safety_stock",
    "quality_control",
)
MAX_QUANTITY = 1_000_000_000
# seeded prices repeat every 900 variants: 900 shared strings instead of one string per variant
_SEED_PRICES = [f"{10 + i % 90}.{i * 7 % 100:02d}" for i in range(900)]


def now_iso(epoch: float | None = None) -> str:
    stamp = datetime.fromtimestamp(time.time() if epoch is None else epoch, UTC)
    return stamp.isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class LineItem:
    index: int
    variant: int
    sku: str
    title: str
    quantity: int
    price: str
    refunded: int = 0
    fulfilled: int = 0

    @property
    def current_quantity(self) -> int:
        return self.quantity - self.refunded


class OutOfStock(ValueError):
    """A checkout refused under the DENY inventory policy."""


@dataclass
class Refund:
    index: int
    order: int
    created_at: str
    note: str | None
    lines: list[tuple[LineItem, int, bool]]  # line, quantity, restocked
    shipping: bool = False  # the order's shipping refunded too


@dataclass
class Order:
    index: int
    number: int
    location: int
    customer: int | None
    email: str | None
    currency: str
    line_items: list[LineItem]
    created_at: str
    updated_at: str
    financial_status: str = "PAID"
    cancelled_at: str | None = None
    cancel_reason: str | None = None
    refunds: list[Refund] = field(default_factory=list)
    pricing: Pricing = field(default_factory=Pricing)  # discounts, shipping and taxes of the checkout

    @property
    def name(self) -> str:
        return f"#{self.number}"

    def total(self) -> str:
        """``totalPriceSet``: lines after discounts, shipping, and taxes unless included."""
        lines = [(Decimal(li.price), li.quantity) for li in self.line_items]
        return f"{checkout(lines, self.pricing, self.currency)['total']:.2f}"


@dataclass
class Customer:
    index: int
    first_name: str
    last_name: str
    email: str
    created_at: str
    updated_at: str
    address: dict[str, str] = field(default_factory=dict)
    phone: str = ""
    addresses: list[dict[str, Any]] | None = None  # set by customerSet: each with its "index"


SEED_COMPANY_ADDRESS = {
    "address1": "100 Market St", "address2": None, "city": "Seattle", "countryCode": "US", "firstName": None,
    "lastName": None, "phone": None, "recipient": "Receiving", "zip": "98101", "zoneCode": "WA",
}  # fmt: skip


@dataclass
class PriceList:
    index: int
    name: str
    currency: str
    company_location: str | None  # the B2B company location whose catalog uses it
    fixed: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # variant -> price, compareAt
    breaks: dict[tuple[int, int], tuple[int, str]] = field(default_factory=dict)  # (variant, min) -> id, price
    rules: dict[int, tuple[int, int | None, int]] = field(default_factory=dict)  # variant -> min, max, increment
    # the company location's addresses (companyLocationAssignAddress): one stored address may be both
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    location_updated_at: str = ""


@dataclass
class Metafield:
    index: int
    owner: str
    namespace: str
    key: str
    type: str
    value: str
    created_at: str
    updated_at: str
    version: int = 1


class ShopState:
    """Everything one shop holds. Methods take the lock; callers reading several columns at once
    hold ``state.lock`` themselves."""

    def __init__(self, domain: str, currency: str = "USD") -> None:
        self.lock = threading.RLock()
        self.domain = domain
        self.currency = currency
        self.created_at = now_iso()
        # catalog columns, indexed by variant (= inventory item)
        self.skus: list[str] = []
        self.prices: list[str] = []
        self.compare_at: list[str | None] = []
        self.variant_product: array[int] = array("q")
        self.variant_updated: dict[int, str] = {}
        self.product_titles: list[str] = []
        self.product_first_variant: array[int] = array("q")
        self.product_variant_count: array[int] = array("q")
        self.product_updated: dict[int, str] = {}
        # SKU index: most SKUs are unique, so one int per SKU; the few shared ones also list every row
        self.sku_rows: dict[str, int] = {}
        self.sku_duplicates: dict[str, list[int]] = {}
        # inventory: per location, per stored quantity name, one array indexed by item
        self.locations: list[str] = []
        self.levels: list[dict[str, array[int]]] = []
        self.level_updated: dict[tuple[int, int], str] = {}
        self.orders: list[Order] = []
        self.line_item_count = 0
        self.refund_count = 0
        self.customers: list[Customer] = []
        self.address_count = 0
        self.customer_custom_ids: dict[tuple[str, str, str], int] = {}  # (ns, key, value) -> customer
        self.company_address_count = 0
        self.price_lists: list[PriceList] = []
        self.price_break_count = 0
        self.metafields: dict[tuple[str, str, str], Metafield] = {}
        self.adjustment_groups: list[dict] = []
        from erp_shopify_sandbox.shopify.fulfillments import FulfillmentBook  # it builds on this module's records

        self.fulfillment = FulfillmentBook()
        self.write_calls: dict[str, int] = {}
        # the product master that ``productSet`` keeps (``catalog.py``); seeded products have none
        self.masters: dict[int, Any] = {}  # product -> catalog.ProductMaster
        self.deleted_variants: set[int] = set()
        self.metafield_definitions: dict[tuple[str, str, str], str] = {}  # (owner type, ns, key) -> type
        self.custom_ids: dict[tuple[str, str, str], int] = {}  # (ns, key, value) -> product
        self.product_operations: list[dict[str, Any]] = []

    # -- catalog -----------------------------------------------------------------------------------
    @property
    def variant_count(self) -> int:
        return len(self.skus)

    def add_locations(self, names: list[str]) -> None:
        with self.lock:
            for name in names:
                self.locations.append(name)
                self.levels.append({q: array("i", bytes(4 * self.variant_count)) for q in ("available", "committed")})

    def seed(
        self,
        products: int,
        *,
        variants_per_product: int = 1,
        locations: int = 1,
        available: int = 10,
        sku_prefix: str = "SKU-",
        price: str | None = None,
    ) -> dict[str, int]:
        """Append ``products`` products of ``variants_per_product`` variants, stocked with
        ``available`` units at each of ``locations`` locations (created when missing)."""
        with self.lock:
            missing = locations - len(self.locations)
            if missing > 0:
                self.add_locations([f"Warehouse {len(self.locations) + i + 1}" for i in range(missing)])
            first_product, first_variant = len(self.product_titles), self.variant_count
            count = products * variants_per_product
            new = range(first_variant, first_variant + count)
            skus = [f"{sku_prefix}{i:07d}" for i in new]
            self.skus.extend(skus)
            self.prices.extend([price] * count if price else [_SEED_PRICES[i % len(_SEED_PRICES)] for i in new])
            self.compare_at.extend([None] * count)
            self.variant_product.extend(first_product + k // variants_per_product for k in range(count))
            self.product_titles.extend(f"Product {p + 1}" for p in range(first_product, first_product + products))
            self.product_first_variant.extend(range(first_variant, first_variant + count, variants_per_product))
            self.product_variant_count.extend([variants_per_product] * products)
            if self.sku_rows.keys().isdisjoint(skus):
                self.sku_rows.update(zip(skus, new, strict=True))
            else:
                for sku, index in zip(skus, new, strict=True):
                    self._index_sku(sku, index)
            for columns in self.levels:
                columns["available"].extend(array("i", [available]) * count)
                columns["committed"].extend(array("i", bytes(4 * count)))
            return {"products": products, "variants": count, "locations": len(self.locations)}

    def variants_of(self, product: int) -> list[int] | range:
        """The product's variants in position order: its master's list once ``productSet`` wrote it."""
        master = self.masters.get(product)
        if master is not None:
            return master.variants
        first = self.product_first_variant[product]
        return range(first, first + self.product_variant_count[product])

    def live_variants(self) -> range | list[int]:
        """Every variant not deleted by a ``productSet`` (a plain range while none was)."""
        if not self.deleted_variants:
            return range(self.variant_count)
        return [v for v in range(self.variant_count) if v not in self.deleted_variants]

    def variants_by_sku(self, sku: str) -> list[int]:
        """Every variant with this SKU (exact, case sensitive), the first one indexed first."""
        first = self.sku_rows.get(sku)
        if first is None:
            return []
        return self.sku_duplicates.get(sku) or [first]

    def _index_sku(self, sku: str, variant: int) -> None:
        first = self.sku_rows.setdefault(sku, variant)
        if first != variant:
            self.sku_duplicates.setdefault(sku, [first]).append(variant)

    def _unindex_sku(self, sku: str, variant: int) -> None:
        shared = self.sku_duplicates.get(sku)
        if shared is None:
            del self.sku_rows[sku]
            return
        shared.remove(variant)
        self.sku_rows[sku] = shared[0]
        if len(shared) == 1:
            del self.sku_duplicates[sku]

    def set_variant(
        self, variant: int, *, price: str | None = None, compare_at: str | None = None, sku: str | None = None
    ) -> None:
        with self.lock:
            if price is not None:
                self.prices[variant] = price
            if compare_at is not None:
                self.compare_at[variant] = compare_at or None
            if sku is not None and sku != self.skus[variant]:
                self._unindex_sku(self.skus[variant], variant)
                self.skus[variant] = sku
                self._index_sku(sku, variant)
            stamp = now_iso()
            self.variant_updated[variant] = stamp
            self.product_updated[self.variant_product[variant]] = stamp

    # -- inventory ---------------------------------------------------------------------------------
    def quantity(self, location: int, item: int, name: str) -> int:
        columns = self.levels[location]
        if name in columns:
            return columns[name][item]
        if name == "on_hand":
            return columns["available"][item] + columns["committed"][item]
        return 0

    def set_quantity(self, location: int, item: int, name: str, value: int) -> int:
        """Set ``available`` or ``on_hand`` (which moves ``available`` by the same delta); returns the delta."""
        with self.lock:
            before = self.quantity(location, item, name)
            self.levels[location]["available"][item] += value - before
            self.level_updated[(location, item)] = now_iso()
            return value - before

    def move(self, location: int, item: int, available_delta: int, committed_delta: int) -> None:
        with self.lock:
            self.levels[location]["available"][item] += available_delta
            self.levels[location]["committed"][item] += committed_delta
            self.level_updated[(location, item)] = now_iso()

    def level_updated_at(self, location: int, item: int) -> str:
        return self.level_updated.get((location, item), self.created_at)

    def count_write(self, mutation: str) -> None:
        with self.lock:
            self.write_calls[mutation] = self.write_calls.get(mutation, 0) + 1

    # -- orders ------------------------------------------------------------------------------------
    def place_order(
        self,
        lines: list[tuple[str, int]],
        *,
        location: int = 0,
        customer: int | None = None,
        email: str | None = None,
        deny_oversell: bool = False,
        pricing: Pricing | None = None,
    ) -> Order:
        """A storefront checkout: each line (sku, quantity) moves units from available to committed.
        ``deny_oversell`` is Shopify's inventory policy DENY: a line above what is available refuses
        the checkout (``OutOfStock``); the default, CONTINUE, sells below zero."""
        with self.lock:
            if not 0 <= location < len(self.locations):
                raise ValueError(f"location index {location} does not exist (the shop has {len(self.locations)})")
            items: list[LineItem] = []
            for sku, quantity in lines:
                variants = self.variants_by_sku(sku)
                if not variants:
                    raise ValueError(f"no variant has SKU {sku!r}")
                if quantity <= 0:
                    raise ValueError(f"quantity for {sku!r} must be positive, got {quantity}")
                variant = variants[0]
                title = self.product_titles[self.variant_product[variant]]
                items.append(LineItem(self.line_item_count, variant, sku, title, quantity, self.prices[variant]))
                self.line_item_count += 1
            short = [i.sku for i in items if i.quantity > self.levels[location]["available"][i.variant]]
            if deny_oversell and short:
                raise OutOfStock(f"not enough stock of {', '.join(short)} at location index {location}")
            for item in items:
                self.move(location, item.variant, -item.quantity, item.quantity)
            stamp = now_iso()
            order = Order(
                len(self.orders), 1001 + len(self.orders), location, customer, email, self.currency, items, stamp, stamp
            )
            order.pricing = pricing or Pricing()
            self.orders.append(order)
            self.fulfillment.open_for(order, location)
            return order

    def order(self, index: int) -> Order:
        if not 0 <= index < len(self.orders):
            raise KeyError(f"order index {index} does not exist")
        return self.orders[index]

    def fulfill(self, index: int) -> Order:
        """Ship every unshipped, unrefunded unit from the locations its fulfillment orders are
        assigned to: Shopify takes them off ``committed`` and so off ``on_hand``; ``available``
        does not move."""
        from erp_shopify_sandbox.shopify.fulfillments import FULFILLABLE

        with self.lock:
            order = self.order(index)
            if order.cancelled_at:
                raise ValueError(f"order {order.name} is cancelled")
            for fulfillment_order in self.fulfillment.of_order(index):
                if fulfillment_order.status in FULFILLABLE and any(li.remaining for li in fulfillment_order.lines):
                    self.fulfillment.fulfill(self, [(fulfillment_order, None)], [])
            order.updated_at = now_iso()
            return order

    def cancel_order(self, index: int, *, reason: str = "CUSTOMER", restock: bool = True) -> Order:
        with self.lock:
            order = self.order(index)
            if order.cancelled_at:
                raise ValueError(f"order {order.name} is already cancelled")
            if restock:
                for item in order.line_items:
                    units = item.current_quantity - item.fulfilled
                    self.move(order.location, item.variant, units, -units)
            self.fulfillment.cancel(index)
            order.cancelled_at = order.updated_at = now_iso()
            order.cancel_reason = reason
            order.financial_status = "REFUNDED" if order.financial_status == "PAID" else "VOIDED"
            return order

    def refund_order(
        self,
        index: int,
        lines: list[tuple[str, int]] | None,
        *,
        restock: bool,
        note: str | None = None,
        shipping: bool = False,
    ) -> Refund:
        """Refund (sku, quantity) lines, or every unrefunded unit when ``lines`` is None."""
        with self.lock:
            order = self.order(index)
            by_sku = {item.sku: item for item in order.line_items}
            wanted = lines if lines is not None else [(i.sku, i.current_quantity) for i in order.line_items]
            refunded: list[tuple[LineItem, int, bool]] = []
            for sku, quantity in wanted:
                item = by_sku.get(sku)
                if item is None:
                    raise ValueError(f"order {order.name} has no line with SKU {sku!r}")
                if not 0 < quantity <= item.current_quantity:
                    raise ValueError(f"cannot refund {quantity} of {sku!r}: {item.current_quantity} refundable")
                refunded.append((item, quantity, restock))
            for item, quantity, _ in refunded:
                item.refunded += quantity
                self.fulfillment.refund(index, item, quantity)
                if restock:
                    self.move(order.location, item.variant, quantity, -quantity)
            refund = Refund(self.refund_count, order.index, now_iso(), note, refunded, shipping)
            self.refund_count += 1
            order.refunds.append(refund)
            order.updated_at = refund.created_at
            fully = all(i.current_quantity == 0 for i in order.line_items)
            order.financial_status = "REFUNDED" if fully else "PARTIALLY_REFUNDED"
            return refund

    # -- customers, price lists --------------------------------------------------------------------
    def upsert_customer(
        self, email: str, first_name: str, last_name: str, address: dict[str, str] | None = None
    ) -> Customer:
        with self.lock:
            stamp = now_iso()
            for customer in self.customers:
                if customer.email == email:
                    customer.first_name, customer.last_name = first_name, last_name
                    customer.address = address or customer.address
                    customer.updated_at = stamp
                    return customer
            customer = Customer(len(self.customers), first_name, last_name, email, stamp, stamp, address or {})
            self.customers.append(customer)
            return customer

    def add_price_list(self, name: str, currency: str, company_location: str | None = None) -> PriceList:
        with self.lock:
            price_list = PriceList(len(self.price_lists), name, currency, company_location)
            price_list.location_updated_at = stamp = now_iso()
            if company_location:  # a location is created with an address, shipping and billing alike
                seeded = {**SEED_COMPANY_ADDRESS, "index": self.company_address_count}
                price_list.shipping_address = price_list.billing_address = seeded | {
                    "created_at": stamp,
                    "updated_at": stamp,
                }
                self.company_address_count += 1
            self.price_lists.append(price_list)
            return price_list

    def levels_snapshot(self, skus: list[str] | None = None) -> list[dict]:
        with self.lock:
            wanted = self.live_variants() if skus is None else [v for s in skus for v in self.variants_by_sku(s)]
            return [
                {
                    "sku": self.skus[item],
                    "inventory_item_id": ids.gid("InventoryItem", item),
                    "location_id": ids.gid("Location", loc),
                    **{name: self.quantity(loc, item, name) for name in ("available", "committed", "on_hand")},
                }
                for item in wanted
                for loc in range(len(self.locations))
            ]
