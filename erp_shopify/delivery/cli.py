"""``erp-shopify dlq list|show|replay|purge`` and ``erp-shopify resume``: the operator's hands on stopped
order delivery. The same functions as the ``replay_dlq`` and ``resume_deliveries`` jobs. Expected
failures (config, Redis, unknown ids) become one line and an exit code in ``erp_shopify/cli.py``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from erp_shopify.config import config_option, load_settings
from erp_shopify.delivery import ReplaySelection, erp_connection, open_queue, replay
from erp_shopify.delivery import resume as resume_delivery
from erp_shopify.errors import DataError, ErrorClass, IntegrationError
from erp_shopify.mapping.orders import external_ref, legacy_id
from erp_shopify.notify import Notifier
from erp_shopify.store.dlq import DeadLetter, UnknownDeadLetter


class ProbeFailed(click.ClickException):
    exit_code = 3  # as erp_shopify/cli.py documents: a dependency (here the ERP) did not answer


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def erp_reference(letter: DeadLetter) -> str:
    """The reference the order has (or will have) in the ERP, as the mapping builds it."""
    try:
        return external_ref(letter.shop, legacy_id(letter.order_ref))
    except DataError:
        return ""


def _summary(letter: DeadLetter) -> dict[str, Any]:
    """What ``dlq list --json`` gives of a dead letter; ``dlq show`` adds the rest."""
    return {
        "id": letter.id,
        "shop": letter.shop,
        "topic": letter.topic,
        "order": letter.order_ref,
        "erp_reference": erp_reference(letter),
        "error": {"class": letter.error_class, "message": letter.message, "status": letter.status},
        "failed_at": _when(letter.failed_at),
    }


def _as_json(letter: DeadLetter) -> dict[str, Any]:
    try:
        payload: Any = letter.payload()
    except ValueError:
        payload = letter.raw_body.decode(errors="replace")
    summary = _summary(letter)
    return {
        **summary,
        "event_id": letter.event_id,
        "error": {**summary["error"], "body": letter.response_body},
        "attempts": [_when(t) for t in letter.attempts],
        "headers": dict(letter.headers),
        "erp_payload": letter.erp_payload,
        "payload": payload,
    }


@click.group()
def dlq() -> None:
    """Order events that could not be delivered without a person."""


@dlq.command("list")
@config_option
@click.option("--shop", default=None, help="Only this shop's entries.")
@click.option("--error-class", type=click.Choice([str(c) for c in ErrorClass]), default=None)
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per dead letter.")
def dlq_list(config_path: Path | None, shop: str | None, error_class: str | None, limit: int, as_json: bool) -> None:
    """One line per dead letter: id, shop, topic, order, error class, the order's ERP reference, message."""
    with open_queue(load_settings(config_path).redis) as parts:
        letters = parts.dead_letters.list(shop=shop, error_class=error_class, limit=limit)
    if as_json:
        click.echo(json.dumps([_summary(x) for x in letters], indent=2))
        return
    for x in letters:
        status = f" HTTP {x.status}" if x.status is not None else ""
        reference = f"  ERP ref {erp_reference(x)}" if erp_reference(x) else ""
        click.echo(f"{x.id}  {x.shop}  {x.topic}  {x.order_ref}  {x.error_class}{status}{reference}  {x.message}")
    click.echo(f"{len(letters)} dead letter(s)", err=True)


@dlq.command("show")
@config_option
@click.argument("entry_id")
def dlq_show(config_path: Path | None, entry_id: str) -> None:
    """Everything about one dead letter, as JSON: payload, headers, ERP payload, error, attempts."""
    with open_queue(load_settings(config_path).redis) as parts:
        letter = parts.dead_letters.get(entry_id)
    if letter is None:
        raise UnknownDeadLetter(f"no dead letter with id {entry_id} (`erp-shopify dlq list` shows them)")
    click.echo(json.dumps(_as_json(letter), indent=2, default=str))


@dlq.command("replay")
@config_option
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
    except ValueError as exc:
        raise click.UsageError(f"{exc}: --all, --id, --shop or --error-class") from None
    with open_queue(load_settings(config_path).redis) as parts:
        done = replay(parts, selection)
    for item in done:
        click.echo(f"{item.dead_letter_id} -> queued as {item.stream_id}  ({item.shop} {item.topic})")
    click.echo(f"{len(done)} dead letter(s) re-queued", err=True)


@dlq.command("purge")
@config_option
@click.option(
    "--older-than-days",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Remove letters older than this (default: delivery.dlq_retention_days of the config).",
)
def dlq_purge(config_path: Path | None, older_than_days: float | None) -> None:
    """Remove dead letters past their retention (delivery runs do this too, after each batch)."""
    settings = load_settings(config_path)
    days = settings.delivery.dlq_retention_days if older_than_days is None else older_than_days
    with open_queue(settings.redis) as parts:
        removed = parts.dead_letters.purge(days * 86400)
        left = parts.dead_letters.depth()
    click.echo(f"{removed} dead letter(s) older than {days:g} day(s) removed, {left} kept")


@click.command("resume")
@config_option
def resume(config_path: Path | None) -> None:
    """Probe the ERP, then lift the delivery pause and hand the held events back."""
    from erp_shopify.erp import build_adapter

    settings = load_settings(config_path)
    try:
        with build_adapter(settings.erp) as adapter, open_queue(settings.redis) as parts:
            resumed = resume_delivery(adapter, parts, settings, Notifier.for_settings(settings))
    except IntegrationError as exc:  # said here, not by the shared handler: the pause is kept
        raise ProbeFailed(f"{erp_connection(settings)} still fails its probe, pause kept: {exc}") from None
    if resumed.was_paused is None:
        click.echo(f"{erp_connection(settings)} was not paused; {resumed.released} held event(s) made claimable")
    else:
        click.echo(f"{erp_connection(settings)} resumed; {resumed.released} held event(s) will be delivered")
