"""``erp-shopify webhooks``: run the webhook receiver."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("webhooks")
def webhooks() -> None:
    """Receive Shopify webhooks into the Redis event stream."""


@webhooks.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8070, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Shops file (default $ERP_SHOPIFY_CONFIG or config/shops.yaml).",
)
@click.option("--workers", default=1, show_default=True, type=int, help="uvicorn worker processes.")
def serve(host: str, port: int, config_path: Path | None, workers: int) -> None:
    """Serve POST /webhooks/shopify, /healthz and /readyz with uvicorn."""
    import os

    import uvicorn

    from erp_shopify.config import CONFIG_ENV, load_settings

    settings = load_settings(config_path)  # fail here, with the file and field named, not per request
    if config_path is not None:
        os.environ[CONFIG_ENV] = str(config_path)  # the worker processes load the same file
    click.echo(f"receiving webhooks for {', '.join(settings.shop_names)} on http://{host}:{port}/webhooks/shopify")
    uvicorn.run(
        "erp_shopify.ingest.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="info",
    )


@webhooks.command("stats")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Shops file (default $ERP_SHOPIFY_CONFIG or config/shops.yaml).",
)
def stats(config_path: Path | None) -> None:
    """What every receiver sharing this Redis did (queued, duplicate, echo, conflict, rejected_*),
    and how many events wait in the stream."""
    from erp_shopify.config import load_settings
    from erp_shopify.ingest.counts import read_counts
    from erp_shopify.store.connection import connect
    from erp_shopify.store.keys import Keys

    settings = load_settings(config_path)
    with connect(settings.redis) as client:
        for name, value in read_counts(client, settings.redis.key_prefix).items():
            click.echo(f"{name}: {value}")
        click.echo(f"events waiting in the stream: {client.xlen(Keys(settings.redis.key_prefix).events)}")
