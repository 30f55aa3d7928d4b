"""The one retry policy: transient errors retry with exponential backoff and full jitter,
honouring the server's ``Retry-After``; data and system errors are never retried.

Every attempt's start time is recorded on the final classified exception (``attempts``) so that
the dead-letter queue can show exactly when each try happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity
from tenacity.wait import wait_base

from erp_shopify.errors import IntegrationError, TransientError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    # Cap on how long we honour a server's Retry-After before giving up on this attempt budget.
    max_retry_after: float = 120.0


class _WaitRetryAfterOrJitter(wait_base):
    """Wait what the server asked for, or exponential backoff with full jitter if it asked nothing."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.jitter = tenacity.wait_random_exponential(multiplier=policy.initial_backoff, max=policy.max_backoff)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, IntegrationError) and exc.retry_after is not None:
            return min(exc.retry_after, self.policy.max_retry_after)
        return float(self.jitter(retry_state))


def call_with_retries(
    fn: Callable[[], T],
    policy: RetryPolicy = RetryPolicy(),
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn`` until it succeeds, raises a non-transient error, or the budget runs out.

    A classified error that escapes carries ``attempts``: the wall-clock start time of every try.
    """
    attempts: list[float] = []

    def attempt() -> T:
        attempts.append(time.time())
        return fn()

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts),
        wait=_WaitRetryAfterOrJitter(policy),
        retry=tenacity.retry_if_exception_type(TransientError),
        sleep=sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except IntegrationError as exc:
        exc.attempts = list(attempts)
        raise
