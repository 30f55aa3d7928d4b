from __future__ import annotations

import email.utils
import time

import pytest

from erp_shopify.errors import (
    DataError,
    ErrorClass,
    SystemFailure,
    TransientError,
    classify_status,
    error_for_status,
    parse_retry_after,
)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, ErrorClass.DATA),
        (404, ErrorClass.DATA),
        (409, ErrorClass.DATA),
        (422, ErrorClass.DATA),
        (401, ErrorClass.SYSTEM),
        (403, ErrorClass.SYSTEM),
        (408, ErrorClass.TRANSIENT),
        (429, ErrorClass.TRANSIENT),
        (500, ErrorClass.TRANSIENT),
        (503, ErrorClass.TRANSIENT),
    ],
)
def test_status_classes_follow_the_design(status: int, expected: ErrorClass) -> None:
    assert classify_status(status) is expected


def test_error_for_status_builds_the_class_and_keeps_body_and_retry_after() -> None:
    error = error_for_status(429, "slow down", body={"x": 1}, headers={"retry-after": "2.5"}, system="sap")
    assert isinstance(error, TransientError)
    assert error.retry_after == 2.5
    assert error.to_dict() == {
        "class": "transient",
        "message": "slow down",
        "status": 429,
        "codes": [],
        "system": "sap",
        "body": {"x": 1},
    }
    assert str(error) == "sap: slow down (HTTP 429)"


def test_documented_exception_overrides_the_status_rule() -> None:
    error = error_for_status(400, "limit", codes=("SSS_REQUEST_LIMIT_EXCEEDED",), error_class=ErrorClass.TRANSIENT)
    assert isinstance(error, TransientError)
    assert isinstance(error_for_status(401, "no"), SystemFailure)
    assert isinstance(error_for_status(422, "bad"), DataError)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = time.time()
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(email.utils.formatdate(now + 10, usegmt=True), now=now) == pytest.approx(10, abs=1)
    assert parse_retry_after("not a date") is None
    assert parse_retry_after(None) is None
