"""``erp-shopify webhooks``: run the webhook receiver."""

from __future__ import annotations

from pathlib import Path

import click

from erp_shopify.config import config_option

WORKER_HEALTHCHECK_SECONDS = 30


@click.group("webhooks")
def webhooks() -> None:
    """Receive Shopify webhooks into the Redis event stream."""


@webhooks.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8070, show_default=True, type=int, help="Port to listen on.")
@config_option
@click.option("--workers", default=1, show_default=True, type=int, help="uvicorn worker processes.")
def serve(host: str, port: int, config_path: Path | None, workers: int) -> None:
    """Serve POST /webhooks/shopify, /healthz, /readyz and /metrics with uvicorn.

    With several workers, set PROMETHEUS_MULTIPROC_DIR so /metrics adds up every worker's values."""
    import os

    import uvicorn

    from erp_shopify.config import CONFIG_ENV, load_settings
    from erp_shopify.ingest.metrics import reset_multiprocess_dir

    settings = load_settings(config_path)  # fail here, with the file and field named, not per request
    if config_path is not None:
        os.environ[CONFIG_ENV] = str(config_path)  # the worker processes load the same file
    reset_multiprocess_dir()
    click.echo(f"receiving webhooks for {', '.join(settings.shop_names)} on http://{host}:{port}/webhooks/shopify")
    uvicorn.run(
        "erp_shopify.ingest.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # uvicorn kills a worker that does not answer its supervisor's ping within this: a new
        # worker answers only once spawned and imported, which took over 5 s (the default) on a
        # loaded host, so every worker was killed and started again, forever.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        access_log=False,
        log_level="info",
    )


@webhooks.command("stats")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the counts and `waiting`.")
def stats(config_path: Path | None, as_json: bool) -> None:
    """What every receiver sharing this Redis did (queued, duplicate, echo, conflict, rejected_*),
    and how many events wait in the stream."""
    import json

    from erp_shopify.config import load_settings
    from erp_shopify.ingest.counts import read_counts
    from erp_shopify.store.connection import connect
    from erp_shopify.store.keys import Keys

    settings = load_settings(config_path)
    with connect(settings.redis) as client:
        counts = read_counts(client, settings.redis.key_prefix)
        waiting = int(client.xlen(Keys(settings.redis.key_prefix).events))
    if as_json:
        click.echo(json.dumps({**counts, "waiting": waiting}, indent=2))
        return
    for name, value in counts.items():
        click.echo(f"{name}: {value}")
    click.echo(f"events waiting in the stream: {waiting}")
