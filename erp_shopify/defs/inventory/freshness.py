"""A shop whose inventory has not synced for too long: an asset check that names it, and a P1 alert.

Dagster's own freshness checks judge a partitioned asset by its latest materialization of any
partition, so one shop syncing would hide another that stopped; this check reads every shop's own
latest materialization. It runs every few minutes on its own schedule (a job of the check alone),
fails naming each shop older than ``inventory.stale_after_minutes``, and alerts operations when a
shop turns stale (not again on every evaluation while it stays stale). A shop never synced yet is
shown as such and is not stale: its first runs bootstrap it, and their failures alert on their own.
"""

# No ``from __future__ import annotations``: Dagster checks the check's context hint as a class.

import time

import dagster as dg

from erp_shopify.defs.inventory.assets import inventory_levels
from erp_shopify.defs.resources import NotifierResource, SettingsResource
from erp_shopify.defs.shops import latest_materialization
from erp_shopify.notify import Alert, Severity

INVENTORY_LEVELS = dg.AssetKey("inventory_levels")
CHECK_NAME = "inventory_fresh"
FRESHNESS_CRON = "*/5 * * * *"


def inventory_ages(instance: dg.DagsterInstance, shops: list[str], now: float) -> dict[str, float | None]:
    """Seconds since each shop's latest ``inventory_levels`` materialization (None: never)."""
    records = {shop: latest_materialization(instance, INVENTORY_LEVELS, shop) for shop in shops}
    return {shop: None if record is None else now - record.timestamp for shop, record in records.items()}


def _previously_stale(instance: dg.DagsterInstance) -> set[str]:
    """The shops the last finished evaluation named (this run's own is only planned so far)."""
    history = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(INVENTORY_LEVELS, CHECK_NAME), limit=5
    )
    finished = (r.event.asset_check_evaluation for r in history if r.event and r.event.asset_check_evaluation)
    evaluation = next(finished, None)
    listed = evaluation.metadata.get("stale_shops") if evaluation else None
    return set(str(listed.value).split(", ")) - {""} if listed else set()


def _age(seconds: float | None) -> str:
    return "never synced" if seconds is None else f"{seconds / 60:.0f} min"


@dg.asset_check(
    asset=inventory_levels,
    name=CHECK_NAME,
    description="Every shop's inventory synced within inventory.stale_after_minutes; names the shops that did "
    "not, and alerts operations (P1) when a shop turns stale.",
)
def inventory_fresh(
    context: dg.AssetCheckExecutionContext, settings: SettingsResource, notifier: NotifierResource
) -> dg.AssetCheckResult:
    limit = settings.settings.inventory.stale_after_minutes * 60
    ages = inventory_ages(context.instance, settings.settings.shop_names, time.time())
    stale = sorted(shop for shop, age in ages.items() if age is not None and age > limit)
    newly = [shop for shop in stale if shop not in _previously_stale(context.instance)]
    if newly:
        alert = Alert(
            Severity.P1,
            "operations",
            f"inventory of {', '.join(newly)} not synced for over {limit / 60:g} min",
            "\n".join(f"{shop}: last synced {_age(ages[shop])} ago" for shop in newly)
            + "\nSee the shop's inventory_sync runs (and `erp-shopify status`).",
        )
        notifier.notifier(context.log).send(alert)
    return dg.AssetCheckResult(
        passed=not stale,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "stale_shops": ", ".join(stale),
            "stale_after_minutes": settings.settings.inventory.stale_after_minutes,
            "ages": dg.MetadataValue.md("\n".join(f"- {shop}: {_age(age)}" for shop, age in ages.items())),
        },
    )


inventory_freshness_job = dg.define_asset_job(
    "inventory_freshness",
    selection=dg.AssetSelection.checks(inventory_fresh),
    description="Checks that every shop's inventory synced recently (the inventory_fresh check).",
    tags={"domain": "inventory"},
)


@dg.schedule(
    job=inventory_freshness_job,
    cron_schedule=FRESHNESS_CRON,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Runs the inventory_fresh check every five minutes.",
)
def inventory_freshness_schedule() -> dg.RunRequest:
    return dg.RunRequest()
