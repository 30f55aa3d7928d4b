"""The Shopify Admin GraphQL client (API 2026-10): one class, a few methods, classified errors.

Every request is paced by the cost bucket (``pacing.CostBucket``) and retried by the project's one
retry policy. Failures are classified once, here:

- throttling (HTTP 429, or HTTP 200 with ``THROTTLED``), 5xx, timeouts, connect errors:
  ``TransientError``, waiting what Shopify asked for (``Retry-After``) or what the bucket needs;
- 401 / 403 and ``ACCESS_DENIED``: ``SystemFailure`` (credentials or scopes);
- other top-level GraphQL errors and 4xx: ``DataError``;
- ``userErrors`` of a mutation: ``ShopifyUserErrors`` (a ``DataError``) carrying each error's
  code, field and message, unless the caller asks to receive them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from erp_shopify.errors import (
    DataError,
    IntegrationError,
    SystemFailure,
    TransientError,
    error_for_status,
    parse_retry_after,
    transport_errors,
)
from erp_shopify.retrying import RetryPolicy, call_with_retries
from erp_shopify.shopify import documents
from erp_shopify.shopify.pacing import CostBucket, ThrottleStatus

if TYPE_CHECKING:
    from erp_shopify.config import ShopConfig

SYSTEM = "shopify"
MAX_PAGE_SIZE = 250
# Restore rate (points per second) per plan; the bucket holds 20 seconds of it.
PLAN_RESTORE_RATE = {"standard": 100.0, "advanced": 200.0, "plus": 1000.0, "enterprise": 2000.0}
BUCKET_SECONDS = 20
DEFAULT_RETRY = RetryPolicy(max_attempts=6, initial_backoff=0.5, max_backoff=30.0)
SEND_ONCE = RetryPolicy(max_attempts=1)
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# User errors that say "the same request will work a little later": retried, not dead-lettered.
RETRYABLE_USER_ERRORS = frozenset({"IDEMPOTENCY_CONCURRENT_REQUEST", "LIMIT_REACHED", "OPERATION_IN_PROGRESS"})
_TRANSIENT_CODES = frozenset({"THROTTLED", "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"})
_SYSTEM_CODES = frozenset({"ACCESS_DENIED", "UNAUTHORIZED", "FORBIDDEN"})
_MAX_BODY_CHARS = 4000


@dataclass(frozen=True)
class UserError:
    """One entry of a mutation's ``userErrors``."""

    message: str
    code: str | None = None
    field: tuple[str, ...] = ()


class ShopifyUserErrors(DataError):
    """A mutation answered with ``userErrors``: the input was refused, retrying the same input
    cannot help. ``codes`` lists the error codes (e.g. ``CHANGE_FROM_QUANTITY_STALE``)."""

    def __init__(self, operation: str, user_errors: tuple[UserError, ...], *, body: Any = None) -> None:
        summary = "; ".join(f"{'.'.join(e.field) or '-'}: {e.message}" for e in user_errors)
        super().__init__(
            f"{operation} refused the input: {summary}",
            body=body,
            codes=tuple(e.code for e in user_errors if e.code),
            system=SYSTEM,
        )
        self.operation = operation
        self.user_errors = user_errors


