"""``metafieldsSet`` (25 per call, compare-and-set with ``compareDigest``) and what storefront
orders, refunds and cancellations placed through the control API do to inventory levels."""

from __future__ import annotations

from typing import Any

import pytest

from erp_shopify_sandbox.shopify import SandboxControlError, ids
from erp_shopify_tests.test_sandbox.conftest import graphql

SET = """
mutation($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key value compareDigest }
    userErrors { code field message elementIndex }
  }
}"""
OWNER = ids.gid("Product", 1)


def _set(shop, *metafields: dict[str, Any]) -> dict[str, Any]:
    return graphql(shop, SET, {"metafields": list(metafields)}).json()["data"]["metafieldsSet"]


def _erp_id(value: str) -> dict[str, Any]:
    return {"ownerId": OWNER, "namespace": "erp", "key": "material", "type": "single_line_text_field", "value": value}


def test_compare_digest_guards_a_write_against_a_concurrent_one(shop) -> None:
    first = _set(shop, _erp_id("MAT-1"))["metafields"][0]
    second = _set(shop, {**_erp_id("MAT-2"), "compareDigest": first["compareDigest"]})
    assert second["userErrors"] == [] and second["metafields"][0]["value"] == "MAT-2"
    stale = _set(shop, {**_erp_id("MAT-3"), "compareDigest": first["compareDigest"]})
    assert stale["metafields"] is None
    assert stale["userErrors"] == [
        {
            "code": "STALE_OBJECT",
            "field": ["metafields", "0", "compareDigest"],
            "message": "The resource has been updated since it was loaded.",
            "elementIndex": 0,
        }
    ]
    assert shop.sandbox.state.metafields[(OWNER, "erp", "material")].value == "MAT-2"


def test_more_than_25_metafields_are_refused_before_any_write(shop) -> None:
    many = [{**_erp_id(str(n)), "key": f"k{n}"} for n in range(26)]
    body = graphql(shop, SET, {"metafields": many}).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert "maximum allowed of 25" in body["errors"][0]["message"]
    assert shop.sandbox.state.metafields == {}
    assert len(_set(shop, *many[:25])["metafields"]) == 25


def test_one_bad_metafield_fails_the_call_with_its_element_index(shop) -> None:
    result = _set(shop, _erp_id("ok"), {**_erp_id("x"), "key": "other", "type": None})
    assert [(e["code"], e["elementIndex"]) for e in result["userErrors"]] == [("BLANK", 1)]
    assert shop.sandbox.state.metafields == {}


def _level(shop, sku: str) -> dict[str, int]:
    row = shop.control.levels([sku])[0]  # location 0
    return {name: row[name] for name in ("available", "committed", "on_hand")}


def test_an_order_commits_units_and_a_restocking_refund_releases_them(shop) -> None:
    order = shop.control.place_order({"SKU-0000004": 3})
    assert _level(shop, "SKU-0000004") == {"available": 7, "committed": 3, "on_hand": 10}
    shop.control.refund_order(order["legacy_id"], {"SKU-0000004": 1}, restock=True)
    assert _level(shop, "SKU-0000004") == {"available": 8, "committed": 2, "on_hand": 10}
    shop.control.refund_order(order["legacy_id"], {"SKU-0000004": 1}, restock=False)
    assert _level(shop, "SKU-0000004")["available"] == 8
    with pytest.raises(SandboxControlError, match="cannot refund 2 of 'SKU-0000004': 1 refundable"):
        shop.control.refund_order(order["legacy_id"], {"SKU-0000004": 2})


def test_cancelling_with_restock_returns_only_the_units_not_refunded(shop) -> None:
    order = shop.control.place_order({"SKU-0000005": 4, "SKU-0000006": 1})
    shop.control.refund_order(order["legacy_id"], {"SKU-0000005": 1}, restock=True)
    cancelled = shop.control.cancel_order(order["legacy_id"], reason="INVENTORY")
    assert cancelled["cancelled_at"] is not None
    assert _level(shop, "SKU-0000005") == {"available": 10, "committed": 0, "on_hand": 10}
    assert _level(shop, "SKU-0000006") == {"available": 10, "committed": 0, "on_hand": 10}
    with pytest.raises(SandboxControlError, match="already cancelled"):
        shop.control.cancel_order(order["legacy_id"])


def test_cancelling_without_restock_leaves_available_as_it_was(shop) -> None:
    order = shop.control.place_order({"SKU-0000007": 2})
    shop.control.cancel_order(order["legacy_id"], restock=False)
    assert _level(shop, "SKU-0000007")["available"] == 8


def test_an_order_for_an_unknown_sku_is_refused_and_changes_nothing(shop) -> None:
    with pytest.raises(SandboxControlError, match="400"):
        shop.control.place_order({"SKU-0000001": 1, "NOPE": 1})
    assert _level(shop, "SKU-0000001") == {"available": 10, "committed": 0, "on_hand": 10}
    assert shop.control.orders() == []
