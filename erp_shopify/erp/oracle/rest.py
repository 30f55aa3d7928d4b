"""Oracle Fusion Cloud REST on the wire: one session (Basic auth, or an OAuth 2.0 bearer token from the
pod's identity domain, ``oracle_auth``), the ADF REST framework's paging
(``limit``/``offset``/``hasMore``/``items``), ``q=`` row-match filters, and its error bodies classified.

Every request sends ``REST-Framework-Version: 4`` (row-match ``q=`` expressions with ``in`` need
version 2 or later; nested children come back as collections from version 3) and asks for the error
media type ``application/vnd.oracle.adf.error+json``, whose body is ``{title, status,
o:errorDetails: [{detail, o:errorCode, o:errorPath}]}``; a server that answers plain text instead
is classified just the same, by status, with the text kept as the body.

Sync reads are retried through the one retry policy; order calls pass ``retried=False`` and are
sent once, since order delivery is their one retry layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from erp_shopify.config import OracleConfig
from erp_shopify.erp.oauth import ClientCredentials, private_key_jwt
from erp_shopify.erp.rest import RestSession
from erp_shopify.errors import DataError, IntegrationError, error_for_status
from erp_shopify.retrying import RetryPolicy

SYSTEM = "oracle"
API_ROOT = "/fscmRestApi/resources/11.13.18.05"
CRM_ROOT = "/crmRestApi/resources/11.13.18.05"  # Trading Community (customer) resources
FRAMEWORK_VERSION = "4"
ERROR_MEDIA_TYPE = "application/vnd.oracle.adf.error+json"
MAX_PAGE = 500  # the framework's largest page; a larger limit is cut silently, so paging follows ``count``
IN_LIST_CHUNK = 200  # literals per ``in (...)`` filter, to keep the URL well under common limits
DEFAULT_RETRIES = RetryPolicy()
# The audience OCI IAM identity domains require of a client assertion.
IDENTITY_AUDIENCE = "https://identity.oraclecloud.com/"


def literal(value: str) -> str:
    """A string literal of a row-match expression: single-quoted, a quote doubled."""
    return "'" + value.replace("'", "''") + "'"


def equals(attribute: str, value: str) -> str:
    return f"{attribute} = {literal(value)}"


def one_of(attribute: str, values: Sequence[str]) -> str:
    return f"{attribute} in ({', '.join(map(literal, values))})"


def all_of(*conditions: str | None) -> str | None:
    """Join the given conditions with ``and`` (None when there is none)."""
    present = [c for c in conditions if c]
    return " and ".join(f"({c})" for c in present) if present else None


def instant(value: str) -> datetime:
    """A date-time attribute as a naive UTC datetime (the clock our change cursors keep)."""
    moment = datetime.fromisoformat(str(value))
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def changed_since(attribute: str, moment: datetime | None) -> str | None:
    """``attribute >= moment`` as a row-match condition (a naive ``moment`` is UTC), None without one."""
    if moment is None:
        return None
    return f"{attribute} >= {literal(moment.strftime('%Y-%m-%dT%H:%M:%S.000+00:00'))}"


def children(row: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """An expanded child: a collection ``{items: [...]}`` from framework version 3, a list before."""
    value = row.get(name) or []
    return list(value.get("items", [])) if isinstance(value, dict) else list(value)


def oracle_error(response: httpx.Response) -> IntegrationError:
    """Classify a failed response, reading ``o:errorDetails`` (or a plain-text body) into the message."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    details = body.get("o:errorDetails", []) if isinstance(body, dict) else []
    codes = tuple(d["o:errorCode"] for d in details if isinstance(d, dict) and d.get("o:errorCode"))
    parts = [str(d.get("detail", "")) for d in details if isinstance(d, dict)]
    title = body.get("title") if isinstance(body, dict) else None
    text = body.strip()[:500] if isinstance(body, str) else ""
    message = "; ".join(p for p in parts if p) or title or text or f"HTTP {response.status_code}"
    return error_for_status(
        response.status_code, message, body=body, headers=response.headers, codes=codes, system=SYSTEM
    )


