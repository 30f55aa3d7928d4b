"""The NetSuite sandbox's HTTP surface: REST web services on their real paths, NetSuite's problem
JSON on every failure, a per-account concurrency limit, faults, and the ``/_sandbox`` control API."""

from __future__ import annotations

import json
import logging
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from erp_shopify_sandbox.faults import CONTROL_PREFIX, FaultMiddleware, Faults, FaultState
from erp_shopify_sandbox.netsuite.auth import TokenVerifier
from erp_shopify_sandbox.netsuite.customers import change_customer, render_customer, upsert_customer
from erp_shopify_sandbox.netsuite.fulfillments import retrack, ship
from erp_shopify_sandbox.netsuite.state import Account, QueryError, Record, RecordError

log = logging.getLogger(__name__)

MAX_LIMIT = 1000
RECORD_TYPES = ("salesOrder", "creditMemo", "customer")
_TYPE_URL = {
    400: "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1",
    401: "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.2",
    403: "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.4",
    404: "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.5",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.5.1",
}
_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}
INVALID_LOGIN = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > "
    "Users/Roles > User Management > View Login Audit Trail."
)
LIMIT_EXCEEDED = "Concurrent request limit exceeded. Request blocked."


def problem(status: int, detail: str, code: str, path: str | None = None) -> JSONResponse:
    """NetSuite's error body: ``{type, title, status, o:errorDetails: [{detail, o:errorCode, o:errorPath}]}``."""
    item: dict[str, str] = {"detail": detail, "o:errorCode": code}
    if path:
        item["o:errorPath"] = path
    body = {
        "type": _TYPE_URL.get(status, _TYPE_URL[500]),
        "title": _TITLES.get(status, "Internal Server Error" if status == 500 else "Service Unavailable"),
        "status": status,
        "o:errorDetails": [item],
    }
    return JSONResponse(body, status_code=status, media_type="application/vnd.oracle.resource+json; type=error")


def fault_problem(status: int, faults: Faults) -> Response:
    if status == 401:
        return problem(401, INVALID_LOGIN, "INVALID_LOGIN")
    if status == 429:
        return problem(429, LIMIT_EXCEEDED, "CONCURRENCY_LIMIT_EXCEEDED")
    return problem(status, "An unexpected error occurred. Error ID: sandbox-fault", "UNEXPECTED_ERROR")


