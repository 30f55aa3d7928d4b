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
