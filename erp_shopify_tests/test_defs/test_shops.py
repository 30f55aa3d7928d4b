"""Shops are partitions: the sensor and ``erp-shopify shops sync`` keep them equal to the config."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import yaml
from click.testing import CliRunner

from erp_shopify.defs.resources import SettingsResource
from erp_shopify.defs.shops import SHOPS, partition_changes, shops_partitions_sensor, sync_shop_partitions
from erp_shopify.shops_cli import shops


def _config(tmp_path: Path, *names: str) -> Path:
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
        settings = SettingsResource(config_path=str(_config(tmp_path, "demo-us", "demo-eu")))
        result = shops_partitions_sensor(context, settings=settings)
        requests = {type(r).__name__: list(r.partition_keys) for r in result.dynamic_partitions_requests}
        assert requests == {"AddDynamicPartitionsRequest": ["demo-eu"], "DeleteDynamicPartitionsRequest": ["old-shop"]}


def test_shops_sync_command_applies_and_reports_changes(tmp_path: Path) -> None:
    with dg.instance_for_test() as instance:  # also points DAGSTER_HOME at this instance
        instance.add_dynamic_partitions(SHOPS, ["gone"])
        result = CliRunner().invoke(shops, ["sync", "--config", str(_config(tmp_path, "demo-us", "demo-eu"))])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines() == ["added   demo-us", "added   demo-eu", "removed gone"]
        assert sorted(instance.get_dynamic_partitions(SHOPS)) == ["demo-eu", "demo-us"]
        assert sync_shop_partitions(instance, ["demo-us", "demo-eu"]) == ([], [])
