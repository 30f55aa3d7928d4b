"""Pacing when Shopify runs concurrent requests out of send order and answers them out of run
order: a fake transport holds every request until the test runs it (charging the bucket, which
fixes its status) and then answers it, so each interleaving is produced exactly, without sleeps."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from erp_shopify.shopify.client import ShopifyClient
from erp_shopify_tests.test_shopify.peer import GRAPHQL_PATH, ok, throttled

MUTATION = "mutation Touch { touch { userErrors { code } } }"  # costs 10 points
RESTORE_RATE = 0.001  # points per second: the bucket does not refill during the test


@dataclass
class HeldRequest:
    answered: threading.Event = field(default_factory=threading.Event)
    body: dict[str, Any] = field(default_factory=dict)


class ReorderingShopify(httpx.BaseTransport):
    def __init__(self, maximum: float) -> None:
        self.maximum = self.level = maximum
        self.throttled = 0
        self.requests: list[HeldRequest] = []
        self.hold = False
        self._arrived = threading.Condition()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        held = HeldRequest()
        with self._arrived:
            self.requests.append(held)
            self._arrived.notify_all()
        if not self.hold:
            self._run(held)
            held.answered.set()
        held.answered.wait()
        return httpx.Response(200, json=held.body)

    def wait_for(self, count: int) -> None:
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.requests) >= count, timeout=10)

    def run(self, index: int) -> None:
        self._run(self.requests[index])

    def answer(self, index: int) -> None:
        self.requests[index].answered.set()

    def _run(self, held: HeldRequest) -> None:
        if self.level < 10:
            self.throttled += 1
            held.body = throttled(requested=10, available=self.level, rate=RESTORE_RATE)
        else:
            self.level -= 10
            status = {"available": self.level, "maximum": self.maximum, "rate": RESTORE_RATE}
            held.body = ok({"touch": {"userErrors": []}}, requested=10, actual=10, **status)


class HeldBack(Exception):
    """Raised by the client's sleep: pacing chose to wait rather than send."""


def refuse_to_wait(seconds: float) -> None:
    raise HeldBack(seconds)


@pytest.mark.parametrize(
    ("run_order", "answer_order"),
    [((0, 1), (0, 1)), ((0, 1), (1, 0)), ((1, 0), (0, 1)), ((1, 0), (1, 0))],
    ids=["in-order", "answers-swapped", "runs-swapped", "both-swapped"],
)
def test_pacing_never_sends_what_the_bucket_cannot_cover_whatever_order_requests_run_and_answer(
    run_order: tuple[int, int], answer_order: tuple[int, int]
) -> None:
    shopify = ReorderingShopify(maximum=30)
    url = "https://demo.myshopify.com" + GRAPHQL_PATH
    with ShopifyClient(url, "shpat_test_token", transport=shopify, sleep=refuse_to_wait) as client:
        client.execute(MUTATION)  # the first answer teaches the bucket: 20 points left
        shopify.hold = True
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(client.execute, MUTATION)
            shopify.wait_for(2)
            second = pool.submit(client.execute, MUTATION)
            shopify.wait_for(3)
            concurrent = (first, second)
            for index in run_order:
                shopify.run(1 + index)
            for index in answer_order:
                shopify.answer(1 + index)
                concurrent[index].result(timeout=10)
        assert shopify.level == 0
        assert client.bucket.available() == pytest.approx(0, abs=0.01)
        shopify.hold = False
        with pytest.raises(HeldBack):  # a fourth request would be throttled: pacing waits instead
            client.execute(MUTATION)
    assert (len(shopify.requests), shopify.throttled, client.throttled) == (3, 0, 0)