class ConcurrencyLimit:
    """NetSuite governs concurrent requests per account: one over the limit is refused at once,
    with 429 or (as older integrations see it) 400 ``SSS_REQUEST_LIMIT_EXCEEDED``."""

    def __init__(self, app: ASGIApp, limit: int, status: int = 429) -> None:
        self.app, self.limit, self.status, self.in_flight = app, limit, status, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            code = "SSS_REQUEST_LIMIT_EXCEEDED" if self.status == 400 else "CONCURRENCY_LIMIT_EXCEEDED"
            await problem(self.status, LIMIT_EXCEEDED, code)(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class NetSuiteService:
    def __init__(self, account: Account, verifier: TokenVerifier, faults: FaultState) -> None:
        self.account, self.verifier, self.faults = account, verifier, faults
        self.permitted = True

    def _refusal(self, request: Request) -> Response | None:
        reason = self.verifier.failure(request.method, str(request.url), request.headers.get("authorization"))
        if reason:
            log.info("netsuite sandbox refused %s %s: %s", request.method, request.url.path, reason)
            return problem(401, INVALID_LOGIN, "INVALID_LOGIN")
        if not self.permitted:
            return problem(
                403,
                "Permission Violation: You need a higher level of the 'Sales Order' permission to access this page.",
                "INSUFFICIENT_PERMISSION",
            )
        return None

    async def suiteql(self, request: Request) -> Response:
        if refusal := self._refusal(request):
            return refusal
        if request.headers.get("prefer") != "transient":
            return problem(400, "The request header 'Prefer: transient' is required for SuiteQL.", "INVALID_HEADER")
        try:
            limit = int(request.query_params.get("limit", MAX_LIMIT))
            offset = int(request.query_params.get("offset", 0))
        except ValueError:
            return problem(400, "Invalid 'limit' or 'offset' query parameter value.", "INVALID_PARAMETER")
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            return problem(
                400, f"Invalid query parameter value: limit must be 1-{MAX_LIMIT}, offset >= 0.", "INVALID_PARAMETER"
            )
        try:
            query = json.loads(await request.body())["q"]
            rows = self.account.suiteql(query)
        except (ValueError, KeyError, TypeError, QueryError) as exc:
            return problem(
                400,
                "Invalid search query. Detailed unprocessed description follows. "
                f"Search error occurred: Invalid or unsupported search. {exc}",
                "INVALID_PARAMETER",
            )
        page = rows[offset : offset + limit]
        base = str(request.url.remove_query_params(["limit", "offset"]))
        has_more = offset + len(page) < len(rows)
        links = [{"rel": "self", "href": f"{base}?limit={limit}&offset={offset}"}]
        if has_more:
            links.append({"rel": "next", "href": f"{base}?limit={limit}&offset={offset + limit}"})
        return JSONResponse(
            {
                "links": links,
                "count": len(page),
                "hasMore": has_more,
                "items": [{"links": [], **row} for row in page],
                "offset": offset,
                "totalResults": len(rows),
            }
        )

    def _lookup(self, record_type: str, key: str) -> tuple[Record | None, str, Response | None]:
        if record_type not in RECORD_TYPES:
            return None, "", problem(404, f"Record type '{record_type}' does not exist.", "NONEXISTENT_ID")
        if key.startswith("eid:"):
            external_id = key[4:]
            if not re.fullmatch(r"[A-Za-z0-9_-]+", external_id):
                return None, "", problem(400, f"Invalid external ID '{external_id}'.", "INVALID_ID")
            return self.account.find(record_type, external_id), external_id, None
        found = self.account.records.get((record_type, int(key))) if key.isdigit() else None
        return found, found.external_id if found else "", None

    def _render(self, request: Request, record: Record) -> dict[str, Any]:
        url = f"{request.base_url}services/rest/record/v1/{record.type}/{record.id}"
        body: dict[str, Any] = {"links": [{"rel": "self", "href": url}], "id": str(record.id), **record.fields}
        if request.query_params.get("expandSubResources") == "true":
            body["item"] = {"items": [{**line, "item": {"id": str(line["item"])}} for line in record.lines]}
        else:
            body["item"] = {"links": [{"rel": "self", "href": f"{url}/item"}]}
        return json.loads(json.dumps(body, default=lambda v: float(v) if isinstance(v, Decimal) else str(v)))

    async def record(self, request: Request) -> Response:
        if refusal := self._refusal(request):
            return refusal
        record_type, key = request.path_params["type"], request.path_params["key"]
        record, external_id, error = self._lookup(record_type, key)
        if error:
            return error
        if request.method == "GET":
            if record is None:
                return problem(
                    404, "The record instance does not exist. Provide a valid record instance ID.", "NONEXISTENT_ID"
                )
            if record.type == "customer":
                url = f"{request.base_url}services/rest/record/v1/customer/{record.id}"
                expand = request.query_params.get("expandSubResources") == "true"
                return JSONResponse(render_customer(record, url, expand))
            return JSONResponse(self._render(request, record))
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return problem(400, "The request body is not valid JSON.", "INVALID_CONTENT")
        replace = set(filter(None, request.query_params.get("replace", "").split(",")))
        try:
            if record_type == "customer" and request.method == "PATCH" and record is not None:
                change_customer(self.account, record, body, replace=replace)
            elif record_type == "customer" and request.method == "PUT" and external_id:
                record = upsert_customer(self.account, external_id, body, replace=replace)
            elif request.method == "PATCH":
                if record is None:
                    return problem(404, "The record instance does not exist.", "NONEXISTENT_ID")
                self.account.patch(record, body)
            elif not external_id:
                return problem(400, "Upsert by PUT needs an external id: use eid:<externalId>.", "INVALID_ID")
            else:
                record, _ = self.account.upsert(record_type, external_id, body)
        except RecordError as exc:
            return problem(400, str(exc), "INVALID_CONTENT", exc.path or None)
        if request.method == "PUT" and record_type in ("salesOrder", "customer"):
            await self.faults.maybe_lose_response()  # committed; the answer may never arrive
        location = f"{request.base_url}services/rest/record/v1/{record_type}/{record.id}"
        return Response(status_code=204, headers={"Location": location})

    # -- control API ---------------------------------------------------------------------------

    async def control_stock(self, request: Request) -> Response:
        data = await request.json()
        try:
            changed = self.account.set_stock(
                str(data["item"]), int(data.get("location", 1)), Decimal(str(data["quantity"]))
            )
        except (KeyError, ValueError, InvalidOperation, RecordError) as exc:
            return JSONResponse({"error": f"expected {{item, location, quantity}}: {exc}"}, status_code=400)
        return JSONResponse({"item": data["item"], "lastquantityavailablechange": changed})

    async def control_items(self, request: Request) -> Response:
        """Create or change items: a list of {itemid, displayname, parent, matrixtype, isinactive, ...}."""
        specs = await request.json()
        return JSONResponse({"lastmodifieddate": [self.account.put_item(spec) for spec in specs]})

    async def control_handling(self, request: Request) -> Response:
        """The handling cost the account's shipping item adds to every later sales order: {amount}."""
        self.account.handling_cost = Decimal(str((await request.json())["amount"]))
        return JSONResponse({"ok": True})

    async def control_prices(self, request: Request) -> Response:
        data = await request.json()
        try:
            self.account.set_price(
                str(data["item"]),
                int(data.get("price_level", 1)),
                str(data.get("currency", "USD")),
                int(data.get("quantity", 0)),
                Decimal(str(data["unit_price"])),
            )
        except (KeyError, ValueError, InvalidOperation, RecordError) as exc:
            return JSONResponse(
                {"error": f"expected {{item, price_level, currency, quantity, unit_price}}: {exc}"}, 400
            )
        return JSONResponse({"ok": True})

    async def control_orders(self, request: Request) -> Response:
        external_id = request.query_params.get("externalId", "")
        record_type = request.query_params.get("type", "salesOrder")
        record = self.account.find(record_type, external_id)
        lines = [] if record is None else [{**line, "quantity": str(line["quantity"])} for line in record.lines]
        return JSONResponse(
            {
                "externalId": external_id,
                "count": self.account.count(record_type, external_id),
                "total": None if record is None else record.fields.get("total"),
                "lines": lines,
                "header": {} if record is None else record.fields,
            }
        )

    async def control_ship(self, request: Request) -> Response:
        """The warehouse ships one item of a sales order: an item fulfillment, shipped, with a package."""
        data = await request.json()
        try:
            if "id" in request.path_params:
                retrack(self.account, int(request.path_params["id"]), str(data["tracking"]))
                return JSONResponse({"id": int(request.path_params["id"])})
            made = ship(
                self.account,
                str(data["order"]),
                str(data["item"]),
                Decimal(str(data["quantity"])),
                str(data.get("tracking", "")),
            )
        except (KeyError, ValueError, InvalidOperation) as exc:
            return JSONResponse({"error": f"expected {{order, item, quantity, tracking}}: {exc}"}, status_code=400)
        return JSONResponse({"id": made}, status_code=201)

    async def control_customers(self, request: Request) -> Response:
        """``PUT``: a NetSuite user creates or edits customers (``[{id, externalId, firstName, lastName,
        companyName, addresses: [addressBookAddress], at}]``, addresses replacing the book);
        ``GET ?externalId=``: how many customers carry that external id."""
        if request.method == "GET":
            external_id = request.query_params.get("externalId", "")
            return JSONResponse({"externalId": external_id, "count": self.account.count("customer", external_id)})
        ids = []
        try:
            for spec in await request.json():
                body = {k: spec[k] for k in ("firstName", "lastName", "companyName", "email") if k in spec}
                body["addressBook"] = {"items": [{"addressBookAddress": a} for a in spec.get("addresses", [])]}
                existing = self.account.records.get(("customer", int(spec["id"]))) if spec.get("id") else None
                if existing is not None:
                    change_customer(self.account, existing, body, replace={"addressBook"}, at=spec.get("at"))
                else:
                    existing = upsert_customer(
                        self.account, str(spec.get("externalId", "")), body, replace={"addressBook"}, at=spec.get("at")
                    )
                ids.append(existing.id)
        except (KeyError, ValueError, RecordError) as exc:
            return JSONResponse({"error": f"bad customer: {exc}"}, status_code=400)
        return JSONResponse({"customers": ids})

    async def control_permissions(self, request: Request) -> Response:
        self.permitted = bool((await request.json()).get("granted", True))
        return JSONResponse({"granted": self.permitted})


def build_app(
    account: Account,
    verifier: TokenVerifier,
    faults: FaultState,
    *,
    concurrency_limit: int = 5,
    limit_status: int = 429,
) -> ASGIApp:
    service = NetSuiteService(account, verifier, faults)
    routes = [
        Route("/services/rest/query/v1/suiteql", service.suiteql, methods=["POST"]),
        Route("/services/rest/record/v1/{type}/{key}", service.record, methods=["GET", "PUT", "PATCH"]),
        Route(f"{CONTROL_PREFIX}/stock", service.control_stock, methods=["PUT"]),
        Route(f"{CONTROL_PREFIX}/prices", service.control_prices, methods=["PUT"]),
        Route(f"{CONTROL_PREFIX}/items", service.control_items, methods=["PUT"]),
        Route(f"{CONTROL_PREFIX}/handling", service.control_handling, methods=["PUT"]),
        Route(f"{CONTROL_PREFIX}/orders", service.control_orders, methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/permissions", service.control_permissions, methods=["PUT"]),
        Route(f"{CONTROL_PREFIX}/customers", service.control_customers, methods=["GET", "PUT"]),
        Route(f"{CONTROL_PREFIX}/item-fulfillments", service.control_ship, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/item-fulfillments/{{id}}", service.control_ship, methods=["PATCH"]),
    ]
    app = FaultMiddleware(Starlette(routes=routes), faults, error_response=fault_problem)
    return ConcurrencyLimit(app, concurrency_limit, limit_status)
