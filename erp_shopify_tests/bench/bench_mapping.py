"""(d) Mapping 1,000,000 ERP stock rows to Shopify quantities: rows/s and peak bytes per row.

Measures the pure pipeline the inventory sync runs on every page: journal rows -> latest level
per item and location -> xref join -> pending and safety stock -> write plan against the last
written values. Peak memory is traced with ``tracemalloc`` (numpy and pandas report to it).
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pandas as pd

from erp_shopify.config import SafetyStock
from erp_shopify.mapping.inventory import available_to_sell, erp_units_frame, pending_frame, plan_writes, with_base
from erp_shopify.mapping.xref import build_xref, variants_frame

ROWS = 1_000_000
LOCATIONS = {"1010/0001": "gid://shopify/Location/1", "1010/0002": "gid://shopify/Location/2"}


def _inputs(rows: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    items = rows // 2
    codes = pd.Series([f"SKU-{n:07d}" for n in range(items)], dtype="string")
    variants = variants_frame(
        {
            "sku": code,
            "variant_id": f"gid://shopify/ProductVariant/{n}",
            "inventory_item_id": f"gid://shopify/InventoryItem/{n}",
            "product_id": f"gid://shopify/Product/{n // 4}",
        }
        for n, code in enumerate(codes)
    )
    xref = build_xref(variants, codes).xref
    rng = np.random.default_rng(7)
    stock = pd.DataFrame(
        {
            "item_code": pd.concat([codes, codes], ignore_index=True),
            "location": pd.Series(["1010/0001"] * items + ["1010/0002"] * items, dtype="string"),
            "available": rng.integers(0, 500, rows).astype("float64"),
            "changed_at": pd.Timestamp("2026-11-01", tz="UTC"),
            "change_id": pd.Series([f"D{n}" for n in range(rows)], dtype="string"),
        }
    )
    pending = erp_units_frame((f"SKU-{n:07d}", "1010/0001", 2) for n in range(0, items, 10))
    known = xref[["inventory_item_id"]].assign(location_id=LOCATIONS["1010/0001"], quantity=5)
    return stock, xref, pending, known


def run() -> list[str]:
    stock, xref, pending, known = _inputs(ROWS)
    tracemalloc.start()
    started = time.perf_counter()
    awaiting = pending_frame({})
    targets = available_to_sell(stock, xref, LOCATIONS, awaiting, pending, SafetyStock(default=1)).targets
    plan = plan_writes(with_base(targets, known))
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return [
        f"mapped {ROWS:,} ERP rows in {seconds:.2f} s: {ROWS / seconds:,.0f} rows/s",
        f"peak traced memory {peak / 1e6:,.0f} MB: {peak / ROWS:,.0f} bytes per row",
        f"{len(plan.writes):,} writes planned, {plan.unchanged:,} unchanged",
    ]
