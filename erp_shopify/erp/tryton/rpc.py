"""Tryton's JSON-RPC over HTTP (trytond 8.2): one session, one call at a time, classified errors.

``POST /<database>/rpc/`` with ``{"id", "method", "params"}``. ``common.db.login`` answers
``[user_id, token, ...]``; later calls carry ``Authorization: Session base64(login:user_id:token)``.
An expired session is answered 401: we log in again once. A call that fails inside Tryton still
answers HTTP 200, with ``"error": ["UserError", [message, description, domain]]`` for Tryton's own
exceptions or ``[text, traceback]`` for anything else. Dates, datetimes and decimals travel as
``{"__class__": ...}`` objects.
"""

from __future__ import annotations

import base64
import itertools
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from erp_shopify.errors import (
    DataError,
    IntegrationError,
    SystemFailure,
    TransientError,
    error_for_status,
    transport_errors,
)

SYSTEM = "tryton"
# Tryton exceptions that a retry can clear: a concurrent write, a locked SQLite file, a timeout.
_TRANSIENT_TEXT = ("ConcurrencyException", "database is locked", "TimeOutException", "DatabaseTimeoutError")


def encode(value: Any) -> Any:
    """Python values in Tryton's JSON dialect."""
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, datetime):
        return {
            "__class__": "datetime",
            **{k: getattr(value, k) for k in ("year", "month", "day", "hour", "minute", "second", "microsecond")},
        }
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    return value


def decode(value: Any) -> Any:
    """Tryton's JSON dialect back to Python values (datetimes are naive UTC, as Tryton stores them)."""
    if isinstance(value, dict):
        kind = value.get("__class__")
        if kind == "Decimal":
            return Decimal(value["decimal"])
        if kind == "datetime":
            return datetime(*(value[k] for k in ("year", "month", "day", "hour", "minute", "second", "microsecond")))
        if kind == "date":
            return date(value["year"], value["month"], value["day"])
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


def classify_rpc_error(method: str, error: Any) -> IntegrationError:
    """A Tryton exception answered inside a 200: user/validation errors are data, the rest by kind."""
    kind = error[0] if isinstance(error, list) and error else ""
    detail = error[1] if isinstance(error, list) and len(error) > 1 else error
    if kind in ("UserError", "UserWarning"):
        message = detail[0] if isinstance(detail, list) and detail else str(detail)
        return DataError(f"{method}: {message}", body={"method": method, "error": error}, codes=(kind,), system=SYSTEM)
    if kind == "LoginException":
        return SystemFailure(f"{method}: login refused", body={"method": method, "error": error}, system=SYSTEM)
    text = str(kind or error)
    body = {"method": method, "error": [text]}  # the server traceback stays in the server log
    if any(marker in text for marker in _TRANSIENT_TEXT):
        return TransientError(f"{method}: {text}", body=body, codes=("server",), system=SYSTEM)
    return DataError(f"{method}: {text}", body=body, codes=("server",), system=SYSTEM)


class TrytonRpc:
    """A logged-in JSON-RPC session against one Tryton database (``transport`` swaps the HTTP
    transport, for tests)."""

    def __init__(
        self,
        base_url: str,
        database: str,
        login: str,
        password: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/{database}/rpc/"
        self._login = login
        self._password = password
        self._http = httpx.Client(timeout=timeout, transport=transport, headers={"Content-Type": "application/json"})
        self._ids = itertools.count(1)
        self._authorization: str | None = None
        self.context: dict[str, Any] = {}

    def login(self) -> None:
        """Open a session and load the user's preferences (company, language): every call's context."""
        result = self._post("common.db.login", [self._login, {"password": self._password}], None)
        user_id, token = result[0], result[1]
        raw = f"{self._login}:{user_id}:{token}".encode()
        self._authorization = "Session " + base64.b64encode(raw).decode()
        self.context = self._post("model.res.user.get_preferences", [True, {}], self._authorization)

    def model(self, model: str, method: str, *args: Any, context: dict[str, Any] | None = None) -> Any:
        """``model.<model>.<method>(*args, context)``; logs in first, and again once if the session expired."""
        name = f"model.{model}.{method}"
        if self._authorization is None:
            self.login()
        for attempt in (1, 2):
            params = [*args, {**self.context, **(context or {})}]
            try:
                return self._post(name, params, self._authorization)
            except SystemFailure as failure:
                if failure.status != 401 or attempt == 2:
                    raise
                self.login()
        raise AssertionError("unreachable")

    def _post(self, method: str, params: list[Any], authorization: str | None) -> Any:
        headers = {"Authorization": authorization} if authorization else {}
        payload = {"id": next(self._ids), "method": method, "params": encode(params)}
        with transport_errors(method, system=SYSTEM):
            response = self._http.post(self.url, json=payload, headers=headers)
        if response.status_code != 200:
            raise error_for_status(
                response.status_code,
                f"{method} answered HTTP {response.status_code}",
                body=response.text[:2000],
                headers=response.headers,
                system=SYSTEM,
            )
        answer = response.json()
        if "error" in answer:
            raise classify_rpc_error(method, answer["error"])
        return decode(answer.get("result"))

    def close(self) -> None:
        self._http.close()
