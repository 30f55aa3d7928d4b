"""NetSuite REST web services on the wire: one signed session, NetSuite's error bodies classified,
SuiteQL pages and records addressed by external id.

Sync reads are retried through the one retry policy; order calls pass ``retried=False`` and are
sent once, since order delivery is their one retry layer (a timed-out write may have committed,
and only delivery knows that a repeat must search first).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from erp_shopify.config import NetSuiteConfig
from erp_shopify.erp.netsuite.auth import TokenAuth
from erp_shopify.erp.rest import RestSession
from erp_shopify.errors import DataError, ErrorClass, IntegrationError, error_for_status
from erp_shopify.retrying import RetryPolicy

SYSTEM = "netsuite"
DEFAULT_RETRIES = RetryPolicy()
SUITEQL_PATH = "/services/rest/query/v1/suiteql"
RECORD_PATH = "/services/rest/record/v1"
# Concurrency governance: 429, or 400 SSS_REQUEST_LIMIT_EXCEEDED, both mean "try again shortly".
TRANSIENT_CODES = frozenset({"SSS_REQUEST_LIMIT_EXCEEDED"})
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9_-]+")


def validate_external_id(value: str) -> str:
    """NetSuite addresses a record by ``eid:<externalId>`` only for letters, digits, ``_`` and ``-``."""
    if not _EXTERNAL_ID.fullmatch(value):
        bad = sorted({c for c in value if not re.fullmatch(r"[A-Za-z0-9_-]", c)}) or ["(empty)"]
        raise DataError(
            f"external id {value!r} cannot address a NetSuite record: only letters, digits, '_' and '-' "
            f"are allowed in eid: paths (found {' '.join(repr(c) for c in bad)})",
            codes=("INVALID_EXTERNAL_ID",),
            body={"externalId": value},
            system=SYSTEM,
        )
    return value


def netsuite_error(response: httpx.Response) -> IntegrationError:
    """Classify a failed response, reading NetSuite's ``o:errorDetails`` into message and codes."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    details = body.get("o:errorDetails", []) if isinstance(body, dict) else []
    codes = tuple(d["o:errorCode"] for d in details if isinstance(d, dict) and d.get("o:errorCode"))
    parts = [
        f"{d.get('detail', '')}" + (f" (at {d['o:errorPath']})" if d.get("o:errorPath") else "")
        for d in details
        if isinstance(d, dict)
    ]
    title = body.get("title") if isinstance(body, dict) else None
    message = "; ".join(p for p in parts if p) or title or f"HTTP {response.status_code}"
    override = ErrorClass.TRANSIENT if TRANSIENT_CODES & set(codes) else None
    return error_for_status(
        response.status_code,
        message,
        body=body,
        headers=response.headers,
        codes=codes,
        system=SYSTEM,
        error_class=override,
    )


class RestClient(RestSession):
    """One token-authenticated session against an account's REST web services."""

    def __init__(
        self,
        config: NetSuiteConfig,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRIES,
        sleep: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        auth = TokenAuth(
            config.account_id,
            config.consumer_key.value(),
            config.consumer_secret.value(),
            config.token_id.value(),
            config.token_secret.value(),
        )
        http = httpx.Client(
            base_url=config.base_url.rstrip("/"),
            auth=auth,
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json"},
        )
        super().__init__(http, system=SYSTEM, error_for=netsuite_error, retry=retry, sleep=sleep)

    def suiteql(self, query: str, *, limit: int, offset: int = 0, retried: bool = True) -> dict[str, Any]:
        """One page of a SuiteQL query: ``{items, hasMore, count, offset, totalResults, links}``."""
        return self.call(
            "POST",
            SUITEQL_PATH,
            params={"limit": limit, "offset": offset},
            json={"q": query},
            headers={"Prefer": "transient"},
            retried=retried,
        ).json()

    def pages(self, query: str, *, limit: int, retried: bool = True) -> Iterator[list[dict[str, Any]]]:
        """Offset paging for snapshots (the query must ORDER BY a unique key)."""
        offset = 0
        while True:
            page = self.suiteql(query, limit=limit, offset=offset, retried=retried)
            yield page["items"]
            if not page["hasMore"]:
                return
            offset += page["count"]

    def record_path(self, record: str, external_ref: str) -> str:
        return f"{RECORD_PATH}/{record}/eid:{validate_external_id(external_ref)}"

    def get_record(self, record: str, external_ref: str) -> dict[str, Any] | None:
        """The record with this external id, or None; sent once (order calls only)."""
        try:
            return self.call("GET", self.record_path(record, external_ref), retried=False).json()
        except DataError as exc:
            if exc.status == 404:
                return None
            raise

    def upsert(self, record: str, external_ref: str, body: dict[str, Any]) -> None:
        """``PUT .../<record>/eid:<ref>``: create or replace by external id; sent once."""
        clean = {k: v for k, v in body.items() if v is not None}
        self.call("PUT", self.record_path(record, external_ref), json=clean, retried=False)
