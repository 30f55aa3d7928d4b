"""``erp-shopify status``: where every shop's syncs stand and how order delivery is doing, in one look.

Per shop and domain (inventory, prices, xref, fulfillments), read from the Dagster instance (``$DAGSTER_HOME``):
the watermark in human form, the last run (time, status), the counts of the last materialization
and the lag (now minus the last successful materialization). For orders, read from Redis: queue
depth, the oldest queued event's age, the dead letters by error class and the pause flag. A table
for people, ``--json`` for machines.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import dagster as dg

from erp_shopify.config import Settings, config_option, load_settings
from erp_shopify.defs.inventory.assets import WATERMARK
from erp_shopify.defs.shops import human_watermark, latest_materialization
from erp_shopify.delivery import erp_connection, open_queue

# domain -> (its asset, the metadata keys shown as its counts)
DOMAINS: dict[str, tuple[str, tuple[str, ...]]] = {
    "inventory": ("inventory_levels", ("written", "changes_read")),
    "prices": ("prices", ("prices_written", "changed")),
    "xref": ("sku_xref", ("mapped", "erp_unmapped")),
    "fulfillments": ("fulfillments", ("fulfilled", "data_errors")),
}
WATERMARKED = ("inventory", "fulfillments")


def _when(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _last_run(instance: dg.DagsterInstance, shop: str, asset: str) -> dg.DagsterRun | None:
    """The latest run planned to materialize the shop's partition of the asset, whatever its outcome."""
    planned = instance.get_latest_planned_materialization_info(dg.AssetKey(asset), shop)
    return instance.get_run_by_id(planned.run_id) if planned else None


def sync_status(instance: dg.DagsterInstance, shop: str, domain: str, now: float) -> dict[str, Any]:
    asset, count_keys = DOMAINS[domain]
    latest = latest_materialization(instance, dg.AssetKey(asset), shop)
    metadata = {}
    materialized_at = None
    if latest and latest.asset_materialization is not None:
        metadata = {k: v.value for k, v in latest.asset_materialization.metadata.items()}
        materialized_at = latest.timestamp
    run = _last_run(instance, shop, asset)
    record = instance.get_run_record_by_id(run.run_id) if run else None
    run_at = (record.end_time or record.start_time or record.create_timestamp.timestamp()) if record else None
    return {
        "shop": shop,
        "domain": domain,
        "watermark": human_watermark(metadata.get(WATERMARK)) if domain in WATERMARKED else None,
        "last_run": None if run is None else {"at": _when(run_at), "status": run.status.value, "run_id": run.run_id},
        "counts": {k: metadata[k] for k in count_keys if k in metadata},
        "last_success": _when(materialized_at),
        "lag_seconds": None if materialized_at is None else round(now - materialized_at),
    }


def order_status(settings: Settings, now: float) -> dict[str, Any]:
    connection = erp_connection(settings)
    with open_queue(settings.redis) as parts:
        oldest = parts.stream.oldest_queued_at()
        by_class = Counter(x.error_class for x in parts.dead_letters.list(limit=1_000_000))
        return {
            "queued": parts.stream.depth(),
            "oldest_age_seconds": None if oldest is None else round(now - oldest),
            "dead_letters": dict(sorted(by_class.items())),
            "paused": (lambda p: None if p is None else {"since": _when(p.since), "reason": p.reason})(
                parts.pauses.status(connection)
            ),
            "erp_connection": connection,
        }


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "never"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def render(syncs: list[dict[str, Any]], orders: dict[str, Any]) -> list[str]:
    rows = [("SHOP", "DOMAIN", "WATERMARK", "LAST RUN", "COUNTS", "LAG")]
    for s in syncs:
        run = s["last_run"]
        counts = ", ".join(f"{k} {v}" for k, v in s["counts"].items())
        last = f"{run['at']} {run['status']}" if run else "never"
        rows.append((s["shop"], s["domain"], s["watermark"] or "-", last, counts or "-", _age(s["lag_seconds"])))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    paused = orders["paused"]
    dead = ", ".join(f"{k} {v}" for k, v in orders["dead_letters"].items()) or "none"
    lines += [
        "",
        f"orders: {orders['queued']} queued, oldest {_age(orders['oldest_age_seconds'])} old; dead letters: {dead}",
        f"delivery to {orders['erp_connection']}: "
        + (f"PAUSED since {paused['since']}: {paused['reason']}" if paused else "running"),
    ]
    return lines


@click.command("status")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object: syncs (per shop and domain) and orders.")
def status(config_path: Path | None, as_json: bool) -> None:
    """Per shop and domain: watermark, last run, counts, lag; for orders: queue, oldest event, DLQ, pause."""
    settings = load_settings(config_path)
    now = time.time()
    with dg.DagsterInstance.get() as instance:
        syncs = [sync_status(instance, shop, domain, now) for shop in settings.shop_names for domain in DOMAINS]
    orders = order_status(settings, now)
    if as_json:
        click.echo(json.dumps({"syncs": syncs, "orders": orders}, indent=2))
        return
    for line in render(syncs, orders):
        click.echo(line)
