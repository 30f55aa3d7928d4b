"""The SKU xref reaches order delivery: a Dagster ``sku_xref`` materialization publishes each
shop's SKU -> ERP item table, and delivery to the real SAP sandbox maps order lines through it."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import redis

from erp_shopify.delivery import Outcome, QueueParts, ReplaySelection, deliver_batch, replay
from erp_shopify.notify import Notifier
from erp_shopify.store.stream import InboundEvent
from erp_shopify_tests.test_defs.dagster_world import materialize, metadata
from erp_shopify_tests.test_mapping.order_payloads import order_payload
from erp_shopify_tests.test_sync.world import sku, world


def test_a_line_sku_differing_by_case_reaches_sap_as_the_item_the_xref_mapped(
    tmp_path: Path, redis_url: str, key_prefix: str, redis_client: redis.Redis
) -> None:
    with world(tmp_path, redis_url, key_prefix, items=10) as w, dg.instance_for_test() as instance:
        w.shops["shop-a"].sandbox.state.set_variant(7, sku="sku-0000007")  # SAP's material is SKU-0000007
        parts = QueueParts.connect(redis_client, key_prefix)
        payload = order_payload(7, [("sku-0000007", 2, "19.90")])
        body = json.dumps(payload).encode()
        parts.stream.append(InboundEvent("shop-a", "orders/create", "evt-7", payload["admin_graphql_api_id"], body))
        adapter = w.adapter()

        def deliver() -> list[Outcome]:
            batch = parts.stream.claim_batch("test", 10)
            return list(deliver_batch(batch, adapter, parts, w.settings, Notifier(None), owner="t").outcomes.values())

        try:
            assert deliver() == [Outcome.DEAD_LETTERED]  # no table yet: sent as-is, SAP refuses it
            [letter] = parts.dead_letters.list()
            error = letter.response_body["error"]
            assert error["code"] == "V1/392" and "Material sku-0000007 is not defined" in error["message"]["value"]

            built = materialize(w, instance, "shop-a", "sku_xref")
            assert built.success and metadata(built, "sku_xref")["published_skus"] == 10

            replay(parts, ReplaySelection(everything=True))
            assert deliver() == [Outcome.DELIVERED]
        finally:
            adapter.close()
        [order] = [o for o in w.sap.store.orders if o["PurchaseOrderByCustomer"].endswith("-7")]
        items = [(i["Material"], i["RequestedQuantity"]) for i in order["to_Item"]]
        assert items == [(sku(7), 2), ("SHIPPING", 1)]  # the order's 4.90 shipping is an item of its own