class ShopifyClient:
    """A paced, retrying client for one shop's Admin GraphQL endpoint; safe to share across threads."""

    def __init__(
        self,
        graphql_url: str,
        access_token: str,
        *,
        restore_rate: float | None = None,
        bucket_size: float | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry_policy: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.graphql_url = graphql_url
        self._token = access_token
        self._retry_policy = retry_policy
        self._sleep = sleep
        self._http = httpx.Client(timeout=timeout, transport=transport, headers={"Accept": "application/json"})
        self.bucket = CostBucket(restore_rate=restore_rate, maximum=bucket_size, sleep=sleep)
        self._lock = threading.Lock()
        self.points_used = 0.0  # sum of actualQueryCost
        self.requests = 0  # GraphQL requests sent, retries included
        self.throttled = 0  # throttled answers received (pacing keeps this at 0 in normal operation)

    @classmethod
    def for_shop(cls, shop: ShopConfig, **options: Any) -> ShopifyClient:
        """The client for a configured shop; the token is read from its environment variable now."""
        restore_rate = PLAN_RESTORE_RATE[shop.plan]
        options.setdefault("restore_rate", restore_rate)
        options.setdefault("bucket_size", restore_rate * BUCKET_SECONDS)
        return cls(shop.graphql_url, shop.access_token.value(), **options)

    def execute(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        raise_user_errors: bool = True,
        send_once: bool = False,
    ) -> dict[str, Any]:
        """Run a document (a name from ``documents`` or GraphQL text) and return its ``data``.

        ``send_once``: no retry here, for a mutation without ``@idempotent`` (``fulfillmentCreate``)
        whose caller must read before it sends again: a timeout may come after Shopify applied it."""
        text = documents.resolve(document)
        return call_with_retries(
            lambda: self._attempt(text, variables or {}, raise_user_errors),
            SEND_ONCE if send_once else self._retry_policy,
            sleep=self._sleep,
        )

    def paginate(
        self, document: str, variables: Mapping[str, Any] | None, connection_path: str
    ) -> Iterator[dict[str, Any]]:
        """Every node of a cursor-paginated connection (``connection_path`` is dotted, e.g.
        ``"productVariants"``); the document takes ``$first`` and ``$after``."""
        page_variables = {"first": MAX_PAGE_SIZE, **(variables or {})}
        if not 0 < page_variables["first"] <= MAX_PAGE_SIZE:
            raise ValueError(f"first must be between 1 and {MAX_PAGE_SIZE}, got {page_variables['first']}")
        while True:
            connection: Any = self.execute(document, page_variables)
            for step in connection_path.split("."):
                connection = connection.get(step) if isinstance(connection, Mapping) else None
            if not isinstance(connection, Mapping):
                raise DataError(f"the answer has no connection at {connection_path!r}", system=SYSTEM)
            if "nodes" in connection:
                yield from connection["nodes"]
            else:
                yield from (edge["node"] for edge in connection.get("edges", []))
            page_info = connection.get("pageInfo") or {}
            if not page_info.get("hasNextPage"):
                return
            page_variables["after"] = page_info["endCursor"]

    def bulk_query(self, query: str, **options: Any) -> Iterator[dict[str, Any]]:
        """Every JSONL line of a bulk export of ``query`` (a document name or GraphQL text),
        streamed (see ``bulk.run_query``)."""
        from erp_shopify.shopify.bulk import run_query

        return run_query(self, documents.resolve(query), **options)

    def stream_lines(self, url: str) -> Iterator[str]:
        """Lines of a result file; sent without the access token, since Shopify hands out signed
        storage URLs that must not receive it."""
        with transport_errors("GET bulk result", system=SYSTEM), self._http.stream("GET", url) as response:
            if response.status_code >= 400:
                response.read()
                raise error_for_status(
                    response.status_code, "downloading a bulk result failed", body=response.text[:_MAX_BODY_CHARS]
                )
            yield from response.iter_lines()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _attempt(self, text: str, variables: Mapping[str, Any], raise_user_errors: bool) -> dict[str, Any]:
        reservation = self.bucket.acquire_for(text, variables)
        status: ThrottleStatus | None = None
        requested: float | None = None
        cost: Mapping[str, Any] = {}
        try:
            with transport_errors("POST graphql", system=SYSTEM):
                response = self._http.post(
                    self.graphql_url,
                    json={"query": text, "variables": dict(variables)},
                    headers={"X-Shopify-Access-Token": self._token},
                )
            body = _body(response)
            extensions = body.get("extensions") if isinstance(body, Mapping) else None
            status = ThrottleStatus.from_extensions(extensions)
            cost = (extensions or {}).get("cost") or {}
            requested = cost.get("requestedQueryCost")
        finally:
            with self._lock:
                self.requests += 1
            self.bucket.settle(reservation, status, document=text, variables=variables, requested_cost=requested)
        with self._lock:
            self.points_used += float(cost.get("actualQueryCost") or 0)
        self._raise_for_errors(response, body, status, requested)
        data = body.get("data") or {}
        if raise_user_errors:
            _raise_user_errors(data, body)
        return data

    def _raise_for_errors(
        self, response: httpx.Response, body: Any, status: ThrottleStatus | None, requested: float | None
    ) -> None:
        errors = body.get("errors") if isinstance(body, Mapping) else None
        codes = _error_codes(errors)
        message = _error_message(errors, body) or f"HTTP {response.status_code}"
        if response.status_code == 429 or "THROTTLED" in codes:
            with self._lock:
                self.throttled += 1
            raise TransientError(
                f"throttled: {message}",
                status=response.status_code,
                body=_trim(body),
                codes=codes or ("THROTTLED",),
                retry_after=self._throttle_wait(response, status, requested),
                system=SYSTEM,
            )
        if response.status_code >= 400:
            raise error_for_status(
                response.status_code, message, body=_trim(body), headers=response.headers, codes=codes, system=SYSTEM
            )
        if errors:
            cls: type[IntegrationError] = DataError
            if set(codes) & _SYSTEM_CODES:
                cls = SystemFailure
            elif set(codes) & _TRANSIENT_CODES:
                cls = TransientError
            raise cls(message, status=response.status_code, body=_trim(body), codes=codes, system=SYSTEM)

    def _throttle_wait(self, response: httpx.Response, status: ThrottleStatus | None, requested: float | None) -> float:
        """Retry-After when Shopify sent one, else the time the bucket needs to cover the request."""
        header = parse_retry_after(response.headers.get("retry-after"))
        if header is not None:
            return header
        if status is not None and requested and status.restore_rate:
            return max(0.0, (float(requested) - status.currently_available) / status.restore_rate)
        return max(1.0, self.bucket.seconds_until(float(requested or 0)))


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:_MAX_BODY_CHARS]


def _trim(body: Any) -> Any:
    return body[:_MAX_BODY_CHARS] if isinstance(body, str) else body


def _error_codes(errors: Any) -> tuple[str, ...]:
    if not isinstance(errors, list):
        return ()
    codes = []
    for error in errors:
        code = (error.get("extensions") or {}).get("code") if isinstance(error, Mapping) else None
        if isinstance(code, str) and code not in codes:
            codes.append(code)
    return tuple(codes)


def _error_message(errors: Any, body: Any) -> str:
    """Shopify answers errors as a list of objects, a string, or (REST style) a mapping."""
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors)
    if isinstance(errors, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in errors.items())
    if isinstance(body, Mapping) and isinstance(body.get("error"), str):
        return body["error"]
    return body.strip()[:200] if isinstance(body, str) else ""


def _raise_user_errors(data: Mapping[str, Any], body: Any) -> None:
    for operation, payload in data.items():
        if not isinstance(payload, Mapping) or not payload.get("userErrors"):
            continue
        user_errors = tuple(
            UserError(message=str(e.get("message", "")), code=e.get("code"), field=tuple(e.get("field") or ()))
            for e in payload["userErrors"]
        )
        codes = {e.code for e in user_errors}
        if codes <= RETRYABLE_USER_ERRORS:
            raise TransientError(
                f"{operation}: {'; '.join(e.message for e in user_errors)}",
                body=body,
                codes=tuple(sorted(c for c in codes if c)),
                system=SYSTEM,
            )
        raise ShopifyUserErrors(operation, user_errors, body=body)
