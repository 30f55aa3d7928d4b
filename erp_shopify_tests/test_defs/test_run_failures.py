"""Every failed run alerts operations, with shop, job and error, also into the run's own log; and a
new shop's inventory schedule builds its xref first instead of failing on a missing file."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from erp_shopify.defs.inventory.assets import inventory_levels
from erp_shopify.defs.inventory.schedules import BOOTSTRAP_TAG, inventory_schedule
from erp_shopify.defs.resources import deployment_resources
from erp_shopify.defs.run_failures import run_failed
from erp_shopify.defs.shops import sync_shop_partitions
from erp_shopify.defs.xref.assets import sku_xref
from erp_shopify_tests.test_defs.test_shops import shops_file

SHOP = "new-shop"


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


def test_a_failed_inventory_run_alerts_with_shop_job_and_error_and_logs_it_in_the_run(
    tmp_path: Path, instance: dg.DagsterInstance, caplog: pytest.LogCaptureFixture
) -> None:
    resources = deployment_resources(str(shops_file(tmp_path, SHOP)))
    sync_shop_partitions(instance, [SHOP])
    failed = dg.materialize(
        [sku_xref, inventory_levels],
        selection=["inventory_levels"],  # no xref built yet: reading it fails
        partition_key=SHOP,
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    assert not failed.success
    [failure] = [e for e in failed.all_events if e.event_type_value == "PIPELINE_FAILURE"]
    with (
        caplog.at_level(logging.ERROR, logger="erp_shopify.alerts"),
        dg.build_run_status_sensor_context(
            sensor_name="run_failed",
            dagster_instance=instance,
            dagster_run=failed.dagster_run,
            dagster_event=failure,
            resources={"notifier": resources["notifier"]},
        ) as context,
    ):
        run_failed(context.for_run_failure())
    [alert] = [r.getMessage() for r in caplog.records if r.name == "erp_shopify.alerts"]
    title = alert.splitlines()[0]
    assert title.startswith("[P1] [operations] Dagster run ")
    assert f"of {failed.dagster_run.job_name} for shop {SHOP} failed: FileNotFoundError" in title
    assert f"sku_xref/{SHOP}" in alert  # the error's own message
    logged = [e.message for e in instance.all_logs(failed.run_id) if e.is_dagster_event and e.message]
    assert any(message == alert for message in logged)


def test_the_inventory_schedule_builds_a_new_shops_xref_first(instance: dg.DagsterInstance) -> None:
    sync_shop_partitions(instance, [SHOP, "old-shop"])
    instance.report_runless_asset_event(dg.AssetMaterialization("sku_xref", partition="old-shop"))
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime.now(UTC))
    requests = {r.partition_key: r for r in inventory_schedule(context)}
    assert set(requests) == {SHOP, "old-shop"}
    assert requests[SHOP].asset_selection == [dg.AssetKey("sku_xref"), dg.AssetKey("inventory_levels")]
    assert "no sku_xref materialization yet" in requests[SHOP].tags[BOOTSTRAP_TAG]
    assert requests["old-shop"].asset_selection == [dg.AssetKey("inventory_levels")]
    assert BOOTSTRAP_TAG not in requests["old-shop"].tags
