"""``erp-shopify dlq list|show|replay`` and ``erp-shopify resume``: the operator's hands on stopped
order delivery. The same functions as the ``replay_dlq`` and ``resume_deliveries`` jobs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from erp_shopify.config import ConfigError, Settings, load_settings
from erp_shopify.delivery import ReplaySelection, erp_connection, open_queue, replay
from erp_shopify.delivery import resume as resume_delivery
from erp_shopify.errors import ErrorClass, IntegrationError
from erp_shopify.notify import Notifier
from erp_shopify.store.dlq import DeadLetter

_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Shops file (default $ERP_SHOPIFY_CONFIG or config/shops.yaml).",
)


def _settings(config_path: Path | None) -> Settings:
    try:
        return load_settings(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _as_json(letter: DeadLetter) -> dict[str, Any]:
    try:
        payload: Any = letter.payload()
    except ValueError:
        payload = letter.raw_body.decode(errors="replace")
    return {
        "id": letter.id,
        "shop": letter.shop,
        "topic": letter.topic,
        "order": letter.order_ref,
        "event_id": letter.event_id,
        "error": {
            "class": letter.error_class,
            "message": letter.message,
            "status": letter.status,
            "body": letter.response_body,
        },
        "attempts": [_when(t) for t in letter.attempts],
        "failed_at": _when(letter.failed_at),
        "headers": dict(letter.headers),
        "erp_payload": letter.erp_payload,
        "payload": payload,
    }


@click.group()
def dlq() -> None:
    """Order events that could not be delivered without a person."""


@dlq.command("list")
@_config_option
@click.option("--shop", default=None, help="Only this shop's entries.")
@click.option("--error-class", type=click.Choice([str(c) for c in ErrorClass]), default=None)
@click.option("--limit", type=int, default=100, show_default=True)
def dlq_list(config_path: Path | None, shop: str | None, error_class: str | None, limit: int) -> None:
    """One line per dead letter: id, shop, topic, order, error."""
    with open_queue(_settings(config_path).redis) as parts:
        letters = parts.dead_letters.list(shop=shop, error_class=error_class, limit=limit)
    for x in letters:
        status = f" HTTP {x.status}" if x.status is not None else ""
        click.echo(f"{x.id}  {x.shop}  {x.topic}  {x.order_ref}  {x.error_class}{status}  {x.message}")
    click.echo(f"{len(letters)} dead letter(s)", err=True)


@dlq.command("show")
@_config_option
@click.argument("entry_id")
def dlq_show(config_path: Path | None, entry_id: str) -> None:
    """Everything about one dead letter, as JSON: payload, headers, ERP payload, error, attempts."""
    with open_queue(_settings(config_path).redis) as parts:
        letter = parts.dead_letters.get(entry_id)
    if letter is None:
        raise click.ClickException(f"no dead letter with id {entry_id}")
    click.echo(json.dumps(_as_json(letter), indent=2, default=str))


@dlq.command("replay")
@_config_option
@click.option("--all", "everything", is_flag=True, help="Replay every dead letter.")
@click.option("--id", "ids", multiple=True, help="Replay this entry (repeatable).")
@click.option("--shop", default=None, help="Replay this shop's entries.")
@click.option("--error-class", type=click.Choice([str(c) for c in ErrorClass]), default=None)
def dlq_replay(
    config_path: Path | None, everything: bool, ids: tuple[str, ...], shop: str | None, error_class: str | None
) -> None:
    """Re-queue dead letters for delivery (fix the data or the mapping first)."""
    try:
        selection = ReplaySelection(everything=everything, ids=ids, shop=shop, error_class=error_class)
        with open_queue(_settings(config_path).redis) as parts:
            done = replay(parts, selection)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(str(exc.args[0])) from None
    for item in done:
        click.echo(f"{item.dead_letter_id} -> queued as {item.stream_id}  ({item.shop} {item.topic})")
    click.echo(f"{len(done)} dead letter(s) re-queued", err=True)


@click.command("resume")
@_config_option
def resume(config_path: Path | None) -> None:
    """Probe the ERP, then lift the delivery pause and hand the held events back."""
    from erp_shopify.erp import build_adapter

    settings = _settings(config_path)
    try:
        with build_adapter(settings.erp) as adapter, open_queue(settings.redis) as parts:
            resumed = resume_delivery(adapter, parts, settings, Notifier.for_settings(settings))
    except IntegrationError as exc:
        raise click.ClickException(f"{erp_connection(settings)} still fails its probe, pause kept: {exc}") from None
    if resumed.was_paused is None:
        click.echo(f"{erp_connection(settings)} was not paused; {resumed.released} held event(s) made claimable")
    else:
        click.echo(f"{erp_connection(settings)} resumed; {resumed.released} held event(s) will be delivered")
