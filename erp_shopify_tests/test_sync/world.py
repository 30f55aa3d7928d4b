"""A real world for sync tests: the SAP sandbox as ERP, one Shopify sandbox per shop, real Redis.

Catalogues line up by construction: the Shopify sandbox seeds SKUs ``SKU-0000000``... and the SAP
sandbox gets materials of the same codes, so the xref maps them by identity.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import redis
import yaml

from erp_shopify.config import Settings, ShopConfig, parse_settings
from erp_shopify.erp.sap.adapter import SapAdapter
from erp_shopify.mapping.xref import XrefResult
from erp_shopify.retrying import RetryPolicy
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.connection import connect
from erp_shopify.sync.xref import build_shop_xref
from erp_shopify_sandbox.sap import PASSWORD, USERNAME, SapSandbox
from erp_shopify_sandbox.shopify import RunningShopifySandbox, start_shopify_sandbox
from erp_shopify_sandbox.shopify.ids import gid

PLANT_LOCATIONS = ("1010/0001", "1010/0002")
FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.05)


def sku(n: int) -> str:
    return f"SKU-{n:07d}"


@dataclass
class World:
    sap: SapSandbox
    shops: dict[str, RunningShopifySandbox]
    settings: Settings
    redis_url: str
    key_prefix: str
    config_path: Path
    _clients: list[ShopifyClient] = field(default_factory=list)

    def shop(self, name: str) -> ShopConfig:
        return self.settings.shop(name)

    def client(self, name: str) -> ShopifyClient:
        client = ShopifyClient.for_shop(self.shop(name), retry_policy=FAST_RETRY)
        self._clients.append(client)
        return client

    def adapter(self, **options: Any) -> SapAdapter:
        options.setdefault("overlap", timedelta(seconds=30))
        return SapAdapter(self.settings.erp, retry=FAST_RETRY, **options)  # type: ignore[arg-type]

    def redis(self) -> redis.Redis:
        return connect(self.settings.redis)

    def xref(self, name: str) -> XrefResult:
        adapter = self.adapter()
        try:
            return build_shop_xref(self.shop(name), self.client(name), adapter, bulk=False)
        finally:
            adapter.close()

    def set_erp_stock(self, quantities: dict[str, int], location: str = "1010/0001", *, minutes_ago: int = 0) -> None:
        """Post SAP inventory differences so each material shows ``quantity`` (one journal entry each)."""
        plant, storage_location = location.split("/")
        at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        for material, quantity in quantities.items():
            self.sap.store.set_quantity(material, plant, storage_location, Decimal(quantity), at=at)

    def shopify_available(self, name: str, location_index: int = 0) -> dict[str, int]:
        """SKU -> available at one location, read from the sandbox's own state."""
        state = self.shops[name].sandbox.state
        with state.lock:
            column = state.levels[location_index]["available"]
            return {state.skus[i]: column[i] for i in range(state.variant_count)}

    def write_calls(self, name: str) -> int:
        return self.shops[name].sandbox.state.write_calls.get("inventorySetQuantities", 0)


def settings_data(
    sap: SapSandbox,
    shops: dict[str, RunningShopifySandbox],
    key_prefix: str,
    redis_url: str,
    shop_extra: dict[str, Any] | None = None,
    *,
    cluster: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "erp": {
            "kind": "sap",
            "base_url": sap.odata_url,
            "username": {"env": "WORLD_SAP_USER"},
            "password": {"env": "WORLD_SAP_PASSWORD"},
        },
        "redis": {"url": redis_url, "key_prefix": key_prefix, "cluster": cluster},
        "shops": [
            {
                "name": name,
                "domain": f"{name}.myshopify.com",
                "api_url": sandbox.url,
                "access_token": {"env": "WORLD_SHOPIFY_TOKEN"},
                "webhook_secret": {"env": "WORLD_WEBHOOK_SECRET"},
                "locations": {code: gid("Location", i) for i, code in enumerate(PLANT_LOCATIONS)},
                **(shop_extra or {}),
            }
            for name, sandbox in shops.items()
        ],
        **extra,
    }


@contextmanager
def world(
    tmp_path: Path,
    redis_url: str,
    key_prefix: str,
    *,
    items: int = 300,
    shops: tuple[str, ...] = ("shop-a",),
    sap_page_size: int = 1000,
    stock: int | None = 7,
    cluster: bool = False,
    **settings_extra: Any,
) -> Iterator[World]:
    """``items`` materials in SAP (stock ``stock`` at 1010/0001, one journal entry each) and the
    same SKUs in every shop (0 available at both locations); ``cluster``: ``redis_url`` names a
    node of a Redis Cluster."""
    os.environ.update(
        WORLD_SAP_USER=USERNAME,
        WORLD_SAP_PASSWORD=PASSWORD,
        WORLD_SHOPIFY_TOKEN="shpat_world",
        WORLD_WEBHOOK_SECRET="world-webhook-secret",
    )
    with ExitStack() as stack:
        sap = SapSandbox(page_size=sap_page_size).start()
        stack.callback(sap.stop)
        for n in range(items):
            sap.store.add_material(sku(n))
        running: dict[str, RunningShopifySandbox] = {}
        for name in shops:
            sandbox = start_shopify_sandbox(
                shop_domain=f"{name}.myshopify.com",
                access_token="shpat_world",
                webhook_secret="world-webhook-secret",
                locations=0,
            )
            stack.callback(sandbox.stop)
            sandbox.sandbox.state.seed(items, locations=len(PLANT_LOCATIONS), available=0)
            running[name] = sandbox
        data = settings_data(sap, running, key_prefix, redis_url, cluster=cluster, **settings_extra)
        config_path = tmp_path / "shops.yaml"
        config_path.write_text(yaml.safe_dump(data))
        the_world = World(sap, running, parse_settings(data), redis_url, key_prefix, config_path)
        stack.callback(lambda: [c.close() for c in the_world._clients])
        if stock is not None:
            the_world.set_erp_stock({sku(n): stock for n in range(items)}, minutes_ago=60)
        yield the_world
