"""The productSet input holds exactly the fields the policy gives the ERP; the loop guard reads
the same values from our record and from Shopify's products/update payload."""

from __future__ import annotations

from decimal import Decimal

import pytest

from erp_shopify.mapping.products import (
    OwnershipViolation,
    default_owned,
    payload_values,
    product_input,
    product_values,
)
from erp_shopify.policy import PRODUCT_FIELD_OWNERS, Owner, product_fields_owned_by_erp
from erp_shopify.records import ProductRecord, ProductVariantRecord

TEE = ProductRecord(
    product_code="TEE",
    title="Blue tee",
    vendor="ACME",
    product_type="TEES",
    options=["Size", "Colour"],
    variants=[
        ProductVariantRecord(item_code="TEE-S-B", options={"Size": "S", "Colour": "Blue"}, weight=Decimal("0.2")),
        ProductVariantRecord(item_code="TEE-S-R", options={"Size": "S", "Colour": "Red"}, barcode="4006381333931"),
    ],
    tags=["summer"],
)


def test_the_input_sends_only_erp_owned_fields_and_never_shopify_lists() -> None:
    data = product_input(TEE, default_owned())
    shopify_owned = {f for f, o in PRODUCT_FIELD_OWNERS.items() if o is Owner.SHOPIFY}
    assert set(data) == {"title", "vendor", "productType", "status", "productOptions", "variants"}
    assert not set(data) & shopify_owned  # media, SEO, tags, collections, metafields stay Shopify's
    assert data["productOptions"][0] == {"name": "Size", "position": 1, "values": [{"name": "S"}]}
    assert data["variants"][0]["inventoryItem"]["measurement"] == {"weight": {"unit": "KILOGRAMS", "value": 0.2}}


def test_tags_are_sent_only_when_the_shops_file_hands_them_to_the_erp() -> None:
    assert product_input(TEE, default_owned(["tags"]))["tags"] == ["summer"]
    with pytest.raises(ValueError, match="cannot be handed"):
        product_fields_owned_by_erp(frozenset({"collections"}))


def test_a_policy_without_a_field_refuses_an_input_that_would_write_it() -> None:
    with pytest.raises(OwnershipViolation, match="variants"):
        product_input(TEE, default_owned() - {"variants"})


def test_known_variant_ids_are_sent_so_variants_and_their_inventory_items_survive() -> None:
    data = product_input(TEE, default_owned(), {"TEE-S-R": "gid://shopify/ProductVariant/9"})
    assert [v.get("id") for v in data["variants"]] == [None, "gid://shopify/ProductVariant/9"]


def test_a_deleted_product_is_archived() -> None:
    assert product_input(TEE.model_copy(update={"deleted": True}), default_owned())["status"] == "ARCHIVED"


def test_the_guard_reads_the_same_values_from_the_record_and_the_payload() -> None:
    payload = {
        "title": "Blue tee",
        "vendor": "ACME",
        "product_type": "TEES",
        "status": "active",
        "options": [{"name": "Size", "values": ["S"]}, {"name": "Colour", "values": ["Blue", "Red"]}],
        "variants": [
            {"sku": "TEE-S-R", "barcode": "4006381333931", "option1": "S", "option2": "Red", "option3": None},
            {"sku": "TEE-S-B", "barcode": None, "option1": "S", "option2": "Blue", "option3": None},
        ],
    }
    assert payload_values(payload) == product_values(TEE)
    assert payload_values({**payload, "title": "Cheap tee"}) != product_values(TEE)
