"""The Oracle sandbox's HTTP surface: SCM REST resources on their real paths with the ADF REST
framework's conventions (``limit``/``offset``/``hasMore``/``items``, ``q=`` row-match from framework
version 2, ``fields``, ``orderBy``, ``expand``, ``onlyData``, nested children as collections from
version 3), Basic auth or a bearer token of the identity domain (``identity.py``), error bodies,
faults, and the ``/_sandbox`` control API."""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from erp_shopify_sandbox.faults import CONTROL_PREFIX, FaultMiddleware, Faults, FaultState
from erp_shopify_sandbox.oracle.identity import TOKEN_PATH, IdentityDomain
from erp_shopify_sandbox.oracle.parties import Parties, PartyError
from erp_shopify_sandbox.oracle.rowmatch import RowMatchError, compile_rowmatch
from erp_shopify_sandbox.oracle.state import SEED_SUBINVENTORIES, OrderError, Pod

ROOT = "/fscmRestApi/resources/11.13.18.05"
CRM_ROOT = "/crmRestApi/resources/11.13.18.05"
DEFAULT_LIMIT = 25
MAX_LIMIT = 500
ERROR_TYPE = "application/vnd.oracle.adf.error+json"
COLLECTION_TYPE = "application/vnd.oracle.adf.resourcecollection+json"
_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}


def error(request: Request | None, status: int, detail: str, code: str = "") -> Response:
    """The error media type when the client accepts it, else the framework's plain-text message."""
    if request is not None and ERROR_TYPE in request.headers.get("accept", ""):
        item = {"detail": detail, **({"o:errorCode": code} if code else {})}
        body = {"title": _TITLES.get(status, "Internal Server Error"), "status": str(status), "o:errorDetails": [item]}
        return JSONResponse(body, status_code=status, media_type=ERROR_TYPE)
    return PlainTextResponse(detail, status_code=status)


def fault_error(status: int, faults: Faults) -> Response:
    if status == 401:
        return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="oracle"'})
    return PlainTextResponse(f"{_TITLES.get(status, 'Service Unavailable')} (injected)", status_code=status)


def _version(request: Request) -> int:
    try:
        return int(request.headers.get("rest-framework-version", "1"))
    except ValueError:
        return 1


def _collection(rows: list[dict[str, Any]], version: int) -> Any:
    """A nested child as framework version 3+ shows it (a collection), or an array before."""
    if version < 3:
        return rows
    return {"items": rows, "count": len(rows), "hasMore": False, "limit": DEFAULT_LIMIT, "offset": 0}


def _selection(request: Request) -> tuple[list[str], dict[str, list[str]]]:
    """The attributes and children asked for. ``fields=A,B;child:C,D`` names both (a child with no
    attribute list comes whole); ``expand=child,child.grandchild`` names children only. As the
    framework documents, ``fields`` and ``expand`` do not combine: with both, ``fields`` wins."""
    params = request.query_params
    if params.get("fields"):
        root, *named = params["fields"].split(";")
        children = {}
        for part in filter(None, named):
            name, _, attributes = part.partition(":")
            children[name.strip()] = [a.strip() for a in attributes.split(",") if a.strip()]
        return [f.strip() for f in root.split(",") if f.strip()], children
    return [], {e.strip(): [] for e in params.get("expand", "").split(",") if e.strip()}


