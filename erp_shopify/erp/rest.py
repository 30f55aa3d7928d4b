"""What the REST-over-JSON ERP clients (NetSuite, Oracle) share: one httpx session whose every
request maps transport failures once, turns an error answer into the ERP's classified error, and is
retried under the adapter's policy (or sent once, for calls whose retries belong to delivery)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from erp_shopify.errors import IntegrationError, transport_errors
from erp_shopify.retrying import RetryPolicy, call_with_retries

ONCE = RetryPolicy(max_attempts=1)


class RestSession:
    def __init__(
        self,
        http: httpx.Client,
        *,
        system: str,
        error_for: Callable[[httpx.Response], IntegrationError],
        retry: RetryPolicy,
        sleep: Callable[[float], None] | None = None,
        path_prefix: str = "",
    ) -> None:
        self._http = http
        self.system = system
        self.retry = retry
        self._error_for = error_for
        self._sleep_kwargs = {"sleep": sleep} if sleep else {}
        self._path_prefix = path_prefix  # how a path is named in errors: the part the base URL hides

    def call(self, method: str, path: str, *, retried: bool = True, **kwargs: Any) -> httpx.Response:
        """One request, retried under the retry policy unless ``retried=False``."""
        policy = self.retry if retried else ONCE
        return call_with_retries(lambda: self._send(method, path, **kwargs), policy, **self._sleep_kwargs)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with transport_errors(f"{method} {self._path_prefix}{path}", system=self.system):
            response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise self._error_for(response)
        return response

    def close(self) -> None:
        self._http.close()
