"""OData v2 on the wire, as SAP Gateway speaks it: literals, ``/Date(ms)/``, error bodies, CSRF,
and page streaming. Hand-written over httpx (see docs/erp.md for why not ``pyodata``).

Reads for the ERP -> Shopify sync are retried through the one retry policy. Writes, the CSRF token
fetch and the order reads are sent once and classified: order delivery is the one retry layer for
orders, because only it knows whether a repeat must search first (a lost answer may have committed).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import httpx

from erp_shopify.errors import IntegrationError, SystemFailure, error_for_status, transport_errors
from erp_shopify.retrying import RetryPolicy, call_with_retries

SYSTEM = "sap"
DEFAULT_RETRY = RetryPolicy()
_ONCE = RetryPolicy(max_attempts=1)
_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_date(value: str | None) -> datetime | None:
    """``/Date(1764201600000)/`` (Edm.DateTime, UTC) or ``/Date(ms+0060)/`` (Edm.DateTimeOffset)."""
    if not value:
        return None
    match = _DATE.match(value)
    if not match:
        raise ValueError(f"not an OData v2 date: {value!r}")
    return _EPOCH + timedelta(milliseconds=int(match.group(1)))


def format_date(value: datetime | date) -> str:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return f"/Date({(value - _EPOCH) // timedelta(milliseconds=1)})/"


def parse_time(value: str | None) -> timedelta:
    """``PT12H30M00S`` (Edm.Time): a time of day as a duration since midnight."""
    match = _DURATION.match(value or "")
    if not value or not match:
        raise ValueError(f"not an OData v2 time: {value!r}")
    hours, minutes, seconds = match.groups()
    return timedelta(hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0))


def format_time(value: timedelta) -> str:
    total = int(value.total_seconds())
    return f"PT{total // 3600:02d}H{total % 3600 // 60:02d}M{total % 60:02d}S"


def string_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def datetime_literal(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return f"datetime'{value.replace(tzinfo=None).isoformat(timespec='seconds')}'"
    return f"datetime'{value.isoformat()}T00:00:00'"


def time_literal(value: timedelta) -> str:
    return f"time'{format_time(value)}'"


FILTER_BUDGET = 3000  # characters of one "$filter" of "X eq ... or ...": the URL stays near 4 KB encoded


def filter_chunks(values: Iterable[str], per_value: int) -> Iterator[list[str]]:
    """``values`` in groups whose ``or``-ed ``eq`` filter fits the URL budget; ``per_value`` is
    what each term adds beside the value itself (property name, ``eq``, quotes, ``or``)."""
    chunk: list[str] = []
    length = 0
    for value in values:
        cost = len(value) + per_value
        if chunk and length + cost > FILTER_BUDGET:
            yield chunk
            chunk, length = [], 0
        chunk.append(value)
        length += cost
    if chunk:
        yield chunk


def results(value: Any) -> list[dict[str, Any]]:
    """Rows of a collection or an expanded navigation: ``{"results": [...]}`` or a bare list."""
    if isinstance(value, dict):
        return list(value.get("results", []))
    return list(value or [])


class CsrfTokenRequired(SystemFailure):
    """403 with ``x-csrf-token: Required``: the session's CSRF token expired. A writer fetches a new
    one and sends once more; anyone else sees the 403 system failure it is."""


def error_from_response(response: httpx.Response, action: str) -> IntegrationError:
    """Classify an HTTP failure, keeping SAP's v2 error body for the dead-letter queue."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text[:2000]
    message = f"{action}: HTTP {response.status_code}"
    codes: tuple[str, ...] = ()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        text = error.get("message")
        text = text.get("value") if isinstance(text, dict) else text
        details = (error.get("innererror") or {}).get("errordetails") or []
        codes = tuple(dict.fromkeys(c for c in [error.get("code"), *(d.get("code") for d in details)] if c))
        message = f"{action}: {text or 'SAP error'}"
    if response.status_code == 403 and response.headers.get("x-csrf-token", "").lower() == "required":
        return CsrfTokenRequired(message, status=403, body=body, codes=codes, system=SYSTEM)
    return error_for_status(
        response.status_code, message, body=body, headers=response.headers, codes=codes, system=SYSTEM
    )


