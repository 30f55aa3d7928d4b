"""What Redis must be, checked against real servers: the shared one as it is, private ones set up
well and badly, and one that holds its URL's password in a secret reference."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import yaml
from click.testing import CliRunner

from erp_shopify.cli import main
from erp_shopify.config import ConfigError, RedisConfig, Secret, parse_settings
from erp_shopify.store.connection import connect
from erp_shopify.store.durability import Finding, Status, all_met, assess, check
from erp_shopify.store.epoch import trusted_from
from erp_shopify_tests.test_ingest.conftest import free_port, make_settings, start_redis

DURABLE = ("--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction")


@pytest.fixture
def durable_pair(tmp_path: Path) -> Iterator[int]:
    """A private Redis with AOF every second, noeviction and one connected replica: its port."""
    primary_port, replica_port = free_port(), free_port()
    primary = start_redis(primary_port, *DURABLE, "--dir", str(tmp_path))
    replica = start_redis(replica_port, "--replicaof", "127.0.0.1", str(primary_port))
    try:
        with redis.Redis(port=primary_port) as client:
            deadline = time.monotonic() + 10
            while not client.info("replication")["connected_slaves"]:
                assert time.monotonic() < deadline, "the replica did not connect"
                time.sleep(0.05)
        yield primary_port
    finally:
        for server in (replica, primary):
            server.kill()
            server.wait(5)


def _statuses(findings: list[Finding]) -> dict[str, Status]:
    return {finding.name: finding.status for finding in findings}


def test_requirements_fail_on_each_unsafe_setting_and_are_unknown_when_config_is_refused() -> None:
    good = {"appendonly": "yes", "appendfsync": "everysec", "maxmemory-policy": "noeviction"}
    assert _statuses(assess(good, 1)) == {"persistence": "ok", "eviction": "ok", "replica": "ok"}
    assert _statuses(assess({**good, "appendfsync": "no"}, 1))["persistence"] is Status.FAIL
    assert _statuses(assess({**good, "appendonly": "no"}, 1))["persistence"] is Status.FAIL
    assert _statuses(assess({**good, "maxmemory-policy": "allkeys-lru"}, 1))["eviction"] is Status.FAIL
    refused = assess(None, None)
    assert set(_statuses(refused).values()) == {Status.UNKNOWN}
    assert all_met(refused) and not all_met(assess(good, 0))


def test_a_redis_without_persistence_is_reported_by_doctor_with_exit_1(tmp_path: Path, key_prefix: str) -> None:
    port = free_port()
    server = start_redis(port)  # --save "" --appendonly no: a restart loses everything
    try:
        findings = _statuses(check(redis.Redis(port=port)))
        assert findings == {"persistence": "fail", "eviction": "ok", "replica": "fail"}
        result = _doctor(tmp_path, f"redis://127.0.0.1:{port}/0", key_prefix)
        assert result.exit_code == 1
        assert "persistence: fail" in result.output and "epoch: missing" in result.output
    finally:
        server.kill()
        server.wait(5)


def test_doctor_passes_a_durable_redis_with_a_replica_and_declares_a_new_deployment(
    tmp_path: Path, key_prefix: str, durable_pair: int
) -> None:
    result = _doctor(tmp_path, f"redis://127.0.0.1:{durable_pair}/0", key_prefix, "--new-deployment")
    assert result.exit_code == 0, result.output
    assert "persistence: ok" in result.output and "replica: ok (1 connected)" in result.output
    assert "epoch: ok" in result.output
    assert trusted_from(redis.Redis(port=durable_pair), key_prefix) == 0


def test_the_redis_url_can_be_a_secret_with_a_password_that_never_shows(
    monkeypatch: pytest.MonkeyPatch, key_prefix: str
) -> None:
    port, password = free_port(), "s3cret-redis-pass"
    server = start_redis(port, password=password)
    try:
        monkeypatch.setenv("TEST_REDIS_URL", f"redis://:{password}@127.0.0.1:{port}/0")
        settings = parse_settings({**_shops_data(key_prefix), "redis": {"url": {"env": "TEST_REDIS_URL"}}})
        assert settings.redis.url == Secret(env="TEST_REDIS_URL")
        with connect(settings.redis) as client:
            assert client.ping()
        assert password not in repr(settings) and password not in str(settings.model_dump())
        with pytest.raises(ConfigError, match="carries a password"):
            parse_settings({**_shops_data(key_prefix), "redis": {"url": f"rediss://:{password}@cache:6380/0"}})
        assert RedisConfig(url="rediss://cache.example:6380/0").connection_url().startswith("rediss://")
    finally:
        server.kill()
        server.wait(5)


def _shops_data(key_prefix: str) -> dict:
    data = make_settings().model_dump(mode="json")
    data["redis"] = {"key_prefix": key_prefix}
    return data


def _doctor(tmp_path: Path, url: str, key_prefix: str, *options: str):  # type: ignore[no-untyped-def]
    data = _shops_data(key_prefix)
    data["redis"] = {"url": url, "key_prefix": key_prefix}
    config = tmp_path / "shops.yaml"
    config.write_text(yaml.safe_dump(data))
    return CliRunner().invoke(main, ["doctor", "--config", str(config), *options])
