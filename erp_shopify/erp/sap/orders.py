"""SAP sales orders and returns: ``API_SALES_ORDER_SRV`` deep inserts, idempotent on
``PurchaseOrderByCustomer``, which is searched before every create the caller cannot prove new.
Order calls are sent once (``retried=False``); order delivery retries them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from erp_shopify.config import SapConfig
from erp_shopify.erp.sap.odata import SYSTEM, ODataClient, filter_chunks, format_date, results, string_literal
from erp_shopify.erp.sap.products import PRODUCT_SERVICE, PRODUCT_TERM
from erp_shopify.errors import DataError
from erp_shopify.mapping.order_totals import (
    PRICE_DIGITS,
    ChargedTax,
    LineAmounts,
    check_credit,
    check_total,
    credit_line_taxes,
    total_mismatch,
)
from erp_shopify.records import CreditNote, ErpDocument, SalesOrder

SALES_ORDERS = "API_SALES_ORDER_SRV"
MAX_REFERENCE = 35  # PurchaseOrderByCustomer MaxLength in the EDMX
_ORDER_FIELDS = "SalesOrder,PurchaseOrderByCustomer,SalesOrderType,OverallSDDocumentRejectionSts"


class SapOrders:
    """The adapter's order calls: find, create, cancel (reject every item) and credit (returns order)."""

    def __init__(self, odata: ODataClient, config: SapConfig) -> None:
        self.odata = odata
        self.config = config
        self._units: dict[str, str] = {}  # material -> BaseUnit ("" when the product master has none)

    def find_sales_order(self, external_ref: str) -> ErpDocument | None:
        return self._find(external_ref, self.config.sales_order_type)

    def create_sales_order(self, order: SalesOrder, *, known_new: bool = False) -> ErpDocument:
        existing = None if known_new else self._find(order.external_ref, self.config.sales_order_type)
        if existing is not None:
            return existing
        amounts = check_total(order)  # what is sent is what was proven to reproduce Shopify's total
        units = self._base_units([line.item_code for line in order.lines if not line.unit])
        items = [
            sales_item(line.item_code, line.quantity, line.unit or units.get(line.item_code, ""), line.description)
            | {"to_PricingElement": self._line_conditions(figures, order.currency)}
            for line, figures in zip(order.lines, amounts.lines, strict=True)
        ]
        for shipping in amounts.shipping:
            if shipping.price or shipping.discount:  # a free shipping line carries nothing to SAP
                conditions = [self._condition(self.config.shipping_condition_type, shipping.price, order.currency)]
                conditions += self._discounts_and_taxes(shipping.discount, Decimal(0), shipping.taxes, order.currency)
                item = sales_item(self.config.shipping_material, Decimal(1), "", shipping.title or "Shipping")
                items.append(item | {"to_PricingElement": conditions})
        for charge in amounts.extras:  # a tip, duties or fees: one untaxed item at its manual price
            material = self._charge_material(order, charge.kind)
            price = [self._condition(self.config.manual_price_condition_type, charge.amount, order.currency)]
            items.append(sales_item(material, Decimal(1), "", charge.title) | {"to_PricingElement": price})
        for n, item in enumerate(items, start=1):
            item["SalesOrderItem"] = str(10 * n)
        created = self._create(
            order.external_ref,
            self.config.sales_order_type,
            items,
            currency=order.currency,
            ordered=order.ordered_at,
            sold_to=order.customer.erp_party,
            partners=ship_to_partner(order),
        )
        self._check_document_total(order, created)
        return _document(created)

    def _charge_material(self, order: SalesOrder, kind: str) -> str:
        material = self.config.charge_materials.get(kind)
        if not material:
            raise DataError(
                f"{order.external_ref}: the order has a {kind} and erp.charge_materials names no SAP material for it",
                codes=("UNCONFIGURED_CHARGE",),
                system=SYSTEM,
            )
        return material

    def _line_conditions(self, figures: LineAmounts, currency: str) -> list[dict[str, str]]:
        price = self._condition(self.config.manual_price_condition_type, figures.unit_price, currency)
        return [price, *self._discounts_and_taxes(figures.discount, figures.order_discount, figures.taxes, currency)]

    def _discounts_and_taxes(
        self, discount: Decimal, order_discount: Decimal, taxes: tuple[ChargedTax, ...], currency: str
    ) -> list[dict[str, str]]:
        """Discounts as negative value conditions, then one percentage tax condition per rate:
        SAP applies each rate to the item's net value and rounds it, as the mapping proved."""
        conditions = []
        if discount:
            conditions.append(self._condition(self.config.discount_condition_type, -discount, currency))
        if order_discount:
            conditions.append(self._condition(self.config.order_discount_condition_type, -order_discount, currency))
        tax_type = self.config.tax_condition_type
        return conditions + [self._condition(tax_type, charged.percent, currency) for charged in taxes]

    @staticmethod
    def _condition(condition_type: str, rate: Decimal, currency: str) -> dict[str, str]:
        return {"ConditionType": condition_type, "ConditionRateValue": str(rate), "ConditionCurrency": currency}

    def _base_units(self, materials: list[str]) -> dict[str, str]:
        """Each material's ``BaseUnit`` from the product master (``API_PRODUCT_SRV``), kept for the
        adapter's life; a material the product master does not list is sent without a unit, so
        SAP takes the material's own sales unit, never an assumed one."""
        missing = sorted({m for m in materials if m not in self._units})
        for chunk in filter_chunks(missing, PRODUCT_TERM):
            condition = " or ".join(f"Product eq {string_literal(m)}" for m in chunk)
            params = {"$filter": condition, "$select": "Product,BaseUnit", "$top": str(len(chunk))}
            rows = results(self.odata.get(self.odata.url(PRODUCT_SERVICE, "A_Product"), params, retried=False))
            self._units.update({row["Product"]: row.get("BaseUnit") or "" for row in rows})
            self._units.update({m: "" for m in chunk if m not in self._units})
        return {m: self._units[m] for m in materials if self._units.get(m)}

    def _check_document_total(self, order: SalesOrder, created: dict[str, Any]) -> None:
        """SAP's own total (net value plus every item's tax) against Shopify's: a pricing
        procedure that adds or drops a condition is caught here, naming the SAP document."""
        if order.total is None:
            return
        total = self._document_total(created)
        if total != order.total:
            where = f"SAP sales order {created['SalesOrder']}'s"
            raise total_mismatch(order, total, where)

    def _document_total(self, created: dict[str, Any]) -> Decimal:
        items = results(created.get("to_Item"))
        if not items or any("TaxAmount" not in item for item in items):
            params = {"$expand": "to_Item", "$select": "SalesOrder,TotalNetAmount,to_Item/TaxAmount"}
            path = f"A_SalesOrder('{created['SalesOrder']}')"
            read = self.odata.get(self.odata.url(SALES_ORDERS, path), params, retried=True)["d"]
            created, items = {**created, **read}, results(read.get("to_Item"))
        return Decimal(str(created["TotalNetAmount"])) + sum((Decimal(str(i["TaxAmount"])) for i in items), Decimal(0))

    def cancel_sales_order(self, external_ref: str) -> ErpDocument:
        """Reject every item (SAP cancels an unshipped order by a reason for rejection)."""
        found = self._orders(external_ref, self.config.sales_order_type, expand=True)
        if not found:
            raise DataError(f"no SAP sales order with PurchaseOrderByCustomer {external_ref!r}", system=SYSTEM)
        order = found[0]
        for item in results(order.get("to_Item")):
            if not item.get("SalesDocumentRjcnReason"):
                path = f"A_SalesOrderItem(SalesOrder='{order['SalesOrder']}',SalesOrderItem='{item['SalesOrderItem']}')"
                self.odata.write(
                    "PATCH",
                    self.odata.url(SALES_ORDERS, path),
                    {"SalesDocumentRjcnReason": self.config.rejection_reason},
                    SALES_ORDERS,
                )
        return _document({**order, "OverallSDDocumentRejectionSts": "C"})

    def create_credit(self, credit: CreditNote) -> ErpDocument:
        """A returns order referencing the refunded sales order, idempotent on the refund's own ref."""
        order_type = self.config.credit_order_type
        existing = self._find(credit.external_ref, order_type)
        if existing is not None:
            return existing
        refunded = self._find(credit.order_ref, self.config.sales_order_type)
        if refunded is None:
            raise DataError(
                f"refund {credit.external_ref!r}: no SAP sales order for {credit.order_ref!r}", system=SYSTEM
            )
        items = self._credit_items(credit)
        if not any(line.quantity > 0 for line in credit.lines):
            raise DataError(f"refund {credit.external_ref!r}: a SAP returns order needs a returned item", system=SYSTEM)
        created = self._create(
            credit.external_ref,
            order_type,
            items,
            currency=credit.currency,
            ordered=datetime.now(UTC),
            sold_to=None,
            reference=refunded.number,
        )
        check_credit(credit, self._document_total(created), f"SAP returns order {created['SalesOrder']}'s")
        return _document(created)

    def _credit_items(self, credit: CreditNote) -> list[dict[str, Any]]:
        """Each returned item at its refunded subtotal (manual price per unit) with a tax condition
        per rate; refunded shipping as an item of the shipping material (its tax included);
        other adjustments as an item of the ``adjustment`` charge material."""
        returned = [line for line in credit.lines if line.quantity > 0]
        units = self._base_units([line.item_code for line in returned])
        currency, items = credit.currency, []
        for line in returned:
            price = ((line.amount - line.tax) / line.quantity).quantize(Decimal(1).scaleb(-PRICE_DIGITS))
            conditions = [self._condition(self.config.manual_price_condition_type, price, currency)]
            conditions += self._discounts_and_taxes(Decimal(0), Decimal(0), credit_line_taxes(line), currency)
            item = sales_item(line.item_code, line.quantity, units.get(line.item_code, ""), "")
            items.append(item | {"to_PricingElement": conditions})
        extras = [(self.config.shipping_material, credit.shipping, "Shipping refund", "shipping")]
        extras.append((self.config.charge_materials.get("adjustment", ""), credit.adjustment, "Adjustment", ""))
        for material, amount, text, kind in extras:
            if not amount:
                continue
            if not material:
                raise DataError(
                    f"refund {credit.external_ref}: an adjustment of {amount} {currency} and "
                    "erp.charge_materials names no SAP material for adjustment",
                    codes=("UNCONFIGURED_CHARGE",),
                    system=SYSTEM,
                )
            condition = self.config.shipping_condition_type if kind else self.config.manual_price_condition_type
            priced = [self._condition(condition, amount, currency)]
            items.append(sales_item(material, Decimal(1), "", text) | {"to_PricingElement": priced})
        for n, item in enumerate(items, start=1):
            item["SalesOrderItem"] = str(10 * n)
        return items

    def _create(
        self,
        ref: str,
        order_type: str,
        items: list[dict[str, Any]],
        *,
        currency: str,
        ordered: datetime,
        sold_to: str | None,
        reference: str | None = None,
        partners: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        config = self.config
        payload: dict[str, Any] = {
            "SalesOrderType": order_type,
            "SalesOrganization": config.sales_organization,
            "DistributionChannel": config.distribution_channel,
            "OrganizationDivision": config.division,
            "SoldToParty": sold_to or config.sold_to_party,
            "PurchaseOrderByCustomer": ref,
            "CustomerPurchaseOrderDate": format_date(ordered.date()),
            "TransactionCurrency": currency,
            "to_Item": items,
        }
        if reference:
            payload["ReferenceSDDocument"] = reference
        if partners:
            payload["to_Partner"] = partners
        response = self.odata.write("POST", self.odata.url(SALES_ORDERS, "A_SalesOrder"), payload, SALES_ORDERS)
        created: dict[str, Any] = response.json()["d"]
        return created

    def _find(self, ref: str, order_type: str) -> ErpDocument | None:
        found = self._orders(ref, order_type, expand=False)
        return _document(found[0]) if found else None

    def _orders(self, ref: str, order_type: str, *, expand: bool) -> list[dict[str, Any]]:
        _check_reference(ref)
        params = {
            "$filter": (
                f"PurchaseOrderByCustomer eq {string_literal(ref)} and SalesOrderType eq {string_literal(order_type)}"
            ),
            "$select": _ORDER_FIELDS,
            "$orderby": "SalesOrder",
            "$top": "2",
        }
        if expand:
            params["$expand"] = "to_Item"
            params["$select"] += ",to_Item/SalesOrderItem,to_Item/SalesDocumentRjcnReason"
        return results(self.odata.get(self.odata.url(SALES_ORDERS, "A_SalesOrder"), params, retried=False))


SHIP_TO = "SH"  # the ship-to party's external partner function code in English (internal code WE)
# Address field -> (the sales order partner address property, its MaxLength in the EDMX)
_DOCUMENT_ADDRESS = {
    "name": ("AddresseeFullName", 80),
    "company": ("OrganizationName1", 40),
    "address1": ("StreetName", 60),
    "address2": ("StreetSuffixName1", 40),
    "city": ("CityName", 40),
    "zip": ("PostalCode", 10),
    "province_code": ("Region", 3),
    "country_code": ("Country", 3),
    "phone": ("PhoneNumber", 30),
}


def ship_to_partner(order: SalesOrder) -> list[dict[str, Any]]:
    """The ship-to partner of an order that names its SAP customer: that business partner, with the
    order's ship-to address as the document's own address (the customer's master address stays as
    it is). Empty for an order sold to the configured default party, which keeps SAP's defaults."""
    party = order.customer.erp_party
    if not party:
        return []
    partner: dict[str, Any] = {"PartnerFunction": SHIP_TO, "Customer": party}
    if order.ship_to.country_code:
        address = {}
        for field, (prop, limit) in _DOCUMENT_ADDRESS.items():
            value = getattr(order.ship_to, field)
            if len(value) > limit:
                raise DataError(
                    f"order {order.external_ref!r}: ship_to.{field} is longer than SAP's {prop} ({limit})",
                    system=SYSTEM,
                )
            address[prop] = value
        partner["to_Address"] = [address]
    return [partner]


def sales_item(material: str, quantity: Decimal, unit: str, text: str) -> dict[str, Any]:
    item = {"Material": material, "RequestedQuantity": str(quantity), "SalesOrderItemText": text[:40]}

    return item | ({"RequestedQuantityUnit": unit} if unit else {})


def _document(order: dict[str, Any]) -> ErpDocument:
    status = "cancelled" if order.get("OverallSDDocumentRejectionSts") == "C" else "open"
    return ErpDocument(number=order["SalesOrder"], external_ref=order["PurchaseOrderByCustomer"], status=status)


def _check_reference(ref: str) -> None:
    if not ref or len(ref) > MAX_REFERENCE:
        raise DataError(
            f"reference {ref!r} is {len(ref)} characters; SAP PurchaseOrderByCustomer holds 1 to {MAX_REFERENCE}",
            system=SYSTEM,
        )
