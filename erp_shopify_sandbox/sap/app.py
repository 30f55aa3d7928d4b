"""The SAP sandbox's HTTP face: SAP Gateway's OData v2 paths, basic auth, OAuth 2.0 tokens, CSRF
tokens bound to the session cookie, server-side paging and SAP-shaped errors. The ``/_sandbox/``
control API is in ``control.py``."""

from __future__ import annotations

import base64
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from erp_shopify_sandbox.faults import FaultMiddleware, FaultState
from erp_shopify_sandbox.sap.control import SapControl
from erp_shopify_sandbox.sap.errors import fault_response, sap_error
from erp_shopify_sandbox.sap.partners import PreconditionError
from erp_shopify_sandbox.sap.query import QueryError, Serializer, expand_tree, order, plan_filter, value
from erp_shopify_sandbox.sap.records import BusinessError
from erp_shopify_sandbox.sap.schema import SERVICES, EntitySet, service
from erp_shopify_sandbox.sap.store import SapStore

ODATA_ROOT = "/sap/opu/odata/sap"
USERNAME, PASSWORD = "SHOPIFY_SYNC", "sandbox-password"
CLIENT_ID, CLIENT_SECRET = "shopify-sync-client", "sandbox-client-secret"  # OAuth 2.0 client credentials
TOKEN_PATH = "/sap/bc/sec/oauth2/token"
SESSION_COOKIE = "SAP_SESSIONID_S4H_100"
_WRITES = ("POST", "PUT", "PATCH", "MERGE", "DELETE")
_KEY = re.compile(r"^(?P<set>\w+)\((?P<keys>.*)\)$")


