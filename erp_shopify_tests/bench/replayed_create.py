"""What a replayed order create costs against a first create, for any adapter: one figure the ERP
benchmarks share (a module without the ``bench_`` prefix, so the runner does not run it alone)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

from erp_shopify.erp.base import ErpAdapter
from erp_shopify.records import Address, Customer, SalesOrder, SalesOrderLine


def replayed_create_figures(adapter: ErpAdapter, requests: list[str], item_code: str) -> list[str]:
    """Create one order, then create it again; ``requests`` is the adapter's request log."""
    order = SalesOrder(
        external_ref="BENCH-ORDER-1",
        shop="bench",
        currency="USD",
        ordered_at=datetime(2026, 11, 27, tzinfo=UTC),
        customer=Customer(),
        ship_to=Address(),
        lines=[SalesOrderLine(item_code=item_code, quantity=Decimal(1), unit_price=Decimal(1))],
    )
    before = len(requests)
    began = time.perf_counter()
    adapter.create_sales_order(order)
    first_s, first = time.perf_counter() - began, len(requests) - before
    began = time.perf_counter()
    adapter.create_sales_order(order)
    replay_s = time.perf_counter() - began
    sent = requests[before : before + first]
    return [
        f"first create: {first} requests ({', '.join(sent)}); replayed create: {len(requests) - before - first}",
        f"replayed create time / first create time: {replay_s / first_s:.2f}",
    ]
