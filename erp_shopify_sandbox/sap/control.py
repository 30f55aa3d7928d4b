"""The SAP sandbox's control API under ``/_sandbox/``: how tests, the demo and benchmarks seed
master data, stock, condition records and back-dated journal entries, read orders and stock back,
and change the server's behaviour (page size, a missing authorisation, expired CSRF tokens)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from erp_shopify_sandbox.sap.deliveries import delivery_json
from erp_shopify_sandbox.sap.errors import sap_error
from erp_shopify_sandbox.sap.records import BusinessError, Movement

if TYPE_CHECKING:
    from erp_shopify_sandbox.sap.app import SapSandboxApp


class SapControl:
    def __init__(self, app: SapSandboxApp) -> None:
        self.app, self.store = app, app.store

    def routes(self) -> list[Route]:
        return [
            Route("/_sandbox/seed", self.seed, methods=["POST"]),
            Route("/_sandbox/goods-movements", self.goods_movement, methods=["POST"]),
            Route("/_sandbox/conditions", self.conditions, methods=["PUT"]),
            Route("/_sandbox/orders", self.orders, methods=["GET"]),
            Route("/_sandbox/deliveries", self.deliveries, methods=["POST"]),
            Route("/_sandbox/deliveries/{delivery}", self.change_delivery, methods=["PATCH"]),
            Route("/_sandbox/stock", self.stock, methods=["GET"]),
            Route("/_sandbox/settings", self.settings, methods=["GET", "PUT"]),
            Route("/_sandbox/products", self.products, methods=["PUT"]),
            Route("/_sandbox/csrf/expire", self.expire_csrf, methods=["POST"]),
            Route("/_sandbox/business-partners", self.business_partners, methods=["GET", "PUT"]),
        ]

    async def seed(self, request: Request) -> Response:
        """Bulk load: materials, opening stock, condition records, and back-dated journal entries
        (sorted by their time first, so 100,000 documents load in seconds)."""
        body = await request.json()
        store = self.store
        try:
            for material in body.get("materials", []):
                if isinstance(material, str):
                    store.add_material(material)
                else:
                    store.add_material(
                        material["material"], material.get("base_unit", "PC"), service=material.get("service", False)
                    )
            for row in body.get("stock", []):
                store.set_stock(
                    row["material"],
                    row.get("plant", "1010"),
                    row.get("storage_location", "0001"),
                    Decimal(str(row["quantity"])),
                    batch=row.get("batch", ""),
                    stock_type=row.get("stock_type", "01"),
                )
            for spec in body.get("conditions", []):
                store.put_condition(spec)
            movements = sorted(body.get("movements", []), key=lambda m: m.get("at") or "")
            for raw in movements:
                store.post_goods_movement([_movement(raw)], _at(raw.get("at")))
        except BusinessError as exc:
            return sap_error(400, exc.code, exc.message)
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            return JSONResponse({"error": f"bad seed data: {exc!r}"}, status_code=400)
        return JSONResponse(
            {
                "materials": len(store.base_units),
                "documents": len(store.documents),
                "condition_records": len(store.condition_records),
            }
        )

    async def goods_movement(self, request: Request) -> Response:
        """Post one material document: ``items`` of movements, or ``set_quantity`` for a physical
        inventory difference that leaves that quantity unrestricted."""
        body = await request.json()
        try:
            if "set_quantity" in body:
                header = self.store.set_quantity(
                    body["material"],
                    body.get("plant", "1010"),
                    body.get("storage_location", "0001"),
                    Decimal(str(body["set_quantity"])),
                    _at(body.get("at")),
                )
            else:
                header = self.store.post_goods_movement([_movement(i) for i in body["items"]], _at(body.get("at")))
        except BusinessError as exc:
            return sap_error(400, exc.code, exc.message)
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            return JSONResponse({"error": f"bad goods movement: {exc!r}"}, status_code=400)
        if header is None:
            return JSONResponse({})
        return JSONResponse(
            {"MaterialDocumentYear": header.MaterialDocumentYear, "MaterialDocument": header.MaterialDocument}
        )

    async def conditions(self, request: Request) -> Response:
        try:
            ids = [self.store.put_condition(spec) for spec in await request.json()]
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            return JSONResponse({"error": f"bad condition record: {exc!r}"}, status_code=400)
        return JSONResponse({"condition_records": ids})

    async def orders(self, request: Request) -> Response:
        reference = request.query_params.get("purchase_order_by_customer")
        if reference is None:
            found = list(self.store.orders)
        else:
            found = self.store.indexes[("A_SalesOrder", "PurchaseOrderByCustomer")].lookup([reference])
        return JSONResponse(
            {
                "count": len(found),
                "orders": [
                    {
                        "SalesOrder": o["SalesOrder"],
                        "SalesOrderType": o["SalesOrderType"],
                        "PurchaseOrderByCustomer": o["PurchaseOrderByCustomer"],
                        "OverallSDDocumentRejectionSts": o["OverallSDDocumentRejectionSts"],
                        "TotalNetAmount": str(o["TotalNetAmount"]),
                        "items": [
                            {
                                "Material": i["Material"],
                                "RequestedQuantity": str(i["RequestedQuantity"]),
                                "RequestedQuantityUnit": i["RequestedQuantityUnit"],
                                "NetAmount": str(i["NetAmount"]),
                                "TaxAmount": str(i.get("TaxAmount", 0)),
                                "SalesDocumentRjcnReason": i["SalesDocumentRjcnReason"],
                            }
                            for i in o["to_Item"]
                        ],
                    }
                    for o in found
                ],
            }
        )

    async def deliveries(self, request: Request) -> Response:
        """The warehouse ships: a delivery with its goods issue posted, for the sales order named by
        ``sales_order`` or ``purchase_order_by_customer``; ``lines`` (material -> quantity) or the
        whole order."""
        body = await request.json()
        store = self.store
        try:
            number = body.get("sales_order")
            if number is None:
                found = store.indexes[("A_SalesOrder", "PurchaseOrderByCustomer")].lookup(
                    [body["purchase_order_by_customer"]]
                )
                if not found:
                    raise KeyError(f"no sales order for {body['purchase_order_by_customer']!r}")
                number = found[0]["SalesOrder"]
            lines = body.get("lines")
            header = store.deliveries.ship(
                str(number),
                {m: Decimal(str(q)) for m, q in lines.items()} if lines is not None else None,
                bill_of_lading=str(body.get("bill_of_lading", "")),
                plant=body.get("plant", "1010"),
                storage_location=body.get("storage_location", "0001"),
                at=_at(body.get("at")),
            )
        except BusinessError as exc:
            return sap_error(400, exc.code, exc.message)
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            return JSONResponse({"error": f"bad delivery: {exc!r}"}, status_code=400)
        return JSONResponse(delivery_json(header), status_code=201)

    async def change_delivery(self, request: Request) -> Response:
        body = await request.json()
        try:
            header = self.store.deliveries.set_bill_of_lading(
                request.path_params["delivery"], str(body["bill_of_lading"]), _at(body.get("at"))
            )
        except (KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"error": f"bad delivery change: {exc!r}"}, status_code=400)
        return JSONResponse(delivery_json(header))

    async def stock(self, request: Request) -> Response:
        material = request.query_params.get("material")
        rows = self.store.stock_rows() if material is None else self.store.stock_of(material)
        return JSONResponse(
            [{**r, "MatlWrhsStkQtyInMatlBaseUnit": str(r["MatlWrhsStkQtyInMatlBaseUnit"])} for r in rows]
        )

    async def products(self, request: Request) -> Response:
        """Create or change product master records (a list of specs, see ``ProductMaster.put``)."""
        body = await request.json()
        return JSONResponse({"products": [self.store.products.put(spec) for spec in body]})

    async def business_partners(self, request: Request) -> Response:
        """``PUT``: an SAP user creates or edits business partners, customer role included (a list of
        ``{number, first_name, last_name, organization, external_ref, addresses: [OData address
        properties], at}``); ``GET ?external_ref=``: the partners carrying that external number."""
        partners = self.store.partners
        if request.method == "GET":
            wanted = request.query_params.get("external_ref")
            with self.store.lock:
                found = [
                    {"BusinessPartner": n, "Customer": r["Customer"], "name": r["BusinessPartnerName"]}
                    for n, r in partners.rows.items()
                    if wanted is None or r["BusinessPartnerIDByExtSystem"] == wanted
                ]
            return JSONResponse({"count": len(found), "partners": found})
        numbers = []
        try:
            for spec in await request.json():
                at, number = _at(spec.get("at")), str(spec.get("number") or "")
                given = {
                    "FirstName": "first_name",
                    "LastName": "last_name",
                    "OrganizationBPName1": "organization",
                    "BusinessPartnerIDByExtSystem": "external_ref",
                }
                names = {prop: spec.get(key, "") for prop, key in given.items()}
                if number in partners.rows:  # an edit changes what it names: the external number stays
                    partners.update(number, {p: v for p, v in names.items() if given[p] in spec}, "*", at)
                    partners.replace_addresses(number, spec.get("addresses", []), at)
                else:
                    row = partners.create(
                        {
                            **names,
                            "BusinessPartner": number,
                            "BusinessPartnerCategory": "2" if spec.get("organization") else "1",
                            "to_BusinessPartnerAddress": spec.get("addresses", []),
                            "to_BusinessPartnerRole": [{"BusinessPartnerRole": "FLCU01"}],
                        },
                        at,
                    )
                    number = row["BusinessPartner"]
                numbers.append(number)
        except BusinessError as exc:
            return sap_error(400, exc.code, exc.message, target=exc.target)
        except (KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"error": f"bad business partner: {exc!r}"}, status_code=400)
        return JSONResponse({"business_partners": numbers})

    async def settings(self, request: Request) -> Response:
        if request.method == "PUT":
            body = await request.json()
            self.app.page_size = int(body.get("page_size", self.app.page_size))
            self.app.forbidden = bool(body.get("forbidden", self.app.forbidden))
            # an administrator defines countries/regions (code -> postal code pattern, or null)
            self.store.partners.countries.update(body.get("countries") or {})
        return JSONResponse(
            {
                "page_size": self.app.page_size,
                "forbidden": self.app.forbidden,
                "countries": sorted(self.store.partners.countries),
            }
        )

    async def expire_csrf(self, request: Request) -> Response:
        """Forget every CSRF token, as when SAP's security session times out."""
        self.app.sessions = dict.fromkeys(self.app.sessions)
        return JSONResponse({"expired": len(self.app.sessions)})


def _movement(raw: dict[str, Any]) -> Movement:
    return Movement(
        raw["material"],
        Decimal(str(raw["quantity"])),
        str(raw.get("movement_type", "701")),
        raw.get("plant", "1010"),
        raw.get("storage_location", "0001"),
        raw.get("batch", ""),
    )


def _at(raw: str | None) -> datetime | None:
    if not raw:
        return None
    parsed = datetime.fromisoformat(raw)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
