"""EXACTLY ONCE AFTER A KILL: a fulfillment sync SIGKILLed after Shopify applied a create whose
answer it never received is followed by an ordinary run that fulfils every delivery once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from erp_shopify.store.fulfillment_ledger import SENDING, FulfillmentLedger
from erp_shopify.sync.fulfillments import FulfillmentSync
from erp_shopify_tests.test_sync.shipping import book_order, remaining, ship
from erp_shopify_tests.test_sync.world import FAST_RETRY, sku, world


@pytest.mark.slow
@pytest.mark.chaos
def test_a_sync_killed_after_an_applied_create_fulfils_nothing_twice_and_skips_nothing(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=3, fulfillments={"workers": 1}) as w:
        orders = [book_order(w, {sku(n): 2}) for n in range(3)]
        deliveries = [ship(w, sales_order, {sku(n): 1}) for n, (_, sales_order) in enumerate(orders)]
        state = w.shops["shop-a"].sandbox.state
        # Shopify applies the first create, then its answer never comes: the process dies waiting.
        w.shops["shop-a"].control.set_faults(timeout_after_commit_rate=1.0, hang_seconds=120)
        worker = subprocess.Popen(
            [sys.executable, "-m", "erp_shopify_tests.test_sync.fulfillment_worker", "shop-a"],
            env={**os.environ, "ERP_SHOPIFY_CONFIG": str(w.config_path)},
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "syncing"
            deadline = time.monotonic() + 60
            while not state.fulfillment.fulfillments and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        w.shops["shop-a"].control.set_faults(timeout_after_commit_rate=0.0)
        assert len(state.fulfillment.fulfillments) == 1, "the kill must land after the first applied create"
        ledger = FulfillmentLedger(w.redis(), key_prefix)
        in_flight = [d for d in deliveries if (e := ledger.get("shop-a", d)) is not None and e.state == SENDING]
        assert len(in_flight) == 1, "the applied create was left unrecorded"

        sync = FulfillmentSync(
            w.shop("shop-a"), w.client("shop-a"), w.adapter(), w.redis(), key_prefix, retry=FAST_RETRY
        )
        again = sync.run(None)  # the dead run stored no watermark: the next one reads the same deliveries
        assert (again.resolved, again.fulfilled, again.data_errors) == (1, 2, 0)
        assert len(state.fulfillment.fulfillments) == 3
        assert [remaining(w, order) for order, _ in orders] == [{sku(n): 1} for n in range(3)]
