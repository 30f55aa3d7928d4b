"""Shopify order webhooks -> ERP documents: pure functions, no I/O.

The payloads are read by the models of ``order_webhooks`` (tolerant, keyed on GraphQL ids). One
webhook becomes one ``OrderAction``: create a sales order, cancel one, or credit a refund. The
external reference is the ERP's idempotency key, so it must be the same for every event of one
order and fit every ERP (SAP ``PurchaseOrderByCustomer``: 35 chars; NetSuite ``externalId``:
letters, digits, ``_`` and ``-``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from erp_shopify.errors import DataError
from erp_shopify.mapping.order_totals import check_credit, check_total, money
from erp_shopify.mapping.order_webhooks import (
    LineItem,
    ShopifyAddress,
    ShopifyCustomer,
    ShopifyOrder,
    ShopifyRefund,
    legacy_id,
)
from erp_shopify.policy import ORDER_TOPICS, REFUND_TOPIC
from erp_shopify.records import CreditLine, CreditNote, Customer, OrderCharge, SalesOrder, SalesOrderLine

__all__ = ["ShopifyOrder", "ShopifyRefund", "legacy_id"]

MAX_REF = 35
_REF_CHARS = re.compile(r"[^A-Za-z0-9_-]")
_ZERO = Decimal("0")


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


def _discounts(line: LineItem, order: ShopifyOrder) -> tuple[Decimal, Decimal]:
    """The line's own discount and its share of order-level discounts, as Shopify allocated them."""
    own = shared = _ZERO
    for allocation in line.discount_allocations:
        index = allocation.discount_application_index
        applied = (
            order.discount_applications[index]
            if index is not None and index < len(order.discount_applications)
            else None
        )
        if applied is not None and applied.target_selection == "all":
            shared += allocation.amount
        else:
            own += allocation.amount
    if not line.discount_allocations:
        own = line.total_discount
    return own, shared


def _edited(order: ShopifyOrder) -> bool:
    return any(
        line.current_quantity is not None and line.current_quantity != line.quantity for line in order.line_items
    )


def _expected_total(order: ShopifyOrder) -> Decimal | None:
    """``total_price`` for the order as placed; ``current_total_price`` once an edit or a refund
    changed a line's quantity (the lines are then mapped at their current quantities)."""
    if _edited(order):
        return order.current_total_price
    return order.total_price


def _sales_line(
    line: LineItem, position: int, quantity: int, order: ShopifyOrder, mapping: OrderMapping
) -> SalesOrderLine:
    share = Decimal(quantity) / Decimal(line.quantity)  # an edited line keeps its per-unit taxes and discounts
    own, shared = _discounts(line, order)
    taxes = [t.to_erp(share) for t in line.tax_lines]
    return SalesOrderLine(
        item_code=_item_code(line, position, mapping),
        quantity=Decimal(quantity),
        unit_price=line.price,
        discount=money(own * share),
        order_discount=money(shared * share),
        tax=sum((t.amount for t in taxes), _ZERO),
        taxes=taxes,
        description=line.title[:40],
    )


def to_sales_order(order: ShopifyOrder, mapping: OrderMapping) -> SalesOrder:
    """The ERP sales order for a Shopify order, with every live line mapped through the SKU xref,
    its shipping, discounts and taxes; proven to reproduce Shopify's total to the cent."""
    lines: list[SalesOrderLine] = []
    tip_lines = order.tip_lines()
    for position, line in enumerate(order.line_items):
        quantity = line.quantity if line.current_quantity is None else line.current_quantity
        if quantity <= 0 or position in tip_lines:
            continue  # removed by an order edit, or the tip (sent as a charge of its own)
        lines.append(_sales_line(line, position, quantity, order, mapping))
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
    shipping = [s.to_erp() for s in order.shipping_lines if not s.is_removed]
    customer = order.customer or ShopifyCustomer()
    party = mapping.party_by_customer.get(customer.admin_graphql_api_id or "", mapping.default_party)
    note = f"Shopify {order.name}".strip() + (f": {order.note}" if order.note else "")
    sales_order = SalesOrder(
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
        shipping=sum((s.price - s.discount for s in shipping), _ZERO),
        shipping_tax=sum((t.amount for s in shipping for t in s.taxes), _ZERO),
        order_discount=sum((line.order_discount for line in lines), _ZERO),
        shipping_lines=shipping,
        taxes_included=order.taxes_included,
        charges=_charges(order),
        total=_expected_total(order),
        note=note,
    )
    if not _edited(order):
        # an edited or refunded order may already be in the ERP (its update must not be refused);
        # the adapter checks it before it would create it
        check_total(sales_order)
    return sales_order


def _charges(order: ShopifyOrder) -> list[OrderCharge]:
    """The tip, the duties and the additional fees Shopify adds to the total, current ones once an
    edit or a refund changed the order (as its expected total is then the current one)."""
    current = _edited(order)
    amounts = (
        ("tip", "Tip", order.tip),
        ("duty", "Duties", order.duties(current)),
        ("fee", "Additional fees", order.additional_fees(current)),
    )
    return [OrderCharge(kind=kind, title=title, amount=amount) for kind, title, amount in amounts if amount > 0]


def to_credit_note(refund: ShopifyRefund, mapping: OrderMapping) -> CreditNote:
    """The ERP credit for a refund: refunded lines through the SKU xref with their subtotal (after
    their discount shares), their tax and its rates; refunded shipping and other adjustments; and
    the amount actually paid back, which the credit must reproduce to the cent."""
    lines = []
    for position, r in enumerate(refund.refund_line_items):
        share = Decimal(r.quantity) / Decimal(r.line_item.quantity or 1)
        lines.append(
            CreditLine(
                item_code=_item_code(r.line_item, position, mapping),
                quantity=Decimal(r.quantity),
                amount=r.subtotal + r.total_tax,
                tax=r.total_tax,
                taxes=[t.to_erp(share) for t in r.line_item.tax_lines if t.rate],
            )
        )
    shipping = sum((a.refunded for a in refund.order_adjustments if a.kind == "shipping_refund"), _ZERO)
    adjustment = sum((a.refunded for a in refund.order_adjustments if a.kind != "shipping_refund"), _ZERO)
    paid_back = [t for t in refund.transactions if t.kind == "refund" and t.status == "success"]
    itemised = sum((c.amount for c in lines), _ZERO) + shipping + adjustment
    amount = sum((t.amount for t in paid_back), _ZERO) if paid_back else itemised
    currency = next((t.currency for t in paid_back if t.currency), None) or mapping.currency
    credit = CreditNote(
        external_ref=external_ref(mapping.shop, refund.legacy_id, kind="R"),
        order_ref=external_ref(mapping.shop, str(refund.order_id)),
        currency=currency,
        lines=lines,
        shipping=shipping,
        adjustment=adjustment,
        amount=amount,
        reason=(refund.note or "")[:120],
    )
    check_credit(credit)
    return credit


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
