"""SAP journal read: adapter throughput against a raw httpx paging loop over the same endpoint in
the same run (the adapter's overhead), and the adapter's peak memory at 10k vs 100k movements.

The SAP sandbox runs in its own process, so the client's figures (time, tracemalloc) are not
mixed with the server's. Movements are one second apart, one material each, over 500 materials.
"""

from __future__ import annotations

import gc
import os
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from multiprocessing.synchronize import Event

import httpx

from erp_shopify.config import SapConfig, Secret
from erp_shopify.erp.sap.adapter import MATERIAL_DOCUMENTS, SapAdapter
from erp_shopify_sandbox.sap import PASSWORD, USERNAME, SapSandbox

MATERIALS = [f"MAT-{n:05d}" for n in range(500)]
PAGE = 1000
SEED_CHUNK = 25_000


def _serve(urls: object, stop: Event) -> None:
    sandbox = SapSandbox(page_size=PAGE).start()
    urls.put(sandbox.url)  # type: ignore[attr-defined]
    stop.wait()
    sandbox.stop()


@contextmanager
def sandbox_process() -> Iterator[str]:
    context = get_context("spawn")
    urls, stop = context.Queue(), context.Event()
    process = context.Process(target=_serve, args=(urls, stop), daemon=True)
    process.start()
    try:
        yield urls.get(timeout=60)
    finally:
        stop.set()
        process.join(timeout=15)


def seed(url: str, start: datetime, first: int, count: int) -> float:
    began = time.perf_counter()
    with httpx.Client(base_url=url, timeout=120) as control:
        if first == 0:
            control.post(
                "/_sandbox/seed",
                json={
                    "materials": MATERIALS,
                    "stock": [{"material": m, "quantity": 1_000_000} for m in MATERIALS],
                },
            ).raise_for_status()
        for chunk in range(first, first + count, SEED_CHUNK):
            movements = [
                {
                    "material": MATERIALS[n % len(MATERIALS)],
                    "quantity": 1,
                    "movement_type": "201",
                    "at": (start + timedelta(seconds=n)).isoformat(),
                }
                for n in range(chunk, min(first + count, chunk + SEED_CHUNK))
            ]
            control.post("/_sandbox/seed", json={"movements": movements}).raise_for_status()
    return time.perf_counter() - began


def raw_loop(url: str) -> tuple[int, float]:
    """The least a client can do: page the same query, decode JSON, count the items."""
    params = {
        "$orderby": "CreationDate,CreationTime,MaterialDocumentYear,MaterialDocument",
        "$select": "MaterialDocumentYear,MaterialDocument,CreationDate,CreationTime,to_MaterialDocumentItem/"
        "MaterialDocumentItem,to_MaterialDocumentItem/Material,to_MaterialDocumentItem/Plant,"
        "to_MaterialDocumentItem/StorageLocation",
        "$expand": "to_MaterialDocumentItem",
        "$top": str(PAGE),
    }
    began, items, skip = time.perf_counter(), 0, 0
    with httpx.Client(auth=(USERNAME, PASSWORD), headers={"Accept": "application/json"}, timeout=60) as http:
        while True:
            rows = http.get(
                f"{url}/sap/opu/odata/sap/{MATERIAL_DOCUMENTS}/A_MaterialDocumentHeader",
                params={**params, "$skip": str(skip)},
            ).json()["d"]["results"]
            items += sum(len(r["to_MaterialDocumentItem"]["results"]) for r in rows)
            if len(rows) < PAGE:
                return items, time.perf_counter() - began
            skip += PAGE


def adapter_drain(url: str, *, trace: bool) -> tuple[int, float, int]:
    os.environ["SAP_BENCH_USER"], os.environ["SAP_BENCH_PASSWORD"] = USERNAME, PASSWORD
    config = SapConfig(
        kind="sap",
        base_url=f"{url}/sap/opu/odata/sap",
        username=Secret(env="SAP_BENCH_USER"),
        password=Secret(env="SAP_BENCH_PASSWORD"),
    )
    adapter = SapAdapter(config, page_size=PAGE, timeout=60)
    if trace:
        gc.collect()  # start from the same heap both times: the peak is then this drain's own
        tracemalloc.start()
    began, rows = time.perf_counter(), 0
    for page in adapter.inventory_changes(None):
        rows += len(page.rows)
    elapsed = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    adapter.close()
    return rows, elapsed, peak


def run() -> list[str]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    lines = []
    with sandbox_process() as url:
        seeded_10k = seed(url, start, 0, 10_000)
        adapter_drain(url, trace=False)  # warm up: imports and first-use caches are not journal memory
        rows_10k, _, peak_10k = adapter_drain(url, trace=True)
        seeded_90k = seed(url, start, 10_000, 90_000)
        lines.append(f"sandbox seeds 100,000 material documents in {seeded_10k + seeded_90k:.1f} s (over HTTP)")
        raw_items, raw_seconds = raw_loop(url)
        rows, adapter_seconds, _ = adapter_drain(url, trace=False)
        _, _, peak_100k = adapter_drain(url, trace=True)
    assert rows == raw_items == 100_000 and rows_10k == 10_000, (rows, raw_items, rows_10k)
    lines += [
        f"raw httpx paging loop: {raw_items / raw_seconds:,.0f} movements/s ({raw_seconds:.1f} s for 100,000)",
        f"SapAdapter.inventory_changes incl. stock re-read: {rows / adapter_seconds:,.0f} movements/s "
        f"({adapter_seconds:.1f} s)",
        f"adapter time / raw loop time: {adapter_seconds / raw_seconds:.2f}x",
        f"adapter peak memory (tracemalloc): {peak_10k / 1e6:.1f} MB at 10k, {peak_100k / 1e6:.1f} MB at 100k "
        f"movements (ratio {peak_100k / peak_10k:.2f})",
    ]
    return lines
