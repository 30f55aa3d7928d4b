"""The control API under ``/_sandbox/``: seed, act as a storefront (orders, refunds, cancellations,
customer edits), subscribe webhooks, and read state back for assertions."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from erp_shopify_sandbox.shopify import catalog, ids, payloads
from erp_shopify_sandbox.shopify.checkout import Pricing
from erp_shopify_sandbox.shopify.state import Order, OutOfStock


def _sandbox(request: Request) -> Any:
    return request.app.state.sandbox


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    return json.loads(raw) if raw else {}


def _order_json(order: Order) -> dict[str, Any]:
    return {
        "id": ids.gid("Order", order.index),
        "legacy_id": ids.legacy_id("Order", order.index),
        "name": order.name,
        "financial_status": order.financial_status,
        "cancelled_at": order.cancelled_at,
        "lines": [
            {"sku": li.sku, "quantity": li.quantity, "refunded": li.refunded, "price": li.price}
            for li in order.line_items
        ],
    }


def _guarded(handler):  # type: ignore[no-untyped-def]
    """Bad control input answers 400 naming the problem; state is left as it was."""

    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except OutOfStock as exc:
            return JSONResponse({"error": str(exc), "code": "OUT_OF_STOCK"}, status_code=409)
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    return wrapper


def _emit_levels(sandbox: Any, order: Order) -> None:
    for line in order.line_items:
        sandbox.webhooks.emit(
            "inventory_levels/update", payloads.inventory_level(sandbox.state, order.location, line.variant)
        )


@_guarded
async def seed(request: Request) -> Response:
    body = await _body(request)
    started = time.perf_counter()
    counts = _sandbox(request).state.seed(
        int(body["products"]),
        variants_per_product=int(body.get("variants_per_product", 1)),
        locations=int(body.get("locations", 1)),
        available=int(body.get("available", 10)),
        sku_prefix=str(body.get("sku_prefix", "SKU-")),
        price=body.get("price"),
    )
    return JSONResponse({**counts, "seconds": round(time.perf_counter() - started, 3)})


@_guarded
async def locations(request: Request) -> Response:
    state = _sandbox(request).state
    if request.method == "POST":
        state.add_locations([str(n) for n in (await _body(request))["names"]])
    return JSONResponse([{"id": ids.gid("Location", i), "name": n} for i, n in enumerate(state.locations)])


def _order_index(request: Request) -> int:
    index = int(request.path_params["order_id"]) - ids.BASES["Order"] - 1
    _sandbox(request).state.order(index)
    return index


@_guarded
async def orders(request: Request) -> Response:
    sandbox = _sandbox(request)
    state = sandbox.state
    if request.method == "GET":
        return JSONResponse([_order_json(o) for o in state.orders])
    body = await _body(request)
    customer = None
    if body.get("customer"):
        c = body["customer"]
        customer = state.upsert_customer(
            c["email"], c.get("first_name", ""), c.get("last_name", ""), c.get("address")
        ).index
    location = body.get("location", 0)
    if isinstance(location, str):
        location = ids.parse_gid(location, "Location")
    lines = [(str(line["sku"]), int(line["quantity"])) for line in body["lines"]]
    order = state.place_order(
        lines,
        location=location,
        customer=customer,
        email=body.get("email") or (body.get("customer") or {}).get("email"),
        deny_oversell=body.get("inventory_policy", "CONTINUE") == "DENY",
        pricing=Pricing.from_json(body.get("pricing")),
    )
    sandbox.webhooks.emit("orders/create", payloads.order(state, order))
    _emit_levels(sandbox, order)
    return JSONResponse(_order_json(order), status_code=201)


@_guarded
async def fulfill(request: Request) -> Response:
    """The warehouse ships the whole order: committed and on_hand fall, available stays."""
    sandbox = _sandbox(request)
    order = sandbox.state.fulfill(_order_index(request))
    _emit_levels(sandbox, order)
    return JSONResponse(_order_json(order))


@_guarded
async def cancel(request: Request) -> Response:
    sandbox = _sandbox(request)
    body = await _body(request)
    order = sandbox.state.cancel_order(
        _order_index(request), reason=body.get("reason", "CUSTOMER"), restock=body.get("restock", True)
    )
    sandbox.webhooks.emit("orders/cancelled", payloads.order(sandbox.state, order))
    sandbox.webhooks.emit("orders/updated", payloads.order(sandbox.state, order))
    if body.get("restock", True):
        _emit_levels(sandbox, order)
    return JSONResponse(_order_json(order))


@_guarded
async def refund(request: Request) -> Response:
    sandbox = _sandbox(request)
    body = await _body(request)
    lines = [(str(li["sku"]), int(li["quantity"])) for li in body["lines"]] if body.get("lines") is not None else None
    index = _order_index(request)
    record = sandbox.state.refund_order(
        index,
        lines,
        restock=bool(body.get("restock", True)),
        note=body.get("note"),
        shipping=bool(body.get("shipping")),
    )
    order = sandbox.state.order(index)
    sandbox.webhooks.emit("refunds/create", payloads.refund(sandbox.state, record))
    sandbox.webhooks.emit("orders/updated", payloads.order(sandbox.state, order))
    if body.get("restock", True):
        _emit_levels(sandbox, order)
    return JSONResponse({"id": ids.gid("Refund", record.index), "order": _order_json(order)}, status_code=201)


@_guarded
async def customers(request: Request) -> Response:
    sandbox = _sandbox(request)
    body = await _body(request)
    customer = sandbox.state.upsert_customer(
        body["email"], body.get("first_name", ""), body.get("last_name", ""), body.get("address")
    )
    sandbox.webhooks.emit("customers/update", payloads.customer(sandbox.state, customer))
    return JSONResponse({"id": ids.gid("Customer", customer.index), "updated_at": customer.updated_at})


@_guarded
async def price_lists(request: Request) -> Response:
    state = _sandbox(request).state
    if request.method == "POST":
        body = await _body(request)
        record = state.add_price_list(body["name"], body.get("currency", state.currency), body.get("company_location"))
        return JSONResponse({"id": ids.gid("PriceList", record.index)}, status_code=201)
    return JSONResponse(
        [
            {
                "id": ids.gid("PriceList", p.index),
                "name": p.name,
                "currency": p.currency,
                "company_location": p.company_location,
                "fixed_prices": {
                    state.skus[v]: {"price": price, "compare_at_price": cmp} for v, (price, cmp) in p.fixed.items()
                },
                "quantity_price_breaks": [
                    {"sku": state.skus[v], "minimum_quantity": m, "price": a}
                    for (v, m), (_, a) in sorted(p.breaks.items())
                ],
                "quantity_rules": {
                    state.skus[v]: {"minimum": r[0], "maximum": r[1], "increment": r[2]} for v, r in p.rules.items()
                },
            }
            for p in state.price_lists
        ]
    )


@_guarded
async def webhooks(request: Request) -> Response:
    dispatcher = _sandbox(request).webhooks
    if request.method == "POST":
        body = await _body(request)
        subscription = dispatcher.subscribe(body["topic"], body["address"])
        return JSONResponse({"id": subscription.id}, status_code=201)
    return JSONResponse([vars(s) for s in dispatcher.subscriptions])


async def deliveries(request: Request) -> Response:
    dispatcher = _sandbox(request).webhooks
    return JSONResponse({"pending": dispatcher.pending(), "deliveries": list(dispatcher.log)})


@_guarded
async def settings(request: Request) -> Response:
    sandbox = _sandbox(request)
    if request.method == "PUT":
        sandbox.reconfigure(**await _body(request))
    return JSONResponse(sandbox.options.model_dump(exclude={"access_token", "webhook_secret"}))


@_guarded
async def levels(request: Request) -> Response:
    skus = request.query_params.getlist("sku") or None
    return JSONResponse(_sandbox(request).state.levels_snapshot(skus))


@_guarded
async def edit_level(request: Request) -> Response:
    """A merchant's edit in the admin: sets ``available`` or ``on_hand`` of one SKU at one location
    and sends ``inventory_levels/update``, as Shopify does."""
    sandbox = _sandbox(request)
    state = sandbox.state
    body = await _body(request)
    name = body.get("name", "available")
    if name not in ("available", "on_hand"):
        raise ValueError(f"name must be available or on_hand, not {name!r}")
    variants = state.variants_by_sku(str(body["sku"]))
    if not variants:
        raise ValueError(f"no variant has SKU {body['sku']!r}")
    location = int(body.get("location", 0))
    state.set_quantity(location, variants[0], name, int(body["quantity"]))
    sandbox.webhooks.emit("inventory_levels/update", payloads.inventory_level(state, location, variants[0]))
    return JSONResponse(state.levels_snapshot([str(body["sku"])]))


@_guarded
async def variants(request: Request) -> Response:
    state = _sandbox(request).state
    skus = request.query_params.getlist("sku")
    return JSONResponse(
        [
            {
                "sku": state.skus[v],
                "id": ids.gid("ProductVariant", v),
                "product_id": ids.gid("Product", state.variant_product[v]),
                "price": state.prices[v],
                "compare_at_price": state.compare_at[v],
            }
            for sku in skus
            for v in state.variants_by_sku(sku)
        ]
    )


async def stats(request: Request) -> Response:
    sandbox = _sandbox(request)
    return JSONResponse(
        {
            "write_calls": dict(sandbox.state.write_calls),
            "cost": dict(sandbox.stats),
            "throttle_status": sandbox.bucket.status(),
        }
    )


async def product(request: Request) -> Response:
    """GET: the product as its webhook payload shows it, plus its media and metafields; POST adds
    media, as a merchant does in the admin (``productSet`` must leave it alone)."""
    state = _sandbox(request).state
    gid = request.query_params.get("id", "")
    index = ids.parse_gid(gid, "Product") if ids.kind_of(gid) == "Product" else None
    if index is None or index >= len(state.product_titles):
        return JSONResponse({"error": f"no product {gid!r}"}, status_code=404)
    with state.lock:
        master = catalog.master_of(state, index)
        if request.method == "POST":
            master.media.append(str((await request.json())["url"]))
        owned = [m for m in state.metafields.values() if m.owner == gid]
        return JSONResponse(
            {
                **payloads.product(state, index),
                "media_urls": list(master.media),
                "metafields": {f"{m.namespace}.{m.key}": m.value for m in owned},
            }
        )


async def bulk_file(request: Request) -> Response:
    folder = _sandbox(request).context.bulk_operations.folder
    path = folder / f"{int(request.path_params['index'])}.jsonl"
    if not path.exists():
        return JSONResponse({"error": "no such bulk result"}, status_code=404)
    return FileResponse(path, media_type="application/jsonl")


ROUTES = [
    Route("/_sandbox/seed", seed, methods=["POST"]),
    Route("/_sandbox/locations", locations, methods=["GET", "POST"]),
    Route("/_sandbox/orders", orders, methods=["GET", "POST"]),
    Route("/_sandbox/orders/{order_id:int}/cancel", cancel, methods=["POST"]),
    Route("/_sandbox/orders/{order_id:int}/fulfill", fulfill, methods=["POST"]),
    Route("/_sandbox/orders/{order_id:int}/refunds", refund, methods=["POST"]),
    Route("/_sandbox/customers", customers, methods=["POST"]),
    Route("/_sandbox/price-lists", price_lists, methods=["GET", "POST"]),
    Route("/_sandbox/webhooks", webhooks, methods=["GET", "POST"]),
    Route("/_sandbox/webhooks/deliveries", deliveries, methods=["GET"]),
    Route("/_sandbox/settings", settings, methods=["GET", "PUT"]),
    Route("/_sandbox/levels", levels, methods=["GET"]),
    Route("/_sandbox/levels/edit", edit_level, methods=["POST"]),
    Route("/_sandbox/variants", variants, methods=["GET"]),
    Route("/_sandbox/stats", stats, methods=["GET"]),
    Route("/_sandbox/product", product, methods=["GET", "POST"]),
    Route("/_sandbox/bulk/{index:int}.jsonl", bulk_file, methods=["GET"]),
]
