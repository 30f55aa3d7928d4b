"""What the customer sync last wrote to each shop, per customer (its external reference): digests
of the customer-level fields and of each address (``mapping.customer_merge.Written``), never the
values. ``merge_customer`` needs them to tell which side moved since and which address a side
deleted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import redis

from erp_shopify.mapping.customer_merge import Written
from erp_shopify.store.keys import Keys, text


class WrittenCustomers:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)

    def load(self, shop: str, refs: Iterable[str]) -> dict[str, Written]:
        wanted = list(dict.fromkeys(refs))
        if not wanted:
            return {}
        raw = self.client.hmget(self.keys.customers_written(shop), wanted)
        pairs = zip(wanted, raw, strict=True)
        return {ref: Written.from_json(text(value)) for ref, value in pairs if value is not None}

    def save(self, shop: str, written: Mapping[str, Written]) -> None:
        if written:
            mapping = {ref: w.to_json() for ref, w in written.items()}
            self.client.hset(self.keys.customers_written(shop), mapping=mapping)  # type: ignore[arg-type]
