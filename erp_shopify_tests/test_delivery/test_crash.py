"""A delivery process killed mid-batch (SIGKILL) loses nothing and duplicates nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from erp_shopify.delivery import Outcome
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER
from erp_shopify_tests.test_delivery.conftest import SHOP, Rig

ORDERS = list(range(3001, 3021))


@ON_SINGLE_AND_CLUSTER
@pytest.mark.slow
@pytest.mark.chaos
def test_run_killed_midway_is_reclaimed_and_every_order_reaches_the_erp_once(rig: Rig, tmp_path: Path) -> None:
    for n in ORDERS:
        rig.order(n)
    data = rig.settings_data(concurrency=2, lease_seconds=1)
    config = tmp_path / "worker.yaml"
    config.write_text(yaml.safe_dump(data))
    rig.faults(latency_ms=100)  # every ERP call is slow, so the kill lands mid-batch
    env = {**os.environ, **rig.env, "ERP_SHOPIFY_CONFIG": str(config)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "erp_shopify_tests.test_delivery.worker", str(len(ORDERS))],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == f"claimed {len(ORDERS)}"
        deadline = time.monotonic() + 30
        while rig.parts.stream.depth() > len(ORDERS) - 3 and time.monotonic() < deadline:
            time.sleep(0.05)  # until a few orders are delivered and acknowledged
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    left = rig.parts.stream.depth()
    assert 0 < left < len(ORDERS), "the kill must land mid-batch"
    rig.faults()
    time.sleep(1.2)  # past the dead worker's lease and the stream's reclaim idle time
    report = rig.deliver(rig.parts.stream.claim_batch("survivor", 100))
    assert len(report.outcomes) == left
    assert set(report.outcomes.values()) <= {Outcome.DELIVERED, Outcome.ALREADY_FINAL}
    assert rig.parts.stream.depth() == 0
    assert [rig.orders_in_erp(f"{SHOP}-{n}") for n in ORDERS] == [1] * len(ORDERS)
