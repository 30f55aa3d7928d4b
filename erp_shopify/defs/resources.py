"""The resources every domain shares, and the one place that chooses them (``deployment_resources``).

Each resource hands out a plain client from ``erp_shopify.shopify``, ``erp_shopify.erp`` or
``erp_shopify.store`` that is a context manager, so an asset writes
``with erp.adapter() as adapter:`` and never closes anything by hand; the clients know nothing of
Dagster. Secrets are not resource fields: the shops file names the environment variables that hold
them and the clients read them when built, so they never show in the UI or in run config.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import dagster as dg
import redis

from erp_shopify.config import ConfigError, Settings, load_settings
from erp_shopify.store.connection import connect

IO_ENV = "ERP_SHOPIFY_IO"  # s3://bucket/prefix in a deployment whose runs share no disk

if TYPE_CHECKING:
    from erp_shopify.delivery import QueueParts
    from erp_shopify.erp.base import ErpAdapter
    from erp_shopify.notify import Notifier, RunLog
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
        return build_adapter(settings.erp, settings.inventory, settings.redis)


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

    def notifier(self, run_log: RunLog | None = None) -> Notifier:
        """``run_log``: the run's ``context.log``, so alerts also show in the run's log."""
        from erp_shopify.notify import Notifier

        return Notifier.for_settings(self.config.settings, run_log)


def io_manager(location: str | None = None) -> dg.ConfigurableIOManagerFactory:
    """Where the outputs that pass between runs (``sku_xref``, ``price_changes``) are kept:
    ``location`` (else ``$ERP_SHOPIFY_IO``). Empty: the filesystem under the instance's storage folder,
    for one machine (the demo, ``dagster dev``). ``s3://bucket/prefix``: an object store, for runs
    that share no disk (one container or pod per run), through Dagster's own S3 pickle IO manager;
    boto3 takes the credentials and ``AWS_ENDPOINT_URL`` (any S3-compatible store) from the
    environment, so none of them is in run config."""
    location = os.environ.get(IO_ENV, "") if location is None else location
    if not location:
        return dg.FilesystemIOManager()
    bucket = urlsplit(location)
    if bucket.scheme != "s3" or not bucket.netloc:
        raise ConfigError(f"${IO_ENV}={location!r}: expected s3://bucket/prefix, or nothing for the local disk")
    from dagster_aws.s3 import S3PickleIOManager, S3Resource

    prefix = bucket.path.strip("/") or "erp-shopify"
    return S3PickleIOManager(s3_resource=S3Resource(), s3_bucket=bucket.netloc, s3_prefix=prefix)


def deployment_resources(config_path: str = "") -> dict[str, Any]:
    """The resources of every deployment, chosen here and nowhere else: the code location, the tests
    and the demo all call this. Deployments differ by their shops file (``config_path``, else
    ``$ERP_SHOPIFY_CONFIG``), their Dagster instance (``dagster.yaml``, ``deploy/dagster.yaml``) and
    where outputs pass between runs (``io_manager``: ``$ERP_SHOPIFY_IO``), not by code.
    """
    settings = SettingsResource(config_path=config_path)
    return {
        "settings": settings,
        "shopify": ShopifyResource(config=settings),
        "erp": ErpResource(config=settings),
        "redis": RedisResource(config=settings),
        "notifier": NotifierResource(config=settings),
        "io_manager": io_manager(),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=deployment_resources())
