"""Inventory writes about to be sent, kept until their outcome is recorded (a write-ahead log).

A run killed after Shopify applied a write but before the sync recorded it would otherwise leave
its compare-and-swap base behind, and the next run could not tell its own write from a shipment or
a hand edit. The next run instead re-sends each kept intent with its own idempotency key: Shopify
answers a write it applied with the stored result and applies one it never saw, so the outcome is
known either way, and only then recorded.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from erp_shopify.store.keys import Keys, text


class WriteIntents:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)

    def record(self, shop: str, idempotency_key: str, intent: dict[str, Any]) -> None:
        self.client.hset(self.keys.inventory_intents(shop), idempotency_key, json.dumps(intent))

    def done(self, shop: str, idempotency_key: str) -> None:
        self.client.hdel(self.keys.inventory_intents(shop), idempotency_key)

    def open(self, shop: str) -> dict[str, dict[str, Any]]:
        """Idempotency key -> intent, for every write whose outcome was never recorded."""
        raw = self.client.hgetall(self.keys.inventory_intents(shop))
        return {text(k): json.loads(v) for k, v in raw.items()}
