"""inventory_levels in a real Dagster instance: per-partition watermarks and check results, blocking xref check,
the reconciliation job run as a backfill over shops, and the whole code location loading."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from erp_shopify.config import CONFIG_ENV
from erp_shopify.definitions import defs
from erp_shopify_tests.test_defs.dagster_world import check_passed, materialize, metadata, watermark
from erp_shopify_tests.test_sync.world import sku, world


@pytest.mark.slow
def test_watermarks_round_trip_per_shop_and_never_cross(tmp_path: Path, redis_url: str, key_prefix: str) -> None:
    with (
        world(tmp_path, redis_url, key_prefix, items=30, shops=("shop-a", "shop-b")) as w,
        dg.instance_for_test() as instance,
    ):
        first_a = materialize(w, instance, "shop-a", "sku_xref", "inventory_levels")
        assert first_a.success
        assert metadata(first_a, "inventory_levels")["previous_watermark"] is None
        assert metadata(first_a, "inventory_levels")["written"] == 30

        w.set_erp_stock({sku(2): 1})
        second_a = materialize(w, instance, "shop-a", "inventory_levels")  # xref loaded from storage
        meta = metadata(second_a, "inventory_levels")
        assert meta["previous_watermark"] == watermark(first_a)
        assert (meta["changes_read"], meta["written"]) == (1, 1)
        assert watermark(second_a) != watermark(first_a)
        at = json.loads(watermark(second_a))["at"]  # SAP's watermark is JSON; the UI shows it readable
        assert meta["synced_through"].startswith(f"{at} (seen ") and "{" not in meta["synced_through"]

        first_b = materialize(w, instance, "shop-b", "sku_xref", "inventory_levels")
        assert metadata(first_b, "inventory_levels")["previous_watermark"] is None  # shop A's runs moved only A's
        assert w.shopify_available("shop-b")[sku(2)] == 1
        assert check_passed(second_a, "no_drift_in_sample")
        # Check results are per shop partition: the UI shows each shop's own, none hides another's.
        drift = dg.AssetCheckKey(dg.AssetKey("inventory_levels"), "no_drift_in_sample")
        history = instance.event_log_storage.get_asset_check_execution_history(drift, limit=10)
        assert [r.partition for r in history] == ["shop-b", "shop-a", "shop-a"]


def test_collapsed_xref_blocks_the_inventory_write(tmp_path: Path, redis_url: str, key_prefix: str) -> None:
    with world(tmp_path, redis_url, key_prefix, items=10, inventory={"max_unmapped_share": 0.1}) as w:
        for n in range(10, 14):  # 4 of 14 ERP items have no variant: 29% > 10%
            w.sap.store.add_material(sku(n))
        w.set_erp_stock({sku(n): 5 for n in range(10, 14)})
        with dg.instance_for_test() as instance:
            result = materialize(w, instance, "shop-a", "sku_xref", "inventory_levels")
            assert not check_passed(result, "mapping_not_collapsed")
            assert metadata(result, "sku_xref")["erp_unmapped"] == 4
            assert [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()] == ["sku_xref"]
            # The scheduled runs load the stored xref: they refuse it too, naming the cause.
            scheduled = materialize(w, instance, "shop-a", "inventory_levels")
            assert not scheduled.success
            (failure,) = [e for e in scheduled.all_events if e.is_step_failure]
            assert "SKU xref of shop-a collapsed" in str(failure.step_failure_data.error)
        assert w.write_calls("shop-a") == 0


@pytest.mark.slow
def test_reconciliation_backfill_over_shops_repairs_each_shop(tmp_path: Path, redis_url: str, key_prefix: str) -> None:
    with (
        world(tmp_path, redis_url, key_prefix, items=12, shops=("shop-a", "shop-b")) as w,
        dg.instance_for_test() as instance,
    ):
        for shop in ("shop-a", "shop-b"):
            assert materialize(w, instance, shop, "sku_xref", "inventory_levels").success
        w.shops["shop-b"].sandbox.state.set_quantity(0, 3, "available", 99)  # drift in one shop only

        job = defs().resolve_job_def("inventory_reconciliation")
        assert job.partitions_def is not None and job.partitions_def.name == "shops"
        written = {}
        for shop in instance.get_dynamic_partitions("shops"):  # one run per partition, as a backfill launches
            result = materialize(w, instance, shop, "inventory_levels", full_resync=True)
            written[shop] = metadata(result, "inventory_levels")["written"]
        assert written == {"shop-a": 0, "shop-b": 1}
        assert w.shopify_available("shop-b")[sku(3)] == 7


@pytest.mark.slow
def test_the_reconciliation_job_executed_without_run_config_repairs_a_hand_edit(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    with (
        world(tmp_path, redis_url, key_prefix, items=12) as w,
        dg.instance_for_test(temp_dir=str(home)) as instance,
    ):
        assert materialize(w, instance, "shop-a", "sku_xref", "inventory_levels").success
        w.shops["shop-a"].sandbox.state.set_quantity(0, 3, "available", 99)  # by hand: no ERP journal entry
        # As an operator runs it: Dagster's CLI, the job and a partition, no run config.
        dagster = Path(sys.executable).with_name("dagster")
        command = [str(dagster), "job", "execute", "-m", "erp_shopify.definitions", "-j", "inventory_reconciliation"]
        env = os.environ | {"DAGSTER_HOME": str(home), CONFIG_ENV: str(w.config_path)}
        partition = ["--tags", json.dumps({"dagster/partition": "shop-a"})]
        done = subprocess.run([*command, *partition], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert w.shopify_available("shop-a")[sku(3)] == 7


def test_the_code_location_loads_with_every_sync_asset_job_and_schedule() -> None:
    loaded = defs()
    keys = {k.to_user_string() for k in loaded.resolve_asset_graph().get_all_asset_keys()}
    assert {"sku_xref", "inventory_levels", "price_changes", "prices", "fulfillments", "products"} <= keys
    jobs = ("inventory_sync", "inventory_reconciliation", "nightly_xref_and_prices", "fulfillment_sync", "product_sync")
    for job in jobs:
        assert loaded.resolve_job_def(job).partitions_def.name == "shops"  # type: ignore[union-attr]
    schedules = {s.name: s.cron_schedule for s in loaded.schedules or []}
    assert schedules["inventory_schedule"] == "*/10 * * * *"
    assert schedules["prices_schedule"] == "0 2 * * *"
    assert schedules["fulfillment_schedule"] == "*/5 * * * *"
    assert loaded.resolve_sensor_def("shops_partitions_sensor") is not None


def test_schedules_request_one_run_per_shop_partition() -> None:
    from erp_shopify.defs.inventory.schedules import inventory_schedule

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("shops", ["demo-us", "demo-jp"])
        tick = datetime(2026, 11, 27, 10, 10, tzinfo=UTC)
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
        requests = inventory_schedule(context)
        assert sorted((r.partition_key, r.run_key) for r in requests) == [  # type: ignore[union-attr]
            ("demo-jp", "demo-jp:2026-11-27T10:10:00+00:00"),
            ("demo-us", "demo-us:2026-11-27T10:10:00+00:00"),
        ]
