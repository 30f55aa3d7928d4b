"""Fault injection shared by every sandbox: set at start, changed at run time through
``GET``/``PUT /_sandbox/faults``.

The middleware injects faults that happen before a request reaches the service (latency, 401,
5xx, 429 storms). Faults that need the service's cooperation (a timeout *after* a commit) are read
by the service from ``FaultState`` itself.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

CONTROL_PREFIX = "/_sandbox"


class Faults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latency_ms: float = Field(0, ge=0)  # added to every service request
    error_rate: float = Field(0, ge=0, le=1)  # share of requests answered with error_status
    error_status: int = Field(503, ge=500, le=599)
    throttle_rate: float = Field(0, ge=0, le=1)  # share answered 429 (a storm when 1.0)
    retry_after_seconds: float = Field(1, ge=0)
    unauthorized: bool = False  # every request answered 401 (revoked credentials)
    forbidden: bool = False  # every request answered 403 (permission withdrawn)
    timeout_after_commit_rate: float = Field(0, ge=0, le=1)  # commit, then never answer in time
    hang_seconds: float = Field(30, ge=0)  # how long a "lost" response stalls
    seed: int | None = None


class FaultState:
    """The live fault settings of one sandbox, with its own random stream."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.set(faults or Faults())
        self.served = 0  # service requests received (control requests aside): what a client cost the ERP

    def set(self, faults: Faults) -> None:
        self.faults = faults
        self.random = random.Random(faults.seed)

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.random.random() < rate

    async def maybe_lose_response(self) -> None:
        """Call after committing a write: with the configured rate, stall so the client times out."""
        if self.roll(self.faults.timeout_after_commit_rate):
            await asyncio.sleep(self.faults.hang_seconds)


class FaultMiddleware:
    """ASGI middleware: the control endpoint plus the pre-service faults.

    ``unauthorized_response`` and ``error_response`` let each sandbox answer in its own wire format
    (Shopify's ``{"errors": ...}``, SAP's OData v2 error, NetSuite's problem JSON).
    """

    def __init__(
        self,
        app: ASGIApp,
        state: FaultState,
        *,
        error_response: Any = None,
    ) -> None:
        self.app = app
        self.state = state
        self.error_response = error_response or _default_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(CONTROL_PREFIX):
            if path == f"{CONTROL_PREFIX}/faults":
                response = await self._control(Request(scope, receive))
                await response(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        self.state.served += 1  # one event loop serves the app: no lock needed
        faults = self.state.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        status: int | None = None
        if faults.unauthorized:
            status = 401
        elif faults.forbidden:
            status = 403
        elif self.state.roll(faults.throttle_rate):
            status = 429
        elif self.state.roll(faults.error_rate):
            status = faults.error_status
        if status is None:
            await self.app(scope, receive, send)
            return
        response = self.error_response(status, faults)
        if status == 429:
            response.headers["Retry-After"] = f"{faults.retry_after_seconds:g}"
        await response(scope, receive, send)

    async def _control(self, request: Request) -> Response:
        if request.method == "PUT":
            try:
                self.state.set(Faults.model_validate(json.loads(await request.body() or b"{}")))
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        elif request.method != "GET":
            return JSONResponse({"error": "use GET or PUT"}, status_code=405)
        return JSONResponse(self.state.faults.model_dump())


def _default_error(status: int, faults: Faults) -> Response:
    return JSONResponse({"error": f"injected fault: HTTP {status}"}, status_code=status)
