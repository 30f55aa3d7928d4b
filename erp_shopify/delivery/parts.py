"""The queue parts delivery works on, built from one Redis client and key prefix, and the per-shop
facts it needs from the configuration (mapping, secrets to scrub).

An order's SKUs map through the table the shop's last ``sku_xref`` build published in the
configured Redis (``queue.sku_table``), which is where the Dagster jobs keep the queue too."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import redis
from pydantic import BaseModel

from erp_shopify.config import Secret, Settings
from erp_shopify.errors import DataError
from erp_shopify.mapping.orders import OrderMapping
from erp_shopify.mapping.xref import SkuLookup
from erp_shopify.store.dlq import DeadLetterQueue
from erp_shopify.store.ledger import Ledger
from erp_shopify.store.pause import PauseFlags
from erp_shopify.store.pending import PendingUnits
from erp_shopify.store.sku_table import SkuTable
from erp_shopify.store.stream import EventStream


@dataclass(frozen=True)
class QueueParts:
    stream: EventStream
    ledger: Ledger
    dead_letters: DeadLetterQueue
    pauses: PauseFlags
    pending: PendingUnits

    @classmethod
    def connect(cls, client: redis.Redis, prefix: str, **stream_options: Any) -> QueueParts:
        return cls(
            stream=EventStream(client, prefix, **stream_options),
            ledger=Ledger(client, prefix),
            dead_letters=DeadLetterQueue(client, prefix),
            pauses=PauseFlags(client, prefix),
            pending=PendingUnits(client, prefix),
        )


def erp_connection(settings: Settings) -> str:
    """The pause-flag name of the configured ERP connection (``erp:sap``)."""
    return f"erp:{settings.erp.kind}"


def order_mapping(settings: Settings, shop: str) -> OrderMapping:
    """How ``shop``'s orders map; an event from a shop no longer configured is a data error."""
    try:
        config = settings.shop(shop)
    except KeyError as exc:
        raise DataError(str(exc.args[0]), codes=("UNKNOWN_SHOP",), system="config") from None
    table = SkuTable(_redis(settings.redis.url), settings.redis.key_prefix)
    lookup = SkuLookup(config.sku_overrides, published=lambda sku: table.item_code(shop, sku))
    return OrderMapping(shop=shop, sku_xref=lookup, currency=config.currency)


@functools.cache
def _redis(url: str) -> redis.Redis:
    """One client (one connection pool) per Redis URL for the process: mappings are built per
    batch and shop, their lookups read the published SKU table one SKU at a time."""
    return redis.Redis.from_url(url)


def secret_values(settings: Settings) -> list[str]:
    """Every secret the configuration names that is set in the environment: scrubbed from the DLQ."""
    return [value for secret in _secrets(settings) if (value := os.environ.get(secret.env))]


def _secrets(node: Any) -> Iterator[Secret]:
    if isinstance(node, Secret):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _secrets(getattr(node, name))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _secrets(item)
