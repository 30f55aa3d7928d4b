"""Webhooks: Shopify-shaped payloads, signatures Shopify's own package accepts, every header, and
at-least-once delivery with retries on a compressed schedule."""

from __future__ import annotations

import itertools
import json
import time
from decimal import Decimal

import jsonschema
from shopify_app import ShopifyApp

from erp_shopify.artefacts import webhook_schema
from erp_shopify.mapping.order_totals import credit_total, document_amounts, money
from erp_shopify.mapping.orders import CreateOrder, CreditRefund, OrderMapping, order_action
from erp_shopify_tests.order_scenarios import SCENARIOS
from erp_shopify_tests.test_sandbox.conftest import SECRET, graphql

TOPICS = (
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "refunds/create",
    "inventory_levels/update",
    "customers/update",
)


# line and order discounts, paid shipping with a shipping discount, two taxes on lines
PRICED = SCENARIOS["discounts-paid-shipping-two-taxes"][1]


def _subscribe_all(shop, receiver, topics=TOPICS) -> None:
    for topic in topics:
        shop.control.subscribe(topic, receiver.url)


def test_every_payload_validates_against_its_published_schema_and_verifies_with_shopifyapp(shop, receiver) -> None:
    _subscribe_all(shop, receiver, (*TOPICS, "products/update"))
    order = shop.control.place_order(
        {"SKU-0000001": 2, "SKU-0000002": 1},
        customer={"email": "a@example.com", "first_name": "Ada", "last_name": "L"},
        pricing=PRICED,
    )
    shop.control.refund_order(order["legacy_id"], {"SKU-0000001": 1})
    shop.control.cancel_order(order["legacy_id"])
    shop.control.update_customer("a@example.com", "Ada", "Lovelace")
    product = shop.control.variants(["SKU-0000003"])[0]["product_id"]
    variant = shop.control.variants(["SKU-0000003"])[0]["id"]
    graphql(
        shop,
        "mutation($p: ID!, $v: ID!) { productVariantsBulkUpdate(productId: $p,"
        ' variants: [{id: $v, price: "9.50"}]) { userErrors { code } } }',
        {"p": product, "v": variant},
    )
    received = receiver.wait_for(13)
    app = ShopifyApp(client_id="sandbox-app", client_secret=SECRET)
    topics_seen = set()
    for request in received:
        topic = request["headers"]["x-shopify-topic"]
        topics_seen.add(topic)
        validator = jsonschema.Draft202012Validator(webhook_schema(topic), format_checker=jsonschema.FormatChecker())
        assert [e.message for e in validator.iter_errors(json.loads(request["body"]))] == [], topic
        verdict = app.verify_webhook_req(
            {"method": "POST", "headers": request["headers"], "url": request["url"], "body": request["body"].decode()}
        )
        assert verdict.ok, topic
        for header in (
            "x-shopify-shop-domain",
            "x-shopify-api-version",
            "x-shopify-webhook-id",
            "x-shopify-event-id",
            "x-shopify-triggered-at",
        ):
            assert request["headers"][header]
    assert topics_seen == {*TOPICS, "products/update"}


def test_a_tampered_body_fails_shopifyapp_verification(shop, receiver) -> None:
    _subscribe_all(shop, receiver, ("orders/create",))
    shop.control.place_order({"SKU-0000001": 1})
    request = receiver.wait_for(1)[0]
    app = ShopifyApp(client_id="sandbox-app", client_secret=SECRET)
    forged = request["body"].decode().replace('"quantity":1', '"quantity":9')
    assert not app.verify_webhook_req(
        {"method": "POST", "headers": request["headers"], "url": request["url"], "body": forged}
    ).ok


def test_a_failing_endpoint_is_retried_on_the_compressed_schedule_with_the_same_ids(shop, receiver) -> None:
    receiver.fail_first = 3
    # Delays of 56, 113 and 226 ms: long enough that a loaded machine's scheduling noise (a few ms per
    # attempt) cannot hide the doubling, as it could at the fixture's 1e-4 (5.6 and 11 ms).
    shop.control.configure(webhook_time_scale=0.001)
    _subscribe_all(shop, receiver, ("orders/create",))
    shop.control.place_order({"SKU-0000004": 1})
    attempts = receiver.wait_for(4, timeout=15)
    assert len({a["headers"]["x-shopify-event-id"] for a in attempts}) == 1
    assert len({a["headers"]["x-shopify-webhook-id"] for a in attempts}) == 1  # a retry redelivers the same webhook
    # The sandbox logs an attempt once its answer is back, just after the receiver has seen it.
    deadline = time.monotonic() + 5
    while len(log := shop.control.deliveries()["deliveries"]) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [(d["attempt"], d["ok"]) for d in log] == [(1, False), (2, False), (3, False), (4, True)]
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(log)]
    assert gaps[1] > gaps[0] * 1.5  # exponential: 56 s, 113 s, 226 s, compressed


