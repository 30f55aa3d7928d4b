"""The webhook receiver over real HTTP and real Redis: what it queues, what it refuses, and why."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import httpx
import pytest
import redis
import yaml
from click.testing import CliRunner

from erp_shopify.cli import main
from erp_shopify.ingest.app import WEBHOOK_PATH, create_app
from erp_shopify.ingest.counts import read_counts
from erp_shopify.shopify.webhooks import sign
from erp_shopify.store import EventStream, PendingUnits
from erp_shopify.store.durability import all_met, check
from erp_shopify_sandbox.server import ServerThread
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER

from .conftest import DEFAULT_LOCATION, DOMAIN, PREVIOUS_SECRET, SECRET, Receiver, make_settings, order_payload


@ON_SINGLE_AND_CLUSTER
def test_a_signed_order_is_queued_with_its_raw_body(receiver: Receiver) -> None:
    payload = order_payload()
    response = receiver.send("orders/create", payload, event_id="evt-1")
    assert response.status_code == 200
    assert response.json()["status"] == "queued"
    [event] = receiver.stream.claim_batch("worker", count=10)
    assert event.stream_id == response.json()["stream_id"]
    assert event.body == json.dumps(payload).encode()
    assert (event.shop, event.topic, event.event_id) == ("demo-us", "orders/create", "evt-1")
    assert event.routing_key == "gid://shopify/Order/820982911946154508"
    assert event.headers["x-shopify-hmac-sha256"] == "[redacted]"
    assert event.headers["x-shopify-webhook-id"]


@ON_SINGLE_AND_CLUSTER
def test_a_redelivered_event_is_answered_200_and_queued_once(receiver: Receiver) -> None:
    first = receiver.send("orders/create", order_payload(), event_id="evt-dup")
    again = receiver.send("orders/create", order_payload(), event_id="evt-dup")
    assert first.status_code == again.status_code == 200
    assert again.json() == {"status": "duplicate", "stream_id": first.json()["stream_id"]}
    assert receiver.stream.depth() == 1


@ON_SINGLE_AND_CLUSTER
def test_an_order_holds_back_its_units_at_the_default_location(
    receiver: Receiver, redis_client: redis.Redis, key_prefix: str
) -> None:
    receiver.send("orders/create", order_payload(1), event_id="a")
    receiver.send("orders/create", order_payload(2, location_id=1002), event_id="b")
    receiver.send("orders/create", order_payload(2, location_id=1002), event_id="b")  # redelivery
    totals = PendingUnits(redis_client, key_prefix).totals("demo-us")
    assert totals == {
        ("IPOD-342-N", DEFAULT_LOCATION): 3,
        ("SHIRT-M", DEFAULT_LOCATION): 3,
        ("IPOD-342-N", "gid://shopify/Location/1002"): 3,
        ("SHIRT-M", "gid://shopify/Location/1002"): 3,
    }


def test_the_previous_secret_is_accepted_during_a_rotation(receiver: Receiver) -> None:
    assert receiver.send("orders/paid", order_payload(), secret=PREVIOUS_SECRET).status_code == 200
    assert receiver.stream.depth() == 1


def test_a_bad_signature_is_refused_and_nothing_queued(receiver: Receiver) -> None:
    response = receiver.send("orders/create", order_payload(), secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"
    assert receiver.stream.depth() == 0


def test_a_body_changed_after_signing_is_refused(receiver: Receiver) -> None:
    body = json.dumps(order_payload()).encode()
    from erp_shopify.shopify.webhooks import sign

    response = receiver.send(
        "orders/create", body=body.replace(b"9999", b"9998"), headers={"X-Shopify-Hmac-Sha256": sign(body, SECRET)}
    )
    assert response.status_code == 401 and receiver.stream.depth() == 0


def test_an_unknown_shop_is_refused(receiver: Receiver) -> None:
    response = receiver.send("orders/create", order_payload(), headers={"X-Shopify-Shop-Domain": "other.myshopify.com"})
    assert response.status_code == 401 and response.json()["error"] == "unknown_shop"
    assert receiver.stream.depth() == 0


@pytest.mark.parametrize(
    ("body", "error"),
    [(b"{not json", "bad_json"), (b'{"id": 1}', "bad_payload"), (b"[1, 2]", "bad_payload")],
    ids=["invalid-json", "no-admin-graphql-api-id", "not-an-object"],
)
def test_a_malformed_payload_is_refused_with_400(receiver: Receiver, body: bytes, error: str) -> None:
    response = receiver.send("orders/create", body=body)
    assert response.status_code == 400 and response.json()["error"] == error
    assert receiver.stream.depth() == 0


def test_a_missing_header_is_named_in_the_400(receiver: Receiver) -> None:
    response = receiver.send("orders/create", order_payload(), drop=("X-Shopify-Event-Id",))
    assert response.status_code == 400
    assert "X-Shopify-Event-Id" in response.json()["message"]
    assert receiver.stream.depth() == 0


def test_a_topic_the_policy_does_not_route_is_refused_with_400(receiver: Receiver) -> None:
    response = receiver.send("app/uninstalled", {"admin_graphql_api_id": "gid://shopify/Shop/1"})
    assert response.status_code == 400 and response.json()["error"] == "unknown_topic"
    assert receiver.stream.depth() == 0


def test_a_refund_is_routed_to_its_order(receiver: Receiver) -> None:
    refund = {"id": 5, "order_id": 450789469, "admin_graphql_api_id": "gid://shopify/Refund/5"}
    assert receiver.send("refunds/create", refund).status_code == 200
    [event] = receiver.stream.claim_batch("worker", count=1)
    assert event.routing_key == "gid://shopify/Order/450789469"


@ON_SINGLE_AND_CLUSTER
def test_health_and_readiness(receiver: Receiver, redis_client: redis.Redis) -> None:
    receiver.send("orders/create", order_payload())
    health = receiver.http.get(f"{receiver.url}/healthz")
    assert health.status_code == 200 and health.json()["counts"] == {"queued": 1}
    ready = receiver.http.get(f"{receiver.url}/readyz")
    findings = check(redis_client)  # ready either way; the durability of this Redis is reported
    durability = {finding.name: f"{finding.status}: {finding.detail}" for finding in findings}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "redis_durable": all_met(findings), "redis": durability}


def test_neither_secret_nor_signature_reaches_the_log(receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    body = json.dumps(order_payload()).encode()
    forged = "Zm9yZ2VkLXNpZ25hdHVyZQ=="
    receiver.send("orders/create", body=body, headers={"X-Shopify-Hmac-Sha256": forged})
    receiver.send("orders/create", body=body)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "bad_signature" in text or "HMAC" in text
    assert forged not in text and SECRET not in text and PREVIOUS_SECRET not in text


def test_only_post_is_accepted(receiver: Receiver) -> None:
    assert receiver.http.get(f"{receiver.url}{WEBHOOK_PATH}").status_code == 405


def test_a_refusal_is_json_that_says_what_was_wrong(receiver: Receiver) -> None:
    response = receiver.send("orders/create", order_payload(), secret="wrong")
    assert response.headers["content-type"] == "application/json"
    assert "HMAC" in response.json()["message"]


def test_receivers_sharing_a_redis_add_up_their_counts(
    shop_secrets: None, redis_url: str, key_prefix: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    for worker in range(2):  # two receiver processes' worth, each flushing at shutdown
        app = create_app(make_settings(), redis_url=redis_url, key_prefix=key_prefix)
        with ServerThread(app) as server, httpx.Client(timeout=10) as http:
            Receiver(server.url, http, EventStream(redis_client, key_prefix), app).send(
                "orders/create", order_payload(worker), event_id="same-event"
            )
    assert read_counts(redis_client, key_prefix) == {"duplicate": 1, "queued": 1}
    config = tmp_path / "shops.yaml"
    settings = make_settings().model_dump(mode="json", exclude_none=True)
    settings["redis"] = {"url": redis_url, "key_prefix": key_prefix}
    config.write_text(yaml.safe_dump(settings))
    result = CliRunner().invoke(main, ["webhooks", "stats", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "queued: 1" in result.output and "events waiting in the stream: 1" in result.output


@ON_SINGLE_AND_CLUSTER
def test_a_burst_larger_than_the_redis_pool_waits_its_turn_and_is_queued(receiver: Receiver) -> None:
    """100 webhooks at once against 64 connections: none is refused (the cluster client's pools
    do not wait, so the receiver must)."""
    body = json.dumps(order_payload()).encode()

    async def burst() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as http:

            async def post(n: int) -> int:
                headers = {
                    "X-Shopify-Topic": "orders/paid",
                    "X-Shopify-Hmac-Sha256": sign(body, SECRET),
                    "X-Shopify-Shop-Domain": DOMAIN,
                    "X-Shopify-Event-Id": f"burst-{n}",
                }
                return (await http.post(f"{receiver.url}{WEBHOOK_PATH}", content=body, headers=headers)).status_code

            return await asyncio.gather(*(post(n) for n in range(100)))

    assert asyncio.run(burst()) == [200] * 100
    assert receiver.stream.depth() == 100