class SapSandboxApp:
    def __init__(self, store: SapStore, faults: FaultState, *, page_size: int = 1000) -> None:
        self.store, self.faults, self.page_size = store, faults, page_size
        self.forbidden = False  # answer 403 as for a user without the API's authorisation role
        self.sessions: dict[str, str | None] = {}  # session cookie -> CSRF token
        self.access_tokens: set[str] = set()
        self._cache: OrderedDict[tuple, list[Any]] = OrderedDict()
        methods = ["GET", *_WRITES]
        routes = [
            Route(f"{ODATA_ROOT}/{{service}}/{{path:path}}", self.odata, methods=methods),
            Route(f"{ODATA_ROOT}/{{service}}", self.odata, methods=methods),
            Route(TOKEN_PATH, self.token, methods=["POST"]),
            *SapControl(self).routes(),
        ]
        self.asgi = FaultMiddleware(Starlette(routes=routes), faults, error_response=fault_response)

    # --- OData -----------------------------------------------------------------------------------

    async def odata(self, request: Request) -> Response:
        name, path = request.path_params["service"], request.path_params.get("path", "")
        if name not in SERVICES:
            return sap_error(404, "/IWFND/MED/170", f"No service found for namespace '', name '{name}', version '0001'")
        if not self._authenticated(request):
            return sap_error(401, "/IWFND/CM_CONSUMER/101", "Logon failed: user or password is not valid")
        if self.forbidden:
            return sap_error(403, "/IWFND/CM_CONSUMER/002", f"No authorization to access service '{name}'")
        session = request.cookies.get(SESSION_COOKIE) or secrets.token_hex(16)
        token = self.sessions.get(session)
        if request.method in _WRITES and (not token or request.headers.get("x-csrf-token") != token):
            return PlainTextResponse("CSRF token validation failed", 403, headers={"x-csrf-token": "Required"})
        try:
            response = await self._dispatch(request, name, path)
        except QueryError as exc:
            response = sap_error(400, "/IWBEP/CM_MGW_RT/022", str(exc), service_id=name)
        except BusinessError as exc:
            response = sap_error(400, exc.code, exc.message, target=exc.target, service_id=name)
        except PreconditionError as exc:
            code = "/IWBEP/CM_MGW_RT/153" if exc.status == 412 else "/IWBEP/CM_MGW_RT/154"
            response = sap_error(exc.status, code, exc.message, service_id=name)
        except KeyError as exc:
            response = sap_error(
                404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment {exc.args[0]}", service_id=name
            )
        if request.method == "GET" and request.headers.get("x-csrf-token", "").lower() == "fetch":
            token = self.sessions[session] = token or secrets.token_urlsafe(18)
            response.headers["x-csrf-token"] = token
        if SESSION_COOKIE not in request.cookies:
            self.sessions.setdefault(session, None)
            response.set_cookie(SESSION_COOKIE, session, path="/", httponly=True)
        return response

    async def _dispatch(self, request: Request, name: str, path: str) -> Response:
        svc = service(name)
        root = f"{str(request.base_url).rstrip('/')}{ODATA_ROOT}/{name}"
        path = path.strip("/")
        if not path:
            return JSONResponse({"d": {"EntitySets": list(svc.sets)}})
        if path == "$metadata":
            return Response(svc.metadata, media_type="application/xml")
        serializer = Serializer(svc, root)
        match = _KEY.match(path)
        set_name = match.group("set") if match else path
        if set_name not in svc.sets:
            raise KeyError(f"'{set_name}'")
        entity_set = svc.sets[set_name]
        params = request.query_params
        selected, expanded = expand_tree(params.get("$expand", ""), params.get("$select", ""))
        if request.method == "POST" and not match:
            return await self._create(request, name, serializer, entity_set)
        if request.method in ("PATCH", "MERGE", "PUT") and match:
            return await self._update(request, name, entity_set, _keys(match.group("keys"), entity_set))
        if request.method != "GET":
            return sap_error(
                405, "/IWBEP/CM_MGW_RT/021", f"Method {request.method} not allowed for {set_name}", service_id=name
            )
        if match:
            row = self._find(name, entity_set, _keys(match.group("keys"), entity_set))
            body = serializer.entity(entity_set, row, selected, expanded)
            etag = body["__metadata"].get("etag")
            return JSONResponse({"d": body}, headers={"etag": etag} if etag else None)
        return self._collection(request, name, serializer, entity_set, selected, expanded)

    def _collection(
        self,
        request: Request,
        name: str,
        serializer: Serializer,
        entity_set: EntitySet,
        selected: set[str] | None,
        expanded: dict[str, Any],
    ) -> Response:
        params = request.query_params
        rows = self._query(name, entity_set, params.get("$filter", ""), params.get("$orderby", ""))
        try:
            skip, top = int(params.get("$skip", 0)), params.get("$top")
            window = rows[skip : skip + int(top)] if top is not None else rows[skip:]
            token = int(params.get("$skiptoken", 0))
        except ValueError:
            raise QueryError("$top, $skip and $skiptoken must be integers") from None
        page = window[token : token + self.page_size]
        data: dict[str, Any] = {"results": [serializer.entity(entity_set, r, selected, expanded) for r in page]}
        if params.get("$inlinecount") == "allpages":
            data["__count"] = str(len(rows))
        if token + self.page_size < len(window):
            data["__next"] = str(request.url.include_query_params(**{"$skiptoken": token + self.page_size}))
        return JSONResponse({"d": data})

    def _query(self, name: str, entity_set: EntitySet, filter_text: str, orderby: str) -> list[Any]:
        """Filtered, ordered rows; cached per query and store version, so paging a long journal
        filters it once, not once per page. A filter that pins an indexed property to a few values
        reads only those rows (``index.py``); the whole filter still decides."""
        key = (name, entity_set.name, filter_text, orderby, self.store.version)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        predicate, candidates = plan_filter(filter_text, entity_set) if filter_text else (None, [])
        indexed = [
            (self.store.indexes[(entity_set.name, name)], values)
            for name, values in candidates
            if (entity_set.name, name) in self.store.indexes
        ]
        with self.store.lock:
            source = indexed[0][0].lookup(indexed[0][1]) if indexed else self._rows(entity_set.name)
            rows = [row for row in source if predicate is None or predicate(row)]
        result = order(rows, orderby, entity_set) if orderby else rows
        self._cache[key] = result
        while len(self._cache) > 8:
            self._cache.popitem(last=False)
        return result

    def _rows(self, set_name: str) -> Iterable[Any]:
        store = self.store
        rows: dict[str, Callable[[], Iterable[Any]]] = {
            "A_MaterialDocumentHeader": lambda: store.documents,
            "A_MaterialDocumentItem": lambda: [i for h in store.documents for i in h.to_MaterialDocumentItem],
            "A_MatlStkInAcctMod": store.stock_rows,
            "A_SlsPrcgCndnRecdValidity": lambda: store.validities,
            "A_SlsPrcgConditionRecord": lambda: list(store.condition_records.values()),
            "A_SlsPrcgCndnRecordScale": lambda: [
                s for r in store.condition_records.values() for s in r["to_SlsPrcgCndnRecordScale"]
            ],
            "A_Product": lambda: list(store.products.rows.values()),
            "A_ProductDescription": store.products.descriptions,
            "A_SalesOrder": lambda: store.orders,
            "A_SalesOrderItem": lambda: [i for o in store.orders for i in o["to_Item"]],
            "A_SalesOrderHeaderPartner": lambda: [p for o in store.orders for p in o["to_Partner"]],
            "A_SalesOrderPartnerAddress": lambda: [
                a for o in store.orders for p in o["to_Partner"] for a in p["to_Address"]
            ],
            "A_OutbDeliveryHeader": lambda: store.deliveries.headers,
            "A_OutbDeliveryItem": store.deliveries.items,
            "A_BusinessPartner": lambda: list(store.partners.rows.values()),
            "A_BusinessPartnerAddress": store.partners.addresses,
            "A_AddressEmailAddress": store.partners.emails,
            "A_AddressPhoneNumber": store.partners.phones,
            "A_BusinessPartnerRole": store.partners.roles,
            "A_Customer": store.partners.customers,
            "A_SalesOrderItemPrElement": lambda: [
                e for o in store.orders for i in o["to_Item"] for e in i["to_PricingElement"]
            ],
        }
        return rows[set_name]()

    def _find(self, name: str, entity_set: EntitySet, keys: dict[str, str]) -> Any:
        with self.store.lock:
            rows = list(self._rows(entity_set.name))
        for row in rows:
            if all(_key_text(value(row, k)) == v for k, v in keys.items()):
                return row
        raise KeyError(f"'{entity_set.name}({','.join(f'{k}={v}' for k, v in keys.items())})'")

    async def _create(self, request: Request, name: str, serializer: Serializer, entity_set: EntitySet) -> Response:
        if entity_set.name not in _CREATABLE:
            return sap_error(
                405, "/IWBEP/CM_MGW_RT/021", f"Creating {entity_set.name} is not supported here", service_id=name
            )
        payload = await _json_body(request)
        partners = self.store.partners
        creators: dict[str, Callable[[dict[str, Any]], Any]] = {
            "A_SalesOrder": self.store.create_sales_order,
            "A_BusinessPartner": partners.create,
            "A_BusinessPartnerAddress": partners.add_address,
            "A_AddressEmailAddress": lambda p: partners.put_email(str(p.get("AddressID") or ""), p),
            "A_AddressPhoneNumber": lambda p: partners.put_phone(str(p.get("AddressID") or ""), p),
            "A_BusinessPartnerRole": lambda p: partners.grant_role(
                str(p.get("BusinessPartner") or ""), str(p.get("BusinessPartnerRole") or "")
            ),
        }
        row = creators[entity_set.name](payload)
        await self.faults.maybe_lose_response()  # committed: a lost answer now is a timeout after commit
        body = serializer.entity(entity_set, row, None, _CREATABLE[entity_set.name])
        headers = {"location": body["__metadata"]["uri"]}
        if body["__metadata"].get("etag"):
            headers["etag"] = body["__metadata"]["etag"]
        return JSONResponse({"d": body}, status_code=201, headers=headers)

    async def _update(self, request: Request, name: str, entity_set: EntitySet, keys: dict[str, str]) -> Response:
        payload = await _json_body(request)
        partners = self.store.partners
        if entity_set.name == "A_BusinessPartner":
            partners.update(keys["BusinessPartner"], payload, request.headers.get("if-match"))
        elif entity_set.name == "A_BusinessPartnerAddress":
            partners.update_address(keys["BusinessPartner"], keys["AddressID"], payload)
        elif entity_set.name in ("A_AddressEmailAddress", "A_AddressPhoneNumber"):
            put = partners.put_email if entity_set.name == "A_AddressEmailAddress" else partners.put_phone
            put(keys["AddressID"], {**payload, "OrdinalNumber": keys["OrdinalNumber"]})
        elif set(keys) == {"SalesOrder", "SalesOrderItem"} and set(payload) <= {"SalesDocumentRjcnReason"}:
            self.store.reject_item(keys["SalesOrder"], keys["SalesOrderItem"], str(payload["SalesDocumentRjcnReason"]))
        else:
            return sap_error(
                400,
                "/IWBEP/CM_MGW_RT/021",
                f"The sandbox does not update these properties of {entity_set.name}",
                service_id=name,
            )
        return Response(status_code=204)

    def _authenticated(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return token in self.access_tokens
        return _basic(request, USERNAME, PASSWORD)

    async def token(self, request: Request) -> Response:
        """OAuth 2.0 client credentials, as SAP's authorisation server answers them."""
        form = parse_qs((await request.body()).decode())
        if form.get("grant_type") != ["client_credentials"]:
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if not _basic(request, CLIENT_ID, CLIENT_SECRET):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Client authentication failed"}, status_code=401
            )
        token = secrets.token_urlsafe(24)
        self.access_tokens.add(token)
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "API_SALES_ORDER_SRV_0001"}
        )


