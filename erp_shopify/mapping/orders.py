"""Shopify order webhooks -> ERP documents: pure functions, no I/O.

The payload models read the ``orders/*`` and ``refunds/create`` webhooks tolerantly (unknown fields
are ignored, so a new API version does not break delivery) and key every object on its
``admin_graphql_api_id``: the numeric ``id`` fields lose precision in JavaScript-produced JSON.

One webhook becomes one ``OrderAction``: create a sales order, cancel one, or credit a refund. The
external reference is the ERP's idempotency key, so it must be the same for every event of one
order and fit every ERP (SAP ``PurchaseOrderByCustomer``: 35 chars; NetSuite ``externalId``:
letters, digits, ``_`` and ``-``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from erp_shopify.errors import DataError
from erp_shopify.policy import ORDER_TOPICS, REFUND_TOPIC
from erp_shopify.records import Address, CreditLine, CreditNote, Customer, SalesOrder, SalesOrderLine

MAX_REF = 35
_REF_CHARS = re.compile(r"[^A-Za-z0-9_-]")
_ZERO = Decimal("0")


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TaxLine(_Payload):
    price: Decimal = _ZERO
    title: str = ""


class DiscountAllocation(_Payload):
    amount: Decimal = _ZERO


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


class LineItem(_Payload):
    admin_graphql_api_id: str
    sku: str | None = None
    title: str = ""
    quantity: int
    current_quantity: int | None = None  # after order edits; 0 = removed
    price: Decimal
    total_discount: Decimal = _ZERO
    discount_allocations: list[DiscountAllocation] = []
    tax_lines: list[TaxLine] = []
    requires_shipping: bool = True


class ShippingLine(_Payload):
    title: str = ""
    price: Decimal = _ZERO
    discounted_price: Decimal | None = None
    is_removed: bool = False
    tax_lines: list[TaxLine] = []


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
    total_discounts: Decimal = _ZERO
    cancelled_at: datetime | None = None

    @property
    def legacy_id(self) -> str:
        return legacy_id(self.admin_graphql_api_id)


class RefundLineItem(_Payload):
    quantity: int
    subtotal: Decimal = _ZERO
    total_tax: Decimal = _ZERO
    line_item: LineItem


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
    transactions: list[Transaction] = []

    @property
    def legacy_id(self) -> str:
        return legacy_id(self.admin_graphql_api_id)


@dataclass(frozen=True)
class OrderMapping:
    """How one shop's orders land in the ERP: the SKU cross-reference and the sold-to party."""

    shop: str
    sku_xref: Mapping[str, str]  # Shopify SKU -> ERP item code (case sensitive, like Shopify)
    currency: str = "USD"  # the shop currency: a refund payload without transactions has none
    default_party: str | None = None  # None: the adapter's configured sold-to party
    party_by_customer: dict[str, str] = field(default_factory=dict)  # customer GID -> ERP party


@dataclass(frozen=True)
class CreateOrder:
    order: SalesOrder

    @property
    def order_ref(self) -> str:
        return self.order.external_ref


@dataclass(frozen=True)
class CancelOrder:
    order_ref: str
    reason: str = ""


@dataclass(frozen=True)
class CreditRefund:
    credit: CreditNote

    @property
    def order_ref(self) -> str:
        return self.credit.order_ref


@dataclass(frozen=True)
class NothingToSend:
    """An update that asks nothing of the ERP (an order refunded or edited down to no quantity):
    acknowledged with its reason, never dead-lettered, since no fix could make it deliverable."""

    order_ref: str
    reason: str


OrderAction = CreateOrder | CancelOrder | CreditRefund | NothingToSend
NO_LINES = "the order has no line with a quantity"


def legacy_id(gid: str) -> str:
    """``gid://shopify/Order/820982911946154508`` -> ``820982911946154508`` (kept as text)."""
    tail = gid.rstrip("/").rsplit("/", 1)[-1]
    if not tail.isdigit():
        raise DataError(f"admin_graphql_api_id {gid!r} is not a Shopify GID", codes=("BAD_GID",), system="mapping")
    return tail


def external_ref(shop: str, legacy: str, kind: str = "") -> str:
    """``<shop>-<kind><legacy id>``, at most 35 safe characters, the same for every event of it.

    A shop name too long to fit is shortened to its head plus a hash of the whole name, so two
    shops never share a reference.
    """
    prefix = _REF_CHARS.sub("_", shop)
    tail = f"-{kind}{legacy}"
    if len(prefix) + len(tail) > MAX_REF:
        digest = hashlib.sha1(shop.encode()).hexdigest()[:6]
        room = MAX_REF - len(tail) - len(digest)
        if room < 1:
            raise DataError(f"reference for {kind}{legacy} cannot fit {MAX_REF} characters", system="mapping")
        prefix = prefix[:room] + digest
    return prefix + tail


def parse_order(payload: dict[str, Any]) -> ShopifyOrder:
    return parse_payload(ShopifyOrder, payload, "order")


def parse_refund(payload: dict[str, Any]) -> ShopifyRefund:
    return parse_payload(ShopifyRefund, payload, "refund")


def parse_payload(model: type[Any], payload: dict[str, Any], what: str) -> Any:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        message = f"{what} payload is malformed: {details}"
        raise DataError(message, codes=("MALFORMED_PAYLOAD",), system="mapping") from None


