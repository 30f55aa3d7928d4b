"""SHARED STOCK: shops that sell the same ERP stock hold back each other's orders not yet in the ERP;
a shop with stock of its own is never written by another's sale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from erp_shopify.config import parse_settings
from erp_shopify.defs.inventory.sensors import shared_stock_sensor
from erp_shopify.defs.resources import RedisResource, SettingsResource
from erp_shopify_sandbox.shopify.ids import gid
from erp_shopify_tests.test_sync.storm import Storm
from erp_shopify_tests.test_sync.world import World, settings_data, sku, world

# shop-a and shop-b both sell warehouse 1010/0001; shop-c sells only 1010/0002.
SHARED = {"1010/0001": gid("Location", 0)}
OWN = {"1010/0002": gid("Location", 1)}


def _split_world(w: World) -> None:
    """Give shop-c a stock of its own (the world maps every shop to both warehouses)."""
    data = settings_data(w.sap, w.shops, w.key_prefix, w.redis_url)
    for shop in data["shops"]:
        shop["locations"] = OWN if shop["name"] == "shop-c" else SHARED
    w.settings = parse_settings(data)
    w.config_path.write_text(yaml.safe_dump(data))


@pytest.mark.slow
def test_a_sale_in_one_shop_lowers_the_shop_that_shares_its_stock_and_never_touches_another(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=4, shops=("shop-a", "shop-b", "shop-c")) as w:
        _split_world(w)
        w.set_erp_stock({sku(n): 6 for n in range(4)}, location="1010/0002", minutes_ago=60)
        storm = Storm(w)
        try:
            for shop in ("shop-a", "shop-b", "shop-c"):
                storm.sync(shop)
            calls_c = w.write_calls("shop-c")
            order = storm.order("shop-a", sku(1), 3)
            assert order is not None and storm.shown("shop-a")[sku(1)] == 4  # Shopify took them at once
            storm.release(lambda h: True)  # the orders/create reaches us: 3 units pending in shop-a

            for shop in ("shop-b", "shop-c"):
                storm.sync(shop)
            assert storm.shown("shop-b")[sku(1)] == 4  # 7 in the ERP, 3 sold in shop-a
            assert w.shopify_available("shop-c", location_index=1)[sku(1)] == 6
            assert w.write_calls("shop-c") == calls_c  # separate stock: not a single write

            storm.deliver()  # the ERP takes the 3 units: shop-b's hold moves into the ERP's stock
            for shop in ("shop-a", "shop-b"):
                storm.sync(shop)
            assert (storm.shown("shop-a")[sku(1)], storm.shown("shop-b")[sku(1)]) == (4, 4)
            assert storm.erp_available(sku(1)) == 4
        finally:
            storm.close()


def _evaluate(instance: dg.DagsterInstance, w: World, cursor: str | None) -> Any:
    """One tick of the sensor against the world's shops file and Redis."""
    settings = SettingsResource(config_path=str(w.config_path))
    resources = {"settings": settings, "redis": RedisResource(config=settings)}
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
        return shared_stock_sensor(context)


@pytest.mark.slow
def test_the_shared_stock_sensor_launches_only_the_peers_of_a_shop_whose_pending_units_moved(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=2, shops=("shop-a", "shop-b", "shop-c")) as w:
        _split_world(w)
        storm = Storm(w)
        try:
            with dg.instance_for_test() as instance:
                first = _evaluate(instance, w, None)
                assert sorted(r.partition_key for r in first.run_requests) == ["shop-a", "shop-b"]
                quiet = _evaluate(instance, w, first.cursor)
                assert quiet.run_requests == [] and quiet.skip_reason.skip_message == "no change"

                storm.sync("shop-a")
                assert storm.order("shop-a", sku(0), 2) is not None
                storm.release(lambda h: True)  # pending units of shop-a move
                moved = _evaluate(instance, w, first.cursor)
                assert [r.partition_key for r in moved.run_requests] == ["shop-b"]
        finally:
            storm.close()