class OracleService:
    def __init__(self, pod: Pod, username: str, password: str, faults: FaultState, identity: IdentityDomain) -> None:
        self.pod, self.faults, self.identity = pod, faults, identity
        self._authorization = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    def _refusal(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if self.identity.accepts(header):
            return None
        try:
            valid = header == self._authorization and bool(base64.b64decode(header[6:]))
        except (binascii.Error, ValueError):
            valid = False
        return None if valid else Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="oracle"'})

    def _page(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        params, version = request.query_params, _version(request)
        try:
            limit = min(int(params.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)  # a larger limit is cut, not refused
            offset = int(params.get("offset", 0))
        except ValueError:
            return error(request, 400, "The limit and offset query parameters must be integers.")
        if limit < 1 or offset < 0:
            return error(request, 400, "The limit must be positive and the offset not negative.")
        if params.get("q"):
            if version < 2:
                return error(request, 400, "Row-match expressions in q need REST-Framework-Version 2 or later.")
            try:
                match = compile_rowmatch(params["q"])
            except RowMatchError as exc:
                return error(request, 400, f"The query parameter q is invalid: {exc}")
            rows = [row for row in rows if match(row)]
        for spec in reversed([s for s in params.get("orderBy", "").split(",") if s]):
            name, _, direction = spec.partition(":")
            rows.sort(key=lambda row: str(row.get(name, "")), reverse=direction.lower() == "desc")
        page = rows[offset : offset + limit]
        fields, children = _selection(request)
        items = [self._shape(row, fields, children, version) for row in page]
        body: dict[str, Any] = {
            "items": items,
            "count": len(items),
            "hasMore": offset + len(page) < len(rows),
            "limit": limit,
            "offset": offset,
        }
        if params.get("totalResults") == "true":
            body["totalResults"] = len(rows)
        if params.get("onlyData") != "true":
            body["links"] = [
                {
                    "rel": "self",
                    "href": str(request.url),
                    "name": request.url.path.rsplit("/", 1)[-1],
                    "kind": "collection",
                }
            ]
        return JSONResponse(body, media_type=COLLECTION_TYPE)

    @staticmethod
    def _shape(
        row: dict[str, Any], fields: list[str], children: dict[str, list[str]], version: int, prefix: str = ""
    ) -> dict[str, Any]:
        """The row with ``fields`` (all when empty) and the selected children, each with its own fields."""
        out: dict[str, Any] = {}
        for key, value in row.items():
            path = f"{prefix}{key}"
            if isinstance(value, list):
                if path in children or "all" in children:
                    chosen = children.get(path, [])
                    shaped = [OracleService._shape(v, chosen, children, version, f"{path}.") for v in value]
                    out[key] = _collection(shaped, version)
            elif not fields or key in fields:
                out[key] = value
        return out

    async def onhand(self, request: Request) -> Response:
        if refusal := self._refusal(request):
            return refusal
        return self._page(request, self.pod.onhand_rows())

    async def price_lists(self, request: Request) -> Response:
        if refusal := self._refusal(request):
            return refusal
        return self._page(request, [{k: v for k, v in p.items() if k != "items"} for p in self.pod.price_lists])

    async def price_list_items(self, request: Request) -> Response:
        if refusal := self._refusal(request):
            return refusal
        wanted = str(request.path_params["price_list_id"])
        found = [p for p in self.pod.price_lists if str(p["PriceListId"]) == wanted]
        if not found:
            return error(request, 404, f"The price list {wanted} doesn't exist.")
        return self._page(request, list(found[0]["items"]))

    async def items(self, request: Request) -> Response:
        if refusal := self._refusal(request):
            return refusal
        return self._page(request, self.pod.catalog.item_rows())

    async def shipments(self, request: Request) -> Response:
        if refusal := self._refusal(request):
            return refusal
        return self._page(request, self.pod.catalog.shipment_rows())

    async def orders(self, request: Request) -> Response:
        if request.method == "POST":
            return await self.create_order(request)
        if refusal := self._refusal(request):
            return refusal
        return self._page(request, self.pod.order_rows())

    async def create_order(self, request: Request) -> Response:
        if refusal := self._refusal(request):
            return refusal
        try:
            body = json.loads(await request.body())
            order = self.pod.create_order(body)
        except ValueError as exc:
            code = exc.code if isinstance(exc, OrderError) else "INVALID_JSON"
            return error(request, 400, str(exc), code)
        await self.faults.maybe_lose_response()  # committed; the answer may never arrive
        return JSONResponse(self._shape(order, [], {"lines": []}, _version(request)), status_code=201)

    async def order(self, request: Request) -> Response:
        if refusal := self._refusal(request):
            return refusal
        system, _, source_id = unquote(request.path_params["order_key"]).partition(":")
        order = self.pod.find_order(system, source_id)
        if order is None:
            return error(request, 404, f"The sales order {system}:{source_id} doesn't exist.")
        if request.method == "PATCH":
            try:
                body = json.loads(await request.body())
                if body.get("RequestCancelFlag"):
                    order = self.pod.cancel_order(order, body.get("CancelReasonCode"))
            except ValueError as exc:
                return error(request, 400, str(exc), exc.code if isinstance(exc, OrderError) else "INVALID_JSON")
        fields, children = _selection(request)
        return JSONResponse(self._shape(order, fields, children, _version(request)))

    # -- control API ---------------------------------------------------------------------------

    async def control_stock(self, request: Request) -> Response:
        data = await request.json()
        try:
            item, location = str(data["item"]), str(data["location"])
            organization, _, subinventory = location.partition("/")
            quantity, lot = Decimal(str(data["quantity"])), str(data.get("lot") or "")
            self.pod.set_onhand(item, organization, subinventory, quantity, lot)
        except (KeyError, InvalidOperation) as exc:
            return JSONResponse({"error": f"expected {{item, location: ORG/SUBINVENTORY, quantity, lot}}: {exc}"}, 400)
        return JSONResponse({"item": item, "location": location})

    async def control_price_list(self, request: Request) -> Response:
        data = await request.json()
        try:
            prices = {str(k): Decimal(str(v)) for k, v in data["prices"].items()}
            tiers = {str(k): [(int(q), Decimal(str(p))) for q, p in v] for k, v in data.get("tiers", {}).items()}
            self.pod.add_price_list(str(data["name"]), str(data.get("currency", "USD")), prices, tiers)
        except (KeyError, InvalidOperation, TypeError, ValueError) as exc:
            return JSONResponse({"error": f"expected {{name, currency, prices, tiers}}: {exc}"}, 400)
        return JSONResponse({"ok": True})

    def _parties(self, request: Request) -> Parties:
        """Organizations on ``hubOrganizations`` (and ``/_sandbox/organizations``), else persons."""
        organizations = "/hubOrganizations" in request.url.path or request.url.path.endswith("/organizations")
        return self.pod.organizations if organizations else self.pod.persons

    async def parties(self, request: Request) -> Response:
        if refusal := self._refusal(request):
            return refusal
        parties = self._parties(request)
        if request.method == "GET":
            return self._page(request, parties.rows())
        try:
            party = parties.create(json.loads(await request.body()))
        except ValueError as exc:
            return error(request, 400, str(exc), exc.code if isinstance(exc, PartyError) else "INVALID_JSON")
        await self.faults.maybe_lose_response()  # committed; the answer may never arrive
        return JSONResponse(self._shape(party, [], {"Address": []}, _version(request)), status_code=201)

    async def party(self, request: Request) -> Response:
        if refusal := self._refusal(request):
            return refusal
        parties, number = self._parties(request), request.path_params["party_number"]
        if number not in parties.persons:
            return error(request, 404, f"The party {number} doesn't exist.")
        try:
            if request.url.path.endswith("/child/Address"):
                address = parties.add_address(number, json.loads(await request.body()))
                return JSONResponse(address, status_code=201)
            if request.method == "PATCH":
                parties.update(number, json.loads(await request.body()))
        except ValueError as exc:
            return error(request, 400, str(exc), exc.code if isinstance(exc, PartyError) else "INVALID_JSON")
        fields, children = _selection(request)
        [row] = [p for p in parties.rows() if p["PartyNumber"] == number]
        return JSONResponse(self._shape(row, fields, children, _version(request)))

    async def control_parties(self, request: Request) -> Response:
        """``PUT``: a party entered by an Oracle user (``{FirstName, LastName, Address: [...]}`` on
        ``persons``, ``{OrganizationName, Address: [...]}`` on ``organizations``);
        ``GET ?SourceSystemReferenceValue=``: how many of them carry that reference."""
        parties = self._parties(request)
        if request.method == "GET":
            reference = request.query_params.get("SourceSystemReferenceValue", "")
            return JSONResponse({"count": parties.count(reference)})
        try:
            party = parties.create(await request.json())
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse({"PartyNumber": party["PartyNumber"]})

    async def control_items(self, request: Request) -> Response:
        specs = await request.json()
        if not isinstance(specs, list) or not all(isinstance(s, dict) and s.get("ItemNumber") for s in specs):
            return JSONResponse({"error": "expected a list of {ItemNumber, ...attributes, dff}"}, 400)
        return JSONResponse({"items": [self.pod.catalog.put_item(spec)["ItemNumber"] for spec in specs]})

    async def control_ship(self, request: Request) -> Response:
        """``{order: SourceTransactionId, item, quantity, subinventory?, waybill?, carrier?}``: ship-confirm."""
        data = await request.json()
        order = next((o for (_, sid), o in self.pod.orders.items() if sid == data.get("order")), None)
        if order is None or not data.get("item"):
            return JSONResponse({"error": f"no order {data.get('order')!r} or no item"}, 400)
        line = {"item": data["item"], "quantity": data.get("quantity", 1), "subinventory": data.get("subinventory")}
        line["subinventory"] = line["subinventory"] or SEED_SUBINVENTORIES[0]
        shipment = self.pod.catalog.ship(order["OrderNumber"], [line], data.get("waybill", ""), data.get("carrier", ""))
        return JSONResponse({"Shipment": shipment["Shipment"]})

    async def control_retrack(self, request: Request) -> Response:
        name = request.path_params["shipment"]
        if name not in self.pod.catalog.shipments:
            return JSONResponse({"error": f"no shipment {name}"}, 404)
        self.pod.catalog.retrack(name, str((await request.json())["waybill"]))
        return JSONResponse({"Shipment": name})

    async def control_pricing(self, request: Request) -> Response:
        """``{freight_surcharge}``: a freight charge Oracle's own shipping charge rules add to every new order."""
        try:
            surcharge = Decimal(str((await request.json())["freight_surcharge"]))
        except (KeyError, InvalidOperation, TypeError) as exc:
            return JSONResponse({"error": f"expected {{freight_surcharge}}: {exc}"}, 400)
        with self.pod.lock:
            self.pod.freight_surcharge = surcharge
        return JSONResponse({"freight_surcharge": str(surcharge)})

    async def control_orders(self, request: Request) -> Response:
        """How many orders carry the source id, and the primary total of the latest one (None: none)."""
        source_id = request.query_params.get("SourceTransactionId", "")
        found = [o for o in self.pod.order_rows() if o["SourceTransactionId"] == source_id]
        total = next((t["TotalAmount"] for t in found[-1]["totals"] if t["PrimaryFlag"]), None) if found else None
        return JSONResponse({"SourceTransactionId": source_id, "count": len(found), "total": total})


def build_app(pod: Pod, username: str, password: str, faults: FaultState, identity: IdentityDomain) -> ASGIApp:
    service = OracleService(pod, username, password, faults, identity)
    routes = [
        Route(TOKEN_PATH, identity.token, methods=["POST"]),
        Route(f"{ROOT}/inventoryOnhandBalances", service.onhand, methods=["GET"]),
        Route(f"{ROOT}/priceLists", service.price_lists, methods=["GET"]),
        Route(f"{ROOT}/priceLists/{{price_list_id}}/child/items", service.price_list_items, methods=["GET"]),
        Route(f"{ROOT}/itemsV2", service.items, methods=["GET"]),
        Route(f"{ROOT}/shipments", service.shipments, methods=["GET"]),
        Route(f"{ROOT}/salesOrdersForOrderHub", service.orders, methods=["GET", "POST"]),
        Route(f"{ROOT}/salesOrdersForOrderHub/{{order_key}}", service.order, methods=["GET", "PATCH"]),
        Route(f"{CONTROL_PREFIX}/stock", service.control_stock, methods=["PUT"]),
        Route(f"{CONTROL_PREFIX}/price-lists", service.control_price_list, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/orders", service.control_orders, methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/pricing", service.control_pricing, methods=["PUT"]),
        *[
            route
            for resource in ("hubPersons", "hubOrganizations")
            for route in (
                Route(f"{CRM_ROOT}/{resource}", service.parties, methods=["GET", "POST"]),
                Route(f"{CRM_ROOT}/{resource}/{{party_number}}", service.party, methods=["GET", "PATCH"]),
                Route(f"{CRM_ROOT}/{resource}/{{party_number}}/child/Address", service.party, methods=["POST"]),
            )
        ],
        Route(f"{CONTROL_PREFIX}/persons", service.control_parties, methods=["GET", "PUT"]),
        Route(f"{CONTROL_PREFIX}/organizations", service.control_parties, methods=["GET", "PUT"]),
        Route(f"{CONTROL_PREFIX}/items", service.control_items, methods=["PUT"]),
        Route(f"{CONTROL_PREFIX}/shipments", service.control_ship, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/shipments/{{shipment}}", service.control_retrack, methods=["PATCH"]),
    ]
    return FaultMiddleware(Starlette(routes=routes), faults, error_response=fault_error)
