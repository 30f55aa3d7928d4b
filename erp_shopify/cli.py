"""``erp-shopify``: one command line for operators. Each area keeps its commands next to its
code; this module only assembles them."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from erp_shopify import artefacts

# Command groups that live with their domain: "module:attribute".
_COMMANDS = (
    "erp_shopify_sandbox.cli:sandbox",
    "erp_shopify_sandbox.demo:demo",
    "erp_shopify_sandbox.devserver:dev",
    "erp_shopify.shops_cli:shops",
    "erp_shopify.ingest.cli:webhooks",
    "erp_shopify.delivery.cli:dlq",
    "erp_shopify.delivery.cli:resume",
)


@click.group()
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


_register()
