"""The xref read from the Shopify sandbox: paging and bulk export agree; the queries are valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_client_schema, parse, validate

from erp_shopify.artefacts import admin_introspection
from erp_shopify.shopify import documents
from erp_shopify.sync.xref import VARIANTS_BULK, VARIANTS_PAGE, build_shop_xref
from erp_shopify_tests.test_sync.world import sku, world


def test_the_catalogue_is_read_with_the_projects_validated_documents() -> None:
    assert {VARIANTS_PAGE, VARIANTS_BULK} <= set(documents.names())
    bulk = parse(documents.load(VARIANTS_BULK))
    assert validate(build_client_schema(admin_introspection()), bulk) == []


@pytest.mark.slow
def test_bulk_export_and_paging_build_the_same_xref(tmp_path: Path, redis_url: str, key_prefix: str) -> None:
    with world(tmp_path, redis_url, key_prefix, items=520) as w:
        state = w.shops["shop-a"].sandbox.state
        state.set_variant(7, sku="sku-0000007")  # matched after normalisation
        state.set_variant(9, sku=sku(8))  # now two variants carry SKU-0000008
        adapter = w.adapter()
        try:
            paged = build_shop_xref(w.shop("shop-a"), w.client("shop-a"), adapter, bulk=False)
            bulk = build_shop_xref(w.shop("shop-a"), w.client("shop-a"), adapter, bulk=True)
        finally:
            adapter.close()
        assert len(paged.xref) == 518  # SKU-0000008 is ambiguous, SKU-0000009 lost its variant
        assert paged.xref.equals(bulk.xref)
        assert paged.xref.set_index("item_code").loc[sku(7), "rule"] == "normalised"
        assert paged.duplicate_skus["sku"].tolist() == [sku(8)]
        assert sorted(paged.erp_unmapped["item_code"]) == [sku(8), sku(9)]
