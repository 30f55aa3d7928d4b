"""The loop guard for prices, from outside: the real receiver subscribed to the Shopify sandbox's
``products/update`` webhooks, a price sync whose every write answer is held until Shopify has
delivered that write's echo, and a merchant's hand edit overwritten by the next price sync."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from erp_shopify.ingest.app import WEBHOOK_PATH, create_app
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.fingerprints import Fingerprints
from erp_shopify.store.price_snapshot import PriceSnapshot
from erp_shopify.sync.prices import PricePlan, plan_prices, write_prices
from erp_shopify_sandbox.server import ServerThread
from erp_shopify_sandbox.shopify.control import SandboxControl
from erp_shopify_tests.test_sync.world import FAST_RETRY, World, sku, world

SHOP = "shop-a"


def _wait(condition: Callable[[], Any], seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)
    return result


def delivered_product_updates(control: SandboxControl) -> int:
    return sum(1 for d in control.deliveries()["deliveries"] if d["topic"] == "products/update" and d["ok"])


class AnswerAfterEcho(httpx.BaseTransport):
    """Holds the answer to each retail price write until Shopify has delivered the write's
    ``products/update`` webhook to the receiver: the echo always arrives first."""

    def __init__(self, control: SandboxControl) -> None:
        self.control = control
        self.held = 0
        self._http = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        writes_prices = b"productVariantsBulkUpdate" in request.content
        before = delivered_product_updates(self.control) if writes_prices else 0
        response = self._http.handle_request(request)
        if writes_prices:
            response.read()
            _wait(lambda: delivered_product_updates(self.control) > before)
            self.held += 1
        return response

    def close(self) -> None:
        self._http.close()


@pytest.fixture
def priced_world(tmp_path: Path, redis_url: str, key_prefix: str) -> Iterator[tuple[World, str]]:
    """Four variants with ERP retail prices, and the receiver subscribed to the shop's webhooks."""
    with world(tmp_path, redis_url, key_prefix, items=4) as w:
        for n in range(4):
            w.sap.store.put_condition({"material": sku(n), "rate": f"{10 + n}.5", "currency": "USD"})
        with ServerThread(create_app(w.settings)) as receiver:
            w.shops[SHOP].control.subscribe("products/update", receiver.url + WEBHOOK_PATH)
            yield w, receiver.url


def sync_prices(w: World, client: ShopifyClient, xref: pd.DataFrame) -> tuple[PricePlan, dict[str, Any]]:
    """One price sync, as the price_changes and prices assets run it."""
    redis_client, adapter = w.redis(), w.adapter()
    try:
        guard, snapshot = Fingerprints(redis_client, w.key_prefix), PriceSnapshot(redis_client, w.key_prefix)
        last = snapshot.load(SHOP)
        plan = plan_prices(w.shop(SHOP), adapter, xref, last, Decimal(50), date.today(), guard.conflicts(SHOP))
        return plan, write_prices(client, plan, snapshot, guard, SHOP)
    finally:
        adapter.close()
        redis_client.close()


def receiver_counts(url: str) -> dict[str, int]:
    return httpx.get(url + "/healthz").json()["counts"]


def test_echoes_arriving_before_the_write_answers_are_never_conflicts(priced_world: tuple[World, str]) -> None:
    w, receiver_url = priced_world
    transport = AnswerAfterEcho(w.shops[SHOP].control)
    xref = w.xref(SHOP).xref
    with ShopifyClient.for_shop(w.shop(SHOP), transport=transport, retry_policy=FAST_RETRY) as client:
        _, counts = sync_prices(w, client, xref)
    assert (counts["prices_written"], transport.held) == (4, 4)  # one call per product, each answered late
    assert Fingerprints(w.redis(), w.key_prefix).conflicts(SHOP) == {}
    assert receiver_counts(receiver_url).get("echo") == 4 and "conflict" not in receiver_counts(receiver_url)


def test_a_hand_edited_price_is_a_conflict_until_the_next_price_sync_overwrites_it(
    priced_world: tuple[World, str],
) -> None:
    w, receiver_url = priced_world
    control = w.shops[SHOP].control
    xref = w.xref(SHOP).xref
    guard = Fingerprints(w.redis(), w.key_prefix)
    with ShopifyClient.for_shop(w.shop(SHOP), transport=AnswerAfterEcho(control), retry_policy=FAST_RETRY) as client:
        sync_prices(w, client, xref)
        edited = xref.loc[xref["sku"] == sku(2)].iloc[0]
        before = delivered_product_updates(control)
        merchant = w.client(SHOP)  # the merchant changes the price in Shopify's admin
        merchant.execute(
            "product_variants_bulk_update",
            {"productId": edited["product_id"], "variants": [{"id": edited["variant_id"], "price": "7.77"}]},
        )
        _wait(lambda: delivered_product_updates(control) > before)
        assert {k: c.values for k, c in guard.conflicts(SHOP).items()} == {edited["variant_id"]: {"price": "7.77"}}

        plan, counts = sync_prices(w, client, xref)  # the ERP has not changed: only the edit is undone
    assert list(plan.changes["variant_id"]) == [edited["variant_id"]]
    assert (counts["prices_written"], counts["conflicts_overwritten"]) == (1, 1)
    assert w.shops[SHOP].sandbox.state.prices[2] == "12.50"
    assert guard.conflicts(SHOP) == {}
    assert receiver_counts(receiver_url)["conflict"] == 1  # the edit; the overwrite's echo was ours