class ODataClient:
    """One authenticated HTTP session against an SAP Gateway host (``.../sap/opu/odata/sap``).

    ``auth`` is basic auth or OAuth 2.0 client credentials (``auth.sap_auth``); ``transport`` swaps
    the HTTP transport (tests)."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry
        self._csrf_token: str | None = None
        self._session_lock = threading.Lock()
        self._http = httpx.Client(
            auth=auth, timeout=timeout, transport=transport, headers={"Accept": "application/json"}
        )

    def url(self, service: str, path: str = "") -> str:
        return f"{self.base_url}/{service}/{path}"

    def get(self, url: str, params: Mapping[str, str] | None = None, *, retried: bool = True) -> dict[str, Any]:
        """A read, retried on transient failures unless ``retried=False`` (its caller retries);
        returns the ``d`` member of the answer."""
        policy = self.retry if retried else _ONCE

        def read() -> dict[str, Any]:
            self._open_session(self._service_of(url))
            return self._send("GET", url, params=params).json()["d"]

        return call_with_retries(read, policy)

    def pages(self, service: str, entity_set: str, params: Mapping[str, str], page_size: int) -> Iterator[list[dict]]:
        """Rows page by page: client windows of ``$top``/``$skip``, each followed through the server's
        ``__next`` links, so memory holds one page however long the collection is."""
        skip = 0
        while True:
            url: str | None = self.url(service, entity_set)
            query: Mapping[str, str] | None = {**params, "$top": str(page_size), "$skip": str(skip)}
            received = 0
            while url:
                data = self.get(url, query)
                rows = results(data)
                received += len(rows)
                if rows:
                    yield rows
                next_link = data.get("__next") if isinstance(data, dict) else None
                url, query = (urljoin(url, next_link), None) if next_link else (None, None)
            if received < page_size:
                return
            skip += received

    def write(
        self,
        method: str,
        url: str,
        payload: dict[str, Any],
        service: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """A modifying request with SAP's CSRF protection: token fetched once per session and
        refetched (once) when the server answers 403 ``x-csrf-token: Required``. ``headers``: an
        ``If-Match`` ETag, where the entity is guarded by one."""
        self._open_session(service)
        used = self._csrf_token
        try:
            return self._send(method, url, json=payload, headers=headers, csrf=True)
        except CsrfTokenRequired:
            pass
        with self._session_lock:
            if self._csrf_token == used:  # a concurrent writer may have refetched already
                self.fetch_csrf_token(service)
        return self._send(method, url, json=payload, headers=headers, csrf=True)

    def _open_session(self, service: str) -> None:
        """The first request opens SAP's security session (its cookie) and takes the session's CSRF
        token, alone. Concurrent first requests would each open a session, the cookie jar would keep
        only the last, and a token taken in one session would be refused in another."""
        if self._csrf_token is not None:
            return
        with self._session_lock:
            if self._csrf_token is None:
                self.fetch_csrf_token(service)

    def _service_of(self, url: str) -> str:
        return url.removeprefix(self.base_url).lstrip("/").split("/", 1)[0]

    def fetch_csrf_token(self, service: str) -> None:
        response = self._send("GET", self.url(service), headers={"X-CSRF-Token": "Fetch"})
        token = response.headers.get("x-csrf-token")
        if not token or token.lower() == "required":
            raise error_for_status(403, "SAP issued no CSRF token", body=response.text[:2000], system=SYSTEM)
        self._csrf_token = token

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        csrf: bool = False,
    ) -> httpx.Response:
        action = f"{method} {url.removeprefix(self.base_url)}"
        request_headers = dict(headers or {})
        if csrf and self._csrf_token:
            request_headers["X-CSRF-Token"] = self._csrf_token
        with transport_errors(action, system=SYSTEM):
            response = self._http.request(method, url, params=params, json=json, headers=request_headers)
        if response.is_success:
            return response
        raise error_from_response(response, action)

    def close(self) -> None:
        self._http.close()
