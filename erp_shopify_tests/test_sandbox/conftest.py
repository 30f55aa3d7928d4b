"""Fixtures for the Shopify sandbox: a running sandbox and a real webhook receiver on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_shopify_sandbox.server import ServerThread
from erp_shopify_sandbox.shopify import RunningShopifySandbox, start_shopify_sandbox

TOKEN = "shpat_test_token"
SECRET = "test-webhook-secret"


@dataclass
class Receiver:
    """Records every webhook request; answers ``fail_first`` requests with 500, then 200."""

    url: str = ""
    fail_first: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=timeout)
            return list(self.requests)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    record = Receiver()

    async def hook(request: Request) -> Response:
        body = await request.body()
        with record.arrived:
            record.requests.append({"headers": dict(request.headers), "body": body, "url": str(request.url)})
            failing = len(record.requests) <= record.fail_first
            record.arrived.notify_all()
        return Response(status_code=500 if failing else 200)

    server = ServerThread(Starlette(routes=[Route("/hooks", hook, methods=["POST"])])).start()
    record.url = f"{server.url}/hooks"
    yield record
    server.stop()


@pytest.fixture
def shop() -> Iterator[RunningShopifySandbox]:
    running = start_shopify_sandbox(
        access_token=TOKEN, webhook_secret=SECRET, webhook_time_scale=0.0001, seed=20, locations=2
    )
    yield running
    running.stop()


def graphql(
    shop: RunningShopifySandbox, query: str, variables: dict[str, Any] | None = None, token: str = TOKEN
) -> httpx.Response:
    return httpx.post(
        shop.graphql_url,
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": token},
        timeout=30,
    )