# What each creatable set's answer expands, as SAP answers a deep insert with what it created
_CREATABLE: dict[str, dict[str, Any]] = {
    "A_SalesOrder": {"to_Item": (None, {"to_PricingElement": {}}), "to_Partner": (None, {"to_Address": {}})},
    "A_BusinessPartner": {
        "to_BusinessPartnerAddress": (None, {"to_EmailAddress": {}, "to_PhoneNumber": {}}),
        "to_BusinessPartnerRole": (None, {}),
        "to_Customer": (None, {}),
    },
    "A_BusinessPartnerAddress": {"to_EmailAddress": (None, {}), "to_PhoneNumber": (None, {})},
    "A_AddressEmailAddress": {},
    "A_AddressPhoneNumber": {},
    "A_BusinessPartnerRole": {},
}


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        payload = await request.json()
    except ValueError:
        raise QueryError("The request body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise QueryError("The request body must be a JSON object")
    return payload


def _basic(request: Request, user: str, password: str) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given_user, _, given_password = base64.b64decode(encoded).decode().partition(":")
    except ValueError:
        return False
    return secrets.compare_digest(given_user, user) and secrets.compare_digest(given_password, password)


def _keys(text: str, entity_set: EntitySet) -> dict[str, str]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 1 and "=" not in parts[0]:
        return {entity_set.keys[0]: parts[0].strip("'")}
    pairs = dict(p.split("=", 1) for p in parts)
    return {k: v.strip("'") for k, v in pairs.items()}


def _key_text(raw: Any) -> str:
    return raw.isoformat(timespec="seconds") if isinstance(raw, datetime) else str(raw)
