"""Fulfillment orders in the Shopify sandbox: one per order at the location that committed its
stock, fulfillmentCreate / fulfillmentOrderMove / fulfillmentTrackingInfoUpdate with Shopify's user
errors, and the webhooks a fulfillment sends, valid against the published payload schemas."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from erp_shopify.artefacts import webhook_schema
from erp_shopify_tests.test_sandbox.conftest import graphql

ORDER = """query($id: ID!) { order(id: $id) { displayFulfillmentStatus fulfillable
  fulfillmentOrders(first: 5) { nodes { id status assignedLocation { location { id } }
    lineItems(first: 5) { nodes { id sku remainingQuantity totalQuantity } } } }
  fulfillments(first: 5) { id name totalQuantity trackingInfo { company number url } } } }"""
CREATE = """mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
  fulfillment { id status } userErrors { field message } } }"""
MOVE = """mutation($id: ID!, $to: ID!, $lines: [FulfillmentOrderLineItemInput!]) {
  fulfillmentOrderMove(id: $id, newLocationId: $to, fulfillmentOrderLineItems: $lines) {
    movedFulfillmentOrder { id assignedLocation { location { id } } } originalFulfillmentOrder { id status }
    userErrors { field message code } } }"""
TRACKING = """mutation($id: ID!, $t: FulfillmentTrackingInput!) { fulfillmentTrackingInfoUpdate(fulfillmentId: $id,
  trackingInfoInput: $t) { fulfillment { trackingInfo { number } } userErrors { field message } } }"""
LOCATION_1 = "gid://shopify/Location/70100000002"


def _data(shop: Any, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = graphql(shop, query, variables).json()
    assert "errors" not in body, body
    return body["data"]


def _order(shop: Any, order: dict[str, Any]) -> dict[str, Any]:
    return _data(shop, ORDER, {"id": order["id"]})["order"]


def _lines(fulfillment_order: dict[str, Any], quantities: list[int]) -> dict[str, Any]:
    nodes = fulfillment_order["lineItems"]["nodes"]
    return {
        "fulfillmentOrderId": fulfillment_order["id"],
        "fulfillmentOrderLineItems": [{"id": n["id"], "quantity": q} for n, q in zip(nodes, quantities, strict=True)],
    }


def test_an_order_gets_one_fulfillment_order_at_its_location_and_fulfils_partially_then_wholly(shop) -> None:
    order = shop.control.place_order({"SKU-0000001": 3, "SKU-0000002": 1})
    read = _order(shop, order)
    (fulfillment_order,) = read["fulfillmentOrders"]["nodes"]
    assert fulfillment_order["assignedLocation"]["location"]["id"] == "gid://shopify/Location/70100000001"
    assert [(n["sku"], n["remainingQuantity"]) for n in fulfillment_order["lineItems"]["nodes"]] == [
        ("SKU-0000001", 3),
        ("SKU-0000002", 1),
    ]
    tracking = {"company": "UPS", "numbers": ["1Z1"], "urls": ["https://ups.example/1Z1"]}
    two_of_first = {
        "fulfillmentOrderId": fulfillment_order["id"],
        "fulfillmentOrderLineItems": [{"id": fulfillment_order["lineItems"]["nodes"][0]["id"], "quantity": 2}],
    }
    first = _data(shop, CREATE, {"f": {"lineItemsByFulfillmentOrder": [two_of_first], "trackingInfo": tracking}})
    first = first["fulfillmentCreate"]
    assert first["userErrors"] == [] and first["fulfillment"]["status"] == "SUCCESS"
    read = _order(shop, order)
    assert read["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert read["fulfillments"][0]["trackingInfo"] == [
        {"company": "UPS", "number": "1Z1", "url": "https://ups.example/1Z1"}
    ]
    level = next(r for r in shop.control.levels(["SKU-0000001"]) if r["location_id"].endswith("/70100000001"))
    assert (level["committed"], level["on_hand"]) == (1, 8)  # shipped units leave committed and on_hand

    rest = _data(
        shop, CREATE, {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fulfillment_order["id"]}]}}
    )
    assert rest["fulfillmentCreate"]["userErrors"] == []
    read = _order(shop, order)
    assert (read["displayFulfillmentStatus"], read["fulfillable"]) == ("FULFILLED", False)
    assert read["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"


def test_user_errors_name_what_cannot_be_fulfilled_and_change_nothing(shop) -> None:
    order = shop.control.place_order({"SKU-0000003": 1})
    (fulfillment_order,) = _order(shop, order)["fulfillmentOrders"]["nodes"]
    too_many = _data(shop, CREATE, {"f": {"lineItemsByFulfillmentOrder": [_lines(fulfillment_order, [2])]}})
    assert too_many["fulfillmentCreate"]["userErrors"] == [
        {
            "field": ["fulfillment", "lineItemsByFulfillmentOrder", "0", "fulfillmentOrderLineItems"],
            "message": "Invalid fulfillment order line item quantity requested.",
        }
    ]
    shop.control.cancel_order(order["legacy_id"])
    cancelled = _data(shop, CREATE, {"f": {"lineItemsByFulfillmentOrder": [_lines(fulfillment_order, [1])]}})
    (error,) = cancelled["fulfillmentCreate"]["userErrors"]
    assert "unfulfillable status= cancelled" in error["message"]
    missing = _data(
        shop,
        CREATE,
        {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1"}]}},
    )
    assert missing["fulfillmentCreate"]["userErrors"][0]["message"] == "Fulfillment order does not exist."
    assert _order(shop, order)["fulfillments"] == []


def test_moving_part_of_a_fulfillment_order_splits_it_and_moves_the_commitment(shop) -> None:
    order = shop.control.place_order({"SKU-0000004": 3})
    (fulfillment_order,) = _order(shop, order)["fulfillmentOrders"]["nodes"]
    line = fulfillment_order["lineItems"]["nodes"][0]["id"]
    moved = _data(shop, MOVE, {"id": fulfillment_order["id"], "to": LOCATION_1, "lines": [{"id": line, "quantity": 1}]})
    payload = moved["fulfillmentOrderMove"]
    assert payload["userErrors"] == []
    assert payload["movedFulfillmentOrder"]["id"] != fulfillment_order["id"]
    assert payload["movedFulfillmentOrder"]["assignedLocation"]["location"]["id"] == LOCATION_1
    levels = {r["location_id"][-1]: r["committed"] for r in shop.control.levels(["SKU-0000004"])}
    assert levels == {"1": 2, "2": 1}
    same = _data(shop, MOVE, {"id": payload["movedFulfillmentOrder"]["id"], "to": LOCATION_1})
    assert same["fulfillmentOrderMove"]["userErrors"][0]["field"] == ["newLocationId"]


def test_a_fulfillment_sends_fulfillments_create_and_orders_fulfilled_valid_against_their_schemas(
    shop, receiver
) -> None:
    for topic in ("fulfillments/create", "orders/fulfilled"):
        shop.control.subscribe(topic, receiver.url)
    buyer = {"email": "ada@example.com", "first_name": "Ada", "last_name": "L"}
    order = shop.control.place_order({"SKU-0000005": 1}, customer=buyer)
    (fulfillment_order,) = _order(shop, order)["fulfillmentOrders"]["nodes"]
    made = _data(
        shop,
        CREATE,
        {
            "f": {
                "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fulfillment_order["id"]}],
                "trackingInfo": {"company": "DHL", "number": "JD01", "url": "https://dhl.example/JD01"},
            }
        },
    )
    fulfillment = made["fulfillmentCreate"]["fulfillment"]["id"]
    received = receiver.wait_for(2)
    assert sorted(r["headers"]["x-shopify-topic"] for r in received) == ["fulfillments/create", "orders/fulfilled"]
    for request in received:
        topic = request["headers"]["x-shopify-topic"]
        validator = jsonschema.Draft202012Validator(webhook_schema(topic), format_checker=jsonschema.FormatChecker())
        body = json.loads(request["body"])
        assert [e.message for e in validator.iter_errors(body)] == [], topic
    created = json.loads(next(r for r in received if r["headers"]["x-shopify-topic"] == "fulfillments/create")["body"])
    assert (created["admin_graphql_api_id"], created["tracking_number"]) == (fulfillment, "JD01")
    updated = _data(shop, TRACKING, {"id": fulfillment, "t": {"number": "JD02"}})
    assert updated["fulfillmentTrackingInfoUpdate"]["fulfillment"]["trackingInfo"] == [{"number": "JD02"}]
