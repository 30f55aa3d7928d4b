"""The cost bucket model: wait until the bucket covers the request, never longer."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from erp_shopify.shopify.pacing import CostBucket, ThrottleStatus, static_cost


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def bucket_at(level: float, *, rate: float = 100, maximum: float = 2000) -> tuple[CostBucket, FakeTime]:
    fake = FakeTime()
    bucket = CostBucket(restore_rate=rate, maximum=maximum, clock=fake.clock, sleep=fake.sleep)
    bucket.settle(None, ThrottleStatus(maximum, level, rate))
    return bucket, fake


def test_a_request_the_bucket_covers_goes_at_once() -> None:
    bucket, fake = bucket_at(1000)
    bucket.acquire(500)
    assert fake.slept == []


def test_a_request_waits_exactly_until_the_restore_rate_refills_its_cost() -> None:
    bucket, fake = bucket_at(5)
    bucket.acquire(50)
    assert fake.slept == [pytest.approx(0.45)]


def test_requests_in_flight_reserve_their_cost() -> None:
    bucket, fake = bucket_at(100)
    bucket.acquire(80)
    bucket.acquire(80)  # only 20 left while the first is in flight: wait 0.6 s
    assert fake.slept == [pytest.approx(0.6)]


def test_the_answer_replaces_the_model_and_releases_the_reservation() -> None:
    bucket, _ = bucket_at(1000)
    reservation = bucket.acquire(300)
    assert bucket.available() == pytest.approx(700)
    bucket.settle(reservation, ThrottleStatus(2000, 1200, 100))
    assert bucket.available() == pytest.approx(1200)


def test_an_answer_overtaken_by_a_later_requests_answer_does_not_raise_the_model() -> None:
    bucket, fake = bucket_at(1000, rate=0)
    first = bucket.acquire(100)
    fake.now += 0.01
    second = bucket.acquire(100)
    # The server ran the first, then the second; the second's answer arrives first.
    bucket.settle(second, ThrottleStatus(2000, 800, 0))
    bucket.settle(first, ThrottleStatus(2000, 900, 0))
    assert bucket.available() == pytest.approx(800)


ORDERS = list(itertools.permutations(range(3)))


@pytest.mark.parametrize("run_order", ORDERS)
@pytest.mark.parametrize("answer_order", ORDERS)
def test_the_model_never_exceeds_the_bucket_whatever_order_requests_are_run_and_answered(
    run_order: tuple[int, ...], answer_order: tuple[int, ...]
) -> None:
    bucket, _ = bucket_at(1000, rate=0)
    server_level = 1000.0
    costs = [100.0, 200.0, 300.0]
    reservations = [bucket.acquire(cost) for cost in costs]  # three requests in flight
    statuses = {}
    for request in run_order:  # the server runs them in its own order...
        server_level -= costs[request]
        statuses[request] = ThrottleStatus(2000, server_level, 0)
    for request in answer_order:  # ...and their answers arrive in yet another
        bucket.settle(reservations[request], statuses[request])
        available = bucket.available()
        assert available is not None and available <= server_level
    # The next request is sent after every answer arrived: its status reflects them all.
    follow_up = bucket.acquire(50)
    bucket.settle(follow_up, ThrottleStatus(2000, server_level - 50, 0))
    assert bucket.available() == server_level - 50


def test_a_status_that_missed_an_earlier_sent_request_does_not_release_its_cost() -> None:
    bucket, _ = bucket_at(1000, rate=0)
    first = bucket.acquire(100)
    second = bucket.acquire(100)
    # The server ran the second before the first, and answered in send order.
    bucket.settle(first, ThrottleStatus(2000, 800, 0))
    bucket.settle(second, ThrottleStatus(2000, 900, 0))
    assert bucket.available() == 800  # the latest-sent status alone (900) would have over-sent


def test_a_cost_no_status_reflects_stops_counting_once_the_bucket_must_have_refilled() -> None:
    bucket, fake = bucket_at(100, rate=100, maximum=100)
    first, second = bucket.acquire(50), bucket.acquire(50)
    bucket.settle(second, ThrottleStatus(100, 50, 100))  # may have run before the first
    bucket.settle(first, ThrottleStatus(100, 0, 100))
    bucket.acquire(100)  # a bucket never below zero is full 1 s after the last answer
    assert fake.slept == [pytest.approx(1.0)]


def test_the_level_refills_but_never_beyond_the_bucket_size() -> None:
    bucket, fake = bucket_at(1950)
    fake.now += 60
    assert bucket.available() == 2000


def test_the_estimate_learns_the_requested_cost_of_a_document_per_page_size() -> None:
    bucket, _ = bucket_at(2000)
    query = "query Q($first: Int!, $after: String) { x }"
    assert bucket.estimate(query, {"first": 250}) == static_cost(query, {"first": 250}) == 252
    bucket.settle(None, None, document=query, variables={"first": 250, "after": "a"}, requested_cost=502)
    assert bucket.estimate(query, {"first": 250, "after": "b"}) == 502
    assert bucket.estimate(query, {"first": 10}) == pytest.approx(502 * 10 / 250)


def test_an_unseen_size_scales_the_documents_last_cost() -> None:
    bucket, _ = bucket_at(2000)
    query = "query L($inventoryItemIds: [ID!]!, $locationsFirst: Int!) { x }"
    ids = [f"gid://shopify/InventoryItem/{i}" for i in range(100)]
    bucket.settle(
        None, None, document=query, variables={"inventoryItemIds": ids, "locationsFirst": 2}, requested_cost=800
    )
    assert bucket.estimate(query, {"inventoryItemIds": ids[:25], "locationsFirst": 2}) == 200


def test_a_mutation_is_estimated_at_ten_points() -> None:
    assert static_cost("mutation M { m }", {"input": {}}) == 10


def test_an_unknown_bucket_lets_the_first_request_through_to_learn_it() -> None:
    bucket = CostBucket()
    assert bucket.available() is None
    assert bucket.seconds_until(1000) == 0


def test_while_the_bucket_is_unknown_requests_go_one_at_a_time() -> None:
    bucket = CostBucket()
    first = bucket.acquire(12)
    second_reserved = threading.Event()

    def second() -> None:
        bucket.acquire(12)
        second_reserved.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not second_reserved.wait(0.2)  # held back while the first request is unanswered
    bucket.settle(first, ThrottleStatus(200, 170, 200))
    assert second_reserved.wait(2)
    thread.join()


class ServerBucket:
    """Shopify's side of the bucket: charges each request, throttles when it cannot cover it."""

    def __init__(self, maximum: float, rate: float) -> None:
        self.maximum, self.rate = maximum, rate
        self.level, self.at = maximum, time.monotonic()
        self.throttled = 0
        self.lock = threading.Lock()

    def charge(self, cost: float) -> ThrottleStatus:
        with self.lock:
            now = time.monotonic()
            self.level = min(self.maximum, self.level + (now - self.at) * self.rate)
            self.at = now
            if self.level + 1e-6 < cost:
                self.throttled += 1
            else:
                self.level -= cost
            return ThrottleStatus(self.maximum, self.level, self.rate)


def test_threads_sharing_a_bucket_are_never_throttled() -> None:
    server = ServerBucket(maximum=100, rate=2000)
    bucket = CostBucket(restore_rate=2000, maximum=100)

    def send_requests() -> None:
        for _ in range(10):
            reservation = bucket.acquire(50)
            bucket.settle(reservation, server.charge(50))

    start = time.monotonic()
    threads = [threading.Thread(target=send_requests) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.throttled == 0
    # 40 x 50 points from a bucket of 100 refilled at 2000/s: at least (2000 - 100) / 2000 s.
    assert time.monotonic() - start >= 0.9
