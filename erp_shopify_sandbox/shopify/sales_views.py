"""GraphQL views of orders, refunds, customers and B2B price lists."""

from __future__ import annotations

from typing import Any

from erp_shopify_sandbox.shopify import ids
from erp_shopify_sandbox.shopify.paging import connection
from erp_shopify_sandbox.shopify.state import Customer, LineItem, Order, PriceList, Refund, ShopState
from erp_shopify_sandbox.shopify.views import VariantView, _HasMetafields, bulk_of, money, money_bag


class CustomerView(_HasMetafields):
    typename = kind = "Customer"
    __slots__ = ()

    @property
    def record(self) -> Customer:
        return self.state.customers[self.index]

    def __getattr__(self, name: str) -> Any:
        c = self.state.customers[self.index]
        fields = {
            "firstName": c.first_name,
            "lastName": c.last_name,
            "email": c.email,
            "displayName": f"{c.first_name} {c.last_name}".strip(),
            "createdAt": c.created_at,
            "updatedAt": c.updated_at,
            "phone": c.phone or None,
        }
        if name in fields:
            return fields[name]
        raise AttributeError(name)

    def defaultAddress(self, info: Any) -> dict[str, Any] | None:
        listed = self.record.addresses or []
        return mailing_address(listed[0]) if listed else None

    def addressesV2(self, info: Any, first: int | None = None, after: str | None = None, **_: Any) -> dict:
        listed = {a["index"]: a for a in self.record.addresses or []}
        return connection(sorted(listed), first, after, lambda i: mailing_address(listed[i]))


