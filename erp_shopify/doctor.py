"""``erp-shopify doctor``: does this deployment's Redis meet what correctness needs?

It reports persistence, eviction and replication (``store/durability.py``) and the epoch
(``store/epoch.py``), and exits 1 when a requirement is not met. A setting the Redis will not show
(managed services refuse ``CONFIG GET``) is reported ``unknown`` and does not fail the check.
"""

from __future__ import annotations

from pathlib import Path

import click

from erp_shopify.config import config_option, load_settings
from erp_shopify.store.connection import connect
from erp_shopify.store.durability import all_met, check
from erp_shopify.store.epoch import describe_epoch, start_new_epoch, trusted_from


@click.command("doctor")
@config_option
@click.option(
    "--new-deployment",
    is_flag=True,
    help="Declare this Redis new (it never held this deployment's orders), so first sends of new orders "
    "skip the ERP search. Never after a data loss: that is what the epoch detects.",
)
def doctor(config_path: Path | None, new_deployment: bool) -> None:
    """Check that Redis keeps the order queue and ledger safely (AOF, noeviction, a replica)."""
    settings = load_settings(config_path)
    prefix = settings.redis.key_prefix
    with connect(settings.redis) as client:
        findings = check(client)
        if new_deployment and not start_new_epoch(client, prefix):
            click.echo("epoch exists already: left as it is")
        epoch = describe_epoch(trusted_from(client, prefix))
    for finding in findings:
        click.echo(f"{finding.name}: {finding.status} ({finding.detail})")
    click.echo(f"epoch: {epoch}")
    if not all_met(findings):
        raise click.exceptions.Exit(1)
