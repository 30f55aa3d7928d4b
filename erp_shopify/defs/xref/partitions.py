"""Shops are partitions: every per-shop asset is partitioned by this one dynamic definition, whose
keys follow the shops configuration (the sensor below and ``erp-shopify shops sync``)."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

SHOPS = "shops"
shops_partitions = dg.DynamicPartitionsDefinition(name=SHOPS)


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
