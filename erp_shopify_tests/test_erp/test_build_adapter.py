"""``build_adapter`` hands every adapter the journal overlap, zone and request timeout the config declares."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from erp_shopify.config import ConfigError, InventoryConfig, parse_settings
from erp_shopify.defs.resources import ErpResource, SettingsResource
from erp_shopify.erp import build_adapter
from erp_shopify.erp.netsuite.adapter import NetSuiteAdapter
from erp_shopify.errors import TransientError

SECRET = {"env": "BUILD_ADAPTER_SECRET"}
ERPS: dict[str, dict[str, Any]] = {
    "sap": {"kind": "sap", "base_url": "http://127.0.0.1:9", "username": SECRET, "password": SECRET},
    "netsuite": {
        "kind": "netsuite",
        "base_url": "http://127.0.0.1:9",
        "account_id": "1234567",
        **{f: SECRET for f in ("consumer_key", "consumer_secret", "token_id", "token_secret")},
    },
    "tryton": {
        "kind": "tryton",
        "base_url": "http://127.0.0.1:9",
        "database": "d",
        "username": SECRET,
        "password": SECRET,
    },
    "oracle": {"kind": "oracle", "base_url": "http://127.0.0.1:9", "username": SECRET, "password": SECRET},
}
OVERLAPPING = sorted(set(ERPS) - {"oracle"})  # Oracle compares snapshots: it has no journal window
SHOP = {
    "name": "demo-us",
    "domain": "demo-us.myshopify.com",
    "access_token": SECRET,
    "webhook_secret": SECRET,
    "locations": {"WH": "gid://shopify/Location/1"},
}


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUILD_ADAPTER_SECRET", "not-a-real-secret")


def _settings(kind: str, **extra: Any) -> dict[str, Any]:
    return {"erp": {**ERPS[kind], **extra.pop("erp", {})}, "shops": [SHOP], **extra}


@pytest.mark.parametrize("kind", OVERLAPPING)
def test_every_adapter_re_reads_the_configured_overlap(kind: str) -> None:
    settings = parse_settings(_settings(kind, inventory={"overlap_seconds": 42}))
    adapter = build_adapter(settings.erp, settings.inventory)
    try:
        assert adapter.overlap == timedelta(seconds=42)  # type: ignore[attr-defined]
    finally:
        adapter.close()


@pytest.mark.parametrize("kind", OVERLAPPING)
def test_without_inventory_settings_the_adapters_share_the_config_default(kind: str) -> None:
    adapter = build_adapter(parse_settings(_settings(kind)).erp)
    try:
        assert adapter.overlap == timedelta(seconds=InventoryConfig().overlap_seconds)  # type: ignore[attr-defined]
    finally:
        adapter.close()


def test_the_erp_resource_passes_the_inventory_settings(tmp_path: Path) -> None:
    path = tmp_path / "shops.yaml"
    path.write_text(yaml.safe_dump(_settings("sap", inventory={"overlap_seconds": 90})))
    adapter = ErpResource(config=SettingsResource(config_path=str(path))).adapter()
    try:
        assert adapter.overlap == timedelta(seconds=90)  # type: ignore[attr-defined]
    finally:
        adapter.close()


def test_netsuite_reads_dates_in_the_configured_account_zone() -> None:
    settings = parse_settings(_settings("netsuite", erp={"account_timezone": "America/Los_Angeles"}))
    adapter = build_adapter(settings.erp)
    try:
        assert isinstance(adapter, NetSuiteAdapter) and adapter.zone == ZoneInfo("America/Los_Angeles")
    finally:
        adapter.close()


def test_an_unknown_account_zone_is_refused_naming_the_field() -> None:
    with pytest.raises(ConfigError, match=r"erp\.netsuite\.account_timezone: .*'Pacific Time' is not an IANA"):
        parse_settings(_settings("netsuite", erp={"account_timezone": "Pacific Time"}))


@pytest.fixture
def silent_erp() -> Iterator[str]:
    """An ERP that accepts connections and never answers (the kernel's backlog accepts them)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.parametrize("kind", sorted(ERPS))
def test_every_adapter_gives_up_on_a_silent_erp_after_the_configured_request_timeout(
    kind: str, silent_erp: str
) -> None:
    settings = parse_settings(_settings(kind, erp={"base_url": silent_erp, "request_timeout_seconds": 0.2}))
    adapter = build_adapter(settings.erp)
    try:
        with pytest.raises(TransientError, match=r"(?i)time"):  # not the 30 s default: the test would hang
            adapter.health()
    finally:
        adapter.close()


def test_the_request_timeout_defaults_to_30_seconds_and_refuses_nonsense() -> None:
    assert parse_settings(_settings("sap")).erp.request_timeout_seconds == 30
    with pytest.raises(ConfigError, match=r"erp\.sap\.request_timeout_seconds: .*greater than 0"):
        parse_settings(_settings("sap", erp={"request_timeout_seconds": 0}))
