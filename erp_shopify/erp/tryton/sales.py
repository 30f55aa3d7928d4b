"""Tryton sales for the order flow: ``sale.sale`` with ``reference`` = our external reference.

Each RPC call is its own transaction and ``reference`` is not unique, so every write first searches
by reference and resumes what it finds (a draft left by a crash is completed, never duplicated);
only a create the caller proves new skips the search. Order calls are sent once (no retry here):
order delivery retries them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from erp_shopify.erp.tryton.customers import TrytonCustomers
from erp_shopify.erp.tryton.rpc import SYSTEM, TrytonRpc
from erp_shopify.errors import DataError, SystemFailure
from erp_shopify.mapping.order_totals import (
    CENT,
    PRICE_DIGITS,
    ChargedTax,
    DocumentAmounts,
    check_credit,
    check_total,
    credit_line_taxes,
    credit_total,
    total_mismatch,
)
from erp_shopify.records import CreditNote, ErpDocument, SalesOrder

_SALE_FIELDS = ["number", "reference", "state", "lines", "party", "invoice_address", "shipment_address"]


class TrytonSales:
    """The adapter's order calls: sold to the order's ERP customer (``customer.erp_party``, a
    party code) and its address matching the ship-to, else to the configured ``party``; shipping
    lines on the ``shipping_product``, tips, duties and fees on their ``charge_products`` (none: a
    line without product); Shopify taxes on Tryton's percentage taxes (``taxes`` names one per
    Shopify title, else the tax of the same rate)."""

    def __init__(
        self,
        rpc: TrytonRpc,
        party: str,
        customers: TrytonCustomers,
        *,
        shipping_product: str = "",
        taxes: dict[str, str] | None = None,
        charge_products: dict[str, str] | None = None,
    ) -> None:
        self.rpc = rpc
        self.party = party
        self.customers = customers
        self.shipping_product = shipping_product
        self.charge_products = charge_products or {}
        self.tax_names = taxes or {}
        self._percentage_taxes: list[dict[str, Any]] | None = None

    def find_sales_order(self, external_ref: str) -> ErpDocument | None:
        sale = self._find_sale(external_ref)
        return _document(sale) if sale else None

    def create_sales_order(self, order: SalesOrder, *, known_new: bool = False) -> ErpDocument:
        sent: list[bool] = []  # whether this call wrote the lines (a found sale is left as it is)

        def lines() -> list[dict[str, Any]]:
            amounts = check_total(order)  # what is sent is what was proven to reproduce Shopify's total
            prices = net_unit_prices(order, amounts)
            shipping = [s for s in amounts.shipping if s.net or any(t.computed for t in s.taxes)]
            sent.append(True)
            codes = [line.item_code for line in order.lines]
            codes += [self.shipping_product] if shipping and self.shipping_product else []
            charged = {c.kind: self.charge_products.get(c.kind, "") for c in amounts.extras}
            products = self._products(codes + [code for code in charged.values() if code], order.external_ref)
            rows = []
            for line, figures, price in zip(order.lines, amounts.lines, prices, strict=True):
                off = figures.discount + figures.order_discount
                text = f"{line.description} (-{off} {order.currency})" if off else line.description
                rows.append(_line(products[line.item_code], line.quantity, price, text) | self._taxes(figures.taxes))
            for charge in shipping:
                product = products.get(self.shipping_product)
                rows.append(
                    _line(product, Decimal(1), charge.net, charge.title or "Shipping") | self._taxes(charge.taxes)
                )
            for extra in amounts.extras:  # a tip, duties or fees: untaxed, on its configured product
                rows.append(_line(products.get(charged[extra.kind]), Decimal(1), extra.amount, extra.title))
            return rows

        ship_to = order.ship_to
        header = {
            "description": f"Shopify {order.shop} {order.external_ref}"[:100],
            "comment": "\n".join(
                part
                for part in (
                    ship_to.name,
                    ship_to.company,
                    ship_to.address1,
                    ship_to.address2,
                    f"{ship_to.zip} {ship_to.city}".strip(),
                    ship_to.country_code,
                    order.note,
                )
                if part
            ),
            "sale_date": order.ordered_at.date(),
        }

        def customer() -> dict[str, Any]:
            if not order.customer.erp_party:
                return self._customer()
            party, address = self.customers.party_for(order.customer.erp_party, ship_to)
            return {"party": party, "invoice_address": address, "shipment_address": address}

        created = self._ensure_sale(order.external_ref, order.currency, header, lines, customer, known_new=known_new)
        if sent:
            self._check_total(order)
        return created

    def _check_total(self, order: SalesOrder) -> None:
        """Tryton's own total (its taxes computed from the lines) against Shopify's."""
        if order.total is None:
            return
        sale = self._find_sale(order.external_ref)
        if sale is None:
            return
        [row] = self.rpc.model("sale.sale", "read", [sale["id"]], ["total_amount"])
        if Decimal(str(row["total_amount"])) != order.total:
            raise total_mismatch(order, Decimal(str(row["total_amount"])), f"Tryton sale {sale['number']}'s")

    def _taxes(self, taxes: tuple[ChargedTax, ...]) -> dict[str, Any]:
        """The sale line's ``taxes``: Tryton's percentage tax for each Shopify tax line."""
        if not taxes:
            return {}
        if self._percentage_taxes is None:
            domain = [("type", "=", "percentage")]
            self._percentage_taxes = self.rpc.model(
                "account.tax", "search_read", domain, 0, None, [("id", "ASC")], ["name", "rate"]
            )
        ids = []
        for charged in taxes:
            wanted = self.tax_names.get(charged.tax.title)
            if wanted:  # the configured tax, whatever its rate (Tryton computes with its own)
                found = [t for t in self._percentage_taxes if t["name"] == wanted]
            else:
                same_rate = [t for t in self._percentage_taxes if Decimal(str(t["rate"])) == charged.tax.rate]
                found = [t for t in same_rate if t["name"] == charged.tax.title] or same_rate
            if not found:
                raise DataError(
                    f"Tryton has no percentage tax at rate {charged.tax.rate} for Shopify tax {charged.tax.title!r}",
                    body={"title": charged.tax.title, "rate": str(charged.tax.rate)},
                    codes=("unknown_tax",),
                    system=SYSTEM,
                )
            ids.append(found[0]["id"])
        return {"taxes": [["add", ids]]}

    def create_credit(self, credit: CreditNote) -> ErpDocument:
        """A return sale (negative quantities) with the refund's reference: Tryton's own way to take
        goods back. Each refunded line at its subtotal with Tryton's taxes for its rates, refunded
        shipping on the shipping product, what is left of the amount (adjustments) as a line without
        product; Tryton's total must then be minus Shopify's refund amount."""

        def lines() -> list[dict[str, Any]]:
            if self._find_sale(credit.order_ref) is None:
                raise DataError(
                    f"refund {credit.external_ref} names order {credit.order_ref}, which Tryton does not hold",
                    body=credit.model_dump(mode="json"),
                    system=SYSTEM,
                )
            goods = [line for line in credit.lines if line.quantity > 0]
            codes = [line.item_code for line in goods]
            codes += [self.shipping_product] if credit.shipping and self.shipping_product else []
            products = self._products(codes, credit.external_ref)
            rows = []
            for line in goods:
                price = ((line.amount - line.tax) / line.quantity).quantize(Decimal(1).scaleb(-PRICE_DIGITS))
                row = _line(products[line.item_code], -line.quantity, price, "")
                rows.append(row | self._taxes(credit_line_taxes(line)))
            if credit.shipping:
                rows.append(_line(products.get(self.shipping_product), Decimal(-1), credit.shipping, "Shipping refund"))
            rest = credit.amount - credit_total(credit) + credit.adjustment
            if rest:
                rows.append(_line(None, Decimal(-1), rest, f"Refund {credit.reason}".strip()))
            return rows

        def customer() -> dict[str, Any]:
            """The refunded sale's own customer and addresses (else the configured party)."""
            sold = self._find_sale(credit.order_ref)
            if sold is None:
                return self._customer()
            return {key: sold[key] for key in ("party", "invoice_address", "shipment_address")}

        header = {"description": f"Refund of {credit.order_ref}"[:100], "comment": credit.reason}
        created = self._ensure_sale(credit.external_ref, credit.currency, header, lines, customer)
        sale = self._find_sale(credit.external_ref)
        if sale is not None:
            [row] = self.rpc.model("sale.sale", "read", [sale["id"]], ["total_amount"])
            check_credit(credit, -Decimal(str(row["total_amount"])), f"Tryton return sale {sale['number']}'s")
        return created

    def cancel_sales_order(self, external_ref: str) -> ErpDocument:
        sale = self._find_sale(external_ref)
        if sale is None:
            raise DataError(f"no Tryton sale with reference {external_ref}", status=404, system=SYSTEM)
        if sale["state"] in ("processing", "done"):
            raise DataError(
                f"Tryton sale {sale['number']} is {sale['state']}: cancel its shipments in Tryton",
                body=sale,
                system=SYSTEM,
            )
        if sale["state"] == "confirmed":
            self.rpc.model("sale.sale", "draft", [sale["id"]])
        if sale["state"] != "cancelled":
            self.rpc.model("sale.sale", "cancel", [sale["id"]])
        return _document(self._read_sale(sale["id"]))

    def _find_sale(self, reference: str) -> dict[str, Any] | None:
        """The first live sale with this reference, else the newest cancelled one."""
        rows = self.rpc.model(
            "sale.sale", "search_read", [("reference", "=", reference)], 0, None, [("id", "ASC")], _SALE_FIELDS
        )
        live = [row for row in rows if row["state"] != "cancelled"]
        return live[0] if live else (rows[-1] if rows else None)

    def _read_sale(self, sale_id: int) -> dict[str, Any]:
        row: dict[str, Any] = self.rpc.model("sale.sale", "read", [sale_id], _SALE_FIELDS)[0]
        return row

    def _ensure_sale(
        self,
        reference: str,
        currency: str,
        header: dict[str, Any],
        lines: Callable[[], list[dict[str, Any]]],
        customer: Callable[[], dict[str, Any]],
        *,
        known_new: bool = False,
    ) -> ErpDocument:
        """Search (unless the caller proves the sale new), then create or resume, then quote and
        confirm: every step is safe to repeat, and the caller repeats it (order calls are sent once)."""
        sale = None if known_new else self._find_sale(reference)
        if sale is None:
            values = {**header, **customer(), "currency": self._currency(currency)}
            values |= {"reference": reference, "invoice_method": "manual"}
            [sale_id] = self.rpc.model("sale.sale", "create", [{**values, "lines": [["create", lines()]]}])
            sale = self._read_sale(sale_id)
        elif sale["state"] == "draft" and not sale["lines"]:  # a crash between the header and its lines
            self.rpc.model("sale.line", "create", [{**line, "sale": sale["id"]} for line in lines()])
        if sale["state"] == "draft":
            self.rpc.model("sale.sale", "quote", [sale["id"]])
        if sale["state"] in ("draft", "quotation"):
            self.rpc.model("sale.sale", "confirm", [sale["id"]])
        return _document(self._read_sale(sale["id"]))

    def _customer(self) -> dict[str, Any]:
        """The configured party and its first address."""
        parties = self.rpc.model("party.party", "search", [("name", "=", self.party)], 0, 1, None)
        if not parties:
            raise SystemFailure(f"Tryton has no party named {self.party!r} (config erp.party)", system=SYSTEM)
        addresses = self.rpc.model("party.address", "search", [("party", "=", parties[0])], 0, 1, None)
        address = addresses[0] if addresses else None
        return {"party": parties[0], "invoice_address": address, "shipment_address": address}

    def _currency(self, currency: str) -> int:
        currencies = self.rpc.model("currency.currency", "search", [("code", "=", currency)], 0, 1, None)
        if not currencies:
            raise DataError(f"Tryton has no currency {currency}", body={"currency": currency}, system=SYSTEM)
        return int(currencies[0])

    def _products(self, codes: list[str], reference: str) -> dict[str, dict[str, Any]]:
        rows = self.rpc.model(
            "product.product", "search_read", [("code", "in", sorted(set(codes)))], 0, None, None, ["code", "sale_uom"]
        )
        found = {row["code"]: row for row in rows}
        unknown = sorted(set(codes) - set(found))
        if unknown:
            raise DataError(
                f"{reference}: Tryton has no product with code {', '.join(unknown)}",
                status=404,
                body={"reference": reference, "unknown_item_codes": unknown, "searched": sorted(set(codes))},
                codes=("unknown_item",),
                system=SYSTEM,
            )
        return found


