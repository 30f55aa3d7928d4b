"""Orders that exist on both sides, for the fulfillment tests: placed in the Shopify sandbox and
booked in the SAP sandbox under our external reference, as order delivery would have booked them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from erp_shopify.mapping.orders import external_ref
from erp_shopify_sandbox.shopify.ids import legacy_id
from erp_shopify_tests.test_sync.world import World


def sap_sales_order(shop: str, order_index: int, lines: dict[str, int]) -> dict[str, Any]:
    """The SAP sales order payload order delivery would send for a sandbox shop's order."""
    return {
        "SalesOrderType": "OR",
        "SalesOrganization": "1010",
        "DistributionChannel": "10",
        "OrganizationDivision": "00",
        "SoldToParty": "1000001",
        "PurchaseOrderByCustomer": external_ref(shop, str(legacy_id("Order", order_index))),
        "to_Item": [{"Material": sku, "RequestedQuantity": str(q)} for sku, q in lines.items()],
    }


def book_order(w: World, lines: dict[str, int], *, shop: str = "shop-a", location: int = 0) -> tuple[int, str]:
    """(Shopify order index, SAP sales order) of one order of ``lines`` (SKU -> quantity)."""
    order = w.shops[shop].sandbox.state.place_order(list(lines.items()), location=location)
    sales_order = w.sap.store.create_sales_order(sap_sales_order(shop, order.index, lines))
    return order.index, sales_order["SalesOrder"]


def ship(w: World, sales_order: str, lines: dict[str, int] | None = None, **options: str) -> str:
    """The warehouse ships (goods issue posted); returns the delivery document."""
    quantities = {sku: Decimal(q) for sku, q in lines.items()} if lines is not None else None
    return str(w.sap.store.deliveries.ship(sales_order, quantities, **options)["DeliveryDocument"])  # type: ignore[arg-type]


def remaining(w: World, order: int, shop: str = "shop-a") -> dict[str, int]:
    """SKU -> units Shopify still has to fulfil, over the order's open fulfillment orders."""
    state = w.shops[shop].sandbox.state
    with state.lock:
        left: dict[str, int] = {}
        for fulfillment_order in state.fulfillment.of_order(order):
            for line in fulfillment_order.lines:
                if fulfillment_order.status in ("OPEN", "IN_PROGRESS"):
                    left[line.line_item.sku] = left.get(line.line_item.sku, 0) + line.remaining
        return left
