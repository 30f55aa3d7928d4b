"""Alerts: to the log always, and to a Slack-compatible incoming webhook when one is configured.

Severity says who acts and how fast: ``P0`` pages operations (the ERP connection is broken and
delivery is paused), ``P2`` tells the data team an order is in the dead-letter queue. An alert that
cannot be posted is logged and dropped: alerting must never stop delivery. The webhook URL is itself
a secret (it lets anyone post), so it is never logged; alert texts carry no payloads or bodies.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

import httpx

from erp_shopify.config import Settings

log = logging.getLogger("erp_shopify.alerts")


class Severity(StrEnum):
    P0 = "P0"  # operations, now: a connection is down and work is paused
    P1 = "P1"  # operations, soon: a run failed, retries ran out
    P2 = "P2"  # data team, business hours: a record needs fixing


_LEVEL = {Severity.P0: logging.CRITICAL, Severity.P1: logging.ERROR, Severity.P2: logging.WARNING}


@dataclass(frozen=True)
class Alert:
    severity: Severity
    audience: str  # "operations", "data team"
    title: str
    detail: str = ""

    @property
    def text(self) -> str:
        detail = f"\n{self.detail}" if self.detail else ""
        return f"[{self.severity}] [{self.audience}] {self.title}{detail}"


class Notifier:
    def __init__(self, webhook_url: str | None, *, timeout: float = 5.0) -> None:
        self._webhook_url = webhook_url
        self._timeout = timeout

    @classmethod
    def for_settings(cls, settings: Settings) -> Notifier:
        """The notifier of the configured alert webhook (the log only, when none is configured)."""
        secret = settings.alert_webhook_url
        return cls(secret.value() if secret else None)

    def __repr__(self) -> str:
        return f"Notifier(webhook={'configured' if self._webhook_url else 'none'})"

    def send(self, alert: Alert) -> bool:
        """Log the alert and post it; True when the webhook accepted it (or none is configured)."""
        log.log(_LEVEL[alert.severity], "%s", alert.text)
        if not self._webhook_url:
            return True
        try:
            response = httpx.post(self._webhook_url, json={"text": alert.text}, timeout=self._timeout)
        except httpx.HTTPError as exc:
            log.error("alert webhook unreachable (%s); alert kept in the log only", type(exc).__name__)
            return False
        if response.status_code >= 300:
            log.error("alert webhook answered HTTP %s; alert kept in the log only", response.status_code)
            return False
        return True

    def alert(self, severity: Severity, audience: str, title: str, detail: str = "") -> bool:
        return self.send(Alert(severity, audience, title, detail))
