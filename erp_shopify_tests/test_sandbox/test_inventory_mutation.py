"""inventorySetQuantities as 2026-10 defines it: idempotency keys, compare-and-swap, limits, codes."""

from __future__ import annotations

import threading

from erp_shopify_tests.test_sandbox.conftest import graphql

SET = """mutation($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes { name delta quantityAfterChange } }
    userErrors { code field message }
  }
}"""


def _ids(shop, sku: str = "SKU-0000001") -> tuple[str, str]:
    level = shop.control.levels([sku])[0]
    return level["inventory_item_id"], level["location_id"]


def _set(shop, key: str, quantities: list[dict], reason: str = "correction") -> dict:
    payload = {"input": {"name": "available", "reason": reason, "quantities": quantities}, "key": key}
    return graphql(shop, SET, payload).json()


def _available(shop, sku: str = "SKU-0000001") -> int:
    return shop.control.levels([sku])[0]["available"]


def test_set_with_matching_change_from_quantity_writes_and_reports_changes(shop) -> None:
    item, location = _ids(shop)
    result = _set(
        shop, "k1", [{"inventoryItemId": item, "locationId": location, "quantity": 25, "changeFromQuantity": 10}]
    )
    payload = result["data"]["inventorySetQuantities"]
    assert payload["userErrors"] == []
    assert {"name": "available", "delta": 15, "quantityAfterChange": 25} in payload["inventoryAdjustmentGroup"][
        "changes"
    ]
    assert _available(shop) == 25


def test_stale_change_from_quantity_is_refused_and_nothing_changes(shop) -> None:
    item, location = _ids(shop)
    result = _set(
        shop, "k2", [{"inventoryItemId": item, "locationId": location, "quantity": 5, "changeFromQuantity": 9}]
    )
    errors = result["data"]["inventorySetQuantities"]["userErrors"]
    assert [e["code"] for e in errors] == ["CHANGE_FROM_QUANTITY_STALE"]
    assert errors[0]["field"] == ["input", "quantities", "0", "changeFromQuantity"]
    assert _available(shop) == 10


def test_null_change_from_quantity_skips_the_check_but_omitting_it_is_an_error(shop) -> None:
    item, location = _ids(shop)
    skipped = _set(
        shop, "k3", [{"inventoryItemId": item, "locationId": location, "quantity": 4, "changeFromQuantity": None}]
    )
    assert skipped["data"]["inventorySetQuantities"]["userErrors"] == []
    omitted = _set(shop, "k4", [{"inventoryItemId": item, "locationId": location, "quantity": 3}])
    assert omitted["data"]["inventorySetQuantities"]["userErrors"][0]["field"][-1] == "changeFromQuantity"
    assert _available(shop) == 4


def test_same_key_same_parameters_replays_without_a_second_write(shop) -> None:
    item, location = _ids(shop)
    quantities = [{"inventoryItemId": item, "locationId": location, "quantity": 30, "changeFromQuantity": 10}]
    first, replay = _set(shop, "same", quantities), _set(shop, "same", quantities)
    assert replay["data"] == first["data"]  # the stored result, not a stale-CAS failure
    assert shop.control.stats()["write_calls"]["inventorySetQuantities"] == 1
    assert _available(shop) == 30


def test_same_key_other_parameters_is_a_mismatch(shop) -> None:
    item, location = _ids(shop)
    _set(shop, "reused", [{"inventoryItemId": item, "locationId": location, "quantity": 11, "changeFromQuantity": 10}])
    again = _set(
        shop, "reused", [{"inventoryItemId": item, "locationId": location, "quantity": 12, "changeFromQuantity": 11}]
    )
    assert again["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    assert _available(shop) == 11


def test_a_key_whose_attempt_failed_must_be_replaced(shop) -> None:
    item, location = _ids(shop)
    quantities = [{"inventoryItemId": item, "locationId": location, "quantity": -1, "changeFromQuantity": 10}]
    assert (
        _set(shop, "bad", quantities)["data"]["inventorySetQuantities"]["userErrors"][0]["code"]
        == "INVALID_QUANTITY_NEGATIVE"
    )
    retry = _set(shop, "bad", quantities)
    assert retry["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"


def test_a_concurrent_request_with_the_same_key_is_refused(shop) -> None:
    shop.control.configure(write_latency_ms=400)
    item, location = _ids(shop)
    quantities = [{"inventoryItemId": item, "locationId": location, "quantity": 13, "changeFromQuantity": 10}]
    results: list[dict] = []
    threads = [threading.Thread(target=lambda: results.append(_set(shop, "racing", quantities))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(str([e["code"] for e in r["data"]["inventorySetQuantities"]["userErrors"]]) for r in results)
    assert codes == ["['IDEMPOTENCY_CONCURRENT_REQUEST']", "[]"]


def test_missing_idempotent_directive_is_an_error(shop) -> None:
    query = SET.replace(" @idempotent(key: $key)", "").replace(", $key: String!", "")
    body = graphql(shop, query, {"input": {"name": "available", "reason": "correction", "quantities": []}}).json()
    assert "@idempotent directive is required" in body["errors"][0]["message"]


def test_more_than_250_quantities_is_refused_before_any_write(shop) -> None:
    item, location = _ids(shop)
    quantities = [{"inventoryItemId": item, "locationId": location, "quantity": 1, "changeFromQuantity": None}] * 251
    body = _set(shop, "big", quantities)
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert _available(shop) == 10


def test_each_invalid_input_has_its_code(shop) -> None:
    item, location = _ids(shop)
    bad = [
        {
            "inventoryItemId": "gid://shopify/InventoryItem/1",
            "locationId": location,
            "quantity": 1,
            "changeFromQuantity": None,
        },
        {"inventoryItemId": item, "locationId": "gid://shopify/Location/1", "quantity": 1, "changeFromQuantity": None},
        {"inventoryItemId": item, "locationId": location, "quantity": 1_000_000_001, "changeFromQuantity": None},
    ]
    codes = [
        e["code"] for e in _set(shop, "codes", bad, reason="because")["data"]["inventorySetQuantities"]["userErrors"]
    ]
    assert codes == ["INVALID_REASON", "INVALID_INVENTORY_ITEM", "INVALID_LOCATION", "INVALID_QUANTITY_TOO_HIGH"]


def test_a_set_emits_inventory_levels_update(shop, receiver) -> None:
    shop.control.subscribe("inventory_levels/update", receiver.url)
    item, location = _ids(shop)
    _set(shop, "hook", [{"inventoryItemId": item, "locationId": location, "quantity": 42, "changeFromQuantity": 10}])
    import json

    body = json.loads(receiver.wait_for(1)[0]["body"])
    assert body["available"] == 42 and body["admin_graphql_api_id"].startswith("gid://shopify/InventoryLevel/")
