"""Pure rules of the fulfillment sync: which Shopify order an ERP shipment belongs to, which
fulfillment order lines it fulfils (moving units first when the ERP shipped from another location),
and whether a create whose answer was lost was applied. No I/O: the order is the answer of the
``order_fulfillment_orders`` document.

Every refusal is a ``DataError`` naming the delivery and the order, coded for the asset check.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from erp_shopify.config import ShopFulfillment
from erp_shopify.errors import DataError
from erp_shopify.mapping.orders import external_ref
from erp_shopify.records import Shipment

SYSTEM = "fulfillment"
FULFILLABLE = frozenset({"OPEN", "IN_PROGRESS"})


def refused(shipment: Shipment, order: str, reason: str, code: str) -> DataError:
    return DataError(
        f"delivery {shipment.document} for order {order or repr(shipment.order_ref)}: {reason}",
        codes=(code,),
        body=shipment.model_dump(mode="json"),
        system=SYSTEM,
    )


def order_gid(shop: str, order_ref: str) -> str | None:
    """The Shopify order of our external reference when it is this shop's, else None."""
    legacy = order_ref.rsplit("-", 1)[-1]
    if not legacy.isdigit() or "-" not in order_ref:
        return None
    try:
        ours = external_ref(shop, legacy)
    except DataError:
        return None
    return f"gid://shopify/Order/{legacy}" if ours == order_ref else None


@dataclass(frozen=True)
class OrderLine:
    """One fulfillment order line as read: where it is assigned and what remains of it."""

    id: str
    fulfillment_order: str
    location: str
    status: str
    sku: str
    remaining: int


def order_lines(order: Mapping[str, Any]) -> list[OrderLine]:
    lines = []
    for fulfillment_order in order["fulfillmentOrders"]["nodes"]:
        location = ((fulfillment_order.get("assignedLocation") or {}).get("location") or {}).get("id", "")
        for line in fulfillment_order["lineItems"]["nodes"]:
            lines.append(
                OrderLine(
                    line["id"],
                    fulfillment_order["id"],
                    location,
                    fulfillment_order["status"],
                    line.get("sku") or "",
                    int(line["remainingQuantity"]),
                )
            )
    return lines


@dataclass
class FulfillmentPlan:
    location: str  # the Shopify location the ERP shipped from
    lines: list[tuple[OrderLine, int]] = field(default_factory=list)  # lines assigned there
    moves: dict[str, list[tuple[OrderLine, int]]] = field(default_factory=dict)  # from other locations

    def fulfillment_input(self, tracking: dict[str, Any] | None, notify: bool) -> dict[str, Any]:
        by_order: dict[str, list[dict[str, Any]]] = {}
        for line, quantity in self.lines:
            by_order.setdefault(line.fulfillment_order, []).append({"id": line.id, "quantity": quantity})
        groups = [{"fulfillmentOrderId": f, "fulfillmentOrderLineItems": lines} for f, lines in by_order.items()]
        body: dict[str, Any] = {"lineItemsByFulfillmentOrder": groups, "notifyCustomer": notify}
        if tracking:
            body["trackingInfo"] = tracking
        return body

    def ledger_plan(self) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """What the ledger keeps before sending: each line and quantity, and what remained."""
        plan = [{"fulfillment_order": ln.fulfillment_order, "line": ln.id, "quantity": q} for ln, q in self.lines]
        return plan, {line.id: line.remaining for line, _ in self.lines}


