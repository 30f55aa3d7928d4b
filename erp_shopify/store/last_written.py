"""What the inventory sync last set in Shopify, per shop and level: the ``on_hand`` quantity (the
compare-and-swap base of the next write) and the holds that write used (so a change of holds alone,
an order delivered or sold in another shop, is found without re-reading the catalogue)."""

from __future__ import annotations

import pandas as pd
import redis

from erp_shopify.store.fingerprints import inventory_object_key
from erp_shopify.store.keys import Keys, text


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
        self.client.delete(self.key(shop), self.keys.inventory_held(shop))

    def held(self, shop: str) -> dict[str, str]:
        """Object key -> ``awaiting,others_pending`` of each level written with a nonzero hold."""
        return {text(k): text(v) for k, v in self.client.hgetall(self.keys.inventory_held(shop)).items()}

    def store_held(self, shop: str, written: pd.DataFrame, held: dict[str, str]) -> None:
        """Remember the holds ``written`` (``HOLD_COLUMNS``) used; ``held`` is the last ``held()``."""
        if written.empty:
            return
        values = [f"{int(a)},{int(o)}" for a, o in zip(written["awaiting"], written["others_pending"], strict=True)]
        now = dict(zip(object_keys(written), values, strict=True))
        pipe = self.client.pipeline(transaction=False)
        if nonzero := {k: v for k, v in now.items() if v != "0,0"}:
            pipe.hset(self.keys.inventory_held(shop), mapping=nonzero)  # type: ignore[arg-type]
        if gone := [k for k, v in now.items() if v == "0,0" and k in held]:
            pipe.hdel(self.keys.inventory_held(shop), *gone)
        pipe.execute()
