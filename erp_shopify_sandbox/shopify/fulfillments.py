"""Fulfillment orders and fulfillments of a sandbox shop, as Shopify keeps them.

Every order gets one fulfillment order when it is placed, assigned to the location whose stock it
committed (the one Shopify's routing picked). A fulfillment takes units off a fulfillment order's
remaining quantities and off the location's ``committed`` (so off ``on_hand``); a move reassigns
units, and their commitment, to another location. Callers hold ``state.lock``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from erp_shopify_sandbox.shopify.state import now_iso

if TYPE_CHECKING:
    from erp_shopify_sandbox.shopify.state import LineItem, Order, ShopState

OPEN, IN_PROGRESS, CLOSED, CANCELLED = "OPEN", "IN_PROGRESS", "CLOSED", "CANCELLED"
FULFILLABLE = frozenset({OPEN, IN_PROGRESS})


class FulfillmentRefused(ValueError):
    """Input Shopify answers with a user error (the message is Shopify's)."""

    def __init__(self, message: str, field: list[str]) -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass
class FulfillmentOrderLine:
    index: int
    line_item: LineItem
    total: int
    remaining: int


@dataclass
class FulfillmentOrder:
    index: int
    order: int
    location: int
    lines: list[FulfillmentOrderLine]
    created_at: str
    updated_at: str
    status: str = OPEN
    progressed: bool = False  # some unit was fulfilled: a move then splits instead of reassigning


@dataclass
class Tracking:
    company: str | None
    number: str | None
    url: str | None


@dataclass
class Fulfillment:
    index: int
    order: int
    location: int
    lines: list[tuple[FulfillmentOrderLine, int]]
    fulfillment_orders: list[int]
    tracking: list[Tracking]
    created_at: str
    updated_at: str
    notified: bool = False
    status: str = "SUCCESS"


@dataclass
class FulfillmentBook:
    orders: list[FulfillmentOrder] = field(default_factory=list)
    fulfillments: list[Fulfillment] = field(default_factory=list)
    line_count: int = 0
    # indexes, so a shop with many orders answers in constant time per order
    _by_order: dict[int, list[FulfillmentOrder]] = field(default_factory=dict)
    _lines: dict[int, tuple[FulfillmentOrder, FulfillmentOrderLine]] = field(default_factory=dict)
    _fulfillments_by_order: dict[int, list[Fulfillment]] = field(default_factory=dict)

    def open_for(self, order: Order, location: int) -> FulfillmentOrder:
        """The fulfillment order a new order gets, with every line."""
        stamp = now_iso()
        lines = []
        for item in order.line_items:
            lines.append(FulfillmentOrderLine(self.line_count, item, item.quantity, item.quantity))
            self.line_count += 1
        return self._add(order.index, location, lines, stamp)

    def _add(self, order: int, location: int, lines: list[FulfillmentOrderLine], stamp: str) -> FulfillmentOrder:
        fulfillment_order = FulfillmentOrder(len(self.orders), order, location, lines, stamp, stamp)
        self.orders.append(fulfillment_order)
        self._by_order.setdefault(order, []).append(fulfillment_order)
        self._lines.update((line.index, (fulfillment_order, line)) for line in lines)
        return fulfillment_order

    def of_order(self, order: int) -> list[FulfillmentOrder]:
        return list(self._by_order.get(order, []))

    def fulfillments_of(self, order: int) -> list[Fulfillment]:
        return list(self._fulfillments_by_order.get(order, []))

    def line(self, index: int) -> tuple[FulfillmentOrder, FulfillmentOrderLine] | None:
        return self._lines.get(index)

    def fulfill(
        self,
        state: ShopState,
        wanted: list[tuple[FulfillmentOrder, list[tuple[FulfillmentOrderLine, int]] | None]],
        tracking: list[Tracking],
        *,
        notify: bool = False,
    ) -> Fulfillment:
        """One fulfillment of the given lines (every remaining unit of a fulfillment order whose
        lines are None), all from one location; refused whole if any part cannot be fulfilled."""
        locations = {fulfillment_order.location for fulfillment_order, _ in wanted}
        if len(locations) != 1 or len({f.order for f, _ in wanted}) != 1:
            raise FulfillmentRefused(
                "All fulfillment orders must belong to the same order and be assigned to the same location.",
                ["fulfillment", "lineItemsByFulfillmentOrder"],
            )
        taken: list[tuple[FulfillmentOrderLine, int]] = []
        for n, (fulfillment_order, lines) in enumerate(wanted):
            if fulfillment_order.status not in FULFILLABLE:
                raise FulfillmentRefused(
                    f"Fulfillment order {fulfillment_order.index} has an unfulfillable status= "
                    f"{fulfillment_order.status.lower()}.",
                    ["fulfillment", "lineItemsByFulfillmentOrder", str(n)],
                )
            chosen = (
                lines
                if lines is not None
                else [(line, line.remaining) for line in fulfillment_order.lines if line.remaining]
            )
            for line, quantity in chosen:
                if line not in fulfillment_order.lines:
                    raise FulfillmentRefused(
                        "Fulfillment order line item does not belong to the fulfillment order.",
                        ["fulfillment", "lineItemsByFulfillmentOrder", str(n), "fulfillmentOrderLineItems"],
                    )
                if quantity <= 0 or quantity > line.remaining:
                    raise FulfillmentRefused(
                        "Invalid fulfillment order line item quantity requested.",
                        ["fulfillment", "lineItemsByFulfillmentOrder", str(n), "fulfillmentOrderLineItems"],
                    )
                taken.append((line, quantity))
        if not taken:
            raise FulfillmentRefused("No line items to fulfill.", ["fulfillment"])
        stamp = now_iso()
        (location,) = locations
        for line, quantity in taken:
            line.remaining -= quantity
            line.line_item.fulfilled += quantity
            state.move(location, line.line_item.variant, 0, -quantity)
        for fulfillment_order, _ in wanted:
            fulfillment_order.progressed = True
            fulfillment_order.updated_at = stamp
            left = any(line.remaining for line in fulfillment_order.lines)
            fulfillment_order.status = IN_PROGRESS if left else CLOSED
        fulfillment = Fulfillment(
            len(self.fulfillments),
            wanted[0][0].order,
            location,
            taken,
            [f.index for f, _ in wanted],
            tracking,
            stamp,
            stamp,
            notify,
        )
        self.fulfillments.append(fulfillment)
        self._fulfillments_by_order.setdefault(fulfillment.order, []).append(fulfillment)
        return fulfillment

    def move(
        self,
        state: ShopState,
        fulfillment_order: FulfillmentOrder,
        location: int,
        lines: list[tuple[FulfillmentOrderLine, int]] | None,
    ) -> tuple[FulfillmentOrder, FulfillmentOrder]:
        """(original, moved): the whole fulfillment order is reassigned when it has no progress and
        every remaining unit moves; otherwise the units move to a new fulfillment order."""
        if fulfillment_order.status not in FULFILLABLE:
            raise FulfillmentRefused(
                f"Cannot move a fulfillment order with status {fulfillment_order.status.lower()}.", ["id"]
            )
        if location == fulfillment_order.location:
            raise FulfillmentRefused(
                "Cannot move a fulfillment order to the location it is assigned to.", ["newLocationId"]
            )
        chosen = (
            lines
            if lines is not None
            else [(line, line.remaining) for line in fulfillment_order.lines if line.remaining]
        )
        for line, quantity in chosen:
            if line not in fulfillment_order.lines or not 0 < quantity <= line.remaining:
                raise FulfillmentRefused(
                    "Invalid fulfillment order line item quantity requested.", ["fulfillmentOrderLineItems"]
                )
        for line, quantity in chosen:
            variant = line.line_item.variant
            state.move(fulfillment_order.location, variant, quantity, -quantity)
            state.move(location, variant, -quantity, quantity)
        stamp = now_iso()
        whole = sum(q for _, q in chosen) == sum(line.remaining for line in fulfillment_order.lines)
        if whole and not fulfillment_order.progressed:
            fulfillment_order.location, fulfillment_order.updated_at = location, stamp
            return fulfillment_order, fulfillment_order
        moved_lines = []
        for line, quantity in chosen:
            line.remaining -= quantity
            line.total -= quantity
            moved_lines.append(FulfillmentOrderLine(self.line_count, line.line_item, quantity, quantity))
            self.line_count += 1
        fulfillment_order.updated_at = stamp
        if not any(line.remaining for line in fulfillment_order.lines):
            fulfillment_order.status = CLOSED
        return fulfillment_order, self._add(fulfillment_order.order, location, moved_lines, stamp)

    def cancel(self, order: int) -> None:
        for fulfillment_order in self.of_order(order):
            if fulfillment_order.status in FULFILLABLE:
                fulfillment_order.status, fulfillment_order.updated_at = CANCELLED, now_iso()

    def refund(self, order: int, line_item: LineItem, quantity: int) -> None:
        """A refunded unit leaves the open fulfillment orders (it will not ship)."""
        for fulfillment_order in self.of_order(order):
            for line in fulfillment_order.lines:
                if line.line_item is line_item and quantity and fulfillment_order.status in FULFILLABLE:
                    taken = min(quantity, line.remaining)
                    line.remaining -= taken
                    quantity -= taken
            if fulfillment_order.status in FULFILLABLE and not any(line.remaining for line in fulfillment_order.lines):
                fulfillment_order.status = CLOSED

    def display_status(self, order: int) -> str:
        """``Order.displayFulfillmentStatus``."""
        lines = [line for f in self.of_order(order) if f.status != CANCELLED for line in f.lines]
        shipped = sum(line.total - line.remaining for line in lines)
        if shipped and not any(line.remaining for line in lines):
            return "FULFILLED"
        return "PARTIALLY_FULFILLED" if shipped else "UNFULFILLED"
