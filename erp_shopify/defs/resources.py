"""The resources every domain shares, chosen in one place.

Each resource is a thin, typed factory over a plain client from ``erp_shopify.shopify``,
``erp_shopify.erp``, ``erp_shopify.store`` or ``erp_shopify.notify``; the clients know nothing of
Dagster. Secrets are not resource fields: the shops file names the environment variables that hold
them and the clients read them when built, so they never show in the UI or in run config.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import dagster as dg
import redis

from erp_shopify.config import Settings, load_settings

if TYPE_CHECKING:
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
    """Admin GraphQL clients, one per shop."""

    config: SettingsResource

    def client(self, shop: str) -> ShopifyClient:
        from erp_shopify.shopify.client import ShopifyClient

        return ShopifyClient.for_shop(self.config.settings.shop(shop))


class ErpResource(dg.ConfigurableResource):
    """The configured ERP behind the one adapter protocol."""

    config: SettingsResource

    def adapter(self) -> ErpAdapter:
        from erp_shopify.erp import build_adapter

        settings = self.config.settings
        return build_adapter(settings.erp, settings.inventory)


class RedisResource(dg.ConfigurableResource):
    """The Redis holding the order stream, ledgers, DLQ and pause flags."""

    config: SettingsResource

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.config.settings.redis.url)

    @property
    def key_prefix(self) -> str:
        return self.config.settings.redis.key_prefix


class NotifierResource(dg.ConfigurableResource):
    """Alerts to the log and to a Slack-compatible incoming webhook, if one is configured."""

    config: SettingsResource

    def notifier(self) -> Notifier:
        from erp_shopify.notify import Notifier

        secret = self.config.settings.alert_webhook_url
        return Notifier(secret.value() if secret else None)


@dg.definitions
def resources() -> dg.Definitions:
    settings = SettingsResource()
    return dg.Definitions(
        resources={
            "settings": settings,
            "shopify": ShopifyResource(config=settings),
            "erp": ErpResource(config=settings),
            "redis": RedisResource(config=settings),
            "notifier": NotifierResource(config=settings),
        }
    )
