"""A fault-injecting reverse proxy: the sandbox faults in front of a REAL server (Tryton).

Every request is forwarded as it came (method, path, query, headers, body) through
``FaultMiddleware``, so latency, 5xx, 429 and 401 are injected before the upstream sees anything.
A "timeout after commit" is different: the matching request *is* forwarded and committed
upstream, then its answer is held back (``FaultState.maybe_lose_response``) so the client times
out not knowing that its write happened.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from erp_shopify_sandbox.faults import FaultMiddleware, FaultState

# hop-by-hop headers (RFC 9110 section 7.6.1) plus those httpx recomputes
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
_RECOMPUTED = {"host", "content-length", "content-encoding"}


class ReverseProxy:
    """The bare ASGI forwarder. ``commits(path, body)`` says which requests may lose their answer."""

    def __init__(self, upstream: str, state: FaultState, commits: Callable[[str, bytes], bool]) -> None:
        self.upstream = upstream.rstrip("/")
        self.state = state
        self.commits = commits
        self.client = httpx.AsyncClient(base_url=self.upstream, timeout=120.0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self.client)
            return
        request = Request(scope, receive)
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP | _RECOMPUTED}
        try:
            upstream = await self.client.request(
                request.method, request.url.path, params=request.url.query or None, headers=headers, content=body
            )
        except httpx.TransportError as exc:
            await Response(f"upstream unreachable: {exc!r}", status_code=502)(scope, receive, send)
            return
        if self.commits(request.url.path, body):
            await self.state.maybe_lose_response()
        kept = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP | _RECOMPUTED}
        await Response(upstream.content, status_code=upstream.status_code, headers=kept)(scope, receive, send)


async def _lifespan(receive: Receive, send: Send, client: httpx.AsyncClient) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await client.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return


def fault_proxy(upstream: str, state: FaultState, commits: Callable[[str, bytes], bool]) -> FaultMiddleware:
    """The proxy app: control endpoint and pre-service faults first, then forwarding."""
    return FaultMiddleware(ReverseProxy(upstream, state, commits), state)
