"""The fault proxy forwards faithfully and injects faults in front of a real HTTP upstream."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from erp_shopify_sandbox.faults import Faults, FaultState
from erp_shopify_sandbox.proxy import fault_proxy
from erp_shopify_sandbox.server import ServerThread
from erp_shopify_sandbox.tryton import losable_write


def _upstream(received: list[dict[str, object]]) -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        seen = {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "authorization": request.headers.get("authorization"),
            "body": (await request.body()).decode(),
        }
        received.append(seen)
        return JSONResponse(seen, status_code=201, headers={"X-Upstream": "yes"})

    return Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST", "PUT"])])


@pytest.fixture
def proxied() -> Iterator[tuple[str, FaultState, list[dict[str, object]]]]:
    received: list[dict[str, object]] = []
    state = FaultState()
    upstream = ServerThread(_upstream(received)).start()
    try:
        with ServerThread(fault_proxy(upstream.url, state, losable_write)) as proxy:
            yield proxy.url, state, received
    finally:
        upstream.stop()


def test_request_and_answer_pass_through_unchanged(proxied: tuple[str, FaultState, list[dict[str, object]]]) -> None:
    url, _, _ = proxied
    answer = httpx.post(f"{url}/demo/rpc/?x=1", content=b'{"a": 1}', headers={"Authorization": "Session abc"})
    assert answer.status_code == 201
    assert answer.headers["x-upstream"] == "yes"
    assert answer.json() == {
        "method": "POST",
        "path": "/demo/rpc/",
        "query": "x=1",
        "authorization": "Session abc",
        "body": '{"a": 1}',
    }


def test_injected_status_never_reaches_the_upstream(proxied: tuple[str, FaultState, list[dict[str, object]]]) -> None:
    url, state, received = proxied
    state.set(Faults(forbidden=True))
    assert httpx.post(f"{url}/demo/rpc/", content=b"{}").status_code == 403
    state.set(Faults(throttle_rate=1.0, retry_after_seconds=2))
    throttled = httpx.post(f"{url}/demo/rpc/", content=b"{}")
    assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "2")
    assert received == []


def test_a_sale_write_commits_upstream_but_its_answer_is_lost(
    proxied: tuple[str, FaultState, list[dict[str, object]]],
) -> None:
    url, state, received = proxied
    state.set(Faults(timeout_after_commit_rate=1.0, hang_seconds=2))
    read = b'{"id": 1, "method": "model.sale.sale.search_read", "params": []}'
    assert httpx.post(f"{url}/demo/rpc/", content=read).status_code == 201  # reads are never lost
    confirm = b'{"id": 2, "method": "model.sale.sale.confirm", "params": [[1], {}]}'
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{url}/demo/rpc/", content=confirm, timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert [r["body"] for r in received] == [read.decode(), confirm.decode()]  # the write did happen
