"""The SKU cross-reference rules: override, identity, normalisation; duplicates never map."""

from __future__ import annotations

import pandas as pd

from erp_shopify.mapping.xref import SkuLookup, build_xref, variants_frame, xref_collapsed


def _variants(*rows: tuple[str | None, int]) -> pd.DataFrame:
    return variants_frame(
        {
            "sku": sku,
            "variant_id": f"gid://shopify/ProductVariant/{n}",
            "inventory_item_id": f"gid://shopify/InventoryItem/{n}",
            "product_id": f"gid://shopify/Product/{n // 10}",
        }
        for sku, n in rows
    )


def test_identity_beats_normalisation_and_each_rule_is_recorded() -> None:
    result = build_xref(_variants(("TSHIRT-M", 1), (" mug-01 ", 2)), ["TSHIRT-M", "MUG-01"])
    rules = dict(zip(result.xref["item_code"], result.xref["rule"], strict=True))
    assert rules == {"MUG-01": "normalised", "TSHIRT-M": "identity"}
    mug = result.xref.set_index("item_code").loc["MUG-01"]
    assert mug["inventory_item_id"] == "gid://shopify/InventoryItem/2"


def test_override_maps_an_item_code_to_a_different_sku_and_wins_over_identity() -> None:
    variants = _variants(("LEGACY-7", 1), ("NEW-7", 2))
    result = build_xref(variants, ["NEW-7", "LEGACY-7"], overrides={"NEW-7": "LEGACY-7"})
    by_item = result.xref.set_index("item_code")
    assert by_item.loc["NEW-7", "variant_id"] == "gid://shopify/ProductVariant/1"
    assert by_item.loc["NEW-7", "rule"] == "override"
    # LEGACY-7's own identity match lost its variant to the override.
    assert list(result.erp_unmapped["item_code"]) == ["LEGACY-7"]
    assert list(result.variants_unmapped["sku"]) == ["NEW-7"]


def test_duplicate_skus_are_reported_and_left_unmapped() -> None:
    result = build_xref(_variants(("CAP", 1), ("cap ", 2), ("SOCK", 3)), ["CAP", "SOCK"])
    assert list(result.xref["item_code"]) == ["SOCK"]
    assert result.duplicate_skus.loc[0, "variants"] == 2
    assert list(result.erp_unmapped["item_code"]) == ["CAP"]


def test_variants_without_sku_are_ignored_and_share_unmapped_is_measured() -> None:
    result = build_xref(_variants((None, 1), ("", 2), ("A", 3)), ["A", "B", "C", "D"])
    assert list(result.xref["item_code"]) == ["A"]
    assert result.unmapped_share == 0.75
    assert xref_collapsed(result, 0.5)
    assert not xref_collapsed(result, 0.8)


def test_order_lookup_finds_the_item_the_xref_maps_for_every_rule() -> None:
    overrides = {"MAT-0001": "HOODIE", "CAP": "CAP-2"}  # CAP is now sold as CAP-2
    items = ["MAT-0001", "TSHIRT-M", "MUG-01", "CAP", "CAP-2", "GONE"]
    variants = _variants(("HOODIE", 1), ("TSHIRT-M", 2), (" mug-01 ", 3), ("CAP-2", 4), ("CAP", 5))
    xref = build_xref(variants, items, overrides).xref
    lookup = SkuLookup(overrides, items)
    assert {sku: lookup[sku] for sku in xref["sku"]} == dict(zip(xref["sku"], xref["item_code"], strict=True))
    assert lookup[" mug-01 "] == "MUG-01"  # normalisation, as the stock sync maps it
    assert lookup["CAP-2"] == "CAP" and "CAP" not in lookup  # the override beats CAP-2's identity
    assert "UNKNOWN" not in lookup


def test_order_lookup_without_the_catalogue_uses_overrides_then_identity() -> None:
    lookup = SkuLookup({"TG0011": "TSHIRT-RED-M", "TG0012": "MUG-01"})
    assert lookup["tshirt-red-m "] == "TG0011"  # an override matched after trimming and case folding
    assert lookup["MUG-01"] == "TG0012"
    assert "TG0012" not in lookup  # an overridden item code is not its own SKU
    assert lookup["POSTER"] == "POSTER"  # identity: the ERP refuses a code it does not know


def test_order_lookup_takes_the_published_table_between_overrides_and_identity() -> None:
    published = {"sku-7": "SKU-7", "TEE": "MAT-OLD-TEE"}  # as the last sku_xref build mapped them
    lookup = SkuLookup({"MAT-NEW-TEE": "TEE"}, published=published.get)
    assert lookup["sku-7"] == "SKU-7"  # normalised against the catalogue by the build
    assert lookup["TEE"] == "MAT-NEW-TEE"  # an override configured since the build wins
    assert lookup["POSTER"] == "POSTER"  # not in the table: the rules decide (identity)
