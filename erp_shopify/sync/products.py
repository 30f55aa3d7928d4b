"""One product master sync of one shop: ERP products changed since the watermark, each written
whole with ``productSet`` keyed by its ``customId`` (the ERP product code in an ``id`` metafield).

- Idempotent without ``@idempotent``: the ``customId`` identifier makes every write an upsert, so
  the client's retry after a lost answer updates the product the first attempt created.
- Only what changed is written: a digest of the input last written per product
  (``store/written_products.py``) skips unchanged products, so a resync of an unchanged
  catalogue sends no write at all. A product whose ERP-owned fields a merchant edited (the loop
  guard's conflict) is written again whatever the digest says, and the conflict is counted.
- The loop guard accepts the values before each write (``Fingerprints.intend``) and keeps the
  written ones after (``record_many``), so the ``products/update`` echo is dropped at ingest. A new
  product has no id before its write: its first echo may be judged a conflict, which only causes
  one more (identical) write.
- Bad data loses nothing: a product Shopify refuses (``userErrors``) is reported with its ERP code
  and the errors, and the rest is written. Transient and system failures end the run, so the
  watermark stays where it was.
- Small products are written synchronously; above ``synchronous_up_to_variants`` variants as a
  ``ProductSetOperation``, polled until complete.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import redis

from erp_shopify.config import ProductsConfig, ShopConfig
from erp_shopify.erp.base import ProductSource
from erp_shopify.errors import DataError, TransientError
from erp_shopify.mapping.products import default_owned, product_input, product_values
from erp_shopify.records import ProductRecord
from erp_shopify.shopify.client import ShopifyClient, UserError
from erp_shopify.store.fingerprints import Conflict, Fingerprints, digest
from erp_shopify.store.keys import Keys
from erp_shopify.store.written_products import WrittenProduct, WrittenProducts
from erp_shopify.sync.id_definitions import ensure_id_definition, user_errors

PRODUCT_GID = "gid://shopify/Product/"
POLL_SECONDS = 0.5
MAX_WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class RefusedProduct:
    product_code: str
    title: str
    errors: tuple[UserError, ...]

    def row(self) -> dict[str, str]:
        return {
            "product_code": self.product_code,
            "title": self.title,
            "codes": ", ".join(e.code or "-" for e in self.errors),
            "errors": "; ".join(f"{'.'.join(e.field) or '-'}: {e.message}" for e in self.errors),
        }


@dataclass
class ProductSyncResult:
    watermark: str | None = None
    read: int = 0
    unchanged: int = 0
    created: int = 0
    updated: int = 0
    archived: int = 0
    new_variants: int = 0
    conflicts_overwritten: int = 0
    refused: list[RefusedProduct] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        return {
            "products_read": self.read,
            "unchanged": self.unchanged,
            "created": self.created,
            "updated": self.updated,
            "archived": self.archived,
            "new_variants": self.new_variants,
            "conflicts_overwritten": self.conflicts_overwritten,
            "refused": len(self.refused),
        }


@dataclass(frozen=True)
class _Written:
    record: ProductRecord
    entry: WrittenProduct | None
    refused: RefusedProduct | None = None


class ProductSync:
    def __init__(
        self,
        shop: ShopConfig,
        client: ShopifyClient,
        adapter: ProductSource,
        redis_client: redis.Redis,
        prefix: str,
        config: ProductsConfig,
        *,
        log: Callable[[str], None] = lambda _: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.shop, self.client, self.adapter, self.config = shop, client, adapter, config
        self.redis, self.keys = redis_client, Keys(prefix)
        self.written = WrittenProducts(redis_client, prefix)
        self.guard = Fingerprints(redis_client, prefix)
        self.owned = default_owned(config.erp_owns)
        self.log, self.sleep = log, sleep
        self._seen: set[str] = set()  # product codes written or skipped in this run

    def run(self, cursor: str | None, *, full_resync: bool = False) -> ProductSyncResult:
        self.ensure_id_definition()
        result = ProductSyncResult(watermark=cursor)
        self._seen = set()
        edited = self._edited_products()
        for page in self.adapter.product_changes(None if full_resync else cursor):
            self._sync_batch(page.products, edited, result)
            result.watermark = page.cursor
        forced = [code for code in edited if code not in self._seen]
        for batch in self.adapter.product_snapshot(forced) if forced else ():
            self._sync_batch(batch, edited, result)
        return result

    def ensure_id_definition(self) -> None:
        """Create the product metafield definition of type ``id`` once (``TAKEN``: it exists)."""
        definition = {
            "namespace": self.config.id_namespace,
            "key": self.config.id_key,
            "name": "ERP product",
            "ownerType": "PRODUCT",
            "type": "id",
        }
        ensure_id_definition(self.client, self.redis, self.keys.product_id_definition(self.shop.name), definition)

    def _edited_products(self) -> dict[str, Conflict]:
        """ERP product code -> the merchant's edit of its ERP-owned fields, to overwrite."""
        conflicts = {k: c for k, c in self.guard.conflicts(self.shop.name).items() if k.startswith(PRODUCT_GID)}
        codes = self.written.codes_of(self.shop.name, conflicts)
        return {code: conflicts[product_id] for product_id, code in codes.items()}

    def _sync_batch(
        self, records: Iterable[ProductRecord], edited: dict[str, Conflict], result: ProductSyncResult
    ) -> None:
        latest = {r.product_code: r for r in records}  # a product read twice in a run: its newest state
        first_read = set(latest) - self._seen
        result.read += len(first_read)
        self._seen |= first_read
        before = self.written.load(self.shop.name, latest)
        todo = []
        for code, record in latest.items():
            last = before.get(code)
            if last is not None and last.digest == _content_digest(record, self.owned) and code not in edited:
                result.unchanged += code in first_read
                continue
            todo.append((record, last))
        if not todo:
            return
        known = {last.product_id: product_values(record) for record, last in todo if last is not None}
        self.guard.intend(self.shop.name, known)
        with ThreadPoolExecutor(self.config.write_concurrency) as pool:
            outcomes = list(pool.map(lambda job: self._write(*job), todo))
        self._record(outcomes, before, edited, result)

    def _record(
        self, outcomes: list[_Written], before: dict, edited: dict[str, Conflict], result: ProductSyncResult
    ) -> None:
        accepted = {o.record.product_code: o.entry for o in outcomes if o.entry is not None}
        self.written.store(self.shop.name, accepted)
        self.guard.record_many(
            self.shop.name, {o.entry.product_id: product_values(o.record) for o in outcomes if o.entry is not None}
        )
        overwritten = [edited[code] for code in accepted if code in edited]
        result.conflicts_overwritten += self.guard.clear(self.shop.name, overwritten)
        for outcome in outcomes:
            if outcome.refused is not None:
                result.refused.append(outcome.refused)
                continue
            assert outcome.entry is not None
            last = before.get(outcome.record.product_code)
            if last is None:
                result.created += 1
            else:
                result.updated += 1
            result.archived += outcome.record.deleted
            known = set(last.variants) if last else set()
            result.new_variants += len(set(outcome.entry.variants) - known)

    def _write(self, record: ProductRecord, last: WrittenProduct | None) -> _Written:
        data = product_input(record, self.owned, last.variant_ids() if last else None)
        synchronous = len(record.variants) <= self.config.synchronous_up_to_variants
        identifier = {
            "customId": {"namespace": self.config.id_namespace, "key": self.config.id_key, "value": record.product_code}
        }
        try:
            answer = self.client.execute(
                "product_set",
                {"identifier": identifier, "input": data, "synchronous": synchronous},
                raise_user_errors=False,
            )["productSet"]
            errors = user_errors(answer)
            if not errors and not synchronous:
                product_id, errors = self._wait(answer["productSetOperation"]["id"])
                nodes = None
            elif not errors:
                product_id = answer["product"]["id"]
                nodes = answer["product"]["variants"]["nodes"]
        except DataError as exc:  # a top-level refusal of this input (too large, malformed): this product only
            errors = (UserError(message=str(exc), code=(exc.codes or (None,))[0]),)
        if errors:
            return _Written(record, None, RefusedProduct(record.product_code, record.title, errors))
        if nodes is None or len(nodes) >= 250:
            nodes = list(self.client.paginate("product_variants", {"id": product_id}, "product.variants"))
        variants = {n["sku"]: (n["id"], n["inventoryItem"]["id"]) for n in nodes if n.get("sku")}
        return _Written(record, WrittenProduct(product_id, _content_digest(record, self.owned), variants))

    def _wait(self, operation_id: str) -> tuple[str, tuple[UserError, ...]]:
        """Poll a ``ProductSetOperation`` until it is complete: (product id, user errors). One
        still running after ``MAX_WAIT_SECONDS`` fails the run as transient: the next run writes
        the product again, an upsert by its custom id."""
        deadline = time.monotonic() + MAX_WAIT_SECONDS
        while True:
            operation = self.client.execute("product_operation", {"id": operation_id})["productOperation"]
            if operation and operation["status"] == "COMPLETE":
                product = operation.get("product") or {}
                return product.get("id", ""), user_errors(operation)
            if time.monotonic() > deadline:
                raise TransientError(f"productSet operation {operation_id} still running", system="shopify")
            self.sleep(POLL_SECONDS)


def _content_digest(record: ProductRecord, owned: frozenset[str]) -> str:
    """What the ERP says of a product, without the variant ids learnt from Shopify."""
    return digest(product_input(record, owned))
