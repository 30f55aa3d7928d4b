"""The Shopify order and refund webhook payloads as the mapping reads them: tolerant (unknown fields
are ignored, so a new API version does not break delivery), keyed on ``admin_graphql_api_id`` (the
numeric ``id`` fields lose precision in JavaScript-produced JSON)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from erp_shopify.errors import DataError
from erp_shopify.mapping.order_totals import money
from erp_shopify.records import Address, ShippingCharge, TaxLine

_ZERO = Decimal("0")


def legacy_id(gid: str) -> str:
    """``gid://shopify/Order/820982911946154508`` -> ``820982911946154508`` (kept as text)."""
    tail = gid.rstrip("/").rsplit("/", 1)[-1]
    if not tail.isdigit():
        raise DataError(f"admin_graphql_api_id {gid!r} is not a Shopify GID", codes=("BAD_GID",), system="mapping")
    return tail


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


_Amount = Annotated[Decimal | None, BeforeValidator(_blank_is_none)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ShopifyTaxLine(_Payload):
    price: Decimal = _ZERO
    rate: Decimal = _ZERO
    title: str = ""

    def to_erp(self, share: Decimal = Decimal(1)) -> TaxLine:
        return TaxLine(title=self.title, rate=self.rate, amount=money(self.price * share))


class DiscountAllocation(_Payload):
    amount: Decimal = _ZERO
    discount_application_index: int | None = None


class DiscountApplication(_Payload):
    """What a discount targets: ``target_selection`` ``all`` on line items is an order-level
    discount (Shopify allocates it across the lines); ``entitled``/``explicit`` are line discounts."""

    target_type: str = "line_item"
    target_selection: str = "entitled"
    allocation_method: str = "across"


class ShopifyAddress(_Payload):
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    zip: str | None = None
    province_code: str | None = None
    country_code: str | None = None
    phone: str | None = None

    def to_erp(self) -> Address:
        name = self.name or " ".join(p for p in (self.first_name, self.last_name) if p)
        return Address(
            name=name,
            company=self.company or "",
            address1=self.address1 or "",
            address2=self.address2 or "",
            city=self.city or "",
            zip=self.zip or "",
            province_code=self.province_code or "",
            country_code=self.country_code or "",
            phone=self.phone or "",
        )


class ShopifyCustomer(_Payload):
    admin_graphql_api_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class _Money(_Payload):
    amount: _Amount = None


class MoneySet(_Payload):
    """``{shop_money, presentment_money}``: the shop currency's amount is the one the ERP books."""

    shop_money: _Money | None = None

    @property
    def amount(self) -> Decimal:
        return (self.shop_money.amount if self.shop_money else None) or _ZERO


class LineItem(_Payload):
    admin_graphql_api_id: str
    sku: str | None = None
    product_id: int | None = None
    variant_id: int | None = None
    title: str = ""
    quantity: int
    current_quantity: int | None = None  # after order edits; 0 = removed
    price: Decimal
    total_discount: Decimal = _ZERO
    discount_allocations: list[DiscountAllocation] = []
    tax_lines: list[ShopifyTaxLine] = []
    requires_shipping: bool = True


class ShippingLine(_Payload):
    title: str = ""
    price: Decimal = _ZERO
    discounted_price: Decimal | None = None
    discount_allocations: list[DiscountAllocation] = []
    is_removed: bool = False
    tax_lines: list[ShopifyTaxLine] = []

    def to_erp(self) -> ShippingCharge:
        allocated = sum((a.amount for a in self.discount_allocations), _ZERO)
        discount = self.price - self.discounted_price if self.discounted_price is not None else allocated
        return ShippingCharge(
            title=self.title[:40], price=self.price, discount=discount, taxes=[t.to_erp() for t in self.tax_lines]
        )


class ShopifyOrder(_Payload):
    admin_graphql_api_id: str
    name: str = ""
    currency: str
    created_at: datetime
    processed_at: datetime | None = None
    email: str | None = None
    contact_email: str | None = None
    note: str | None = None
    customer: ShopifyCustomer | None = None
    shipping_address: ShopifyAddress | None = None
    billing_address: ShopifyAddress | None = None
    line_items: list[LineItem]
    shipping_lines: list[ShippingLine] = []
    discount_applications: list[DiscountApplication] = []
    total_discounts: Decimal = _ZERO
    taxes_included: bool = False
    total_price: _Amount = None
    current_total_price: _Amount = None
    total_tip_received: _Amount = None
    original_total_duties_set: MoneySet | None = None
    current_total_duties_set: MoneySet | None = None
    original_total_additional_fees_set: MoneySet | None = None
    current_total_additional_fees_set: MoneySet | None = None
    cancelled_at: datetime | None = None

    @property
    def legacy_id(self) -> str:
        return legacy_id(self.admin_graphql_api_id)

    @property
    def tip(self) -> Decimal:
        return self.total_tip_received or _ZERO

    def tip_lines(self) -> set[int]:
        """Positions of the line items that carry the tip (no product, no variant, no SKU, adding
        up to ``total_tip_received``): the tip is sent once, as the tip charge, not as goods."""
        found = [
            n
            for n, line in enumerate(self.line_items)
            if not line.sku and line.product_id is None and line.variant_id is None
        ]
        amount = sum((self.line_items[n].price * self.line_items[n].quantity for n in found), _ZERO)
        return set(found) if found and self.tip and amount == self.tip else set()

    def duties(self, current: bool) -> Decimal:
        chosen = self.current_total_duties_set if current else self.original_total_duties_set
        return chosen.amount if chosen else _ZERO

    def additional_fees(self, current: bool) -> Decimal:
        chosen = self.current_total_additional_fees_set if current else self.original_total_additional_fees_set
        return chosen.amount if chosen else _ZERO


class RefundLineItem(_Payload):
    quantity: int
    subtotal: Decimal = _ZERO
    total_tax: Decimal = _ZERO
    line_item: LineItem


class OrderAdjustment(_Payload):
    """A refund's adjustment: ``shipping_refund`` (refunded shipping) or ``refund_discrepancy``;
    its amounts are negative for what the customer gets back."""

    kind: str = ""
    amount: Decimal = _ZERO
    tax_amount: _Amount = None

    @property
    def refunded(self) -> Decimal:
        return -(self.amount + (self.tax_amount or _ZERO))


class Transaction(_Payload):
    kind: str = ""
    status: str = ""
    amount: Decimal = _ZERO
    currency: str | None = None


class ShopifyRefund(_Payload):
    admin_graphql_api_id: str
    order_id: int  # the refund payload names its order only by legacy id
    created_at: datetime
    note: str | None = None
    refund_line_items: list[RefundLineItem] = []
    order_adjustments: list[OrderAdjustment] = []
    transactions: list[Transaction] = []

    @property
    def legacy_id(self) -> str:
        return legacy_id(self.admin_graphql_api_id)
