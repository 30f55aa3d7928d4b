"""Keep the ``shops`` partitions in step with the shops configuration."""

import dagster as dg

from erp_shopify.defs.resources import SettingsResource
from erp_shopify.defs.xref.partitions import SHOPS, partition_changes, shops_partitions


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
