"""The webhook receiver: ``POST /webhooks/shopify``, answered 200 only once the event is durably queued.

Checks run cheapest and safest first: the declared size, the required headers, a configured shop,
the streamed size, the HMAC (constant time, current and previous secret during a rotation), the
topic, the JSON. Answers are JSON: 400 malformed (a missing header, bad JSON, a topic the sync
policy does not route: the URL is right, the request is not, so 400 rather than 404), 401 bad
signature or unknown shop, 413 too large, 503 when Redis cannot be reached (Shopify then retries,
and the dedupe on ``X-Shopify-Event-Id`` makes the retry safe). A duplicate answers 200 and queues
nothing. Echo topics pass the loop guard first: our own write coming back is answered 200 and
dropped; a change to an ERP-owned field is recorded as a conflict. Neither secrets nor HMACs are
ever logged. ``GET /metrics`` serves the Prometheus metrics of ``ingest.metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import redis.exceptions
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from erp_shopify.config import ConfigError, Settings, ShopConfig
from erp_shopify.ingest.counts import IngestCounts
from erp_shopify.ingest.events import (
    MalformedWebhook,
    observations,
    pending_lines,
    product_observation,
    routing_key,
)
from erp_shopify.ingest.metrics import IngestMetrics
from erp_shopify.policy import CUSTOMER_ECHO_TOPICS, routed_topics
from erp_shopify.shopify.webhooks import verify
from erp_shopify.store.connection import RECEIVER_CONNECTIONS, RECEIVER_WAIT_SECONDS, connect_async, learn_cluster
from erp_shopify.store.durability import all_met, check_async
from erp_shopify.store.fingerprints import AsyncFingerprints, Verdict
from erp_shopify.store.rechecks import AsyncRechecks
from erp_shopify.store.stream import AsyncEventWriter, InboundEvent

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/shopify"
REQUIRED_HEADERS = ("X-Shopify-Topic", "X-Shopify-Hmac-Sha256", "X-Shopify-Shop-Domain", "X-Shopify-Event-Id")
ECHO_TOPICS = frozenset({"products/update", *CUSTOMER_ECHO_TOPICS})
INVENTORY_TOPIC = "inventory_levels/update"  # an echo, or a level the next sync rechecks: never queued


@dataclass(frozen=True)
class ShopSecrets:
    shop: ShopConfig
    secrets: tuple[str, ...]  # current first, then the previous one during a rotation
    problem: str = ""  # why the secrets could not be read (the env var is named, never a value)


def _shop_secrets(shop: ShopConfig) -> ShopSecrets:
    try:
        secrets = [shop.webhook_secret.value()]
        if shop.previous_webhook_secret is not None:
            secrets.append(shop.previous_webhook_secret.value())
    except ConfigError as exc:
        log.error("shop %s: webhooks cannot be verified: %s", shop.name, exc)
        return ShopSecrets(shop, (), problem=str(exc))
    return ShopSecrets(shop, tuple(secrets))


def _answer(status: int, code: str, message: str = "", **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"status": code} if status < 400 else {"error": code, "message": message}
    return JSONResponse({**body, **extra}, status_code=status)


class WebhookReceiver:
    """The state of one receiver process: shops by domain, the Redis writers, what it counted."""

    def __init__(self, settings: Settings, *, redis_url: str | None = None, key_prefix: str | None = None) -> None:
        self.settings = settings
        self.redis_config = settings.redis.model_copy(
            update={"url": redis_url or settings.redis.url, "key_prefix": key_prefix or settings.redis.key_prefix}
        )
        self.key_prefix = self.redis_config.key_prefix
        self.max_body_bytes = settings.ingest.max_body_bytes
        self.shops = {shop.domain: _shop_secrets(shop) for shop in settings.shops}
        self.topics = routed_topics()
        self.counts = IngestCounts()
        self.metrics = IngestMetrics(self.topics)
        self.in_flight = asyncio.Semaphore(RECEIVER_CONNECTIONS)  # see store/connection.py

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.redis = connect_async(self.redis_config)
        await learn_cluster(self.redis)
        self.events = AsyncEventWriter(
            self.redis, self.key_prefix, dedupe_ttl_seconds=self.settings.ingest.dedupe_ttl_seconds
        )
        self.guard = AsyncFingerprints(self.redis, self.key_prefix)
        self.rechecks = AsyncRechecks(self.redis, self.key_prefix)
        try:
            async with self.counts.flushing(self.redis, self.key_prefix):
                yield
        finally:
            await self.redis.aclose()

    def count(self, name: str) -> None:
        self.counts.add(name)
        self.metrics.count(name)

    def reject(self, status: int, code: str, message: str, **context: str) -> JSONResponse:
        self.count(f"rejected_{code}")
        log.warning("webhook rejected (%s): %s %s", status, message, " ".join(f"{k}={v}" for k, v in context.items()))
        return _answer(status, code, message)

    async def receive(self, request: Request) -> JSONResponse:
        started = time.perf_counter()
        response = await self._receive(request)
        topic = request.headers.get("X-Shopify-Topic", "").strip()
        self.metrics.answered(topic, response.status_code, time.perf_counter() - started)
        return response

    async def _receive(self, request: Request) -> JSONResponse:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            return self.reject(413, "too_large", f"body exceeds {self.max_body_bytes} bytes")
        missing = [name for name in REQUIRED_HEADERS if not request.headers.get(name)]
        if missing:
            return self.reject(400, "missing_header", f"missing header(s): {', '.join(missing)}")
        domain = request.headers["X-Shopify-Shop-Domain"].strip().lower()
        shop = self.shops.get(domain)
        if shop is None:
            return self.reject(401, "unknown_shop", "the shop domain is not configured", shop=domain)
        if shop.problem:
            return self.reject(503, "shop_not_ready", "the shop's webhook secret is not available", shop=domain)
        body = await self._read_capped(request)
        if body is None:
            return self.reject(413, "too_large", f"body exceeds {self.max_body_bytes} bytes", shop=domain)
        if not verify(body, request.headers["X-Shopify-Hmac-Sha256"], shop.secrets):
            return self.reject(401, "bad_signature", "HMAC does not match the shop's webhook secret", shop=domain)
        topic = request.headers["X-Shopify-Topic"].strip()
        if topic not in self.topics:
            return self.reject(400, "unknown_topic", f"topic {topic!r} is not routed by the sync policy", shop=domain)
        try:
            payload = json.loads(body)
        except ValueError:
            return self.reject(400, "bad_json", "body is not valid JSON", shop=domain, topic=topic)
        if not isinstance(payload, dict) or not isinstance(payload.get("admin_graphql_api_id"), str):
            return self.reject(400, "bad_payload", "payload has no admin_graphql_api_id", shop=domain, topic=topic)
        try:
            async with self._redis_turn():
                return await self._accept(request, shop.shop, topic, payload, body)
        except MalformedWebhook as exc:
            return self.reject(400, "bad_payload", str(exc), shop=domain, topic=topic)
        except redis.exceptions.RedisError as exc:
            self.count("rejected_queue_unavailable")
            log.error("webhook not queued, Redis unavailable (%s): shop=%s topic=%s", type(exc).__name__, domain, topic)
            response = _answer(503, "queue_unavailable", "the event queue cannot be reached; retry later")
            response.headers["Retry-After"] = "5"
            return response

    async def _accept(
        self, request: Request, shop: ShopConfig, topic: str, payload: dict[str, Any], body: bytes
    ) -> JSONResponse:
        if topic == INVENTORY_TOPIC:
            [(key, values)] = observations(topic, payload).items()
            echo = await self.rechecks.observe(shop.name, key, values, time.time())
            self.count("echo" if echo else "recheck")
            return _answer(200, "echo" if echo else "recheck")
        if topic in ECHO_TOPICS:
            seen = observations(topic, payload, shop.name)
            verdicts: set[Verdict | None] = {
                await self.guard.observe(shop.name, topic, key, values) for key, values in seen.items()
            }
            product = product_observation(topic, payload)
            if product is not None:
                judged = await self.guard.observe(shop.name, topic, *product, tracked_only=True)
                if judged is not None:
                    seen[product[0]] = product[1]
                    verdicts.add(judged)
            if not seen or verdicts == {Verdict.ECHO}:
                self.count("echo" if seen else "ignored")
                return _answer(200, "echo" if seen else "ignored")
            if Verdict.CHANGE not in verdicts:
                self.count("conflict")
                return _answer(200, "conflict")
        event = InboundEvent(
            shop=shop.name,
            topic=topic,
            event_id=request.headers["X-Shopify-Event-Id"].strip(),
            routing_key=routing_key(topic, payload),
            body=body,
            headers={k: v for k, v in request.headers.items() if k.lower().startswith("x-shopify-")},
            received_at=time.time(),
        )
        held_back = None
        if topic == "orders/create":
            held_back = pending_lines(payload, next(iter(shop.locations.values())))
        result = await self.events.append(event, held_back)
        self.count("duplicate" if result.duplicate else "queued")
        return _answer(200, "duplicate" if result.duplicate else "queued", stream_id=result.stream_id)

    @contextlib.asynccontextmanager
    async def _redis_turn(self) -> AsyncIterator[None]:
        """One of ``RECEIVER_CONNECTIONS`` webhooks at Redis at once; a burst waits its turn as long
        as the single Redis's blocking pool would, then fails as it would (a 503)."""
        try:
            async with asyncio.timeout(RECEIVER_WAIT_SECONDS):
                await self.in_flight.acquire()
        except TimeoutError:
            raise redis.exceptions.ConnectionError("no Redis connection free in time") from None
        try:
            yield
        finally:
            self.in_flight.release()

    async def _read_capped(self, request: Request) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    async def healthz(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "counts": dict(self.counts.local)})

    async def readyz(self, request: Request) -> JSONResponse:
        try:
            await self.redis.ping()
            findings = await check_async(self.redis)
        except redis.exceptions.RedisError as exc:
            return _answer(503, "redis_unavailable", type(exc).__name__)
        # Ready either way: refusing webhooks would lose more than a Redis short of durability.
        durability = {finding.name: f"{finding.status}: {finding.detail}" for finding in findings}
        return JSONResponse({"status": "ready", "redis_durable": all_met(findings), "redis": durability})

    async def metrics_page(self, request: Request) -> Response:
        return Response(self.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def create_app(settings: Settings, *, redis_url: str | None = None, key_prefix: str | None = None) -> Starlette:
    """The receiver for ``settings``' shops; ``redis_url``/``key_prefix`` override the settings'."""
    receiver = WebhookReceiver(settings, redis_url=redis_url, key_prefix=key_prefix)
    app = Starlette(
        routes=[
            Route(WEBHOOK_PATH, receiver.receive, methods=["POST"]),
            Route("/healthz", receiver.healthz, methods=["GET"]),
            Route("/readyz", receiver.readyz, methods=["GET"]),
            Route("/metrics", receiver.metrics_page, methods=["GET"]),
        ],
        lifespan=receiver.lifespan,
    )
    app.state.receiver = receiver
    return app


def app_from_environment() -> Starlette:
    """The uvicorn factory of ``erp-shopify webhooks serve``: the shops file from the environment."""
    from erp_shopify.config import load_settings

    return create_app(load_settings())
