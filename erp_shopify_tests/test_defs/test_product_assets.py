"""The ``products`` asset through a real Dagster instance: its watermark per shop partition, the
full resync as run config, refused products in metadata and the asset check, and the inventory
schedule rebuilding the xref when products created variants, so their stock flows next run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import httpx

from erp_shopify.defs.inventory.assets import WATERMARK
from erp_shopify.defs.inventory.schedules import BOOTSTRAP_TAG, NEW_VARIANTS_REASON, inventory_schedule
from erp_shopify.defs.products.assets import products
from erp_shopify.defs.products.schedules import product_resync_job, products_job, products_schedule
from erp_shopify.defs.shops import sync_shop_partitions
from erp_shopify_tests.test_defs.dagster_world import ASSETS, check_passed, materialize, metadata, resources
from erp_shopify_tests.test_sync.world import World, world


def put(w: World, *specs: dict[str, Any]) -> None:
    httpx.put(f"{w.sap.url}/_sandbox/products", json=list(specs)).raise_for_status()


def run_products(w: World, instance: dg.DagsterInstance, *, full_resync: bool = False) -> dg.ExecuteInProcessResult:
    sync_shop_partitions(instance, w.settings.shop_names)
    return dg.materialize(
        [*ASSETS, products],
        instance=instance,
        resources=resources(w),
        partition_key="shop-a",
        selection=["products"],
        run_config={"ops": {"products": {"config": {"full_resync": full_resync}}}},
    )


def test_products_keep_their_watermark_and_report_refusals(tmp_path: Path, redis_url: str, key_prefix: str) -> None:
    with world(tmp_path, redis_url, key_prefix, items=0, stock=None) as w, dg.instance_for_test() as instance:
        put(w, {"product": "MUG", "description": "Red mug"}, {"product": "BAD", "description": ""})
        first = run_products(w, instance)
        meta = metadata(first, "products")
        assert (meta["created"], meta["refused"]) == (1, 1)
        assert "BAD" in meta["refused_products"] and "INVALID_PRODUCT" in meta["refused_products"]
        assert not check_passed(first, "products_accepted_by_shopify")
        put(w, {"product": "BAD", "description": "Fixed"})  # the ERP fixes it: a new change stamp
        second = metadata(run_products(w, instance), "products")
        assert second["previous_watermark"] == meta[WATERMARK]
        assert (second["products_read"], second["created"], second["refused"]) == (1, 1, 0)
        resync = metadata(run_products(w, instance, full_resync=True), "products")
        assert (resync["products_read"], resync["unchanged"], resync["created"]) == (2, 2, 0)


def test_new_variants_make_the_next_inventory_run_rebuild_the_xref(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=3) as w, dg.instance_for_test() as instance:
        assert materialize(w, instance, "shop-a", "sku_xref").success
        tick = datetime(2026, 11, 27, 10, 10, tzinfo=UTC)
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=tick) as context:
            assert [r.asset_selection for r in inventory_schedule(context)] == [[dg.AssetKey("inventory_levels")]]
            put(w, {"product": "MUG", "description": "Red mug"})
            w.sap.store.add_material("MUG")
            w.set_erp_stock({"MUG": 5})
            assert metadata(run_products(w, instance), "products")["new_variants"] == 1
            [request] = inventory_schedule(context)
            assert request.asset_selection == [dg.AssetKey("sku_xref"), dg.AssetKey("inventory_levels")]
            assert request.tags[BOOTSTRAP_TAG] == NEW_VARIANTS_REASON
            run = materialize(w, instance, "shop-a", "sku_xref", "inventory_levels")
            assert run.success and w.shopify_available("shop-a")["MUG"] == 5  # stock flows to the new variant
            [after] = inventory_schedule(context)
            assert after.asset_selection == [dg.AssetKey("inventory_levels")]


def test_the_resync_job_carries_the_full_resync_tag_and_the_schedule_the_policy_cadence() -> None:
    assert products_job.tags["domain"] == "products" and "erp_shopify/full_resync" not in products_job.tags
    assert product_resync_job.tags["erp_shopify/full_resync"] == "true"
    assert products_schedule.cron_schedule == "*/5 * * * *"
