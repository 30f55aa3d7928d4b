from __future__ import annotations

import pytest

from erp_shopify.errors import DataError, TransientError
from erp_shopify.retrying import RetryPolicy, call_with_retries


class Flaky:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def test_transient_failures_are_retried_until_success() -> None:
    sleeps: list[float] = []
    fn = Flaky([TransientError("a"), TransientError("b")])
    assert (
        call_with_retries(fn, RetryPolicy(max_attempts=5, initial_backoff=0.1, max_backoff=1), sleep=sleeps.append)
        == "ok"
    )
    assert fn.calls == 3
    assert len(sleeps) == 2 and all(0 <= s <= 1 for s in sleeps)


def test_retry_after_from_the_server_is_honoured() -> None:
    sleeps: list[float] = []
    fn = Flaky([TransientError("throttled", retry_after=7.0)])
    call_with_retries(fn, RetryPolicy(max_attempts=3), sleep=sleeps.append)
    assert sleeps == [7.0]


def test_data_errors_are_never_retried() -> None:
    fn = Flaky([DataError("bad sku")])
    with pytest.raises(DataError) as error:
        call_with_retries(fn, RetryPolicy(max_attempts=5), sleep=lambda _: None)
    assert fn.calls == 1
    assert len(error.value.attempts) == 1


def test_exhausted_budget_raises_the_last_error_with_every_attempt_time() -> None:
    fn = Flaky([TransientError(str(i)) for i in range(10)])
    with pytest.raises(TransientError) as error:
        call_with_retries(fn, RetryPolicy(max_attempts=4), sleep=lambda _: None)
    assert fn.calls == 4
    assert str(error.value) == "3"
    attempts = error.value.attempts
    assert len(attempts) == 4 and attempts == sorted(attempts)
