"""The fulfillment sync's pure rules: whose order a shipment is, which fulfillment order lines it
takes (those at the shipping location first, the rest to move), and how a lost answer is judged."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from erp_shopify.config import ShopFulfillment
from erp_shopify.errors import DataError
from erp_shopify.mapping import fulfillments as m
from erp_shopify.mapping.orders import external_ref
from erp_shopify.records import Shipment, ShipmentLine

HERE, THERE = "gid://shopify/Location/1", "gid://shopify/Location/2"
LOCATIONS = {"1010/0001": HERE, "1010/0002": THERE}


def shipment(lines: dict[str, int], location: str = "1010/0001", **extra: Any) -> Shipment:
    return Shipment(
        document="80000001",
        order_ref="shop-a-5600000000001",
        shipped_at=datetime(2026, 11, 30, 10),
        changed_at=datetime(2026, 11, 30),
        lines=[ShipmentLine(item_code=i, quantity=Decimal(q), location=location) for i, q in lines.items()],
        **extra,
    )


def order(*fulfillment_orders: tuple[str, str, str, dict[str, int]]) -> dict[str, Any]:
    """Fulfillment orders as (id, status, location, {sku: remaining}); line ids are ``<id>/<sku>``."""
    return {
        "name": "#1001",
        "fulfillmentOrders": {
            "nodes": [
                {
                    "id": fo,
                    "status": status,
                    "assignedLocation": {"location": {"id": location}},
                    "lineItems": {
                        "nodes": [{"id": f"{fo}/{sku}", "sku": sku, "remainingQuantity": q} for sku, q in lines.items()]
                    },
                }
                for fo, status, location, lines in fulfillment_orders
            ]
        },
        "fulfillments": [],
    }


def test_only_this_shops_references_name_a_shopify_order() -> None:
    assert m.order_gid("shop-a", external_ref("shop-a", "5600000000001")) == "gid://shopify/Order/5600000000001"
    assert m.order_gid("shop-a", external_ref("shop-b", "5600000000001")) is None
    assert m.order_gid("shop-a", external_ref("shop-a", "910", kind="R")) is None  # a refund's reference
    assert m.order_gid("shop-a", "") is None


def test_lines_at_the_shipping_location_come_first_and_the_rest_is_moved() -> None:
    read = order(("FO1", "OPEN", THERE, {"A": 2}), ("FO2", "OPEN", HERE, {"A": 1, "B": 1}))
    plan = m.plan_fulfillment(shipment({"A": 2}), read, LOCATIONS, lambda sku: sku)
    assert plan.location == HERE
    assert [(line.id, q) for line, q in plan.lines] == [("FO2/A", 1)]
    assert {fo: [(line.id, q) for line, q in lines] for fo, lines in plan.moves.items()} == {"FO1": [("FO1/A", 1)]}


def test_the_create_input_groups_lines_by_fulfillment_order_with_tracking() -> None:
    read = order(("FO1", "IN_PROGRESS", HERE, {"A": 3, "B": 1}))
    plan = m.plan_fulfillment(shipment({"A": 2, "B": 1}), read, LOCATIONS, lambda sku: sku)
    tracking = m.tracking_input(
        shipment({"A": 1}, tracking_numbers=["1Z1"]), ShopFulfillment(tracking_company="UPS", tracking_url="u/{number}")
    )
    assert tracking == {"numbers": ["1Z1"], "company": "UPS", "urls": ["u/1Z1"]}
    assert plan.fulfillment_input(tracking, True) == {
        "lineItemsByFulfillmentOrder": [
            {
                "fulfillmentOrderId": "FO1",
                "fulfillmentOrderLineItems": [{"id": "FO1/A", "quantity": 2}, {"id": "FO1/B", "quantity": 1}],
            }
        ],
        "notifyCustomer": True,
        "trackingInfo": tracking,
    }


@pytest.mark.parametrize(
    ("read", "shipped", "code"),
    [
        (order(("FO1", "OPEN", HERE, {"A": 1})), {"A": 2}, "QUANTITY_ABOVE_REMAINING"),
        (order(("FO1", "CANCELLED", HERE, {"A": 1})), {"A": 1}, "FULFILLMENT_ORDER_CLOSED"),
        (order(("FO1", "OPEN", HERE, {"A": 1})), {"Z": 1}, "NO_SUCH_LINE"),
    ],
)
def test_bad_shipments_are_refused_naming_delivery_and_order(
    read: dict[str, Any], shipped: dict[str, int], code: str
) -> None:
    with pytest.raises(DataError) as refused:
        m.plan_fulfillment(shipment(shipped), read, LOCATIONS, lambda sku: sku)
    assert refused.value.codes == (code,)
    assert str(refused.value.message).startswith("delivery 80000001 for order #1001: ")


def test_an_unmapped_erp_location_is_refused() -> None:
    with pytest.raises(DataError, match="ERP location '9999/0001' maps to no Shopify location"):
        m.plan_fulfillment(shipment({"A": 1}, "9999/0001"), order(), LOCATIONS, lambda sku: sku)


def test_a_lost_answer_is_judged_by_the_remaining_quantities() -> None:
    plan = [{"fulfillment_order": "FO1", "line": "FO1/A", "quantity": 2}]
    before = {"FO1/A": 3}
    applied = order(("FO1", "IN_PROGRESS", HERE, {"A": 1}))
    untouched = order(("FO1", "OPEN", HERE, {"A": 3}))
    other_hand = order(("FO1", "IN_PROGRESS", HERE, {"A": 2}))
    assert m.was_applied(shipment({"A": 2}), applied, plan, before) is True
    assert m.was_applied(shipment({"A": 2}), untouched, plan, before) is False
    with pytest.raises(DataError) as moved:
        m.was_applied(shipment({"A": 2}), other_hand, plan, before)
    assert moved.value.codes == ("REMAINING_MOVED",)
