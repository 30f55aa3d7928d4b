"""The products last written to each shop: for each ERP product code, the Shopify product, its
variants (SKU -> variant and inventory item) and a digest of the input sent. The digest lets an
unchanged product be skipped (a no-op resync writes nothing); the variant ids keep variants (and
their inventory items) across updates."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import redis

from erp_shopify.store.keys import Keys, text


@dataclass(frozen=True)
class WrittenProduct:
    product_id: str
    digest: str
    variants: dict[str, tuple[str, str]] = field(default_factory=dict)  # sku -> (variant, inventory item)

    def variant_ids(self) -> dict[str, str]:
        return {sku: ids[0] for sku, ids in self.variants.items()}


class WrittenProducts:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)

    def load(self, shop: str, codes: Iterable[str]) -> dict[str, WrittenProduct]:
        wanted = list(dict.fromkeys(codes))
        if not wanted:
            return {}
        raw = self.client.hmget(self.keys.products_written(shop), wanted)
        return {code: _decode(value) for code, value in zip(wanted, raw, strict=True) if value is not None}

    def codes_of(self, shop: str, product_ids: Iterable[str]) -> dict[str, str]:
        """Product id -> ERP product code, for the products written here (a scan of the hash)."""
        wanted = set(product_ids)
        if not wanted:
            return {}
        found = {}
        for code, value in self.client.hscan_iter(self.keys.products_written(shop)):
            entry = _decode(value)
            if entry.product_id in wanted:
                found[entry.product_id] = text(code)
        return found

    def store(self, shop: str, written: Mapping[str, WrittenProduct]) -> None:
        if written:
            mapping = {
                code: json.dumps({"id": w.product_id, "digest": w.digest, "variants": w.variants})
                for code, w in written.items()
            }
            self.client.hset(self.keys.products_written(shop), mapping=mapping)  # type: ignore[arg-type]


def _decode(value: object) -> WrittenProduct:
    data = json.loads(text(value))
    return WrittenProduct(data["id"], data["digest"], {k: tuple(v) for k, v in data["variants"].items()})
