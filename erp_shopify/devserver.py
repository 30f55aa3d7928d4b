"""``erp-shopify dev``: the demo's sandboxes in the background and the Dagster UI in front.

The sandboxes live in this process; ``dagster dev`` runs as a child with the demo's shops file and
secrets in its environment, so every schedule, sensor and backfill in the UI talks to them. A first
full sync runs before the UI starts, so the asset pages open on real materializations.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import click
import dagster as dg

from erp_shopify.demo import ERPS, _forget_demo_state, _sync_all, dagster_home, demo_world

WORKSPACE = Path(__file__).resolve().parents[1] / "workspace.yaml"


@click.command("dev")
@click.option("--erp", "erp_kind", type=click.Choice(sorted(ERPS)), default="sap", show_default=True)
@click.option("--port", default=3000, show_default=True, help="Port of the Dagster UI.")
def dev(erp_kind: str, port: int) -> None:
    """Start the sandboxes and `dagster dev -w workspace.yaml` with the demo configuration."""
    from erp_shopify.defs.xref.partitions import sync_shop_partitions

    home = dagster_home()
    with demo_world(erp_kind, home) as world:
        _forget_demo_state(world.config_path)
        with dg.DagsterInstance.get() as instance:
            sync_shop_partitions(instance, list(world.shops))
            everything = ["sku_xref", "inventory_levels", "price_changes", "prices"]
            _sync_all(instance, list(world.shops), everything, full_resync=True)
        for name, sandbox in [("erp", world.erp.sandbox), *world.shops.items()]:
            click.echo(f"sandbox {name}: {sandbox.url}")
        command = [sys.executable, "-m", "dagster", "dev", "-w", str(WORKSPACE), "-p", str(port)]
        click.echo(f"starting: {' '.join(command[2:])} (Ctrl-C stops it and the sandboxes)")
        child = subprocess.Popen(command, cwd=WORKSPACE.parent, env={**os.environ, **world.env})
        signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop also stops the UI
        try:
            child.wait()
        except KeyboardInterrupt:
            child.terminate()
            child.wait(timeout=30)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
