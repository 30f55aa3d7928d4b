from __future__ import annotations

from pathlib import Path

import pytest

from erp_shopify.config import ConfigError, Secret, load_settings, parse_settings

VALID = """
erp: {kind: sap, base_url: "http://127.0.0.1:9000", username: {env: SAP_USER}, password: {env: SAP_PASSWORD}}
shops:
  - name: demo-eu
    domain: demo-eu.myshopify.com
    access_token: {env: SHOP_EU_TOKEN}
    webhook_secret: {env: SHOP_EU_SECRET}
    currency: EUR
    locations: {"1010/0001": "gid://shopify/Location/1"}
  - name: demo-us
    domain: demo-us.myshopify.com
    api_url: "http://127.0.0.1:8081"
    access_token: {env: SHOP_US_TOKEN}
    webhook_secret: {env: SHOP_US_SECRET}
    locations: {"1710/0001": "gid://shopify/Location/2"}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shops.yaml"
    path.write_text(text)
    return path


def test_valid_file_loads_shops_in_order_with_their_graphql_urls(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, VALID))
    assert settings.shop_names == ["demo-eu", "demo-us"]
    assert settings.shop("demo-eu").graphql_url == "https://demo-eu.myshopify.com/admin/api/2026-10/graphql.json"
    assert settings.shop("demo-us").graphql_url == "http://127.0.0.1:8081/admin/api/2026-10/graphql.json"


def test_error_names_the_file_the_shop_and_the_field(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID.replace('"gid://shopify/Location/2"', '"Location 2"'))
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    message = str(error.value)
    assert str(path) in message
    assert "shops[1] (shop 'demo-us').locations" in message
    assert "'Location 2'" in message


def test_every_bad_field_is_reported_at_once(tmp_path: Path) -> None:
    text = VALID.replace("currency: EUR", "currency: euro").replace("demo-us.myshopify.com", "demo-us.example.com")
    with pytest.raises(ConfigError) as error:
        load_settings(_write(tmp_path, text))
    assert "shops[0] (shop 'demo-eu').currency" in str(error.value)
    assert "shops[1] (shop 'demo-us').domain" in str(error.value)


def test_duplicate_shop_names_are_rejected() -> None:
    data = {
        "erp": {
            "kind": "tryton",
            "base_url": "http://x",
            "database": "d",
            "username": {"env": "U"},
            "password": {"env": "P"},
        },
        "shops": [
            {
                "name": "a",
                "domain": "a.myshopify.com",
                "access_token": {"env": "T"},
                "webhook_secret": {"env": "S"},
                "locations": {"WH": "gid://shopify/Location/1"},
            }
        ]
        * 2,
    }
    with pytest.raises(ConfigError, match="shop name 'a' appears twice"):
        parse_settings(data)


def test_missing_file_and_bad_yaml_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(_write(tmp_path, "shops: [unclosed"))


def test_secret_reads_its_environment_variable_and_never_shows_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERP_SHOPIFY_TEST_SECRET", "s3cr3t-value")
    secret = Secret(env="ERP_SHOPIFY_TEST_SECRET")
    assert secret.value() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(secret)
    monkeypatch.delenv("ERP_SHOPIFY_TEST_SECRET")
    with pytest.raises(ConfigError, match="ERP_SHOPIFY_TEST_SECRET is not set"):
        secret.value()


def test_a_key_prefix_with_braces_is_refused_and_cluster_is_off_unless_asked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(_write(tmp_path, VALID + "redis: {key_prefix: 'erp{a}'}\n"))
    assert "redis.key_prefix" in str(error.value) and "braces" in str(error.value)
    assert load_settings(_write(tmp_path, VALID)).redis.cluster is False
    assert load_settings(_write(tmp_path, VALID + "redis: {cluster: true}\n")).redis.cluster is True
