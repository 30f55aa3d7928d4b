"""What a replayed order create costs against a first create, for any adapter: one figure the ERP
benchmarks share (a module without the ``bench_`` prefix, so the runner does not run it alone)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

from erp_shopify.erp.base import ErpAdapter
from erp_shopify.records import Address, Customer, SalesOrder, SalesOrderLine

ORDERS = 20  # timed together: one create takes a few milliseconds, too short to time alone


def replayed_create_figures(adapter: ErpAdapter, requests: list[str], item_code: str) -> list[str]:
    """Create ``ORDERS`` orders, then create them all again; ``requests`` is the adapter's request log."""
    orders = [
        SalesOrder(
            external_ref=f"BENCH-ORDER-{n}",
            shop="bench",
            currency="USD",
            ordered_at=datetime(2026, 11, 27, tzinfo=UTC),
            customer=Customer(),
            ship_to=Address(),
            lines=[SalesOrderLine(item_code=item_code, quantity=Decimal(1), unit_price=Decimal(1))],
        )
        for n in range(ORDERS)
    ]
    before = len(requests)
    began = time.perf_counter()
    for order in orders:
        adapter.create_sales_order(order)
        if order is orders[0]:
            sent = requests[before:]  # what the very first create sent (later ones may reuse lookups)
    first_s, first = time.perf_counter() - began, len(requests) - before
    began = time.perf_counter()
    for order in orders:
        adapter.create_sales_order(order)
    replay_s, replayed = time.perf_counter() - began, len(requests) - before - first
    return [
        f"first create: {first / ORDERS:g} requests on average (the first: {', '.join(sent)}); "
        f"replayed create: {replayed / ORDERS:g}",
        f"replayed create time / first create time ({ORDERS} orders each): {replay_s / first_s:.2f}",
    ]
