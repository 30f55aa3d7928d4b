"""The queue parts delivery works on, built from one Redis client and key prefix, and the per-shop
facts it needs from the configuration (mapping, secrets to scrub).

An order's SKUs map through the table the shop's last ``sku_xref`` build published to the same
Redis (``store.sku_table``), read through the parts' own client: delivery opens no other."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis
from pydantic import BaseModel

from erp_shopify.config import RedisConfig, Secret, Settings
from erp_shopify.errors import DataError
from erp_shopify.mapping.orders import OrderMapping
from erp_shopify.mapping.xref import SkuLookup
from erp_shopify.store.connection import connect
from erp_shopify.store.dlq import DeadLetterQueue
from erp_shopify.store.erp_slots import ErpSlots
from erp_shopify.store.latency import DeliveryLatency
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
    skus: SkuTable
    latency: DeliveryLatency

    @classmethod
    def connect(cls, client: redis.Redis, prefix: str, **stream_options: Any) -> QueueParts:
        """The parts over a client the caller owns (and closes)."""
        return cls(
            stream=EventStream(client, prefix, **stream_options),
            ledger=Ledger(client, prefix),
            dead_letters=DeadLetterQueue(client, prefix),
            pauses=PauseFlags(client, prefix),
            pending=PendingUnits(client, prefix),
            skus=SkuTable(client, prefix),
            latency=DeliveryLatency(client, prefix),
        )

    def erp_slots(self, settings: Settings) -> ErpSlots:
        """The ERP request slots all delivery runs on the configured connection share."""
        client, prefix = self.ledger.client, self.ledger.keys.prefix
        return ErpSlots(client, prefix, erp_connection(settings), settings.delivery.concurrency)


@contextmanager
def open_queue(config: RedisConfig, **stream_options: Any) -> Iterator[QueueParts]:
    """The parts over a client of their own, closed when the block ends."""
    with connect(config) as client:
        yield QueueParts.connect(client, config.key_prefix, **stream_options)


def erp_connection(settings: Settings) -> str:
    """The pause-flag name of the configured ERP connection (``erp:sap``)."""
    return f"erp:{settings.erp.kind}"


def order_mapping(settings: Settings, shop: str, skus: SkuTable) -> OrderMapping:
    """How ``shop``'s orders map (SKUs through its published table in ``skus``); an event from a
    shop no longer configured is a data error."""
    try:
        config = settings.shop(shop)
    except KeyError as exc:
        raise DataError(str(exc.args[0]), codes=("UNKNOWN_SHOP",), system="config") from None
    lookup = SkuLookup(config.sku_overrides, published=lambda sku: skus.item_code(shop, sku))
    return OrderMapping(shop=shop, sku_xref=lookup, currency=config.currency)


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
