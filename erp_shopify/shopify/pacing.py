"""Cost-aware pacing for the Admin GraphQL leaky bucket.

Shopify checks a query's *requested* cost against the app's bucket before running it and answers
THROTTLED when the bucket cannot cover it. Every answer reports the bucket
(``extensions.cost.throttleStatus``), so the client can model it: the level last reported, refilled
at the restore rate since then, minus the cost of our own requests that status may not include
(those in flight, and those answered after it was sent: the server may run requests out of send
order). A request
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


@dataclass(eq=False)
class Reservation:
    """One request's reserved cost, with its place in the send order and how many answers had
    arrived when it was sent (its status reflects those and itself, nothing else for sure)."""

    cost: float
    order: int
    answers_before: int
    answered: int | None = None  # its place in the answer order, once answered


class CostBucket:
    """A thread-safe model of one shop's bucket, shared by every thread using one client.

    Under load the server may run concurrent requests in another order than they were sent, and
    answer them in yet another, so a status cannot be trusted to include any request but its own
    and those answered before it was sent. The model therefore keeps each request's cost reserved
    until a status is known to reflect it: available = the held status, refilled since its answer,
    minus every request it may not reflect (in flight, or answered after it was sent).
    """

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
        self._holder: Reservation | None = None  # the request whose status the model holds
        self._sent = 0  # requests reserved so far: the send order
        self._answers = 0  # answers received so far: the answer order
        self._last_answer_at = -math.inf
        self._open: list[Reservation] = []  # in flight, or answered but maybe unreflected
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
        """The larger of two lower bounds of the bucket (for our own spending): the held status
        less what it may not reflect; and, since the bucket is never below zero, an empty bucket
        at the last answer refilled since, less what is still in flight. The second lets a cost
        no later status reflects stop counting once the bucket must have refilled."""
        if self._level is None:
            return None
        held = self._refilled(self._level, now - self._at) - self._unreflected(self._holder)
        empty_then = self._refilled(0.0, now - self._last_answer_at) - self._in_flight()
        return max(held, empty_then)

    def _refilled(self, level: float, seconds: float) -> float:
        if self.restore_rate and seconds > 0:
            level += seconds * self.restore_rate
        return level if self.maximum is None else min(level, self.maximum)

    def _unreflected(self, holder: Reservation | None) -> float:
        """The cost of requests a status from ``holder`` may not include: all but its own that
        were unanswered when ``holder`` was sent."""
        seen = -1 if holder is None else holder.answers_before
        return sum(r.cost for r in self._open if r is not holder and (r.answered is None or r.answered > seen))

    def _in_flight(self) -> float:
        return sum(r.cost for r in self._open if r.answered is None)

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

    def acquire(self, cost: float) -> Reservation:
        """Block until the bucket covers ``cost``, then reserve it. Returns the reservation, to be
        handed back to ``settle`` with the answer."""
        return self._acquire(lambda: cost)

    def acquire_for(self, document: str, variables: Mapping[str, Any] | None) -> Reservation:
        """``acquire`` the document's estimated cost, estimated when it is sent, not before it
        waited: an answer that arrived meanwhile may have taught its real cost."""
        return self._acquire(lambda: self._estimate(document, variables))

    def _acquire(self, estimate: Callable[[], float]) -> Reservation:
        while True:
            with self._lock:
                # Until a first answer reports the bucket (and the document's real cost), requests
                # go one at a time: a wave sent on static estimates could overdraw it.
                while self._level is None and self._in_flight() > 0:
                    self._answered.wait()
                cost = estimate()
                wait = self._seconds_until(cost, self._clock())
                if wait <= 0:
                    self._sent += 1
                    reservation = Reservation(cost, self._sent, self._answers)
                    self._open.append(reservation)
                    return reservation
                self.waited_seconds += wait
            self._sleep(wait)

    def settle(
        self,
        reservation: Reservation | None,
        status: ThrottleStatus | None,
        *,
        document: str | None = None,
        variables: Mapping[str, Any] | None = None,
        requested_cost: float | None = None,
    ) -> None:
        """Record a request's answer: its bucket status and its requested cost.

        The server measured the bucket somewhere between the send and now, so the model refills
        only from now (a safe underestimate). A status from a later-sent request replaces the
        model, since only it can reflect other processes' spending; one from an earlier-sent
        request (answers overtake each other) replaces it only where it proves more is free.
        A status without a reservation stands for a bucket observed after every answer so far.
        """
        with self._lock:
            self._answered.notify_all()
            now = self._clock()
            if reservation is None and status is not None:
                self._sent += 1
                reservation = Reservation(0.0, self._sent, self._answers)
                self._open.append(reservation)
            if reservation is not None:
                self._answers += 1
                reservation.answered = self._answers
                self._last_answer_at = now
            if status is not None and reservation is not None:
                self.restore_rate = status.restore_rate
                self.maximum = status.maximum_available
                self._hold(reservation, status.currently_available, now)
            self._forget_reflected()
            if document is not None and requested_cost is not None:
                key = _cost_key(document, variables)
                self._costs[key] = float(requested_cost)
                self._last_by_document[key[0]] = (_size(key), float(requested_cost))

    def _hold(self, answered: Reservation, level: float, now: float) -> None:
        if self._holder is not None and self._level is not None and answered.order < self._holder.order:
            held = self._refilled(self._level, now - self._at) - self._unreflected(self._holder)
            if level - self._unreflected(answered) <= held:
                return
        self._level, self._at, self._holder = level, now, answered

    def _forget_reflected(self) -> None:
        """Drop answered requests that neither the held status nor any status still to come
        (from a request in flight) can miss."""
        in_flight_saw = [r.answers_before for r in self._open if r.answered is None]
        held_saw = -1 if self._holder is None else self._holder.answers_before

        def may_be_missed(r: Reservation) -> bool:
            assert r.answered is not None
            return (r is not self._holder and r.answered > held_saw) or any(r.answered > s for s in in_flight_saw)

        self._open = [r for r in self._open if r.answered is None or may_be_missed(r)]


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
