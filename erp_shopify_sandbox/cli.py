"""``erp-shopify sandbox``: a local Shopify Admin API plus one ERP sandbox, until Ctrl-C."""

from __future__ import annotations

import importlib
import time
from typing import Any

import click

from erp_shopify_sandbox.faults import Faults
from erp_shopify_sandbox.server import RunningSandbox

ERP_SANDBOXES = {
    "sap": "erp_shopify_sandbox.sap:start",
    "netsuite": "erp_shopify_sandbox.netsuite:start",
    "tryton": "erp_shopify_sandbox.tryton:start",
    "oracle": "erp_shopify_sandbox.oracle:start",
}


def start_erp(kind: str, port: int, faults: Faults) -> RunningSandbox:
    """Import the ERP sandbox lazily: Tryton's start-up is heavy and others may be absent."""
    module_name, attribute = ERP_SANDBOXES[kind].split(":")
    start: Any = getattr(importlib.import_module(module_name), attribute)
    return start(port, faults)


@click.command("sandbox")
@click.option(
    "--port", default=8080, show_default=True, help="Port of the Shopify Admin API sandbox (0 picks a free one)."
)
@click.option("--erp-port", default=8081, show_default=True, help="Port of the ERP sandbox.")
@click.option(
    "--erp", type=click.Choice(["sap", "netsuite", "tryton", "oracle", "none"]), default="sap", show_default=True
)
@click.option("--shop", "shop_domain", default="sandbox.myshopify.com", show_default=True, help="Shop domain served.")
@click.option(
    "--plan",
    type=click.Choice(["standard", "advanced", "plus", "enterprise"]),
    default="standard",
    show_default=True,
    help="Restore rate 100/200/1000/2000 pt/s.",
)
@click.option(
    "--bucket-size", type=float, default=None, help="Cost bucket size in points [default: 20x the restore rate]."
)
@click.option(
    "--throttle-status",
    type=click.Choice(["200", "429"]),
    default="200",
    show_default=True,
    help="HTTP status of a THROTTLED answer.",
)
@click.option(
    "--token",
    default="shpat_sandbox",
    show_default=True,
    help="Access token clients must send as X-Shopify-Access-Token.",
)
@click.option(
    "--webhook-secret", default="sandbox-webhook-secret", show_default=True, help="Secret webhooks are signed with."
)
@click.option("--latency-ms", type=float, default=0, show_default=True, help="Fault: latency added to every request.")
@click.option("--error-rate", type=float, default=0, show_default=True, help="Fault: share of requests answered 503.")
@click.option(
    "--throttle-rate", type=float, default=0, show_default=True, help="Fault: share of requests answered 429."
)
@click.option("--unauthorized", is_flag=True, help="Fault: answer every request 401 (revoked token).")
@click.option("--seed", "seed_products", default=100, show_default=True, help="Products (one variant each) to seed.")
@click.option("--locations", default=2, show_default=True, help="Locations to stock them at.")
def sandbox(
    port: int,
    erp_port: int,
    erp: str,
    shop_domain: str,
    plan: str,
    bucket_size: float | None,
    throttle_status: str,
    token: str,
    webhook_secret: str,
    latency_ms: float,
    error_rate: float,
    throttle_rate: float,
    unauthorized: bool,
    seed_products: int,
    locations: int,
) -> None:
    """Serve a faithful local Shopify Admin API (2026-10) and an ERP sandbox.

    Faults can be changed while running: PUT /_sandbox/faults on either server.
    """
    from erp_shopify_sandbox.shopify import start_shopify_sandbox

    faults = Faults(
        latency_ms=latency_ms, error_rate=error_rate, throttle_rate=throttle_rate, unauthorized=unauthorized
    )
    running: list[Any] = [
        start_shopify_sandbox(
            port,
            faults=faults,
            seed=seed_products,
            locations=locations,
            shop_domain=shop_domain,
            plan=plan,
            bucket_size=bucket_size,
            throttle_status=int(throttle_status),
            access_token=token,
            webhook_secret=webhook_secret,
        )
    ]
    try:
        if erp != "none":
            running.append(start_erp(erp, erp_port, faults))
        for handle in running:
            click.echo(f"{handle.name}: {handle.url}")
            for label, value in handle.describe().items():
                click.echo(f"  {label}: {value}")
        click.echo("Ctrl-C stops the sandboxes.")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        for handle in reversed(running):
            handle.stop()
