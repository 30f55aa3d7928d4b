"""One error classification for every client in the project.

A failure is classified once, where it is first seen, and the class decides what happens next:

- ``transient`` (408, 429, 5xx, timeouts, connect errors, throttling): retry with backoff,
  honouring ``Retry-After``; alert only when the retry budget runs out.
- ``data`` (400, 404, 409, 422, GraphQL user errors): the request itself is wrong; retrying cannot
  help. Dead-letter it with its full context and alert the data team.
- ``system`` (401, 403): the connection is broken (credentials, permissions). Pause the queue for
  that connection and alert operations; nothing is lost.

Transport failures (timeouts, refused connections) are mapped to ``TransientError`` in one place,
``transport_errors``, which every HTTP client wraps its sends in.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

import httpx


class ErrorClass(StrEnum):
    TRANSIENT = "transient"
    DATA = "data"
    SYSTEM = "system"


class IntegrationError(Exception):
    """A classified failure talking to Shopify or an ERP.

    Carries what an operator needs to act on it: the class, the HTTP status (if any), the response
    body (already free of secrets: clients never put credentials in bodies), machine-readable codes,
    for throttling how long the server asked us to wait, and the start time of every attempt.
    """

    error_class: ErrorClass = ErrorClass.DATA
    message: str
    status: int | None
    body: Any
    codes: tuple[str, ...]
    retry_after: float | None
    system: str
    # Wall-clock start of every try: filled in by whoever made the tries (the retry policy, or order
    # delivery for a call it sent once), so the dead-letter queue shows when each happened.
    attempts: list[float]

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: Any = None,
        codes: tuple[str, ...] = (),
        retry_after: float | None = None,
        system: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body
        self.codes = tuple(codes)
        self.retry_after = retry_after
        self.system = system
        self.attempts = []

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able record for the dead-letter queue and alerts."""
        return {
            "class": str(self.error_class),
            "message": self.message,
            "status": self.status,
            "codes": list(self.codes),
            "system": self.system,
            "body": self.body if isinstance(self.body, (str, dict, list, type(None))) else str(self.body),
        }

    def __str__(self) -> str:
        status = f" (HTTP {self.status})" if self.status is not None else ""
        codes = f" [{', '.join(self.codes)}]" if self.codes else ""
        prefix = f"{self.system}: " if self.system else ""
        return f"{prefix}{self.message}{status}{codes}"


class TransientError(IntegrationError):
    error_class = ErrorClass.TRANSIENT


class DataError(IntegrationError):
    error_class = ErrorClass.DATA


class RefusedField(DataError):
    """The ERP refused one field of a record, and the message names it as our field
    (``addresses[1].zip``); the ERP's own answer stays in ``body``."""

    @classmethod
    def naming(cls, exc: IntegrationError, message: str) -> RefusedField:
        """``exc`` told again with a message that names the field: status, body, codes, attempts kept."""
        named = cls(message, status=exc.status, body=exc.body, codes=exc.codes, system=exc.system)
        named.attempts = exc.attempts
        return named


class SystemFailure(IntegrationError):
    """Named to avoid shadowing the builtin ``SystemError``."""

    error_class = ErrorClass.SYSTEM


_BY_CLASS: dict[ErrorClass, type[IntegrationError]] = {
    ErrorClass.TRANSIENT: TransientError,
    ErrorClass.DATA: DataError,
    ErrorClass.SYSTEM: SystemFailure,
}


def classify_status(status: int) -> ErrorClass:
    """The class of an HTTP failure status (callers handle 2xx and 3xx themselves)."""
    if status in (401, 403):
        return ErrorClass.SYSTEM
    if status in (408, 425, 429) or status >= 500:
        return ErrorClass.TRANSIENT
    return ErrorClass.DATA


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_for_status(
    status: int,
    message: str,
    *,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    codes: tuple[str, ...] = (),
    system: str = "",
    error_class: ErrorClass | None = None,
) -> IntegrationError:
    """Build the classified error for an HTTP failure. ``error_class`` overrides the status rule
    where an API documents an exception (NetSuite's 400 ``SSS_REQUEST_LIMIT_EXCEEDED``)."""
    cls = _BY_CLASS[error_class or classify_status(status)]
    retry_after = parse_retry_after((headers or {}).get("retry-after"))
    return cls(message, status=status, body=body, codes=codes, retry_after=retry_after, system=system)


@contextmanager
def transport_errors(action: str, *, system: str) -> Iterator[None]:
    """Classify what httpx raises when no HTTP answer arrives: a timeout or a failed connection is
    ``TransientError`` (coded ``timeout`` / ``connect``); the same request may well work shortly.
    ``action`` names the request (``"POST /sap/..."``) without credentials."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise TransientError(
            f"{action}: no answer in time ({type(exc).__name__})", codes=("timeout",), system=system
        ) from exc
    except httpx.TransportError as exc:
        raise TransientError(
            f"{action}: connection failed ({type(exc).__name__}: {exc})", codes=("connect",), system=system
        ) from exc
