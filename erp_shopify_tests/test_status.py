"""``erp-shopify status``: per shop and domain from a real Dagster instance, orders from real Redis."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner

from erp_shopify.cli import main
from erp_shopify.defs.shops import human_watermark
from erp_shopify.delivery import erp_connection, open_queue
from erp_shopify_tests.test_defs.dagster_world import materialize, metadata
from erp_shopify_tests.test_sync.world import world


def test_the_sap_watermark_reads_as_its_time_and_a_short_position() -> None:
    assert human_watermark('{"at":"2026-11-30T12:01:10","seen":["2026/4900000005"]}') == (
        "2026-11-30T12:01:10 (seen 2026/4900000005)"
    )
    assert human_watermark('{"at":"2026-11-30T12:01:10","seen":["2026/1","2026/2","2026/3"]}') == (
        "2026-11-30T12:01:10 (seen 2026/3 +2 more)"
    )
    assert human_watermark("2026-11-30T12:00:00+00:00") == "2026-11-30T12:00:00+00:00"
    assert human_watermark(None) is None


@pytest.mark.slow  # a real inventory sync against the sandboxes
def test_status_shows_watermark_last_run_counts_lag_and_the_order_queue(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=5, shops=("shop-a",)) as w, dg.instance_for_test() as instance:
        synced = materialize(w, instance, "shop-a", "sku_xref", "inventory_levels")
        assert synced.success
        with open_queue(w.settings.redis) as parts:
            parts.pauses.pause(erp_connection(w.settings), "HTTP 401 from the ERP")
        result = CliRunner().invoke(main, ["status", "--json", "--config", str(w.config_path)])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        table = CliRunner().invoke(main, ["status", "--config", str(w.config_path)])
    rows = {(s["shop"], s["domain"]): s for s in report["syncs"]}
    assert set(rows) == {("shop-a", "inventory"), ("shop-a", "prices"), ("shop-a", "xref")}
    inventory = rows[("shop-a", "inventory")]
    raw = json.loads(metadata(synced, "inventory_levels")["watermark"])
    assert inventory["watermark"].startswith(raw["at"])
    assert inventory["counts"] == {"written": 5, "changes_read": 5}
    assert inventory["last_run"]["status"] == "SUCCESS" and inventory["last_run"]["run_id"] == synced.run_id
    assert 0 <= inventory["lag_seconds"] < 120
    assert rows[("shop-a", "xref")]["counts"]["mapped"] == 5
    assert rows[("shop-a", "prices")]["last_run"] is None and rows[("shop-a", "prices")]["lag_seconds"] is None
    assert report["orders"]["queued"] == 0 and report["orders"]["dead_letters"] == {}
    assert report["orders"]["paused"]["reason"] == "HTTP 401 from the ERP"
    assert table.exit_code == 0 and "PAUSED since" in table.output
    assert any(line.startswith("shop-a  inventory  " + raw["at"]) for line in table.output.splitlines())