def plan_fulfillment(
    shipment: Shipment,
    order: Mapping[str, Any],
    locations: Mapping[str, str],
    item_of: Callable[[str], str | None],
) -> FulfillmentPlan:
    """The fulfillment order lines the shipment fulfils, lines at the shipping location first."""
    name = str(order.get("name") or order.get("id"))
    shopify_locations = set()
    for line in shipment.lines:
        if line.location not in locations:
            raise refused(
                shipment, name, f"ERP location {line.location!r} maps to no Shopify location", "UNMAPPED_LOCATION"
            )
        shopify_locations.add(locations[line.location])
    if len(shopify_locations) != 1:
        raise refused(shipment, name, "it ships from several Shopify locations", "SEVERAL_LOCATIONS")
    plan = FulfillmentPlan(location=shopify_locations.pop())
    lines = order_lines(order)
    for shipped in shipment.lines:
        wanted = _whole(shipment, name, shipped.quantity, shipped.item_code)
        ours = [ln for ln in lines if ln.sku and item_of(ln.sku) == shipped.item_code]
        if not ours:
            raise refused(shipment, name, f"the order has no line for item {shipped.item_code}", "NO_SUCH_LINE")
        open_lines = sorted(
            (ln for ln in ours if ln.status in FULFILLABLE and ln.remaining > 0),
            key=lambda ln: (ln.location != plan.location, ln.fulfillment_order, ln.id),
        )
        remaining = sum(ln.remaining for ln in open_lines)
        if remaining < wanted:
            closed = sorted({ln.status for ln in ours if ln.status not in FULFILLABLE})
            why = f"; its fulfillment orders are {', '.join(closed).lower()}" if closed and not remaining else ""
            code = "FULFILLMENT_ORDER_CLOSED" if why else "QUANTITY_ABOVE_REMAINING"
            raise refused(
                shipment, name, f"{wanted} of {shipped.item_code} shipped, {remaining} remain to fulfil{why}", code
            )
        for candidate in open_lines:
            take = min(wanted, candidate.remaining)
            if take <= 0:
                break
            wanted -= take
            if candidate.location == plan.location:
                plan.lines.append((candidate, take))
            else:
                plan.moves.setdefault(candidate.fulfillment_order, []).append((candidate, take))
    return plan


def _whole(shipment: Shipment, order: str, quantity: Decimal, item: str) -> int:
    if quantity != quantity.to_integral_value():
        raise refused(shipment, order, f"{quantity} of {item} is not a whole number of units", "FRACTIONAL_QUANTITY")
    return int(quantity)


def tracking_input(shipment: Shipment, config: ShopFulfillment) -> dict[str, Any] | None:
    """``FulfillmentTrackingInput`` from the ERP's numbers and the shop's carrier settings."""
    numbers = list(shipment.tracking_numbers)
    company = shipment.tracking_company or config.tracking_company
    if not numbers and not company:
        return None
    body: dict[str, Any] = {"numbers": numbers}
    if company:
        body["company"] = company
    urls = list(shipment.tracking_urls) or (
        [config.tracking_url.format(number=n) for n in numbers] if config.tracking_url else []
    )
    if urls:
        body["urls"] = urls
    return body


def tracking_digest(tracking: dict[str, Any] | None) -> str:
    return hashlib.sha1(json.dumps(tracking or {}, sort_keys=True).encode()).hexdigest()[:12]


def was_applied(
    shipment: Shipment, order: Mapping[str, Any], plan: list[dict[str, Any]], before: dict[str, int]
) -> bool:
    """Whether a create recorded as about to be sent reached Shopify: every planned line lowered by
    exactly its quantity (applied) or none moved (not applied); anything else is refused."""
    now = {line.id: line.remaining for line in order_lines(order)}
    lowered = [now.get(p["line"]) == before[p["line"]] - p["quantity"] for p in plan]
    if all(lowered):
        return True
    if all(now.get(p["line"]) == before[p["line"]] for p in plan):
        return False
    raise refused(
        shipment,
        str(order.get("name")),
        "its fulfillment was in flight when the remaining quantities moved otherwise: check the order by hand",
        "REMAINING_MOVED",
    )


def newest_fulfillment(order: Mapping[str, Any], tracking: dict[str, Any] | None) -> str | None:
    """The fulfillment an applied create made: the newest whose tracking numbers are the shipment's."""
    numbers = sorted((tracking or {}).get("numbers") or [])
    found = sorted(order.get("fulfillments") or [], key=lambda f: f["createdAt"], reverse=True)
    matching = [f for f in found if sorted(t["number"] for t in f["trackingInfo"] if t.get("number")) == numbers]
    return (matching or found or [{"id": None}])[0]["id"]
