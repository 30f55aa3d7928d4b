"""Oracle end to end: the Oracle sandbox's item master and shipments through the product and
fulfillment syncs into the Shopify sandbox, with real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from erp_shopify.config import ProductsConfig, ShopConfig
from erp_shopify.erp.oracle.adapter import OracleAdapter
from erp_shopify.mapping.orders import external_ref
from erp_shopify.sync.fulfillments import FulfillmentSync
from erp_shopify.sync.products import ProductSync
from erp_shopify_sandbox.oracle import SEED_ORGANIZATION, SEED_SUBINVENTORIES, OracleSandbox
from erp_shopify_sandbox.shopify.ids import gid, legacy_id
from erp_shopify_tests.test_erp.harness_oracle import QUICK_RETRIES, oracle_config, sandbox_environment
from erp_shopify_tests.test_sync.shipping import remaining
from erp_shopify_tests.test_sync.world import FAST_RETRY, World, sku, world

SHOP = "shop-a"


@contextmanager
def oracle_world(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> Iterator[tuple[World, OracleSandbox, OracleAdapter]]:
    with world(tmp_path, redis_url, key_prefix, items=2, stock=None) as w:
        oracle = OracleSandbox().start()
        try:
            with sandbox_environment(oracle):
                adapter = OracleAdapter(oracle_config(oracle), page_size=2, retry=QUICK_RETRIES)
            with adapter:
                yield w, oracle, adapter
        finally:
            oracle.stop()


def oracle_shop(w: World) -> ShopConfig:
    """The shop with Oracle's locations (organization/subinventory) in place of SAP's plants."""
    locations = {f"{SEED_ORGANIZATION}/{s}": gid("Location", i) for i, s in enumerate(SEED_SUBINVENTORIES)}
    return w.shop(SHOP).model_copy(update={"locations": locations})


def put_items(oracle: OracleSandbox, *specs: dict[str, Any]) -> None:
    httpx.put(f"{oracle.url}/_sandbox/items", json=list(specs)).raise_for_status()


def test_oracle_styles_become_shopify_products_with_their_skus(tmp_path: Path, redis_url: str, key_prefix: str) -> None:
    with oracle_world(tmp_path, redis_url, key_prefix) as (w, oracle, adapter):
        put_items(
            oracle,
            {"ItemNumber": "TEE", "ItemDescription": "Blue tee", "ItemClass": "Apparel", "StyleItemFlag": True},
            {"ItemNumber": "TEE-S", "StyleItemNumber": "TEE", "dff": {"size": "S"}},
            {"ItemNumber": "TEE-M", "StyleItemNumber": "TEE", "dff": {"size": "M"}},
        )
        sync = ProductSync(oracle_shop(w), w.client(SHOP), adapter, w.redis(), w.key_prefix, ProductsConfig())
        first = sync.run(None)
        assert (first.created, first.refused) == (6, [])  # the style and the five seed items
        [variant] = w.shops[SHOP].control.variants(["TEE-S"])
        product = w.shops[SHOP].control.product(variant["product_id"])
        assert (product["title"], product["product_type"]) == ("Blue tee", "Apparel")
        assert sorted(v["sku"] for v in product["variants"]) == ["TEE-M", "TEE-S"]
        put_items(oracle, {"ItemNumber": "TEE-M", "ItemStatusValue": "Inactive"})
        second = sync.run(first.watermark)
        assert (second.read, second.updated, second.created) == (1, 1, 0)


def test_an_oracle_shipment_fulfils_the_shopify_order_with_its_waybill(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with oracle_world(tmp_path, redis_url, key_prefix) as (w, oracle, adapter):
        put_items(oracle, {"ItemNumber": sku(0), "ItemDescription": "Item 0"})
        order = w.shops[SHOP].sandbox.state.place_order([(sku(0), 3)], location=0)
        reference = external_ref(SHOP, str(legacy_id("Order", order.index)))
        body = {
            "SourceTransactionSystem": "SHOPIFY",
            "SourceTransactionId": reference,
            "BuyingPartyNumber": "1006",
            "lines": [{"ProductNumber": sku(0), "OrderedQuantity": 3}],
        }
        oracle.pod.create_order(body)  # as order delivery booked it
        ship = {"order": reference, "item": sku(0), "quantity": 2, "waybill": "1Z0001", "carrier": "UPS"}
        httpx.post(f"{oracle.url}/_sandbox/shipments", json=ship).raise_for_status()
        sync = FulfillmentSync(oracle_shop(w), w.client(SHOP), adapter, w.redis(), w.key_prefix, retry=FAST_RETRY)
        first = sync.run(None)
        assert (first.fulfilled, first.data_errors) == (1, 0)
        assert remaining(w, order.index) == {sku(0): 1}
        [made] = w.shops[SHOP].sandbox.state.fulfillment.fulfillments
        assert [t.number for t in made.tracking] == ["1Z0001"]
        again = sync.run(first.watermark)
        assert (again.fulfilled, len(w.shops[SHOP].sandbox.state.fulfillment.fulfillments)) == (0, 1)
