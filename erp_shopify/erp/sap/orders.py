"""SAP sales orders and returns: ``API_SALES_ORDER_SRV`` deep inserts, idempotent on
``PurchaseOrderByCustomer``, which is searched before every create the caller cannot prove new.
Order calls are sent once (``retried=False``); order delivery retries them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from erp_shopify.config import SapConfig
from erp_shopify.erp.sap.odata import SYSTEM, ODataClient, format_date, results, string_literal
from erp_shopify.errors import DataError
from erp_shopify.records import CreditNote, ErpDocument, SalesOrder, SalesOrderLine

SALES_ORDERS = "API_SALES_ORDER_SRV"
MAX_REFERENCE = 35  # PurchaseOrderByCustomer MaxLength in the EDMX
_ORDER_FIELDS = "SalesOrder,PurchaseOrderByCustomer,SalesOrderType,OverallSDDocumentRejectionSts"


class SapOrders:
    """The adapter's order calls: find, create, cancel (reject every item) and credit (returns order)."""

    def __init__(self, odata: ODataClient, config: SapConfig) -> None:
        self.odata = odata
        self.config = config

    def find_sales_order(self, external_ref: str) -> ErpDocument | None:
        return self._find(external_ref, self.config.sales_order_type)

    def create_sales_order(self, order: SalesOrder, *, known_new: bool = False) -> ErpDocument:
        existing = None if known_new else self._find(order.external_ref, self.config.sales_order_type)
        if existing is not None:
            return existing
        items = [
            {
                "SalesOrderItem": str(10 * n),
                "Material": line.item_code,
                "RequestedQuantity": str(line.quantity),
                "RequestedQuantityUnit": "PC",
                "SalesOrderItemText": line.description[:40],
                "to_PricingElement": [
                    {
                        "ConditionType": self.config.manual_price_condition_type,
                        "ConditionRateValue": str(net_unit_price(line)),
                        "ConditionCurrency": order.currency,
                    }
                ],
            }
            for n, line in enumerate(order.lines, start=1)
        ]
        return self._create(
            order.external_ref,
            self.config.sales_order_type,
            items,
            currency=order.currency,
            ordered=order.ordered_at,
            sold_to=order.customer.erp_party,
            partners=ship_to_partner(order),
        )

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
        items = [
            {
                "SalesOrderItem": str(10 * n),
                "Material": line.item_code,
                "RequestedQuantity": str(line.quantity),
                "RequestedQuantityUnit": "PC",
            }
            for n, line in enumerate((line for line in credit.lines if line.quantity > 0), start=1)
        ]
        if not items:
            raise DataError(f"refund {credit.external_ref!r}: a SAP returns order needs a returned item", system=SYSTEM)
        return self._create(
            credit.external_ref,
            order_type,
            items,
            currency=credit.currency,
            ordered=datetime.now(UTC),
            sold_to=None,
            reference=refunded.number,
        )

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
    ) -> ErpDocument:
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
        return _document(response.json()["d"])

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


def net_unit_price(line: SalesOrderLine) -> Decimal:
    """What the customer paid per unit after the line's discount, at the scale SAP keeps (9)."""
    return ((line.unit_price * line.quantity - line.discount) / line.quantity).quantize(Decimal("0.000000001"))


def _document(order: dict[str, Any]) -> ErpDocument:
    status = "cancelled" if order.get("OverallSDDocumentRejectionSts") == "C" else "open"
    return ErpDocument(number=order["SalesOrder"], external_ref=order["PurchaseOrderByCustomer"], status=status)


def _check_reference(ref: str) -> None:
    if not ref or len(ref) > MAX_REFERENCE:
        raise DataError(
            f"reference {ref!r} is {len(ref)} characters; SAP PurchaseOrderByCustomer holds 1 to {MAX_REFERENCE}",
            system=SYSTEM,
        )
