"""Outputs pass between runs through an object store, not the local disk: a run builds ``sku_xref``
in one process, its ``$DAGSTER_HOME/storage`` is deleted, and a run in another process reads it.

The object store is a real S3-compatible server (moto in server mode) on a loopback port; each run
is a process of its own with the environment a deployment gives it (``$ERP_SHOPIFY_IO``, the AWS
credentials and endpoint)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from erp_shopify.config import ConfigError
from erp_shopify.defs.resources import io_manager
from erp_shopify_tests.test_deploy.object_store import CREDENTIALS, s3_client, s3_server
from erp_shopify_tests.test_sync.world import sku, world

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "erp-shopify-runs"


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server of this test's own, with one empty bucket."""
    with s3_server(BUCKET) as endpoint:
        yield endpoint


def _run(home: Path, env: dict[str, str], config_path: Path, *assets: str) -> dict[str, Any]:
    """One run in a new process, as a run launcher would start it."""
    done = subprocess.run(
        [sys.executable, "-m", "erp_shopify_tests.test_deploy.materialize_run", str(config_path), "shop-a", *assets],
        env={**os.environ, **env, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_run_in_another_process_without_local_storage_reads_the_xref_from_the_object_store(
    tmp_path: Path, redis_url: str, key_prefix: str, s3_endpoint: str
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {**CREDENTIALS, "AWS_ENDPOINT_URL": s3_endpoint, "ERP_SHOPIFY_IO": f"s3://{BUCKET}/runs"}
    with world(tmp_path, redis_url, key_prefix, items=4) as w:
        for n in range(4):
            w.sap.store.put_condition(
                {"material": sku(n), "rate": f"{10 + n}.5", "currency": "USD", "condition_record": f"R{n}"}
            )
        built = _run(home, env, w.config_path, "sku_xref")
        assert built["success"] and built["materialized"]["sku_xref"]["mapped"] == 4
        stored = [o["Key"] for o in s3_client(s3_endpoint).list_objects_v2(Bucket=BUCKET)["Contents"]]
        assert stored == ["runs/sku_xref/shop-a"]
        assert not list(home.glob("storage/**/sku_xref*"))  # nothing of it on the local disk

        shutil.rmtree(home / "storage", ignore_errors=True)  # the next run's machine never saw it
        read = _run(home, env, w.config_path, "price_changes")
        assert read["success"]
        assert read["materialized"]["price_changes"]["prices"] == 4


def test_the_io_manager_is_the_local_disk_unless_an_object_store_is_named() -> None:
    assert type(io_manager("")).__name__ == "FilesystemIOManager"
    chosen = io_manager("s3://bucket/some/prefix")
    assert (type(chosen).__name__, chosen.s3_bucket, chosen.s3_prefix) == ("S3PickleIOManager", "bucket", "some/prefix")
    with pytest.raises(ConfigError, match="expected s3://bucket/prefix"):
        io_manager("/var/lib/runs")
