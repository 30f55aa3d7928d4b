"""A shop whose inventory stopped syncing is named by the ``inventory_fresh`` check, whichever other
shop still syncs, and alerts operations once when it turns stale."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.test_utils import freeze_time

from erp_shopify.defs.inventory.assets import inventory_levels
from erp_shopify.defs.inventory.freshness import inventory_fresh, inventory_freshness_job
from erp_shopify.defs.resources import deployment_resources
from erp_shopify.defs.shops import sync_shop_partitions
from erp_shopify.defs.xref.assets import sku_xref
from erp_shopify_tests.test_defs.test_shops import shops_file


def _check(instance: dg.DagsterInstance, config: Path) -> dg.AssetCheckEvaluation:
    definitions = dg.Definitions(
        assets=[sku_xref, inventory_levels],
        asset_checks=[inventory_fresh],
        jobs=[inventory_freshness_job],
        resources=deployment_resources(str(config)),
    )
    result = definitions.resolve_job_def("inventory_freshness").execute_in_process(instance=instance)
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def test_a_stale_shop_fails_the_check_by_name_and_alerts_once_while_others_are_fresh(
    tmp_path: Path, instance: dg.DagsterInstance, caplog: pytest.LogCaptureFixture
) -> None:
    config = shops_file(tmp_path, "demo-us", "demo-eu", "demo-new")
    sync_shop_partitions(instance, ["demo-us", "demo-eu", "demo-new"])
    with freeze_time(time.time() - 2 * 3600):  # demo-eu last synced two hours ago
        instance.report_runless_asset_event(dg.AssetMaterialization("inventory_levels", partition="demo-eu"))
    instance.report_runless_asset_event(dg.AssetMaterialization("inventory_levels", partition="demo-us"))
    with caplog.at_level(logging.ERROR, logger="erp_shopify.alerts"):
        first = _check(instance, config)
        second = _check(instance, config)  # still stale: no second page
    assert not first.passed and first.severity == dg.AssetCheckSeverity.ERROR
    assert first.metadata["stale_shops"].value == "demo-eu"  # demo-us syncing does not hide it
    ages = str(first.metadata["ages"].value)
    assert "- demo-eu: 120 min" in ages and "- demo-us: 0 min" in ages and "- demo-new: never synced" in ages
    assert not second.passed and second.metadata["stale_shops"].value == "demo-eu"
    [alert] = [r.getMessage() for r in caplog.records if r.name == "erp_shopify.alerts"]
    assert alert.startswith("[P1] [operations] inventory of demo-eu not synced for over 60 min")
    instance.report_runless_asset_event(dg.AssetMaterialization("inventory_levels", partition="demo-eu"))
    assert _check(instance, config).passed


def test_the_age_limit_is_the_shops_file_setting(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    config = shops_file(tmp_path, "demo-us")
    config.write_text(config.read_text() + "inventory: {stale_after_minutes: 180}\n")
    sync_shop_partitions(instance, ["demo-us"])
    with freeze_time(time.time() - 2 * 3600):
        instance.report_runless_asset_event(dg.AssetMaterialization("inventory_levels", partition="demo-us"))
    evaluation = _check(instance, config)
    assert evaluation.passed and evaluation.metadata["stale_after_minutes"].value == 180
