"""A scripted Shopify peer for edge cases: a real Starlette app on loopback that answers each
GraphQL request with the next scripted reply and records what it received.

It speaks Shopify's wire shapes (``data``/``errors``/``extensions.cost``) but keeps no state: the
stateful, faithful emulator is the sandbox; this peer exists to produce exact sequences
(a throttle, then a success) that a stateful server produces only by chance.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from erp_shopify_sandbox.server import ServerThread

GRAPHQL_PATH = "/admin/api/2026-10/graphql.json"


def cost(
    requested: float = 10, actual: float | None = 10, available: float = 1990, maximum: float = 2000, rate: float = 100
) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {"maximumAvailable": maximum, "currentlyAvailable": available, "restoreRate": rate},
        }
    }


def ok(data: dict[str, Any], **cost_options: Any) -> dict[str, Any]:
    return {"data": data, "extensions": cost(**cost_options)}


def throttled(requested: float = 50, available: float = 45, rate: float = 100) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
            }
        ],
        "extensions": cost(requested=requested, actual=None, available=available, rate=rate),
    }


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Received:
    query: str
    variables: dict[str, Any]
    headers: dict[str, str]


class ScriptedShopify:
    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.received: list[Received] = []
        self.downloads: list[dict[str, str]] = []
        self.files: dict[str, list[str]] = {}
        self.app = Starlette(
            routes=[
                Route(GRAPHQL_PATH, self._graphql, methods=["POST"]),
                Route("/files/{name}", self._file, methods=["GET"]),
            ]
        )
        self.url = ""

    def reply(
        self, body: Any = None, *, status: int = 200, headers: dict[str, str] | None = None, delay: float = 0.0
    ) -> ScriptedShopify:
        self.replies.append(Reply(status, body, headers or {}, delay))
        return self

    @property
    def graphql_url(self) -> str:
        return self.url + GRAPHQL_PATH

    async def _graphql(self, request: Request) -> Response:
        payload = json.loads(await request.body())
        self.received.append(Received(payload["query"], payload.get("variables") or {}, dict(request.headers)))
        if not self.replies:
            return JSONResponse({"errors": [{"message": "the script has no reply left"}]}, status_code=500)
        reply = self.replies.popleft()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if isinstance(reply.body, str):
            return PlainTextResponse(reply.body, status_code=reply.status, headers=reply.headers)
        return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)

    async def _file(self, request: Request) -> Response:
        self.downloads.append(dict(request.headers))
        lines = self.files[request.path_params["name"]]

        async def chunks() -> Any:
            for line in lines:
                yield (line + "\n").encode()

        return StreamingResponse(chunks(), media_type="application/jsonl")


@contextmanager
def scripted_shopify() -> Iterator[ScriptedShopify]:
    peer = ScriptedShopify()
    server = ServerThread(peer.app).start()
    peer.url = server.url
    try:
        yield peer
    finally:
        server.stop()
