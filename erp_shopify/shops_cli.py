"""``erp-shopify shops sync``: make the Dagster ``shops`` partitions equal the configured shops.

It acts on the Dagster instance through the shops partition of ``defs/shops.py``, so it sits above
the Dagster wiring, beside the ``erp-shopify`` command that assembles it: ``defs/`` holds Dagster
objects only, and the code location never imports click.
"""

from __future__ import annotations

import click
import dagster as dg

from erp_shopify.config import config_option, load_settings
from erp_shopify.defs.shops import sync_shop_partitions


@click.group("shops")
def shops() -> None:
    """The shops known to Dagster (one partition per shop)."""


@shops.command("sync")
@config_option
def sync(config_path: str | None) -> None:
    """Add partitions for new shops, remove those no longer configured, print what changed."""
    settings = load_settings(config_path)
    with dg.DagsterInstance.get() as instance:
        added, removed = sync_shop_partitions(instance, settings.shop_names)
    for shop in added:
        click.echo(f"added   {shop}")
    for shop in removed:
        click.echo(f"removed {shop}")
    if not added and not removed:
        click.echo(f"unchanged: {', '.join(settings.shop_names)}")