def oracle_auth(config: OracleConfig) -> httpx.Auth:
    """Basic auth, or client credentials with a JWT client assertion signed by the configured key
    (the config's validator has made sure the fields each needs are there)."""
    if config.auth == "oauth2":
        if not (config.token_url and config.client_id and config.private_key):
            raise DataError("Oracle oauth2 needs token_url, client_id, private_key and scope", system=SYSTEM)
        client_id = config.client_id.value()
        assertion = private_key_jwt(client_id, config.private_key.value(), IDENTITY_AUDIENCE, config.key_id)
        return ClientCredentials(config.token_url, assertion, system=SYSTEM, scope=config.scope)
    if not (config.username and config.password):
        raise DataError("Oracle basic auth needs username and password", system=SYSTEM)
    return httpx.BasicAuth(config.username.value(), config.password.value())


class FusionRest(RestSession):
    """One authenticated session against an Oracle Fusion pod's SCM REST resources."""

    def __init__(
        self,
        config: OracleConfig,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRIES,
        sleep: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        root: str = API_ROOT,
    ) -> None:
        http = httpx.Client(
            base_url=config.base_url.rstrip("/") + root,
            auth=oracle_auth(config),
            timeout=timeout,
            transport=transport,
            headers={"Accept": f"application/json, {ERROR_MEDIA_TYPE}", "REST-Framework-Version": FRAMEWORK_VERSION},
        )
        super().__init__(http, system=SYSTEM, error_for=oracle_error, retry=retry, sleep=sleep, path_prefix=f"{root}/")

    def page(
        self,
        resource: str,
        *,
        q: str | None = None,
        fields: Sequence[str] = (),
        child_fields: Mapping[str, Sequence[str]] | None = None,
        order_by: Sequence[str] = (),
        expand: str | None = None,
        limit: int = MAX_PAGE,
        offset: int = 0,
        retried: bool = True,
    ) -> dict[str, Any]:
        """One page of a collection: ``{items, count, hasMore, limit, offset}`` (``onlyData``: no links).

        ``child_fields`` brings children with ``fields`` (``A,B;child:C,D``), since the framework
        ignores ``expand`` when ``fields`` is given."""
        params: dict[str, Any] = {"onlyData": "true", "limit": limit, "offset": offset, "totalResults": "false"}
        if q:
            params["q"] = q
        if fields:
            children = "".join(f";{name}:{','.join(names)}" for name, names in (child_fields or {}).items())
            params["fields"] = ",".join(fields) + children
        if order_by:
            params["orderBy"] = ",".join(f"{name}:asc" for name in order_by)
        if expand:
            params["expand"] = expand
        return self.call("GET", resource, params=params, retried=retried).json()

    def pages(self, resource: str, *, limit: int = MAX_PAGE, **query: Any) -> Iterator[list[dict[str, Any]]]:
        """Every page of a collection, advancing by the rows received (the server may cut ``limit``)."""
        offset = 0
        while True:
            page = self.page(resource, limit=limit, offset=offset, **query)
            items = page.get("items", [])
            yield items
            if not page.get("hasMore") or not items:
                return
            offset += len(items)

    def changed_pages(
        self, resource: str, *, stamp: str, key: str, q: str | None, page_size: int, **query: Any
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of ``resource`` matching ``q``, in (``stamp``, ``key``) order, paged by keyset: each
        page asks for the rows after the last one seen, so a row that changes during the read moves
        past the end instead of shifting a neighbour out of view (as an offset would)."""
        after: dict[str, Any] | None = None
        while True:
            keyset = None
            if after:
                at, last = literal(str(after[stamp])), literal(str(after[key]))
                keyset = f"{stamp} > {at} or ({stamp} = {at} and {key} > {last})"
            page = self.page(resource, q=all_of(q, keyset), order_by=(stamp, key), limit=page_size, **query)
            rows = page.get("items", [])
            yield rows
            if not page.get("hasMore") or not rows:
                return
            after = rows[-1]

    def get_item(self, resource: str, key: str, **params: Any) -> dict[str, Any] | None:
        """One resource item by key, or None on 404; sent once (order calls only)."""
        try:
            return self.call("GET", f"{resource}/{key}", params={"onlyData": "true", **params}, retried=False).json()
        except DataError as exc:
            if exc.status == 404:
                return None
            raise
