"""CONVERGES AFTER A KILL: a sync process SIGKILLed while its writes are in flight (some applied by
Shopify, some not, none recorded) is followed by an ordinary delta run that leaves every level right."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from erp_shopify.store.write_intents import WriteIntents
from erp_shopify_tests.test_sync.world import sku, world

ITEMS = 1200


@pytest.mark.slow
@pytest.mark.chaos
@pytest.mark.parametrize("kill_after", [2])
def test_a_sync_killed_mid_write_is_completed_by_the_next_ordinary_run(
    tmp_path: Path, redis_url: str, key_prefix: str, kill_after: int
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=ITEMS, stock=7) as w:
        from erp_shopify.sync.inventory import InventorySync

        xref = w.xref("shop-a").xref
        first = InventorySync(w.shop("shop-a"), w.client("shop-a"), w.adapter(), w.redis(), key_prefix).run(
            xref, None, "run-1"
        )
        w.set_erp_stock({sku(n): 9 for n in range(ITEMS)})  # every item moves: five write calls
        state = w.shops["shop-a"].sandbox.state
        before = w.write_calls("shop-a")
        w.shops["shop-a"].control.set_faults(latency_ms=300)  # writes stay in flight long enough to die there
        worker = subprocess.Popen(
            [sys.executable, "-m", "erp_shopify_tests.test_sync.sync_worker", "shop-a", first.watermark or ""],
            env={**os.environ, "ERP_SHOPIFY_CONFIG": str(w.config_path)},
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "syncing"
            deadline = time.monotonic() + 60
            while w.write_calls("shop-a") < before + kill_after and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        w.shops["shop-a"].control.set_faults(latency_ms=0)
        applied = sum(1 for v in w.shopify_available("shop-a").values() if v == 9)
        assert 0 < applied < ITEMS, "the kill must land between the first and the last write"
        assert WriteIntents(w.redis(), key_prefix).open("shop-a"), "writes in flight were left unrecorded"

        again = InventorySync(w.shop("shop-a"), w.client("shop-a"), w.adapter(), w.redis(), key_prefix).run(
            xref, first.watermark, "run-3"
        )
        assert set(w.shopify_available("shop-a").values()) == {9}
        assert set(state.levels[0]["committed"]) == {0} and again.intents_replayed > 0
        assert WriteIntents(w.redis(), key_prefix).open("shop-a") == {}
