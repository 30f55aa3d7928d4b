"""Tryton sales for the order flow: ``sale.sale`` with ``reference`` = our external reference.

Each RPC call is its own transaction and ``reference`` is not unique, so every write first searches
by reference and resumes what it finds (a draft left by a crash is completed, never duplicated);
only a create the caller proves new skips the search. Order calls are sent once (no retry here):
order delivery retries them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from erp_shopify.erp.tryton.customers import TrytonCustomers
from erp_shopify.erp.tryton.rpc import SYSTEM, TrytonRpc
from erp_shopify.errors import DataError, SystemFailure
from erp_shopify.records import CreditNote, ErpDocument, SalesOrder

_SALE_FIELDS = ["number", "reference", "state", "lines", "party", "invoice_address", "shipment_address"]


class TrytonSales:
    """The adapter's order calls: sold to the order's ERP customer (``customer.erp_party``, a
    party code) and its address matching the ship-to, else to the configured ``party``."""

    def __init__(self, rpc: TrytonRpc, party: str, customers: TrytonCustomers) -> None:
        self.rpc = rpc
        self.party = party
        self.customers = customers

    def find_sales_order(self, external_ref: str) -> ErpDocument | None:
        sale = self._find_sale(external_ref)
        return _document(sale) if sale else None

    def create_sales_order(self, order: SalesOrder, *, known_new: bool = False) -> ErpDocument:
        def lines() -> list[dict[str, Any]]:
            products = self._products([line.item_code for line in order.lines], order.external_ref)
            rows = [
                _line(
                    products[line.item_code],
                    line.quantity,
                    (line.unit_price - line.discount / line.quantity).quantize(Decimal("0.0001")),
                    line.description,
                )
                for line in order.lines
            ]
            if order.shipping:
                rows.append(_line(None, Decimal(1), order.shipping, "Shipping"))
            if order.order_discount:
                rows.append(_line(None, Decimal(1), -order.order_discount, "Order discount"))
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

        return self._ensure_sale(order.external_ref, order.currency, header, lines, customer, known_new=known_new)

    def create_credit(self, credit: CreditNote) -> ErpDocument:
        """A return sale (negative quantities) with the refund's reference: Tryton's own way to take goods back."""

        def lines() -> list[dict[str, Any]]:
            if self._find_sale(credit.order_ref) is None:
                raise DataError(
                    f"refund {credit.external_ref} names order {credit.order_ref}, which Tryton does not hold",
                    body=credit.model_dump(mode="json"),
                    system=SYSTEM,
                )
            goods = [line for line in credit.lines if line.quantity > 0]
            products = self._products([line.item_code for line in goods], credit.external_ref)
            rows = [
                _line(
                    products[line.item_code],
                    -line.quantity,
                    (line.amount / line.quantity).quantize(Decimal("0.0001")),
                    "",
                )
                for line in goods
            ]
            rest = credit.amount - sum((line.amount for line in goods), Decimal(0))
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
        return self._ensure_sale(credit.external_ref, credit.currency, header, lines, customer)

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
