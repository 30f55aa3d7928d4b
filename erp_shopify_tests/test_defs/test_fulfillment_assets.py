"""``fulfillments`` in a real Dagster instance: the watermark round-trips through materialization
metadata per shop, and a kept bad delivery fails the check (with delivery and order named) while
the good ones are fulfilled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from erp_shopify.defs.fulfillments.assets import NO_DATA_ERRORS, fulfillments
from erp_shopify.defs.shops import sync_shop_partitions
from erp_shopify_tests.test_defs.dagster_world import check_passed, metadata, resources
from erp_shopify_tests.test_sync.shipping import book_order, remaining, ship
from erp_shopify_tests.test_sync.world import World, sku, world


def _materialize(w: World, instance: dg.DagsterInstance, **config: Any) -> dg.ExecuteInProcessResult:
    sync_shop_partitions(instance, w.settings.shop_names)
    return dg.materialize(
        [fulfillments],
        instance=instance,
        resources=resources(w),
        partition_key="shop-a",
        run_config={"ops": {"fulfillments": {"config": config}}} if config else None,
        raise_on_error=False,
    )


@pytest.mark.slow
def test_the_watermark_round_trips_and_a_bad_delivery_fails_the_check_while_the_rest_flows(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=3) as w, dg.instance_for_test() as instance:
        order, sales_order = book_order(w, {sku(0): 2})
        ship(w, sales_order, {sku(0): 1})
        first = _materialize(w, instance)
        assert first.success and check_passed(first, NO_DATA_ERRORS)
        meta = metadata(first, "fulfillments")
        assert (meta["fulfilled"], meta["previous_watermark"]) == (1, None)

        _, unknown = book_order(w, {sku(1): 1})
        w.sap.store.order(unknown)["PurchaseOrderByCustomer"] = "shop-a-5600000000777"
        bad = ship(w, unknown)
        ship(w, sales_order, {sku(0): 1})
        second = _materialize(w, instance)
        meta = metadata(second, "fulfillments")
        assert meta["previous_watermark"] == metadata(first, "fulfillments")["watermark"]
        assert (meta["fulfilled"], meta["data_errors"]) == (1, 1)
        assert remaining(w, order) == {}
        assert not check_passed(second, NO_DATA_ERRORS)
        (evaluation,) = second.get_asset_check_evaluations()
        assert evaluation.metadata["kept"].value == 1
        assert bad in evaluation.metadata["kept_sample"].value
        assert "shop-a-5600000000777" in evaluation.metadata["kept_sample"].value

        replay = _materialize(w, instance, replay_data_errors=True)
        assert metadata(replay, "fulfillments")["replayed"] == 1
