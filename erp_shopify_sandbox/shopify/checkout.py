"""The money side of a sandbox checkout, the way Shopify's webhooks report it: discount
applications and their allocations (line discounts to their line, an order discount across the
lines in proportion to what is left of each, a shipping discount to the shipping line), tax lines
per line and per shipping line (rounded half up line by line; with ``taxes_included`` the tax is
the part of the amount that ``rate / (1 + sum of rates)`` makes), and the order totals:
``total_price`` = lines after discounts + shipping after its discount + taxes unless included + the
tip (``total_tip_received``) + duties (``original_total_duties_set``) + additional fees
(``original_total_additional_fees_set``), each an untaxed amount of its own.

Written from Shopify's documentation of the REST order resource, independent of the product's
mapping, so a test of the mapping against it compares two readings of the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal(0)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Pricing:
    """What a checkout charges beyond the list prices: every amount in the shop currency."""

    line_discounts: dict[int, Decimal] = field(default_factory=dict)  # line position -> amount off the line
    order_discount: Decimal = ZERO  # fixed amount off the order, across the lines
    order_discount_percent: Decimal = ZERO  # or a percentage off every line (after line discounts)
    shipping: Decimal | None = None  # shipping price (None: no shipping line; 0: free shipping)
    shipping_title: str = "Standard"
    shipping_discount: Decimal = ZERO
    taxes: tuple[tuple[str, Decimal], ...] = ()  # (title, rate) charged on every line
    shipping_taxes: tuple[tuple[str, Decimal], ...] = ()  # (title, rate) charged on shipping
    taxes_included: bool = False
    tip: Decimal = ZERO
    duties: Decimal = ZERO
    additional_fees: Decimal = ZERO

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> Pricing:
        raw = raw or {}
        return cls(
            line_discounts={int(k): Decimal(str(v)) for k, v in (raw.get("line_discounts") or {}).items()},
            order_discount=Decimal(str(raw.get("order_discount", 0))),
            order_discount_percent=Decimal(str(raw.get("order_discount_percent", 0))),
            shipping=None if raw.get("shipping") is None else Decimal(str(raw["shipping"])),
            shipping_title=str(raw.get("shipping_title", "Standard")),
            shipping_discount=Decimal(str(raw.get("shipping_discount", 0))),
            taxes=tuple((str(t), Decimal(str(r))) for t, r in raw.get("taxes") or ()),
            shipping_taxes=tuple((str(t), Decimal(str(r))) for t, r in raw.get("shipping_taxes") or ()),
            taxes_included=bool(raw.get("taxes_included", False)),
            tip=Decimal(str(raw.get("tip", 0))),
            duties=Decimal(str(raw.get("duties", 0))),
            additional_fees=Decimal(str(raw.get("additional_fees", 0))),
        )


def _money_set(amount: Decimal, currency: str) -> dict[str, Any]:
    money = {"amount": f"{amount:.2f}", "currency_code": currency}
    return {"shop_money": money, "presentment_money": dict(money)}


def _tax_lines(base: Decimal, rates: tuple[tuple[str, Decimal], ...], included: bool, currency: str) -> list[dict]:
    divisor = 1 + sum((r for _, r in rates), ZERO) if included else Decimal(1)
    return [
        {
            "channel_liable": False,
            "price": f"{cents(base * rate / divisor):.2f}",
            "price_set": _money_set(cents(base * rate / divisor), currency),
            "rate": float(rate),
            "title": title,
        }
        for title, rate in rates
    ]


def _sum_tax(lines: list[dict]) -> Decimal:
    return sum((Decimal(t["price"]) for t in lines), ZERO)


def _allocation(amount: Decimal, index: int, currency: str) -> dict[str, Any]:
    return {"amount": f"{amount:.2f}", "amount_set": _money_set(amount, currency), "discount_application_index": index}


def _application(kind: str, value: Decimal, value_type: str, selection: str, target: str) -> dict[str, Any]:
    return {
        "allocation_method": "across" if selection != "explicit" else "one",
        "description": kind,
        "target_selection": selection,
        "target_type": target,
        "title": kind,
        "type": "manual" if selection == "explicit" else "automatic",
        "value": f"{value:.2f}" if value_type == "fixed_amount" else f"{value:.1f}",
        "value_type": value_type,
    }


def _order_shares(pricing: Pricing, remaining: list[Decimal]) -> list[Decimal]:
    """An order discount across the lines: a percentage of each; a fixed amount in proportion, the
    rounding left on the last line."""
    if pricing.order_discount_percent:
        return [cents(r * pricing.order_discount_percent / 100) for r in remaining]
    total = sum(remaining, ZERO)
    if not pricing.order_discount or not total:
        return [ZERO for _ in remaining]
    shares = [cents(pricing.order_discount * r / total) for r in remaining[:-1]]
    return [*shares, pricing.order_discount - sum(shares, ZERO)]


def checkout(lines: list[tuple[Decimal, int]], pricing: Pricing, currency: str, shipping_id: int = 0) -> dict[str, Any]:
    """Payload fields for lines of (unit price, quantity): ``line_items`` (the money fields of
    each line, in order), ``shipping_lines``, ``discount_applications`` and the order totals."""
    applications: list[dict[str, Any]] = []
    allocations: list[list[dict[str, Any]]] = [[] for _ in lines]
    remaining = [price * quantity for price, quantity in lines]
    for position, amount in sorted(pricing.line_discounts.items()):
        applications.append(_application("Line discount", amount, "fixed_amount", "explicit", "line_item"))
        allocations[position].append(_allocation(amount, len(applications) - 1, currency))
        remaining[position] -= amount
    shares = _order_shares(pricing, remaining)
    if any(shares):
        value, kind = (
            (pricing.order_discount_percent, "percentage")
            if pricing.order_discount_percent
            else (pricing.order_discount, "fixed_amount")
        )
        applications.append(_application("Order discount", value, kind, "all", "line_item"))
        for position, share in enumerate(shares):
            allocations[position].append(_allocation(share, len(applications) - 1, currency))
            remaining[position] -= share
    items: list[dict[str, Any]] = []
    for position, base in enumerate(remaining):
        taxes = _tax_lines(base, pricing.taxes, pricing.taxes_included, currency)
        discount = sum((Decimal(a["amount"]) for a in allocations[position]), ZERO)
        items.append(
            {
                "discount_allocations": allocations[position],
                "tax_lines": taxes,
                "total_discount": f"{discount:.2f}",
                "total_discount_set": _money_set(discount, currency),
            }
        )
    shipping_lines: list[dict[str, Any]] = []
    shipping_net = shipping_tax = ZERO
    if pricing.shipping is not None:
        if pricing.shipping_discount:  # shown by ``discounted_price``; the published schema lists no allocation
            applications.append(
                _application("Shipping discount", pricing.shipping_discount, "fixed_amount", "all", "shipping_line")
            )
        shipping_net = pricing.shipping - pricing.shipping_discount
        taxes = _tax_lines(shipping_net, pricing.shipping_taxes, pricing.taxes_included, currency)
        shipping_tax = _sum_tax(taxes)
        shipping_lines.append(
            {
                "carrier_identifier": None,
                "code": pricing.shipping_title,
                "current_discounted_price_set": _money_set(shipping_net, currency),
                "discount_allocations": [],
                "discounted_price": f"{shipping_net:.2f}",
                "discounted_price_set": _money_set(shipping_net, currency),
                "id": shipping_id,
                "is_removed": False,
                "phone": None,
                "price": f"{pricing.shipping:.2f}",
                "price_set": _money_set(pricing.shipping, currency),
                "requested_fulfillment_service_id": None,
                "source": "shopify",
                "tax_lines": taxes,
                "title": pricing.shipping_title,
            }
        )
    line_tax = sum((_sum_tax(i["tax_lines"]) for i in items), ZERO)
    tax = line_tax + shipping_tax
    subtotal = sum(remaining, ZERO)
    discounts = sum((Decimal(i["total_discount"]) for i in items), ZERO) + pricing.shipping_discount
    extras = pricing.tip + pricing.duties + pricing.additional_fees
    total = subtotal + shipping_net + (ZERO if pricing.taxes_included else tax) + extras
    summed: dict[tuple[str, float], Decimal] = {}
    for tax_line in [t for i in items for t in i["tax_lines"]] + [t for s in shipping_lines for t in s["tax_lines"]]:
        key = (tax_line["title"], tax_line["rate"])
        summed[key] = summed.get(key, ZERO) + Decimal(tax_line["price"])
    order_taxes = [
        {"channel_liable": False, "price": f"{a:.2f}", "price_set": _money_set(a, currency), "rate": r, "title": t}
        for (t, r), a in summed.items()
    ]
    return {
        "tax_lines": order_taxes,
        "line_items": items,
        "shipping_lines": shipping_lines,
        "discount_applications": applications,
        "taxes_included": pricing.taxes_included,
        "subtotal": subtotal,
        "shipping": shipping_net,
        "discounts": discounts,
        "tax": tax,
        "total": total,
        "tip": pricing.tip,
        "duties": _money_set(pricing.duties, currency) if pricing.duties else None,
        "additional_fees": _money_set(pricing.additional_fees, currency) if pricing.additional_fees else None,
        "line_items_price": sum((p * q for p, q in lines), ZERO),
    }


def refund_money(
    lines: list[tuple[Decimal, int]], pricing: Pricing, currency: str, refunded: list[tuple[int, int]], shipping: bool
) -> dict[str, Any]:
    """What a refund of ``refunded`` (line position, quantity) gives back, the way its webhook
    reports it: per line its ``subtotal`` (its share of the line after every discount, tax
    excluded) and ``total_tax`` (its share of each tax, rounded per rate); the shipping, when
    refunded, as a ``shipping_refund`` order adjustment (negative amounts); and the total paid back."""
    sums = checkout(lines, pricing, currency)
    items = []
    for position, quantity in refunded:
        price, ordered = lines[position]
        money = sums["line_items"][position]
        share = Decimal(quantity) / Decimal(ordered)
        tax = sum((cents(Decimal(t["price"]) * share) for t in money["tax_lines"]), ZERO)
        net = cents((price * ordered - Decimal(money["total_discount"])) * share)
        items.append({"subtotal": net - tax if pricing.taxes_included else net, "total_tax": tax})
    adjustments: list[dict[str, Any]] = []
    if shipping and sums["shipping_lines"]:
        line = sums["shipping_lines"][0]
        tax = _sum_tax(line["tax_lines"])
        net = Decimal(line["discounted_price"]) - (tax if pricing.taxes_included else ZERO)
        adjustments.append(
            {
                "amount": f"{-net:.2f}",
                "amount_set": _money_set(-net, currency),
                "kind": "shipping_refund",
                "reason": "Shipping refund",
                "tax_amount": f"{-tax:.2f}",
                "tax_amount_set": _money_set(-tax, currency),
            }
        )
    total = sum((i["subtotal"] + i["total_tax"] for i in items), ZERO) - sum(
        (Decimal(a["amount"]) + Decimal(a["tax_amount"]) for a in adjustments), ZERO
    )
    return {"line_items": items, "order_adjustments": adjustments, "total": total}
