"""Every ``erp-shopify`` subcommand against each expected failure: one line saying what is wrong and
how to fix it, the documented exit code, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from erp_shopify.cli import EXIT_NOT_FOUND, EXIT_UNREACHABLE, EXIT_USAGE, main

SECRET_ENV = "CLI_FAILURES_SECRET"
UNSET_ENV = "CLI_FAILURES_NEVER_SET"
WELL_FORMED_UNKNOWN_ID = "1-0"


def _config(tmp_path: Path, key_prefix: str, name: str = "shops.yaml", **changes: Any) -> Path:
    data: dict[str, Any] = {
        "erp": {
            "kind": "sap",
            "base_url": "http://127.0.0.1:1",
            "username": {"env": SECRET_ENV},
            "password": {"env": SECRET_ENV},
        },
        "shops": [
            {
                "name": "demo-us",
                "domain": "demo-us.myshopify.com",
                "access_token": {"env": SECRET_ENV},
                "webhook_secret": {"env": SECRET_ENV},
                "locations": {"1010/0001": "gid://shopify/Location/1"},
            }
        ],
        "redis": {"key_prefix": key_prefix},
    }
    for path, value in changes.items():
        node = data
        *parents, leaf = path.split(".")
        for step in parents:
            node = node[int(step)] if isinstance(node, list) else node[step]
        node[leaf] = value
    target = tmp_path / name
    target.write_text(yaml.safe_dump(data))
    return target


@pytest.fixture
def world(tmp_path: Path, key_prefix: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A good config, and one of each kind of broken one, with an (empty) Dagster home."""
    monkeypatch.setenv(SECRET_ENV, "not-a-real-secret")
    monkeypatch.delenv(UNSET_ENV, raising=False)
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return {
        "good": _config(tmp_path, key_prefix),
        "invalid": _config(tmp_path, key_prefix, "invalid.yaml", **{"shops.0.locations": {"1010/0001": "x"}}),
        "missing": tmp_path / "nowhere.yaml",
        "no_redis": _config(tmp_path, key_prefix, "no_redis.yaml", **{"redis.url": "redis://127.0.0.1:1/0"}),
        "unset_env": _config(tmp_path, key_prefix, "unset.yaml", **{"erp.password": {"env": UNSET_ENV}}),
    }


COMMANDS: dict[str, list[str]] = {
    "shops sync": ["shops", "sync"],
    "webhooks serve": ["webhooks", "serve", "--port", "1"],  # fails on its config before it binds
    "webhooks stats": ["webhooks", "stats"],
    "dlq list": ["dlq", "list"],
    "dlq show": ["dlq", "show", WELL_FORMED_UNKNOWN_ID],
    "dlq replay": ["dlq", "replay", "--all"],
    "dlq purge": ["dlq", "purge"],
    "resume": ["resume"],
    "status": ["status"],
}
USES_REDIS = {"webhooks stats", "dlq list", "dlq show", "dlq replay", "dlq purge", "resume", "status"}
USES_DAGSTER = {"shops sync", "status"}


def _run(command: list[str], config: Path) -> Any:
    return CliRunner().invoke(main, [*command, "--config", str(config)])


def _one_line_failure(result: Any, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)  # not an uncaught error
    [line] = [x for x in result.output.splitlines() if x.strip()]
    for fragment in fragments:
        assert fragment in line, line


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_invalid_shops_file_names_file_shop_and_field(world: dict[str, Path], name: str) -> None:
    result = _run(COMMANDS[name], world["invalid"])
    _one_line_failure(result, EXIT_USAGE, "invalid.yaml", "shops[0] (shop 'demo-us').locations", "fix the shops file")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_missing_shops_file_says_it_cannot_be_read(world: dict[str, Path], name: str) -> None:
    result = _run(COMMANDS[name], world["missing"])
    _one_line_failure(result, EXIT_USAGE, "nowhere.yaml: cannot read the configuration")


@pytest.mark.parametrize("name", sorted(USES_REDIS))
def test_unreachable_redis_says_so_and_where_to_fix_it(world: dict[str, Path], name: str) -> None:
    result = _run(COMMANDS[name], world["no_redis"])
    _one_line_failure(result, EXIT_UNREACHABLE, "Redis is unreachable", "127.0.0.1:1", "redis.url")


@pytest.mark.parametrize("name", sorted(USES_DAGSTER))
def test_no_dagster_home_says_what_to_set(world: dict[str, Path], name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAGSTER_HOME")
    result = _run(COMMANDS[name], world["good"])
    _one_line_failure(result, EXIT_USAGE, "DAGSTER_HOME is not set")


def test_a_missing_secret_env_var_is_named(world: dict[str, Path]) -> None:
    result = _run(COMMANDS["resume"], world["unset_env"])
    _one_line_failure(result, EXIT_USAGE, f"environment variable {UNSET_ENV} is not set")


def test_an_unreachable_erp_keeps_the_pause_and_says_so(world: dict[str, Path]) -> None:
    result = _run(COMMANDS["resume"], world["good"])
    _one_line_failure(result, EXIT_UNREACHABLE, "erp:sap still fails its probe, pause kept", "Connection refused")


ID_COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "dlq show": lambda entry: ["dlq", "show", entry],
    "dlq replay": lambda entry: ["dlq", "replay", "--id", entry],
}


@pytest.mark.parametrize("name", sorted(ID_COMMANDS))
def test_a_malformed_dead_letter_id_is_a_usage_error(world: dict[str, Path], name: str) -> None:
    result = _run(ID_COMMANDS[name]("not-an-id"), world["good"])
    _one_line_failure(result, EXIT_USAGE, "'not-an-id' is not a dead-letter id", "erp-shopify dlq list")


@pytest.mark.parametrize("name", sorted(ID_COMMANDS))
def test_an_unknown_dead_letter_id_is_not_found(world: dict[str, Path], name: str) -> None:
    result = _run(ID_COMMANDS[name](WELL_FORMED_UNKNOWN_ID), world["good"])
    _one_line_failure(result, EXIT_NOT_FOUND, f"no dead letter with id {WELL_FORMED_UNKNOWN_ID}")


@pytest.mark.slow  # three interpreter starts with Dagster's imports
def test_the_installed_command_prints_its_version_and_fails_without_a_traceback(world: dict[str, Path]) -> None:
    command = str(Path(sys.executable).parent / "erp-shopify")
    version = subprocess.run([command, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("erp-shopify, version ")
    failed = subprocess.run(
        [command, "dlq", "list", "--config", str(world["invalid"])], capture_output=True, text=True, timeout=60
    )
    assert failed.returncode == EXIT_USAGE
    assert "Traceback" not in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
    assert "invalid.yaml: invalid configuration" in failed.stderr
    overview = subprocess.run([command, "--help"], capture_output=True, text=True, timeout=60)
    assert f"{EXIT_UNREACHABLE} a dependency" in " ".join(overview.stdout.split())
