"""Tryton figures on a real trytond: start-up from the cached template, and the adapter's calls
direct versus through the fault proxy (the proxy's cost as a ratio within one run)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

from erp_shopify.erp.tryton.adapter import TrytonAdapter
from erp_shopify.records import Address, Customer, SalesOrder, SalesOrderLine
from erp_shopify_tests.bench import median_ms
from erp_shopify_tests.test_erp.harness_tryton import harness


def _order(ref: str) -> SalesOrder:
    return SalesOrder(
        external_ref=ref,
        shop="bench",
        currency="EUR",
        ordered_at=datetime(2026, 11, 27, tzinfo=UTC),
        customer=Customer(name="Bench"),
        ship_to=Address(name="Bench", city="Berlin", country_code="DE"),
        lines=[SalesOrderLine(item_code="SKU-MUG", quantity=Decimal(1), unit_price=Decimal("9.50"))],
    )


def run() -> list[str]:
    started = time.perf_counter()
    with harness() as tryton:
        startup = time.perf_counter() - started
        direct = TrytonAdapter(tryton.config.model_copy(update={"base_url": tryton.sandbox.server.url}))
        proxied = tryton.adapter
        cursor = direct.journal_position()
        for quantity in range(10):
            tryton.set_stock(tryton.items[quantity % 2], Decimal(50 + quantity))
        read = {
            name: median_ms(lambda a=adapter: [p for p in a.inventory_changes(cursor)], 5)
            for name, adapter in (("direct", direct), ("proxied", proxied))
        }
        numbers = iter(range(1000))
        create = {
            name: median_ms(lambda a=adapter, n=name: a.create_sales_order(_order(f"bench-{n}-{next(numbers)}")), 5)
            for name, adapter in (("direct", direct), ("proxied", proxied))
        }
        replay = median_ms(lambda: direct.create_sales_order(_order("bench-direct-0")), 5)
        direct.close()
    return [
        f"sandbox start (template copy + trytond + proxy): {startup:.2f} s",
        f"journal read after 10 stock changes: direct {read['direct']:.1f} ms, proxied {read['proxied']:.1f} ms "
        f"(proxy ratio {read['proxied'] / read['direct']:.2f})",
        f"create+quote+confirm a sale: direct {create['direct']:.1f} ms, proxied {create['proxied']:.1f} ms "
        f"(proxy ratio {create['proxied'] / create['direct']:.2f})",
        f"replayed create (found by reference): {replay:.1f} ms ({replay / create['direct']:.2f} of a first create)",
    ]
