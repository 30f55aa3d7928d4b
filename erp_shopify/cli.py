"""``erp-shopify``: one command line for operators. Each area keeps its commands next to its
code; this module only assembles them.

Other packages add command groups through the ``erp_shopify.commands`` entry points (the sandbox
registers ``sandbox``, ``demo`` and ``dev`` in pyproject.toml), so the product never imports them.
A registered group that cannot be imported (its package's extra is not installed) is left out of
``--help``; asking for it by name says why, with the hint its package gave.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from pathlib import Path

import click

from erp_shopify import artefacts

# Command groups that live with their domain: "module:attribute".
_COMMANDS = (
    "erp_shopify.shops_cli:shops",
    "erp_shopify.ingest.cli:webhooks",
    "erp_shopify.delivery.cli:dlq",
    "erp_shopify.delivery.cli:resume",
    "erp_shopify.doctor:doctor",
)
ENTRY_POINT_GROUP = "erp_shopify.commands"


_unavailable: dict[str, str] = {}  # registered command name -> why it could not be imported


class _Commands(click.Group):
    """The top-level group: a registered command that could not be imported says why when asked for."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _unavailable:
            raise click.UsageError(f"'{cmd_name}' is not installed: {_unavailable[cmd_name]}", ctx)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands)
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
