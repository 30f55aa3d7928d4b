"""The resources every domain shares, and the one place that chooses them (``deployment_resources``).

Each resource hands out a plain client from ``erp_shopify.shopify``, ``erp_shopify.erp`` or
``erp_shopify.store`` that is a context manager, so an asset writes
``with erp.adapter() as adapter:`` and never closes anything by hand; the clients know nothing of
Dagster. Secrets are not resource fields: the shops file names the environment variables that hold
them and the clients read them when built, so they never show in the UI or in run config.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import cached_property
from typing import TYPE_CHECKING, Any

import dagster as dg
import redis

from erp_shopify.config import Settings, load_settings
from erp_shopify.store.connection import connect

if TYPE_CHECKING:
    from erp_shopify.delivery import QueueParts
    from erp_shopify.erp.base import ErpAdapter
    from erp_shopify.notify import Notifier
    from erp_shopify.shopify.client import ShopifyClient


class SettingsResource(dg.ConfigurableResource):
    """The validated shops file (``$ERP_SHOPIFY_CONFIG`` or ``config/shops.yaml`` when empty)."""

    config_path: str = ""

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.config_path or None)


class ShopifyResource(dg.ConfigurableResource):
    """Admin GraphQL clients, one per shop: ``with shopify.client(shop) as client:``."""

    config: SettingsResource

    def client(self, shop: str) -> ShopifyClient:
        from erp_shopify.shopify.client import ShopifyClient

        return ShopifyClient.for_shop(self.config.settings.shop(shop))


class ErpResource(dg.ConfigurableResource):
    """The configured ERP behind the one adapter protocol: ``with erp.adapter() as adapter:``."""

    config: SettingsResource

    def adapter(self) -> ErpAdapter:
        from erp_shopify.erp import build_adapter

        settings = self.config.settings
        return build_adapter(settings.erp, settings.inventory)


class RedisResource(dg.ConfigurableResource):
    """The Redis holding the order stream, ledgers, DLQ, pause flags and the syncs' state:
    ``with redis.client() as client:``, or ``with redis.queue() as parts:`` for order delivery."""

    config: SettingsResource

    def client(self) -> redis.Redis:
        return connect(self.config.settings.redis)

    def queue(self) -> AbstractContextManager[QueueParts]:
        from erp_shopify.delivery import open_queue

        return open_queue(self.config.settings.redis)

    @property
    def key_prefix(self) -> str:
        return self.config.settings.redis.key_prefix


class NotifierResource(dg.ConfigurableResource):
    """Alerts to the log and to a Slack-compatible incoming webhook, if one is configured (it holds
    no connection: each alert is one request)."""

    config: SettingsResource

    def notifier(self) -> Notifier:
        from erp_shopify.notify import Notifier

        return Notifier.for_settings(self.config.settings)


def deployment_resources(config_path: str = "") -> dict[str, Any]:
    """The resources of every deployment, chosen here and nowhere else: the code location, the tests
    and the demo all call this. Deployments differ by their shops file (``config_path``, else
    ``$ERP_SHOPIFY_CONFIG``) and their Dagster instance (``dagster.yaml``, ``deploy/dagster.yaml``),
    not by code. ``sku_xref`` is stored by the filesystem IO manager under the instance's storage
    folder; a deployment whose runs share no disk (one pod per run) must choose another one here.
    """
    settings = SettingsResource(config_path=config_path)
    return {
        "settings": settings,
        "shopify": ShopifyResource(config=settings),
        "erp": ErpResource(config=settings),
        "redis": RedisResource(config=settings),
        "notifier": NotifierResource(config=settings),
        "io_manager": dg.FilesystemIOManager(),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=deployment_resources())