def test_duplicate_delivery_sends_two_webhooks_of_one_event(shop, receiver) -> None:
    shop.control.configure(duplicate_webhooks=True)
    _subscribe_all(shop, receiver, ("orders/create",))
    shop.control.place_order({"SKU-0000005": 1})
    first, second = receiver.wait_for(2)[:2]
    assert first["headers"]["x-shopify-event-id"] == second["headers"]["x-shopify-event-id"]
    assert first["headers"]["x-shopify-webhook-id"] != second["headers"]["x-shopify-webhook-id"]
    assert first["body"] == second["body"]


def test_a_storefront_order_moves_units_from_available_to_committed(shop) -> None:
    order = shop.control.place_order({"SKU-0000006": 3})
    level = next(row for row in shop.control.levels(["SKU-0000006"]) if row["location_id"].endswith("/70100000001"))
    assert (level["available"], level["committed"], level["on_hand"]) == (7, 3, 10)
    shop.control.refund_order(order["legacy_id"], {"SKU-0000006": 1}, restock=True)
    level = next(row for row in shop.control.levels(["SKU-0000006"]) if row["location_id"].endswith("/70100000001"))
    assert (level["available"], level["committed"]) == (8, 2)


def test_a_priced_orders_webhook_maps_to_an_order_with_its_total_to_the_cent(shop, receiver) -> None:
    _subscribe_all(shop, receiver, ("orders/create",))
    for _, pricing in SCENARIOS.values():
        shop.control.place_order({"SKU-0000001": 2, "SKU-0000002": 3}, pricing=pricing)
    mapping = OrderMapping(shop="sandbox", sku_xref={"SKU-0000001": "A", "SKU-0000002": "B"}, currency="USD")
    for request in receiver.wait_for(len(SCENARIOS)):
        payload = json.loads(request["body"])
        action = order_action("orders/create", payload, mapping)
        assert isinstance(action, CreateOrder)
        assert document_amounts(action.order).total == Decimal(payload["total_price"]) == action.order.total


def test_an_order_with_a_tip_duties_and_fees_is_schema_valid_and_carries_them(shop, receiver) -> None:
    _subscribe_all(shop, receiver, ("orders/create",))
    extras = {"tip": "2.00", "duties": "3.10", "additional_fees": "0.75"}
    customer = {"email": "a@example.com", "first_name": "Ada", "last_name": "L"}
    shop.control.place_order({"SKU-0000001": 1}, customer=customer, pricing={**PRICED, **extras})
    [request] = receiver.wait_for(1)
    payload = json.loads(request["body"])
    schema = webhook_schema("orders/create")
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    assert [e.message for e in validator.iter_errors(payload)] == []
    assert (
        payload["total_tip_received"],
        payload["original_total_duties_set"]["shop_money"]["amount"],
        payload["current_total_additional_fees_set"]["shop_money"]["amount"],
    ) == ("2.00", "3.10", "0.75")
    mapping = OrderMapping(shop="sandbox", sku_xref={"SKU-0000001": "A"}, currency="USD")
    action = order_action("orders/create", payload, mapping)
    assert isinstance(action, CreateOrder)
    assert [(c.kind, c.amount) for c in action.order.charges] == [
        ("tip", Decimal("2.00")),
        ("duty", Decimal("3.10")),
        ("fee", Decimal("0.75")),
    ]
    assert document_amounts(action.order).total == Decimal(payload["total_price"])


def test_a_refund_of_a_priced_order_carries_its_shares_and_maps_to_a_credit_of_its_amount(shop, receiver) -> None:
    _subscribe_all(shop, receiver, ("orders/create", "refunds/create"))
    order = shop.control.place_order({"SKU-0000001": 2, "SKU-0000002": 3}, pricing=PRICED)
    shop.control.refund_order(order["legacy_id"], {"SKU-0000002": 1}, shipping=True)
    by_topic = {r["headers"]["x-shopify-topic"]: json.loads(r["body"]) for r in receiver.wait_for(2)}
    payload = by_topic["refunds/create"]
    schema = webhook_schema("refunds/create")
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    assert [e.message for e in validator.iter_errors(payload)] == []
    mapping = OrderMapping(shop="sandbox", sku_xref={"SKU-0000001": "A", "SKU-0000002": "B"}, currency="USD")
    action = order_action("refunds/create", payload, mapping)
    assert isinstance(action, CreditRefund)
    credit = action.credit
    [line] = credit.lines
    # a third of the ordered line as the order webhook shows it: after its discounts, each tax a third
    ordered = next(i for i in by_topic["orders/create"]["line_items"] if i["sku"] == "SKU-0000002")
    net = (Decimal(ordered["price"]) * 3 - Decimal(ordered["total_discount"])) / 3
    tax = sum(money(Decimal(t["price"]) / 3) for t in ordered["tax_lines"])
    assert (line.amount - line.tax, line.tax, [t.rate for t in line.taxes]) == (
        money(net),
        tax,
        [Decimal("0.05"), Decimal("0.07")],
    )
    assert credit.shipping == Decimal("6.20")  # 6.90 less its 1.00 discount, and 0.30 of GST
    assert credit.amount == Decimal(payload["transactions"][0]["amount"]) == credit_total(credit)
    assert credit.amount == money(net) + tax + Decimal("6.20")
