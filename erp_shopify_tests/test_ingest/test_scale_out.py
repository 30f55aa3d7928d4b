"""Several receiver processes on one Redis dedupe as one: the dedupe marker and the XADD are one
script, so whichever process answers first queues the event and every other answers duplicate."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
import redis
import yaml

from erp_shopify.ingest.app import WEBHOOK_PATH
from erp_shopify.shopify.webhooks import sign
from erp_shopify.store import EventStream, PendingUnits
from erp_shopify_tests.receiver_process import serving
from erp_shopify_tests.redis_cluster import ON_SINGLE_AND_CLUSTER, RedisTarget

from .conftest import DEFAULT_LOCATION, DOMAIN, SECRET, make_settings, order_payload

EVENTS = 150
POSTS_PER_RECEIVER = 2  # Shopify's own retries on top of the same event reaching two receivers
IN_FLIGHT = 48


async def _post_everywhere(urls: list[str], event_ids: list[str]) -> list[tuple[str, dict[str, str]]]:
    """Every event to every receiver ``POSTS_PER_RECEIVER`` times, all interleaved and in flight
    together; each answer with its event id."""
    limit = asyncio.Semaphore(IN_FLIGHT)
    # A new connection per request, so that every uvicorn worker of a receiver answers some.
    async with httpx.AsyncClient(timeout=30, headers={"Connection": "close"}) as http:

        async def post(url: str, event_id: str, order: int) -> tuple[str, dict[str, str]]:
            body = json.dumps(order_payload(order)).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Hmac-Sha256": sign(body, SECRET),
                "X-Shopify-Shop-Domain": DOMAIN,
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Webhook-Id": uuid.uuid4().hex,
            }
            async with limit:
                answer = await http.post(f"{url}{WEBHOOK_PATH}", content=body, headers=headers)
            assert answer.status_code == 200, answer.text
            return event_id, answer.json()

        posts = [
            post(url, event_id, order)
            for _ in range(POSTS_PER_RECEIVER)
            for order, event_id in enumerate(event_ids)
            for url in urls
        ]
        return await asyncio.gather(*posts)


@pytest.mark.slow  # three receiver processes
@ON_SINGLE_AND_CLUSTER
def test_the_same_event_posted_to_two_receivers_at_once_is_queued_exactly_once(
    shop_secrets: None, redis_target: RedisTarget, key_prefix: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    config = tmp_path / "shops.yaml"
    settings = make_settings(redis=redis_target.settings(key_prefix))
    config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude_none=True)))
    event_ids = [f"evt-{n}" for n in range(EVENTS)]
    with serving(config, {}, workers=2) as first, serving(config, {}) as second:
        answers = asyncio.run(_post_everywhere([f"http://127.0.0.1:{port}" for port in (first, second)], event_ids))

    statuses = Counter(answer["status"] for _, answer in answers)
    assert statuses == {"queued": EVENTS, "duplicate": EVENTS * (2 * POSTS_PER_RECEIVER - 1)}
    stream_ids: dict[str, set[str]] = {}
    for event_id, answer in answers:
        stream_ids.setdefault(event_id, set()).add(answer["stream_id"])
    assert all(len(ids) == 1 for ids in stream_ids.values())  # every answer names the one entry
    queued = EventStream(redis_client, key_prefix).claim_batch("check", count=EVENTS * 10)
    assert sorted(event.event_id for event in queued) == sorted(event_ids)
    assert {event.stream_id for event in queued} == {ids.pop() for ids in stream_ids.values()}
    units = PendingUnits(redis_client, key_prefix).totals("demo-us")
    assert units == {("IPOD-342-N", DEFAULT_LOCATION): 3 * EVENTS, ("SHIRT-M", DEFAULT_LOCATION): 3 * EVENTS}
