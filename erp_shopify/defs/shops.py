"""What every domain in ``defs/`` shares: shops are partitions.

Every per-shop asset is partitioned by the one dynamic ``shops`` definition here, whose keys follow
the shops configuration (``shops_partitions_sensor`` below, and ``erp-shopify shops sync``). Here
too: one run request per shop for the schedules, the settings the definitions need when they load,
and the helpers that read and write asset metadata per shop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import dagster as dg
import pandas as pd

from erp_shopify.config import ConfigError, Settings, load_settings
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


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
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
    shops file, else ``default``, also when there is no file yet (a fresh checkout, CI)."""
    try:
        value = read(load_settings())
    except ConfigError:
        return default
    return default if value is None else value


def latest_metadata(instance: dg.DagsterInstance, asset_key: dg.AssetKey, shop: str, key: str) -> object:
    """A metadata value of ``shop``'s latest materialization of the asset (None when absent):
    other shops' runs never move it."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=[shop]), limit=1
    ).records
    materialization = records[0].asset_materialization if records else None
    value = materialization.metadata.get(key) if materialization else None
    return None if value is None else value.value


def table_sample(frame: pd.DataFrame, rows: int = SAMPLE_ROWS) -> dg.MetadataValue:
    """The first rows of a table as markdown metadata, ``(none)`` for an empty one."""
    return dg.MetadataValue.md(frame.head(rows).to_markdown(index=False) if not frame.empty else "(none)")
