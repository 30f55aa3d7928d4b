"""Properties that must hold whatever the order of events: pending totals match the open orders,
and a lease is never held by two workers at once."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erp_shopify.store import LeaseOutcome, Ledger, PendingLine, PendingUnits

LOCATIONS = ("gid://shopify/Location/1", "gid://shopify/Location/2")
lines = st.lists(
    st.builds(PendingLine, st.sampled_from(("A", "B", "C")), st.sampled_from(LOCATIONS), st.integers(0, 5)),
    max_size=4,
)
steps = st.lists(st.tuples(st.sampled_from(("add", "release")), st.integers(0, 5), lines), max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_pending_totals_are_the_units_of_added_and_unreleased_orders(
    redis_client: redis.Redis, key_prefix: str, steps: list[tuple[str, int, list[PendingLine]]]
) -> None:
    shop = uuid.uuid4().hex  # a fresh shop per example, under the test's key prefix
    pending = PendingUnits(redis_client, key_prefix)
    open_orders: dict[int, list[PendingLine]] = {}
    released: set[int] = set()
    for action, order, order_lines in steps:
        if action == "add":
            added = pending.add(shop, f"o{order}", order_lines)
            assert added == (order not in open_orders and order not in released)
            if added:
                open_orders[order] = order_lines
        else:
            assert pending.release(shop, f"o{order}") == (order in open_orders)
            open_orders.pop(order, None)
            released.add(order)
    expected: Counter[tuple[str, str]] = Counter()
    for order_lines in open_orders.values():
        for line in order_lines:
            if line.quantity > 0:
                expected[(line.sku, line.location_gid)] += line.quantity
    assert pending.totals(shop) == dict(expected)


def test_racing_workers_get_one_lease(redis_client: redis.Redis, redis_url: str, key_prefix: str) -> None:
    outcomes: list[LeaseOutcome] = []
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        with redis.Redis.from_url(redis_url) as client:
            ledger = Ledger(client, key_prefix)
            start.wait()
            outcomes.append(ledger.begin("shop:evt-race", f"worker-{n}", lease_seconds=60).outcome)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(outcomes) == {LeaseOutcome.ACQUIRED: 1, LeaseOutcome.BUSY: 7}
