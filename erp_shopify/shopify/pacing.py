"""Cost-aware pacing for the Admin GraphQL leaky bucket.

Shopify checks a query's *requested* cost against the app's bucket before running it and answers
THROTTLED when the bucket cannot cover it. Every answer reports the bucket
(``extensions.cost.throttleStatus``), so the client can model it: the level last reported, refilled
at the restore rate since then, minus what our own requests in flight have reserved. A request
waits until the model covers its estimated cost, so normal operation is never throttled, and the
model is corrected from every answer, which also accounts for other processes using the same app.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

MUTATION_COST = 10.0  # Shopify's documented cost of a mutation


@dataclass(frozen=True)
class ThrottleStatus:
    maximum_available: float
    currently_available: float
    restore_rate: float

    @classmethod
    def from_extensions(cls, extensions: Mapping[str, Any] | None) -> ThrottleStatus | None:
        """The bucket from a response's ``extensions``, or None when it has none."""
        status = ((extensions or {}).get("cost") or {}).get("throttleStatus")
        if not isinstance(status, Mapping):
            return None
        try:
            return cls(
                float(status["maximumAvailable"]), float(status["currentlyAvailable"]), float(status["restoreRate"])
            )
        except (KeyError, TypeError, ValueError):
            return None


def static_cost(document: str, variables: Mapping[str, Any] | None) -> float:
    """A first estimate for a document never sent before: a mutation costs 10; a query about one
    point per requested connection item (``first``) plus the connection itself."""
    if document.lstrip().startswith("mutation") or "\nmutation" in document:
        return MUTATION_COST
    first = (variables or {}).get("first")
    ids = (variables or {}).get("inventoryItemIds") or (variables or {}).get("ids")
    size = first if isinstance(first, int) else len(ids) if isinstance(ids, list) else 1
    return 2.0 + size


class CostBucket:
    """A thread-safe model of one shop's bucket, shared by every thread using one client."""

    def __init__(
        self,
        *,
        restore_rate: float | None = None,
        maximum: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._clock = clock
        self._sleep = sleep
        self.restore_rate = restore_rate
        self.maximum = maximum
        self._level = maximum  # unknown until the first answer when no size is configured
        self._at = clock()
        self._status_sent_at = -math.inf  # when the request behind the model's last status was sent
        self._in_flight = 0.0
        self._costs: dict[tuple[int, tuple[tuple[str, int], ...]], float] = {}
        self._last_by_document: dict[int, tuple[int, float]] = {}  # document -> (size, requested cost)
        self.waited_seconds = 0.0

    def estimate(self, document: str, variables: Mapping[str, Any] | None) -> float:
        """The requested cost to reserve: the last one Shopify reported for this document with
        these sizes; else the document's last cost scaled to these sizes (the last, shorter chunk
        of a list of ids); else a static estimate."""
        with self._lock:
            return self._estimate(document, variables)

    def _estimate(self, document: str, variables: Mapping[str, Any] | None) -> float:
        key = _cost_key(document, variables)
        known = self._costs.get(key)
        if known is not None:
            return known
        last = self._last_by_document.get(key[0])
        if last is not None:
            size, cost = last
            return max(1.0, cost * _size(key) / size)
        return static_cost(document, variables)

    def available(self) -> float | None:
        """Points the model expects free now, after in-flight reservations (None while unknown)."""
        with self._lock:
            return self._available(self._clock())

    def _available(self, now: float) -> float | None:
        if self._level is None:
            return None
        level = self._level
        if self.restore_rate:
            level += (now - self._at) * self.restore_rate
        if self.maximum is not None:
            level = min(level, self.maximum)
        return level - self._in_flight

    def seconds_until(self, cost: float) -> float:
        """How long until the model covers ``cost`` (0 when it already does or cannot tell)."""
        with self._lock:
            return self._seconds_until(cost, self._clock())

    def _seconds_until(self, cost: float, now: float) -> float:
        available = self._available(now)
        if available is None or available >= cost or not self.restore_rate:
            return 0.0
        if self.maximum is not None:
            cost = min(cost, self.maximum)  # never wait for more than a full bucket
        return max(0.0, (cost - available) / self.restore_rate)

    def now(self) -> float:
        return self._clock()

    def acquire(self, cost: float) -> float:
        """Block until the bucket covers ``cost``, then reserve it. Returns the reservation, to be
        handed back to ``settle`` with the answer."""
        return self._acquire(lambda: cost)

    def acquire_for(self, document: str, variables: Mapping[str, Any] | None) -> float:
        """``acquire`` the document's estimated cost, estimated when it is sent, not before it
        waited: an answer that arrived meanwhile may have taught its real cost."""
        return self._acquire(lambda: self._estimate(document, variables))

    def _acquire(self, estimate: Callable[[], float]) -> float:
        while True:
            with self._lock:
                # Until a first answer reports the bucket (and the document's real cost), requests
                # go one at a time: a wave sent on static estimates could overdraw it.
                while self._level is None and self._in_flight > 0:
                    self._answered.wait()
                cost = estimate()
                wait = self._seconds_until(cost, self._clock())
                if wait <= 0:
                    self._in_flight += cost
                    return cost
                self.waited_seconds += wait
            self._sleep(wait)

    def settle(
        self,
        reservation: float,
        status: ThrottleStatus | None,
        *,
        document: str | None = None,
        variables: Mapping[str, Any] | None = None,
        requested_cost: float | None = None,
        sent_at: float | None = None,
    ) -> None:
        """Release a reservation and correct the model from the answer's bucket and cost.

        The server measured the bucket somewhere between ``sent_at`` and now, so the model refills
        only from now (a safe underestimate). Answers to concurrent requests can arrive out of
        order: a status from a request sent before the one the model already holds is older news
        (it misses deductions the model has already released) and is ignored.
        """
        with self._lock:
            self._answered.notify_all()
            self._in_flight = max(0.0, self._in_flight - reservation)
            now = self._clock()
            sent = now if sent_at is None else sent_at
            if status is not None and sent >= self._status_sent_at:
                self._level = status.currently_available
                self._at = now
                self._status_sent_at = sent
                self.restore_rate = status.restore_rate
                self.maximum = status.maximum_available
            if document is not None and requested_cost is not None:
                key = _cost_key(document, variables)
                self._costs[key] = float(requested_cost)
                self._last_by_document[key[0]] = (_size(key), float(requested_cost))


def _cost_key(document: str, variables: Mapping[str, Any] | None) -> tuple[int, tuple[tuple[str, int], ...]]:
    """Requested cost depends on the document and its sizes (page sizes, id lists), not on
    cursors or filters."""
    sizes = []
    for name, value in sorted((variables or {}).items()):
        page_size = name in ("first", "last") or name.endswith("First")
        if page_size and isinstance(value, int) and not isinstance(value, bool):
            sizes.append((name, value))
        elif isinstance(value, list) and name.endswith(("Ids", "ids")):
            sizes.append((name, len(value)))
    return hash(document), tuple(sizes)


def _size(key: tuple[int, tuple[tuple[str, int], ...]]) -> int:
    """How many items a request asks for: the product of its sizes (at least 1)."""
    return math.prod(max(1, n) for _, n in key[1])
