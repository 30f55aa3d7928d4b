"""``erp-shopify demo`` end to end: sandboxes, sync, storefront orders through the receiver, the
order sensor and a ``deliver_orders`` run on a temporary Dagster instance, and its printed summary."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner, Result

from erp_shopify.config import CONFIG_ENV
from erp_shopify_sandbox.demo import demo


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh DAGSTER_HOME; the environment the demo exports is put back afterwards."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    return tmp_path


def _run_demo(key_prefix: str) -> Result:
    result = CliRunner().invoke(demo, ["--key-prefix", key_prefix], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _figure(output: str, pattern: str) -> tuple[str, ...]:
    found = re.search(pattern, output)
    assert found is not None, f"{pattern!r} not in the demo's output:\n{output}"
    return found.groups()


@pytest.mark.slow
def test_demo_delivers_every_storefront_order_once_and_prints_the_summary(home: Path, key_prefix: str) -> None:
    output = _run_demo(key_prefix).output
    assert _figure(output, r"(\d+) storefront orders .*: (\d+) webhooks queued") == ("5", "9")
    assert _figure(output, r"orders in the ERP: (\d+) of (\d+)") == ("5", "5")
    assert _figure(output, r"events still queued: (\d+)   DLQ depth: (\d+)") == ("0", "0")
    assert _figure(output, r"pending units: (\d+) before delivery, (\d+) after") == ("10", "0")
    documents = re.findall(r"^demo-(?:us|jp)\s+#\d+\s+demo-\S+\s+(\d+)\s+(\w+)", output, re.MULTILINE)
    assert len(documents) == 5 and len({number for number, _ in documents}) == 5  # one ERP document per order
    assert [status for _, status in documents].count("cancelled") == 1
    assert "make dev" in output and "dlq list" in output  # what to do next
    # The warehouse ships one line of the first order and the whole second: Shopify shows both, tracked.
    fulfilled = re.findall(r"^demo-us\s+(#\d+)\s+([A-Z_]+)\s+UPS (\S+) (\S+)$", output, re.MULTILINE)
    assert fulfilled == [
        ("#1001", "PARTIALLY_FULFILLED", "1Z999AA10000000001", "https://www.ups.com/track?tracknum=1Z999AA10000000001"),
        ("#1002", "FULFILLED", "1Z999AA10000000002", "https://www.ups.com/track?tracknum=1Z999AA10000000002"),
    ]

    with dg.DagsterInstance.from_config(str(home)) as instance:
        [run] = instance.get_run_records(dg.RunsFilter(job_name="deliver_orders"))
        assert run.dagster_run.is_success
        assert run.dagster_run.tags["orders/batch_size"] == "9"
        fulfillments = instance.fetch_materializations(dg.AssetKey("fulfillments"), limit=5).records
        assert [r.asset_materialization.metadata["fulfilled"].value for r in fulfillments] == [2]


@pytest.mark.slow
def test_demo_is_rerunnable_on_the_same_instance(home: Path, key_prefix: str) -> None:
    _run_demo(key_prefix)
    again = _run_demo(key_prefix).output
    assert "shops partitions: added none, removed none" in again
    assert _figure(again, r"orders in the ERP: (\d+) of (\d+)") == ("5", "5")
    assert _figure(again, r"pending units: (\d+) before delivery, (\d+) after") == ("10", "0")


@pytest.mark.slow
def test_demo_on_oracle_delivers_every_order_and_syncs_stock_and_prices(home: Path, key_prefix: str) -> None:
    result = CliRunner().invoke(demo, ["--erp", "oracle", "--key-prefix", key_prefix], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    output = result.output
    assert _figure(output, r"orders in the ERP: (\d+) of (\d+)") == ("5", "5")
    assert _figure(output, r"events still queued: (\d+)   DLQ depth: (\d+)") == ("0", "0")
    first_us = _figure(output, r"demo-us\s+(\d+)\s+(\d+)\s+\d+\s+\d+\s+(\d+)\s+ohb2\.")
    assert int(first_us[1]) > 0 and int(first_us[2]) > 0  # stock written, prices written
    statuses = re.findall(r"^demo-(?:us|jp)\s+#\d+\s+demo-\S+\s+\d+\s+(\w+)", output, re.MULTILINE)
    assert sorted(statuses) == ["canceled", "open", "open", "open", "open"]
    fulfilled = re.findall(r"^demo-us\s+(#\d+)\s+([A-Z_]+)\s+UPS (\S+) \S+$", output, re.MULTILINE)
    assert fulfilled == [
        ("#1001", "PARTIALLY_FULFILLED", "1Z999AA10000000001"),
        ("#1002", "FULFILLED", "1Z999AA10000000002"),
    ]
