"""GraphQL views of fulfillment orders and fulfillments (``fulfillments.FulfillmentBook``)."""

from __future__ import annotations

from typing import Any

from erp_shopify_sandbox.shopify import ids
from erp_shopify_sandbox.shopify.fulfillments import CANCELLED, Fulfillment, FulfillmentOrder, FulfillmentOrderLine
from erp_shopify_sandbox.shopify.paging import connection
from erp_shopify_sandbox.shopify.sales_views import LineItemView, OrderView
from erp_shopify_sandbox.shopify.state import ShopState
from erp_shopify_sandbox.shopify.views import LocationView, VariantView, _View, bulk_of


class FulfillmentOrderLineView:
    typename = "FulfillmentOrderLineItem"
    __slots__ = ("currency", "line", "state")
    requiresShipping = True

    def __init__(self, state: ShopState, line: FulfillmentOrderLine, currency: str) -> None:
        self.state, self.line, self.currency = state, line, currency

    def __getattr__(self, name: str) -> Any:
        line, item = self.line, self.line.line_item
        fields = {
            "id": ids.gid("FulfillmentOrderLineItem", line.index),
            "inventoryItemId": ids.gid("InventoryItem", item.variant),
            "lineItem": LineItemView(self.state, item, self.currency),
            "productTitle": item.title,
            "remainingQuantity": line.remaining,
            "sku": item.sku,
            "totalQuantity": line.total,
            "variant": VariantView(self.state, item.variant),
        }
        if name in fields:
            return fields[name]
        raise AttributeError(name)


class FulfillmentOrderView(_View):
    typename = kind = "FulfillmentOrder"
    __slots__ = ()
    requestStatus = "UNSUBMITTED"

    @property
    def record(self) -> FulfillmentOrder:
        return self.state.fulfillment.orders[self.index]

    def __getattr__(self, name: str) -> Any:
        record = self.state.fulfillment.orders[self.index]
        order = self.state.orders[record.order]
        fields = {
            "assignedLocation": {
                "countryCode": "CA",
                "location": LocationView(self.state, record.location),
                "name": self.state.locations[record.location],
            },
            "createdAt": record.created_at,
            "updatedAt": record.updated_at,
            "order": OrderView(self.state, record.order),
            "orderId": ids.gid("Order", record.order),
            "orderName": order.name,
            "status": record.status,
        }
        if name in fields:
            return fields[name]
        raise AttributeError(name)

    def lineItems(self, info: Any, first: int | None = None, after: str | None = None) -> dict:
        record = self.record
        currency = self.state.orders[record.order].currency
        lines = {line.index: line for line in record.lines}
        return connection(
            sorted(lines),
            first,
            after,
            lambda i: FulfillmentOrderLineView(self.state, lines[i], currency),
            bulk=bulk_of(info),
        )

    def fulfillments(self, info: Any, first: int | None = None, after: str | None = None) -> dict:
        fulfilled = self.state.fulfillment.fulfillments_of(self.record.order)
        found = [f.index for f in fulfilled if self.index in f.fulfillment_orders]
        return connection(found, first, after, lambda i: FulfillmentView(self.state, i), bulk=bulk_of(info))


class FulfillmentView(_View):
    typename = kind = "Fulfillment"
    __slots__ = ()
    requiresShipping = True

    @property
    def record(self) -> Fulfillment:
        return self.state.fulfillment.fulfillments[self.index]

    def __getattr__(self, name: str) -> Any:
        record = self.state.fulfillment.fulfillments[self.index]
        order = self.state.orders[record.order]
        number = 1 + [f.index for f in self.state.fulfillment.fulfillments_of(record.order)].index(self.index)
        fields = {
            "createdAt": record.created_at,
            "updatedAt": record.updated_at,
            "displayStatus": "FULFILLED",
            "location": LocationView(self.state, record.location),
            "name": f"{order.name}-F{number}",
            "order": OrderView(self.state, record.order),
            "status": record.status,
            "totalQuantity": sum(quantity for _, quantity in record.lines),
        }
        if name in fields:
            return fields[name]
        raise AttributeError(name)

    def trackingInfo(self, info: Any, first: int | None = None) -> list[dict]:
        tracking = self.record.tracking
        return [
            {"company": t.company, "number": t.number, "url": t.url}
            for t in (tracking[:first] if first is not None else tracking)
        ]

    def fulfillmentLineItems(self, info: Any, first: int | None = None, after: str | None = None) -> dict:
        record = self.record
        currency = self.state.orders[record.order].currency

        def node(position: int) -> dict:
            line, quantity = record.lines[position]
            return {
                "id": ids.gid("FulfillmentLineItem", record.index * 1000 + position),
                "lineItem": LineItemView(self.state, line.line_item, currency),
                "quantity": quantity,
            }

        return connection(range(len(record.lines)), first, after, node, bulk=bulk_of(info))

    def fulfillmentOrders(self, info: Any, first: int | None = None, after: str | None = None) -> dict:
        indexes = sorted(self.record.fulfillment_orders)
        return connection(indexes, first, after, lambda i: FulfillmentOrderView(self.state, i), bulk=bulk_of(info))


def order_fulfillment_orders(
    view: OrderView,
    info: Any,
    first: int | None = None,
    after: str | None = None,
    displayable: bool = False,
    query: str | None = None,
) -> dict:
    """``Order.fulfillmentOrders``; ``displayable`` leaves out cancelled and emptied ones."""
    found = [
        f.index
        for f in view.state.fulfillment.of_order(view.index)
        if not displayable or (f.status != CANCELLED and any(line.total for line in f.lines))
    ]
    return connection(found, first, after, lambda i: FulfillmentOrderView(view.state, i), bulk=bulk_of(info))


def order_fulfillments(view: OrderView, info: Any, first: int | None = None) -> list[FulfillmentView]:
    found = [FulfillmentView(view.state, f.index) for f in view.state.fulfillment.fulfillments_of(view.index)]
    return found[:first] if first is not None else found
