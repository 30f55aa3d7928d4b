"""``erp-shopify dev``: the demo's world in the background and ``dagster dev`` in front.

The sandboxes and the webhook receiver live in this process; ``dagster dev`` (webserver, daemon,
code server) runs as a child with the demo's shops file and secrets in its environment, so every
schedule, sensor and backfill in the UI talks to them, and the daemon's ``order_sensor`` delivers
what the storefront sells. A first full sync runs before the UI starts, so the asset pages open on
real materializations.

The child gets its own process group and ``$DAGSTER_HOME`` as its working folder (Dagster warns
when a ``dagster.yaml`` sits in the folder it starts in). Ctrl-C or SIGTERM here interrupts the
whole group, waits for it, and kills what is left, then the sandboxes stop: nothing stays behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import click
import dagster as dg

from erp_shopify_sandbox.demo import ERPS, DemoWorld, _sync_all, dagster_home, demo_world
from erp_shopify_sandbox.demo_orders import order_skus

WORKSPACE = Path(__file__).resolve().parents[1] / "workspace.yaml"


def first_sync(world: DemoWorld) -> None:
    from erp_shopify.defs.shops import sync_shop_partitions

    with dg.DagsterInstance.get() as instance:
        sync_shop_partitions(instance, list(world.shops))
        everything = ["sku_xref", "inventory_levels", "price_changes", "prices"]
        _sync_all(instance, list(world.shops), everything, full_resync=True)


@contextmanager
def dagster_dev(world: DemoWorld, home: Path, port: int, *, quiet: bool = False) -> Iterator[subprocess.Popen]:
    """``dagster dev -w <workspace> -p <port>`` in ``home``; Ctrl-C or SIGTERM in this process
    raises ``KeyboardInterrupt`` meanwhile, and leaving stops the child and its whole group.

    The handlers are installed here, not earlier: in-process Dagster runs restore SIGTERM to
    whatever SIGINT did before them. A SIGINT this process ignores (started in the background)
    would be inherited by ``dagster dev``, which maps SIGTERM to it: a handled SIGINT is not.
    """
    command = [sys.executable, "-m", "dagster", "dev", "-w", str(WORKSPACE), "-h", "127.0.0.1", "-p", str(port)]
    previous = signal.signal(signal.SIGINT, signal.default_int_handler), signal.signal(signal.SIGTERM, _interrupt)
    output = subprocess.DEVNULL if quiet else None
    try:
        child = subprocess.Popen(
            command,
            cwd=home,
            env={**os.environ, **world.env, "DAGSTER_HOME": str(home), "PYTHONWARNINGS": _warnings()},
            start_new_session=True,
            stdout=output,
            stderr=output,
        )
        try:
            yield child
        finally:
            _stop(child)
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])


def _warnings() -> str:
    """Dagster 1.13 warns that ``dagster dev`` is superseded by ``dg dev``; both run the same
    services, and the former needs no ``dg`` project scaffold, so the notice is left out."""
    own = os.environ.get("PYTHONWARNINGS", "")
    return ",".join(filter(None, [own, "ignore:Function `dev_command` is superseded"]))


def _stop(child: subprocess.Popen, grace: float = 30.0) -> None:
    """SIGTERM to ``dagster dev`` (it shuts its webserver, daemon and code server down in order),
    then SIGKILL to whatever of its process group is left. Interrupts meanwhile are ignored, so a
    second Ctrl-C cannot cut the stop short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if child.poll() is None:
        child.terminate()
        with suppress(subprocess.TimeoutExpired):
            child.wait(timeout=grace)
    with suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)  # a grandchild that outlived dagster dev
    child.wait(timeout=5)


def order_curl(world: DemoWorld, shop: str) -> str:
    """A ready-to-paste storefront checkout against the sandbox's control API."""
    body = json.dumps({"lines": [{"sku": order_skus(world)[0], "quantity": 1}]})
    return f"curl -s -X POST {world.shops[shop].url}/_sandbox/orders -H 'content-type: application/json' -d '{body}'"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.command("dev")
@click.option("--erp", "erp_kind", type=click.Choice(sorted(ERPS)), default="sap", show_default=True)
@click.option("--port", default=3000, show_default=True, help="Port of the Dagster UI.")
@click.option("--key-prefix", default=None, help="Redis key prefix instead of the demo file's (its keys are reset).")
def dev(erp_kind: str, port: int, key_prefix: str | None) -> None:
    """Start the sandboxes, the webhook receiver and `dagster dev` with the demo configuration."""
    home = dagster_home()
    signal.signal(signal.SIGTERM, _interrupt)  # during the first sync too: the sandboxes must stop
    try:
        with demo_world(erp_kind, home, key_prefix=key_prefix) as world:
            first_sync(world)
            for name, sandbox in [("erp", world.erp.sandbox), *world.shops.items()]:
                click.echo(f"sandbox {name}: {sandbox.url}")
            click.echo(f"webhook receiver: {world.webhook_url}")
            shop = next(iter(world.shops))
            click.echo(f"\nPlace an order in {shop} (order_sensor delivers it within its interval):")
            click.echo(f"  {order_curl(world, shop)}")
            if world.erp.name == "sap":
                click.echo(f"See it in the ERP:  curl -s {world.erp.sandbox.url}/_sandbox/orders")
            click.echo(f"The CLI on this world:  export ERP_SHOPIFY_CONFIG={world.config_path}")
            click.echo("  erp-shopify dlq list | dlq replay --all | resume | webhooks stats")
            with dagster_dev(world, home, port) as child:
                click.echo(f"\ndagster dev (pid {child.pid}) on http://127.0.0.1:{port}")
                click.echo("Ctrl-C stops it and the sandboxes")
                child.wait()
    except KeyboardInterrupt:
        click.echo("stopped: dagster dev and the sandboxes")
