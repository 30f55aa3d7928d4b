"""What orders carrying their customer cost on a real trytond: a sale created alone (the configured
party) versus the delivery's customer step first (find the known customer, or create a new one)
and then the sale to that customer, as ratios within one run."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

from erp_shopify.delivery.customers import OrderCustomers
from erp_shopify.records import Address, Customer, CustomerRecord, SalesOrder, SalesOrderLine
from erp_shopify_tests.bench import median_ms
from erp_shopify_tests.test_erp.harness_tryton import harness

HOME = Address(name="Ada Lovelace", address1="1 Main St", city="London", zip="N1", country_code="GB")


def _order(ref: str) -> SalesOrder:
    return SalesOrder(
        external_ref=ref,
        shop="bench",
        currency="EUR",
        ordered_at=datetime(2026, 11, 27, tzinfo=UTC),
        customer=Customer(name="Ada Lovelace"),
        ship_to=HOME,
        lines=[SalesOrderLine(item_code="SKU-MUG", quantity=Decimal(1), unit_price=Decimal("9.50"))],
    )


def run() -> list[str]:
    numbers = itertools.count()
    step = OrderCustomers()
    with harness() as tryton:
        adapter = tryton.adapter

        def alone() -> object:
            return adapter.create_sales_order(_order(f"alone-{next(numbers)}"), known_new=True)

        def known() -> object:
            customer = CustomerRecord(external_ref="bench-C1", last_name="Lovelace", addresses=[HOME])
            order = step.sold_to(adapter, _order(f"known-{next(numbers)}"), customer, "")
            return adapter.create_sales_order(order, known_new=True)

        def new() -> object:
            n = next(numbers)
            customer = CustomerRecord(external_ref=f"bench-C{1000 + n}", last_name="Lovelace", addresses=[HOME])
            return adapter.create_sales_order(step.sold_to(adapter, _order(f"new-{n}"), customer, ""), known_new=True)

        known()  # the known customer exists from here on
        figures = {name: median_ms(fn, 7) for name, fn in (("alone", alone), ("known", known), ("new", new))}
    return [
        f"sale alone (configured party): {figures['alone']:.1f} ms",
        f"customer found, then the sale to it: {figures['known']:.1f} ms "
        f"({figures['known'] / figures['alone']:.2f} of a sale alone)",
        f"customer created with its address, then the sale: {figures['new']:.1f} ms "
        f"({figures['new'] / figures['alone']:.2f} of a sale alone)",
    ]
