"""``erp-shopify``: one command line for operators. Each area keeps its commands next to its
code; this module only assembles them.

Other packages add command groups through the ``erp_shopify.commands`` entry points (the sandbox
registers ``sandbox``, ``demo`` and ``dev`` in pyproject.toml), so the product never imports them.
A registered group that cannot be imported (its package's extra is not installed) is left out of
``--help``; asking for it by name says why, with the hint its package gave.

An expected failure never shows a traceback: ``_Commands.invoke`` turns our error types into one
line saying what is wrong and how to fix it, and an exit code (``EXIT_CODES``, also in ``--help``
and the README). Anything else is a bug, and keeps its traceback.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from pathlib import Path

import click
import redis

from erp_shopify import artefacts
from erp_shopify.config import ConfigError
from erp_shopify.errors import IntegrationError
from erp_shopify.store.dlq import MalformedDeadLetterId, UnknownDeadLetter

# Command groups that live with their domain: "module:attribute".
_COMMANDS = (
    "erp_shopify.shops_cli:shops",
    "erp_shopify.ingest.cli:webhooks",
    "erp_shopify.delivery.cli:dlq",
    "erp_shopify.delivery.cli:resume",
    "erp_shopify.status_cli:status",
    "erp_shopify.metrics:metrics",
    "erp_shopify.doctor:doctor",
)
ENTRY_POINT_GROUP = "erp_shopify.commands"


_unavailable: dict[str, str] = {}  # registered command name -> why it could not be imported

EXIT_USAGE = 2  # bad arguments, a bad or missing shops file, a missing env var, no DAGSTER_HOME
EXIT_UNREACHABLE = 3  # Redis, the ERP or Shopify did not answer (or refused)
EXIT_NOT_FOUND = 4  # an id that names nothing
EXIT_CODES = f"""Exit codes: 0 done, 1 other failure, {EXIT_USAGE} usage or configuration,
{EXIT_UNREACHABLE} a dependency (Redis, the ERP, Shopify) unreachable, {EXIT_NOT_FOUND} not found."""


class _UsageFailure(click.ClickException):
    exit_code = EXIT_USAGE


class _Unreachable(click.ClickException):
    exit_code = EXIT_UNREACHABLE


class _NotFound(click.ClickException):
    exit_code = EXIT_NOT_FOUND


_FAILURES = {EXIT_USAGE: _UsageFailure, EXIT_UNREACHABLE: _Unreachable, EXIT_NOT_FOUND: _NotFound}


def expected_failure(exc: Exception) -> click.ClickException | None:
    """One line and an exit code for a failure an operator can fix; None for anything else (a bug)."""
    found: tuple[int, str] | None = None
    if isinstance(exc, ConfigError):
        found = (
            EXIT_USAGE,
            f"{'; '.join(line.strip() for line in str(exc).splitlines())} (fix the shops file or the environment)",
        )
    elif isinstance(exc, MalformedDeadLetterId):
        found = EXIT_USAGE, str(exc)
    elif isinstance(exc, UnknownDeadLetter):
        found = EXIT_NOT_FOUND, str(exc)
    elif isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        found = EXIT_UNREACHABLE, f"Redis is unreachable ({exc}): start it, or fix redis.url in the shops file"
    elif isinstance(exc, IntegrationError):
        found = EXIT_UNREACHABLE, f"{exc} (check that it is up, and its URL and credentials in the shops file)"
    elif type(exc).__name__ == "DagsterHomeNotSetError":  # dagster is imported only by the commands that use it
        found = EXIT_USAGE, "DAGSTER_HOME is not set: point it at the folder of the Dagster instance (its dagster.yaml)"
    if found is None:
        return None
    return _FAILURES[found[0]](found[1])


class _Commands(click.Group):
    """The top-level group: a registered command that could not be imported says why when asked for,
    and an expected failure of any command is one line and an exit code (``expected_failure``)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _unavailable:
            raise click.UsageError(f"'{cmd_name}' is not installed: {_unavailable[cmd_name]}", ctx)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            failure = expected_failure(exc)
            if failure is None:
                raise
            raise failure from None


@click.group(cls=_Commands, epilog=EXIT_CODES)
@click.version_option(package_name="erp_shopify", prog_name="erp-shopify")
def main() -> None:
    """Keep a Shopify business and its ERP in agreement."""


@main.group("artefacts")
def artefacts_group() -> None:
    """Official Shopify artefacts (Admin schema, webhook JSON Schemas), pinned and checksummed."""


@artefacts_group.command("fetch")
@click.option("--into", type=click.Path(path_type=Path), default=None, help="Cache folder (default .cache/artefacts).")
def artefacts_fetch(into: Path | None) -> None:
    """Download, verify (sha256) and unpack the pinned artefacts."""
    for path in artefacts.fetch_all(into):
        click.echo(f"ok {path}")


def _register() -> None:
    for target in _COMMANDS:
        module_name, attribute = target.split(":")
        main.add_command(getattr(importlib.import_module(module_name), attribute))
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            main.add_command(entry_point.load(), entry_point.name)
        except ImportError as exc:
            _unavailable[entry_point.name] = str(exc)


_register()
