"""The prices last written to each shop: the "before" of the next price comparison."""

from __future__ import annotations

import json

import pandas as pd
import redis

from erp_shopify.mapping import prices as m
from erp_shopify.store.keys import Keys


class PriceSnapshot:
    """The prices last written to a shop (a Redis hash: one field per target, variant and minimum
    quantity), the "before" of the next comparison. Updated only with rows Shopify accepted."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)

    def key(self, shop: str) -> str:
        return self.keys.prices_written(shop)

    def load(self, shop: str) -> pd.DataFrame:
        rows = [json.loads(v) for v in self.client.hvals(self.key(shop))]
        if not rows:
            return m.empty_snapshot()
        frame = pd.DataFrame(rows, columns=m.SNAPSHOT_COLUMNS)
        return frame.astype({c: "string" for c in m.SNAPSHOT_COLUMNS if c != "min_quantity"})

    def store(self, shop: str, rows: pd.DataFrame) -> None:
        if rows.empty:
            return
        records = rows[m.SNAPSHOT_COLUMNS].astype(object).where(rows[m.SNAPSHOT_COLUMNS].notna(), None)
        mapping = {
            f"{r['target']}|{r['variant_id']}|{int(r['min_quantity'])}": json.dumps(
                {**r, "min_quantity": int(r["min_quantity"])}
            )
            for r in records.to_dict("records")
        }
        self.client.hset(self.key(shop), mapping=mapping)  # type: ignore[arg-type]
