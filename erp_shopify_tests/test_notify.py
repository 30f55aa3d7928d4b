"""The notifier posts Slack-compatible alerts to a real HTTP receiver on loopback."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from erp_shopify.notify import Notifier, Severity
from erp_shopify_sandbox.server import ServerThread


class Receiver:
    """A Slack-style incoming webhook that records what it was sent."""

    def __init__(self, status: int = 200) -> None:
        self.received: list[dict] = []
        self.status = status
        self.app = Starlette(routes=[Route("/hooks/alerts", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> JSONResponse:
        self.received.append(json.loads(await request.body()))
        return JSONResponse({"ok": self.status < 300}, status_code=self.status)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hook = Receiver()
    with ServerThread(hook.app) as server:
        yield hook, f"{server.url}/hooks/alerts"


def test_alert_is_posted_as_slack_text_with_severity_and_audience(receiver: tuple[Receiver, str]) -> None:
    hook, url = receiver
    assert Notifier(url).alert(Severity.P0, "operations", "ERP sap paused: HTTP 401", "resume with erp-shopify resume")
    assert hook.received == [
        {"text": "[P0] [operations] ERP sap paused: HTTP 401\nresume with erp-shopify resume"},
    ]


def test_rejected_alert_is_logged_and_does_not_raise(
    receiver: tuple[Receiver, str], caplog: pytest.LogCaptureFixture
) -> None:
    hook, url = receiver
    hook.status = 500
    with caplog.at_level(logging.WARNING, logger="erp_shopify.alerts"):
        assert Notifier(url).alert(Severity.P2, "data team", "order in DLQ") is False
    assert "[P2] [data team] order in DLQ" in caplog.text
    assert "HTTP 500" in caplog.text


def test_unreachable_webhook_never_shows_its_url(caplog: pytest.LogCaptureFixture) -> None:
    url = "http://127.0.0.1:9/services/T000/B000/secret-token-part"
    notifier = Notifier(url, timeout=0.5)
    with caplog.at_level(logging.WARNING, logger="erp_shopify.alerts"):
        assert notifier.alert(Severity.P1, "operations", "run failed") is False
    assert "secret-token-part" not in caplog.text
    assert "secret-token-part" not in repr(notifier)


def test_without_a_webhook_alerts_go_to_the_log_only(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="erp_shopify.alerts"):
        assert Notifier(None).alert(Severity.P2, "data team", "order 1001 needs a SKU")
    assert "order 1001 needs a SKU" in caplog.text


def test_an_alert_raised_inside_a_run_is_written_to_the_runs_log_too(caplog: pytest.LogCaptureFixture) -> None:
    run_log = logging.getLogger("a-dagster-run")  # what a run's context.log offers: log(level, message)
    with caplog.at_level(logging.WARNING):
        Notifier(None, run_log=run_log).alert(Severity.P0, "operations", "delivery paused", "resume it")
    in_run = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "a-dagster-run"]
    assert in_run == [(logging.CRITICAL, "[P0] [operations] delivery paused\nresume it")]
