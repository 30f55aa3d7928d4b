"""One product master contract for every ERP that feeds the ``products`` asset: whole products with
their variants, read by change stamp with an overlap that never delivers a change twice."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

from erp_shopify.erp.base import ProductSource
from erp_shopify.records import ProductRecord

BACKENDS = [
    pytest.param("sap", id="sap"),
    pytest.param("netsuite", id="netsuite"),
    pytest.param("oracle", id="oracle"),
    pytest.param("tryton", id="tryton", marks=pytest.mark.slow),
]


@pytest.fixture(params=BACKENDS)
def erp(request: pytest.FixtureRequest) -> Iterator:
    module = importlib.import_module(f"erp_shopify_tests.test_erp.harness_{request.param}")
    with module.harness() as harness:
        assert isinstance(harness.adapter, ProductSource)
        yield harness


def _drain(erp, cursor: str | None) -> tuple[list[ProductRecord], str | None]:
    products: list[ProductRecord] = []
    for page in erp.adapter.product_changes(cursor):
        products.extend(page.products)
        cursor = page.cursor
    return products, cursor


def test_a_product_with_variants_is_read_whole(erp) -> None:
    erp.put_product("TEE", "Blue tee", {"TEE-S": "S", "TEE-M": "M"})
    products, _ = _drain(erp, None)
    [tee] = [p for p in products if p.product_code == "TEE"]
    assert tee.title == "Blue tee"
    [option] = tee.options  # each ERP names its one option its own way ("Size", "Variant")
    variants = sorted((v.item_code, v.options[option]) for v in tee.variants)
    assert variants == [("TEE-M", "M"), ("TEE-S", "S")]
    assert not tee.deleted


def test_a_change_to_one_variant_yields_its_whole_product_once(erp) -> None:
    erp.put_product("TEE", "Blue tee", {"TEE-S": "S", "TEE-M": "M"})
    _, cursor = _drain(erp, None)
    erp.put_product("TEE", "Blue tee", {"TEE-M": "M"})  # only TEE and TEE-M change
    products, cursor = _drain(erp, cursor)
    assert [p.product_code for p in products] == ["TEE"]
    assert sorted(v.item_code for v in products[0].variants) == ["TEE-M", "TEE-S"]
    again, _ = _drain(erp, cursor)  # the overlap re-reads the window, and skips what it delivered
    assert again == []


def test_a_deleted_product_is_read_as_deleted(erp) -> None:
    erp.put_product("MUG", "Red mug")
    _, cursor = _drain(erp, None)
    erp.put_product("MUG", "Red mug", deleted=True)
    products, _ = _drain(erp, cursor)
    assert [(p.product_code, p.deleted) for p in products] == [("MUG", True)]
    assert [v.item_code for v in products[0].variants] == ["MUG"]


def test_snapshot_reads_the_named_products_and_leaves_out_unknown_codes(erp) -> None:
    erp.put_product("TEE", "Blue tee", {"TEE-S": "S"})
    erp.put_product("MUG", "Red mug")
    found = [p for page in erp.adapter.product_snapshot(["MUG", "NOPE"]) for p in page]
    assert [(p.product_code, p.title, [v.item_code for v in p.variants]) for p in found] == [
        ("MUG", "Red mug", ["MUG"])
    ]