def _item_code(line: LineItem, position: int, mapping: OrderMapping) -> str:
    where = f"line_items[{position}] ({line.title or line.admin_graphql_api_id})"
    if not line.sku:
        raise DataError(f"{where} has no SKU", codes=("MISSING_SKU",), system="mapping")
    try:
        return mapping.sku_xref[line.sku]
    except KeyError:
        raise DataError(
            f"{where}: SKU {line.sku!r} has no ERP item in the SKU cross-reference of shop {mapping.shop!r}",
            codes=("UNMAPPED_SKU",),
            system="mapping",
        ) from None


def _taxes(lines: list[TaxLine]) -> Decimal:
    return sum((t.price for t in lines), _ZERO)


def to_sales_order(order: ShopifyOrder, mapping: OrderMapping) -> SalesOrder:
    """The ERP sales order for a Shopify order, with every live line mapped through the SKU xref."""
    lines: list[SalesOrderLine] = []
    for position, line in enumerate(order.line_items):
        quantity = line.quantity if line.current_quantity is None else line.current_quantity
        if quantity <= 0:
            continue  # removed by an order edit
        allocated = sum((a.amount for a in line.discount_allocations), _ZERO)
        lines.append(
            SalesOrderLine(
                item_code=_item_code(line, position, mapping),
                quantity=Decimal(quantity),
                unit_price=line.price,
                discount=allocated or line.total_discount,
                tax=_taxes(line.tax_lines),
                description=line.title[:40],
            )
        )
    if not lines:
        raise DataError(f"line_items: {NO_LINES}", codes=("NO_LINES",), system="mapping")
    needs_shipping = any(line.requires_shipping for line in order.line_items)
    if order.shipping_address is None and needs_shipping:
        raise DataError(
            "shipping_address is missing on an order with lines that require shipping",
            codes=("MISSING_SHIPPING_ADDRESS",),
            system="mapping",
        )
    ship_to = (order.shipping_address or order.billing_address or ShopifyAddress()).to_erp()
    shipping = [s for s in order.shipping_lines if not s.is_removed]
    shipping_net = sum((s.price if s.discounted_price is None else s.discounted_price for s in shipping), _ZERO)
    shipping_discount = sum((s.price for s in shipping), _ZERO) - shipping_net
    line_discounts = sum((line.discount for line in lines), _ZERO)
    customer = order.customer or ShopifyCustomer()
    party = mapping.party_by_customer.get(customer.admin_graphql_api_id or "", mapping.default_party)
    note = f"Shopify {order.name}".strip() + (f": {order.note}" if order.note else "")
    return SalesOrder(
        external_ref=external_ref(mapping.shop, order.legacy_id),
        shop=mapping.shop,
        currency=order.currency,
        ordered_at=order.processed_at or order.created_at,
        customer=Customer(
            email=customer.email or order.email or order.contact_email or "",
            name=" ".join(p for p in (customer.first_name, customer.last_name) if p) or ship_to.name,
            erp_party=party,
        ),
        ship_to=ship_to,
        bill_to=order.billing_address.to_erp() if order.billing_address else None,
        lines=lines,
        shipping=shipping_net,
        shipping_tax=sum((_taxes(s.tax_lines) for s in shipping), _ZERO),
        order_discount=max(_ZERO, order.total_discounts - line_discounts - shipping_discount),
        note=note,
    )


def to_credit_note(refund: ShopifyRefund, mapping: OrderMapping) -> CreditNote:
    """The ERP credit for a refund: refunded lines through the SKU xref, the amount actually paid back."""
    lines = [
        CreditLine(
            item_code=_item_code(r.line_item, position, mapping),
            quantity=Decimal(r.quantity),
            amount=r.subtotal + r.total_tax,
        )
        for position, r in enumerate(refund.refund_line_items)
    ]
    paid_back = [t for t in refund.transactions if t.kind == "refund" and t.status == "success"]
    amount = sum((t.amount for t in paid_back), _ZERO) if paid_back else sum((c.amount for c in lines), _ZERO)
    currency = next((t.currency for t in paid_back if t.currency), None) or mapping.currency
    return CreditNote(
        external_ref=external_ref(mapping.shop, refund.legacy_id, kind="R"),
        order_ref=external_ref(mapping.shop, str(refund.order_id)),
        currency=currency,
        lines=lines,
        amount=amount,
        reason=(refund.note or "")[:120],
    )


def order_action(topic: str, payload: dict[str, Any], mapping: OrderMapping) -> OrderAction:
    """What one webhook asks of the ERP. ``orders/updated`` and ``orders/paid`` create the order if
    it is not there yet (the create is idempotent), so a lost ``orders/create`` heals itself."""
    if topic == REFUND_TOPIC:
        return CreditRefund(to_credit_note(parse_refund(payload), mapping))
    if topic not in ORDER_TOPICS:
        raise DataError(f"topic {topic!r} is not an order topic", codes=("UNKNOWN_TOPIC",), system="mapping")
    order = parse_order(payload)
    if topic == "orders/cancelled":
        reason = str(payload.get("cancel_reason") or "")
        return CancelOrder(external_ref(mapping.shop, order.legacy_id), reason=reason)
    if topic != "orders/create" and not _has_quantity(order):
        reason = f"{topic}: {NO_LINES} (refunded or edited to zero); its refunds and cancel carry the change"
        return NothingToSend(external_ref(mapping.shop, order.legacy_id), reason)
    return CreateOrder(to_sales_order(order, mapping))


def _has_quantity(order: ShopifyOrder) -> bool:
    return any(
        (line.quantity if line.current_quantity is None else line.current_quantity) > 0 for line in order.line_items
    )