def _line(product: dict[str, Any] | None, quantity: Decimal, unit_price: Decimal, description: str) -> dict[str, Any]:
    line: dict[str, Any] = {"type": "line", "quantity": float(quantity), "unit_price": unit_price}
    if product is not None:
        line |= {"product": product["id"], "unit": product["sale_uom"]}
    if description or product is None:
        line["description"] = description or "Adjustment"
    return line


def _document(sale: dict[str, Any]) -> ErpDocument:
    return ErpDocument(
        number=sale["number"] or f"draft-{sale['id']}", external_ref=sale["reference"], status=sale["state"]
    )


def _tryton_round(amount: Decimal) -> Decimal:
    """Tryton's ``currency.round``: half even, where Shopify rounds half up."""
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def net_unit_prices(order: SalesOrder, amounts: DocumentAmounts) -> list[Decimal]:
    """Each line's unit price with its discounts folded in (Tryton taxes the line's amount, so the
    discount must be inside it for the tax to be Shopify's), at Tryton's price digits. The total
    Tryton will compute from them (amounts and per-line taxes rounded half even) must be Shopify's,
    else the data error naming both, before anything reaches Tryton: a tax of exactly half a cent
    is rounded up by Shopify and down (to even) by Tryton."""
    prices, reproduced = [], sum((c.amount for c in amounts.extras), Decimal(0))
    for line, figures in zip(order.lines, amounts.lines, strict=True):
        price = (figures.net / line.quantity).quantize(Decimal(1).scaleb(-PRICE_DIGITS))
        amount = _tryton_round(price * line.quantity)
        reproduced += amount + sum((_tryton_round(amount * t.tax.rate) for t in figures.taxes), Decimal(0))
        prices.append(price)
    for charge in amounts.shipping:
        reproduced += charge.net + sum((_tryton_round(charge.net * t.tax.rate) for t in charge.taxes), Decimal(0))
    if order.total is not None and reproduced != order.total:
        raise total_mismatch(order, reproduced, "Tryton's")
    return prices
