"""Shops are partitions: the sensor and ``erp-shopify shops sync`` keep them equal to the config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml
from click.testing import CliRunner

from erp_shopify.config import CONFIG_ENV, ConfigError
from erp_shopify.defs.resources import SettingsResource
from erp_shopify.defs.shops import SHOPS, at_load, partition_changes, shops_partitions_sensor, sync_shop_partitions
from erp_shopify.shops_cli import shops


def shops_file(tmp_path: Path, *names: str) -> Path:
    data = {
        "erp": {"kind": "sap", "base_url": "http://127.0.0.1:1"},
        "shops": [
            {
                "name": name,
                "domain": f"{name}.myshopify.com",
                "access_token": {"env": "T"},
                "webhook_secret": {"env": "W"},
                "locations": {"1010/0001": "gid://shopify/Location/1"},
            }
            for name in names
        ],
    }
    path = tmp_path / "shops.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_partition_changes_add_new_shops_and_remove_unconfigured_ones() -> None:
    assert partition_changes(["a", "b", "c"], ["c", "z", "b"]) == (["a"], ["z"])


def test_sensor_requests_exactly_the_missing_and_the_extra_shops(tmp_path: Path) -> None:
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(SHOPS, ["old-shop", "demo-us"])
        context = dg.build_sensor_context(instance=instance)
        settings = SettingsResource(config_path=str(shops_file(tmp_path, "demo-us", "demo-eu")))
        result = shops_partitions_sensor(context, settings=settings)
        requests = {type(r).__name__: list(r.partition_keys) for r in result.dynamic_partitions_requests}
        assert requests == {"AddDynamicPartitionsRequest": ["demo-eu"], "DeleteDynamicPartitionsRequest": ["old-shop"]}


def test_shops_sync_command_applies_and_reports_changes(tmp_path: Path) -> None:
    with dg.instance_for_test() as instance:  # also points DAGSTER_HOME at this instance
        instance.add_dynamic_partitions(SHOPS, ["gone"])
        result = CliRunner().invoke(shops, ["sync", "--config", str(shops_file(tmp_path, "demo-us", "demo-eu"))])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines() == ["added   demo-us", "added   demo-eu", "removed gone"]
        assert sorted(instance.get_dynamic_partitions(SHOPS)) == ["demo-eu", "demo-us"]
        assert sync_shop_partitions(instance, ["demo-us", "demo-eu"]) == ([], [])


def test_settings_at_load_raise_for_a_broken_file_and_default_only_without_any_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = shops_file(tmp_path, "demo-us")
    broken.write_text(broken.read_text().replace("gid://shopify/Location/1", "Location-1"))
    monkeypatch.setenv(CONFIG_ENV, str(broken))
    with pytest.raises(ConfigError, match=r"shops\[0\] \(shop 'demo-us'\)\.locations"):
        at_load(lambda s: s.inventory.schedule, "*/10 * * * *")
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "absent.yaml"))
    with pytest.raises(ConfigError, match=r"absent\.yaml: cannot read"):
        at_load(lambda s: s.inventory.schedule, "*/10 * * * *")
    monkeypatch.delenv(CONFIG_ENV)
    monkeypatch.chdir(tmp_path)  # no config/shops.yaml here: a fresh checkout
    assert at_load(lambda s: s.inventory.schedule, "*/10 * * * *") == "*/10 * * * *"


@pytest.mark.slow  # two interpreters loading the whole code location
def test_a_broken_shops_file_stops_the_code_location_and_a_good_one_sets_the_cron(tmp_path: Path) -> None:
    good = shops_file(tmp_path, "demo-us")
    good.write_text(good.read_text() + "inventory: {schedule: '*/3 * * * *'}\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text(good.read_text().replace("gid://shopify/Location/1", "Location-1"))
    bin_dir = Path(sys.executable).parent
    validate = [str(bin_dir / "dagster"), "definitions", "validate", "-m", "erp_shopify.definitions"]
    home = tmp_path / "dagster_home"  # the command needs an existing DAGSTER_HOME; a fresh clone has none
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    failed = subprocess.run(validate, env={**env, CONFIG_ENV: str(broken)}, capture_output=True, text=True, timeout=300)
    assert failed.returncode != 0
    assert "broken.yaml: invalid configuration" in failed.stderr + failed.stdout
    assert "shops[0] (shop 'demo-us').locations" in failed.stderr + failed.stdout
    script = (
        "from erp_shopify.definitions import defs; print(defs().get_schedule_def('inventory_schedule').cron_schedule)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script],
        env={**env, CONFIG_ENV: str(good)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.strip().splitlines()[-1] == "*/3 * * * *"
