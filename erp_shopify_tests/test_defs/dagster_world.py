"""Run the per-shop assets through a real Dagster instance against the sandbox world."""

from __future__ import annotations

from typing import Any

import dagster as dg

from erp_shopify.defs.inventory.assets import WATERMARK, inventory_levels
from erp_shopify.defs.pricing.assets import price_changes, prices
from erp_shopify.defs.resources import deployment_resources
from erp_shopify.defs.shops import sync_shop_partitions
from erp_shopify.defs.xref.assets import sku_xref
from erp_shopify_tests.test_sync.world import World

ASSETS = [sku_xref, inventory_levels, price_changes, prices]


def resources(w: World) -> dict[str, Any]:
    return deployment_resources(str(w.config_path))


def materialize(
    w: World, instance: dg.DagsterInstance, shop: str, *selection: str, full_resync: bool = False
) -> dg.ExecuteInProcessResult:
    sync_shop_partitions(instance, w.settings.shop_names)
    run_config = {"ops": {"inventory_levels": {"config": {"full_resync": full_resync}}}}
    return dg.materialize(
        ASSETS,
        instance=instance,
        resources=resources(w),
        partition_key=shop,
        selection=list(selection),
        run_config=run_config if "inventory_levels" in selection else None,
        raise_on_error=False,
    )


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    (event,) = [m for m in result.get_asset_materialization_events() if m.asset_key.to_user_string() == asset]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def watermark(result: dg.ExecuteInProcessResult) -> Any:
    return metadata(result, "inventory_levels")[WATERMARK]


def check_passed(result: dg.ExecuteInProcessResult, name: str) -> bool:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation.passed
