"""What every domain in ``defs/`` shares: shops are partitions.

Every per-shop asset is partitioned by the one dynamic ``shops`` definition here, whose keys follow
the shops configuration (``shops_partitions_sensor`` below, and ``erp-shopify shops sync``). Here
too: one run request per shop for the schedules, the settings the definitions need when they load,
and the helpers that read and write asset metadata per shop.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import TypeVar

import dagster as dg
import pandas as pd

from erp_shopify.config import CONFIG_ENV, DEFAULT_CONFIG, Settings, load_settings
from erp_shopify.defs.resources import SettingsResource

T = TypeVar("T")

SHOPS = "shops"
shops_partitions = dg.DynamicPartitionsDefinition(name=SHOPS)

SAMPLE_ROWS = 10


def partition_changes(configured: Iterable[str], existing: Iterable[str]) -> tuple[list[str], list[str]]:
    """(to add, to remove) so that the partitions equal the configured shops."""
    configured, existing = list(configured), list(existing)
    return [s for s in configured if s not in existing], sorted(s for s in existing if s not in configured)


def sync_shop_partitions(instance: dg.DagsterInstance, configured: Iterable[str]) -> tuple[list[str], list[str]]:
    """Apply the changes to an instance; returns what changed."""
    added, removed = partition_changes(configured, instance.get_dynamic_partitions(SHOPS))
    if added:
        instance.add_dynamic_partitions(SHOPS, added)
    for shop in removed:
        instance.delete_dynamic_partition(SHOPS, shop)
    return added, removed


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Keeps the shops partitions equal to the shops file: adds new shops, removes unconfigured ones.",
)
def shops_partitions_sensor(context: dg.SensorEvaluationContext, settings: SettingsResource) -> dg.SensorResult:
    """Adds newly configured shops and removes shops no longer configured."""
    existing = context.instance.get_dynamic_partitions(SHOPS)
    added, removed = partition_changes(settings.settings.shop_names, existing)
    requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
    if added:
        requests.append(shops_partitions.build_add_request(added))
    if removed:
        requests.append(shops_partitions.build_delete_request(removed))
    return dg.SensorResult(dynamic_partitions_requests=requests, skip_reason=None if requests else "shops unchanged")


def per_shop(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    """One run request per shop partition for this tick (``build_schedule_from_partitioned_job``
    does not take dynamic partitions); the run key makes a tick's request for a shop unique."""
    tick = context.scheduled_execution_time.isoformat()
    return [
        dg.RunRequest(run_key=f"{shop}:{tick}", partition_key=shop)
        for shop in context.instance.get_dynamic_partitions(SHOPS)
    ]


def at_load(read: Callable[[Settings], T | None], default: T) -> T:
    """A setting the definitions need when they load (a cron, a sensor interval): read from the
    shops file, else ``default``. Only a checkout with no shops file at all (none named by
    ``$ERP_SHOPIFY_CONFIG``, no ``config/shops.yaml``: a fresh clone, CI) loads with the defaults; a
    named file that is missing or invalid raises its ``ConfigError`` (file, shop and field), so the
    code location fails to load and ``dg check defs`` and the UI say why, instead of a configured
    cron silently falling back to the default."""
    if not os.environ.get(CONFIG_ENV) and not DEFAULT_CONFIG.exists():
        return default
    value = read(load_settings())
    return default if value is None else value


def latest_materialization(instance: dg.DagsterInstance, asset_key: dg.AssetKey, shop: str) -> dg.EventLogRecord | None:
    """``shop``'s latest materialization of the asset (None when it has none): other shops' runs
    never move it."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=[shop]), limit=1
    ).records
    return records[0] if records else None


def latest_metadata(instance: dg.DagsterInstance, asset_key: dg.AssetKey, shop: str, key: str) -> object:
    """A metadata value of ``shop``'s latest materialization of the asset (None when absent)."""
    record = latest_materialization(instance, asset_key, shop)
    materialization = record.asset_materialization if record else None
    value = materialization.metadata.get(key) if materialization else None
    return None if value is None else value.value


def table_sample(frame: pd.DataFrame, rows: int = SAMPLE_ROWS) -> dg.MetadataValue:
    """The first rows of a table as markdown metadata, ``(none)`` for an empty one."""
    return dg.MetadataValue.md(frame.head(rows).to_markdown(index=False) if not frame.empty else "(none)")


def human_watermark(raw: object) -> str | None:
    """SAP's inventory watermark is opaque JSON (``{"at": ..., "seen": [...]}``): its time plus a
    short position; any other watermark (a timestamp) as it is."""
    if raw is None or raw == "":
        return None
    try:
        data = json.loads(str(raw))
    except ValueError:
        return str(raw)[:40]
    if not isinstance(data, dict) or "at" not in data:
        return str(raw)[:40]
    seen = data.get("seen") or []
    if isinstance(seen, dict):  # a shipment cursor: the documents handed out in its overlap window
        return f"{data['at']} ({len(seen)} in the window)"
    position = f" (seen {seen[-1]}{f' +{len(seen) - 1} more' if len(seen) > 1 else ''})" if seen else ""
    return f"{data['at']}{position}"


# Who answers for the sync's assets in the UI (Dagster owners are "team:<name>" or an email).
OWNERS = ["team:integration"]


def kinds(*others: str) -> set[str]:
    """An asset's kinds for the UI: the configured ERP (its icon, e.g. ``sap``) plus ``others``."""
    return {at_load(lambda s: s.erp.kind, "erp"), *others}
