"""Both instance files load as real Dagster instances: the embedded default (SQLite) and the
production one (Postgres, against the machine's PostgreSQL; compute logs in the object store)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _instance(tmp_path: Path, config: str) -> dg.DagsterInstance:
    shutil.copy(ROOT / config, tmp_path / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(tmp_path))


def test_embedded_default_limits_one_run_per_shop(tmp_path: Path) -> None:
    instance = _instance(tmp_path, "dagster.yaml")
    try:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 4
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
    finally:
        instance.dispose()


def test_production_instance_uses_postgres(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": "5432",
        "DAGSTER_PG_DB": "test",
        "DAGSTER_PG_USER": "postgres",
        "DAGSTER_PG_PASSWORD": "",
        "ERP_SHOPIFY_LOG_BUCKET": "erp-shopify-logs",
    }.items():
        monkeypatch.setenv(key, value)
    instance = _instance(tmp_path, "deploy/dagster.yaml")
    try:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert instance.get_runs_count() >= 0
        logs = instance.compute_log_manager
        assert (type(logs).__name__, logs._s3_bucket) == ("S3ComputeLogManager", "erp-shopify-logs")
    finally:
        instance.dispose()