def mailing_address(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored address as GraphQL's ``MailingAddress``."""
    name = f"{stored['first_name']} {stored['last_name']}".strip()
    return {
        "id": ids.gid("MailingAddress", stored["index"]),
        "address1": stored["address1"] or None,
        "address2": stored["address2"] or None,
        "city": stored["city"] or None,
        "company": stored["company"] or None,
        "countryCodeV2": stored["country_code"] or None,
        "firstName": stored["first_name"] or None,
        "lastName": stored["last_name"] or None,
        "name": name or None,
        "phone": stored["phone"] or None,
        "provinceCode": stored["province_code"] or None,
        "zip": stored["zip"] or None,
    }


class LineItemView:
    typename = "LineItem"
    __slots__ = ("currency", "line", "state")

    def __init__(self, state: ShopState, line: LineItem, currency: str) -> None:
        self.state, self.line, self.currency = state, line, currency

    def __getattr__(self, name: str) -> Any:
        line = self.line
        fields = {
            "id": ids.gid("LineItem", line.index),
            "sku": line.sku,
            "name": line.title,
            "title": line.title,
            "quantity": line.quantity,
            "currentQuantity": line.current_quantity,
            "refundableQuantity": line.current_quantity,
            "fulfillableQuantity": line.current_quantity - line.fulfilled,
            "unfulfilledQuantity": line.current_quantity - line.fulfilled,
            "originalUnitPriceSet": money_bag(line.price, self.currency),
            "variant": VariantView(self.state, line.variant),
        }
        if name in fields:
            return fields[name]
        raise AttributeError(name)


class RefundView(_HasMetafields):
    typename = kind = "Refund"
    __slots__ = ("refund",)

    def __init__(self, state: ShopState, refund: Refund) -> None:
        super().__init__(state, refund.index)
        self.refund = refund

    @property
    def createdAt(self) -> str:
        return self.refund.created_at

    @property
    def note(self) -> str | None:
        return self.refund.note

    @property
    def order(self) -> OrderView:
        return OrderView(self.state, self.refund.order)

    @property
    def totalRefundedSet(self) -> dict:
        order = self.state.orders[self.refund.order]
        total = sum(float(line.price) * quantity for line, quantity, _ in self.refund.lines)
        return money_bag(f"{total:.2f}", order.currency)

    def refundLineItems(self, info: Any, first: int | None = None, after: str | None = None) -> dict:
        currency = self.state.orders[self.refund.order].currency

        def node(position: int) -> dict:
            line, quantity, restocked = self.refund.lines[position]
            return {
                "id": None,
                "lineItem": LineItemView(self.state, line, currency),
                "quantity": quantity,
                "restockType": "CANCEL" if restocked else "NO_RESTOCK",
                "restocked": restocked,
            }

        return connection(range(len(self.refund.lines)), first, after, node, bulk=bulk_of(info))


class OrderView(_HasMetafields):
    typename = kind = "Order"
    __slots__ = ()
    test = False

    @property
    def record(self) -> Order:
        return self.state.orders[self.index]

    def __getattr__(self, name: str) -> Any:
        o = self.state.orders[self.index]
        fields = {
            "name": o.name,
            "createdAt": o.created_at,
            "processedAt": o.created_at,
            "updatedAt": o.updated_at,
            "cancelledAt": o.cancelled_at,
            "cancelReason": o.cancel_reason,
            "closed": False,
            "currencyCode": o.currency,
            "email": o.email,
            "displayFinancialStatus": o.financial_status,
            "totalPriceSet": money_bag(o.total(), o.currency),
            "customer": CustomerView(self.state, o.customer) if o.customer is not None else None,
            "displayFulfillmentStatus": self.state.fulfillment.display_status(o.index),
            "fulfillable": o.cancelled_at is None and any(i.current_quantity > i.fulfilled for i in o.line_items),
        }
        if name in fields:
            return fields[name]
        raise AttributeError(name)

    def lineItems(self, info: Any, first: int | None = None, after: str | None = None) -> dict:
        o = self.record
        return connection(
            range(len(o.line_items)),
            first,
            after,
            lambda i: LineItemView(self.state, o.line_items[i], o.currency),
            bulk=bulk_of(info),
        )

    def fulfillmentOrders(self, info: Any, **arguments: Any) -> dict:
        from erp_shopify_sandbox.shopify.fulfillment_views import order_fulfillment_orders

        return order_fulfillment_orders(self, info, **arguments)

    def fulfillments(self, info: Any, first: int | None = None) -> list[Any]:
        from erp_shopify_sandbox.shopify.fulfillment_views import order_fulfillments

        return order_fulfillments(self, info, first)

    def refunds(self, info: Any, first: int | None = None) -> list[RefundView]:
        refunds = self.record.refunds
        return [RefundView(self.state, r) for r in (refunds[:first] if first is not None else refunds)]


class PriceListView(_HasMetafields):
    typename = kind = "PriceList"
    __slots__ = ()

    @property
    def record(self) -> PriceList:
        return self.state.price_lists[self.index]

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def currency(self) -> str:
        return self.record.currency

    @property
    def fixedPricesCount(self) -> int:
        return len(self.record.fixed)

    @property
    def catalog(self) -> CatalogView | None:
        return CatalogView(self.state, self.index) if self.record.company_location else None

    def prices(
        self,
        info: Any,
        first: int | None = None,
        after: str | None = None,
        originType: str | None = None,
        query: str | None = None,
    ) -> dict:
        record = self.record
        keys = sorted(record.fixed) if originType in (None, "FIXED") else []
        return connection(keys, first, after, lambda v: price_list_price(self.state, record, v), bulk=bulk_of(info))

    def quantityRules(
        self, info: Any, first: int | None = None, after: str | None = None, originType: str | None = None
    ) -> dict:
        record = self.record
        keys = sorted(record.rules) if originType in (None, "FIXED") else []

        def rule(variant: int) -> dict:
            minimum, maximum, increment = record.rules[variant]
            return {
                "minimum": minimum,
                "maximum": maximum,
                "increment": increment,
                "isDefault": False,
                "originType": "FIXED",
                "productVariant": VariantView(self.state, variant),
            }

        return connection(keys, first, after, rule, bulk=bulk_of(info))


def price_list_price(state: ShopState, record: PriceList, variant: int) -> dict[str, Any]:
    price, compare_at = record.fixed[variant]
    breaks = sorted(
        (minimum, break_id, amount) for (v, minimum), (break_id, amount) in record.breaks.items() if v == variant
    )

    def quantity_price_breaks(info: Any, first: int | None = None, after: str | None = None) -> dict:
        def node(position: int) -> dict:
            minimum, break_id, amount = breaks[position]
            return {
                "__typename": "QuantityPriceBreak",
                "id": ids.gid("QuantityPriceBreak", break_id),
                "minimumQuantity": minimum,
                "price": money(amount, record.currency),
                "priceList": PriceListView(state, record.index),
                "variant": VariantView(state, variant),
            }

        return connection(range(len(breaks)), first, after, node, bulk=bulk_of(info))

    return {
        "price": money(price, record.currency),
        "compareAtPrice": money(compare_at, record.currency) if compare_at else None,
        "originType": "FIXED",
        "variant": VariantView(state, variant),
        "quantityPriceBreaks": quantity_price_breaks,
    }


class CompanyView(_HasMetafields):
    """One company per B2B company location in the sandbox (its index is the price list's)."""

    typename = kind = "Company"
    __slots__ = ()

    @property
    def name(self) -> str:
        return self.state.price_lists[self.index].company_location or ""


class CompanyLocationView(_HasMetafields):
    typename = kind = "CompanyLocation"
    __slots__ = ()
    externalId = None

    @property
    def name(self) -> str:
        return self.state.price_lists[self.index].company_location or ""

    @property
    def currency(self) -> str:
        return self.state.price_lists[self.index].currency

    @property
    def updatedAt(self) -> str:
        return self.state.price_lists[self.index].location_updated_at

    @property
    def shippingAddress(self) -> dict[str, Any] | None:
        location = self.state.price_lists[self.index]
        return company_address(location.shipping_address, location.company_location or "")

    @property
    def billingAddress(self) -> dict[str, Any] | None:
        location = self.state.price_lists[self.index]
        return company_address(location.billing_address, location.company_location or "")

    @property
    def company(self) -> CompanyView:
        return CompanyView(self.state, self.index)

    def catalogs(self, info: Any, first: int | None = None, after: str | None = None) -> dict:
        return connection([self.index], first, after, lambda i: CatalogView(self.state, i), bulk=bulk_of(info))


def company_address(stored: dict[str, Any] | None, company: str) -> dict[str, Any] | None:
    """A stored company address as the ``CompanyAddress`` object (its company: the location's)."""
    if stored is None:
        return None
    fields = ("address1", "address2", "city", "countryCode", "firstName", "lastName", "phone", "recipient", "zip")
    return {
        **{key: stored.get(key) for key in fields},
        "zoneCode": stored.get("zoneCode"),
        "companyName": company,
        "formattedAddress": [v for v in (stored.get("address1"), stored.get("city"), stored.get("countryCode")) if v],
        "id": ids.gid("CompanyAddress", stored["index"]),
        "createdAt": stored["created_at"],
        "updatedAt": stored["updated_at"],
    }


class CatalogView(_HasMetafields):
    typename = kind = "CompanyLocationCatalog"
    __slots__ = ()
    status = "ACTIVE"

    @property
    def title(self) -> str:
        return f"{self.state.price_lists[self.index].company_location} catalog"

    @property
    def priceList(self) -> PriceListView:
        return PriceListView(self.state, self.index)
