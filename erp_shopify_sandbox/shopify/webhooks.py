"""Webhook subscriptions and at-least-once delivery, as Shopify does it: signed, with every header,
retried after a non-2xx answer or a 5 s timeout (8 retries over 4 hours, exponential), the
subscription removed after the last failure. ``time_scale`` compresses the schedule for tests."""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from erp_shopify_sandbox.shopify.state import now_iso

API_VERSION = "2026-10"
TOPICS = (
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "refunds/create",
    "products/create",
    "products/update",
    "inventory_levels/update",
    "customers/create",
    "customers/update",
    "company_locations/update",
    "fulfillments/create",
    "orders/fulfilled",
)
RETRIES = 8
RETRY_WINDOW_SECONDS = 4 * 3600
FIRST_RETRY_SECONDS = RETRY_WINDOW_SECONDS / (2**RETRIES - 1)  # delays double: 56 s ... 2 h, 4 h in all


def hmac_header(body: bytes, secret: str) -> str:
    """``X-Shopify-Hmac-Sha256`` as Shopify documents it: the base64 HMAC-SHA256 digest of the raw
    body, keyed with the app's client secret. Kept apart from the receiver's check so that the two
    sides meet only on the wire (and in the tests against Shopify's own ``shopifyapp``)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def retry_delay(retry: int) -> float:
    """Seconds before retry number ``retry`` (1-based), before time compression."""
    return FIRST_RETRY_SECONDS * 2 ** (retry - 1)


@dataclass
class Subscription:
    id: int
    topic: str
    address: str
    active: bool = True


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    subscription: Subscription = field(compare=False)
    topic: str = field(compare=False)
    body: bytes = field(compare=False)
    event_id: str = field(compare=False)
    triggered_at: str = field(compare=False)
    webhook_id: str = field(compare=False)
    attempt: int = field(compare=False, default=1)


class WebhookDispatcher:
    def __init__(
        self, shop_domain: str, secret: str, *, time_scale: float = 1.0, timeout: float = 5.0, duplicate: bool = False
    ) -> None:
        self.shop_domain = shop_domain
        self.secret = secret
        self.time_scale = time_scale
        self.timeout = timeout
        self.duplicate = duplicate
        self.subscriptions: list[Subscription] = []
        self.log: list[dict[str, Any]] = []
        self._queue: list[_Delivery] = []
        self._sending = 0  # popped from the queue, answer not yet logged
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook")
        self._http = httpx.Client(timeout=timeout)
        self._thread = threading.Thread(target=self._run, name=f"webhooks-{shop_domain}", daemon=True)
        self._thread.start()

    def subscribe(self, topic: str, address: str) -> Subscription:
        if topic not in TOPICS:
            raise ValueError(f"topic {topic!r} is not one the sandbox sends: {', '.join(TOPICS)}")
        if not address.startswith(("http://", "https://")):
            raise ValueError(f"callback address {address!r} must be an http(s) URL")
        with self._wake:
            subscription = Subscription(len(self.subscriptions) + 1, topic, address)
            self.subscriptions.append(subscription)
            return subscription

    def emit(self, topic: str, payload: dict[str, Any]) -> str:
        """Queue one event for every active subscription to ``topic``; returns the event id."""
        event_id = str(uuid.uuid4())
        body = json.dumps(payload, separators=(",", ":")).encode()
        triggered_at = now_iso()
        with self._wake:
            for subscription in self.subscriptions:
                if subscription.active and subscription.topic == topic:
                    for _ in range(2 if self.duplicate else 1):
                        heapq.heappush(
                            self._queue,
                            _Delivery(
                                time.monotonic(),
                                next(self._seq),
                                subscription,
                                topic,
                                body,
                                event_id,
                                triggered_at,
                                str(uuid.uuid4()),
                            ),
                        )
            self._wake.notify()
        return event_id

    def pending(self) -> int:
        """Deliveries queued or on their way (0: every event so far was answered, for now)."""
        with self._wake:
            return len(self._queue) + self._sending

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._queue or self._queue[0].due > time.monotonic()):
                    self._wake.wait(timeout=(self._queue[0].due - time.monotonic()) if self._queue else None)
                if self._stopped:
                    return
                delivery = heapq.heappop(self._queue)
                self._sending += 1
            self._pool.submit(self._send, delivery)

    def _send(self, delivery: _Delivery) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Hmac-Sha256": hmac_header(delivery.body, self.secret),
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Webhook-Id": delivery.webhook_id,
            "X-Shopify-Event-Id": delivery.event_id,
            "X-Shopify-Triggered-At": delivery.triggered_at,
        }
        status: int | None = None
        try:
            status = self._http.post(delivery.subscription.address, content=delivery.body, headers=headers).status_code
        except httpx.HTTPError:
            status = None  # a timeout or refused connection counts as a failure
        ok = status is not None and 200 <= status < 300
        with self._wake:
            self._sending -= 1
            self.log.append(
                {
                    "topic": delivery.topic,
                    "address": delivery.subscription.address,
                    "webhook_id": delivery.webhook_id,
                    "event_id": delivery.event_id,
                    "attempt": delivery.attempt,
                    "status": status,
                    "ok": ok,
                    "at": time.time(),
                }
            )
            if ok:
                return
            if delivery.attempt > RETRIES:
                delivery.subscription.active = False  # Shopify removes a subscription that keeps failing
                return
            delivery.due = time.monotonic() + retry_delay(delivery.attempt) * self.time_scale
            delivery.attempt += 1
            delivery.seq = next(self._seq)
            heapq.heappush(self._queue, delivery)
            self._wake.notify()
