"""The inventory quantities this middleware last set in Shopify, per shop."""

from __future__ import annotations

import pandas as pd
import redis

from erp_shopify.store.fingerprints import inventory_object_key
from erp_shopify.store.keys import Keys


def object_keys(frame: pd.DataFrame) -> list[str]:
    """The loop guard's object key of each (inventory item, location) row."""
    return [
        inventory_object_key(i, loc) for i, loc in zip(frame["inventory_item_id"], frame["location_id"], strict=True)
    ]


class LastWritten:
    """The quantities this middleware last set in Shopify, per shop (a Redis hash keyed like the
    loop guard's fingerprints). They are the ``changeFromQuantity`` base of the next write and
    let a sync skip every item whose target did not move; lookups touch only the changed items,
    so the cost of a sync follows the number of changes, not the size of the catalogue."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)

    def key(self, shop: str) -> str:
        return self.keys.inventory_written(shop)

    def lookup(self, shop: str, targets: pd.DataFrame) -> pd.DataFrame:
        fields = object_keys(targets)
        values = self.client.hmget(self.key(shop), fields) if fields else []
        known = targets[["inventory_item_id", "location_id"]].assign(
            quantity=pd.array([None if v is None else int(v) for v in values], dtype="Int64")
        )
        return known.loc[known["quantity"].notna()]

    def store(self, shop: str, written: pd.DataFrame) -> None:
        if not written.empty:
            mapping = dict(zip(object_keys(written), written["quantity"].astype(int).tolist(), strict=True))
            self.client.hset(self.key(shop), mapping=mapping)  # type: ignore[arg-type]

    def forget(self, shop: str) -> None:
        self.client.delete(self.key(shop))
