"""``POST /admin/api/2026-10/graphql.json``: token check, cost check against the bucket before
execution, execution on a worker thread, refund of the unused cost, ``extensions.cost`` on every answer."""

from __future__ import annotations

import json
import math
from typing import Any

from graphql import (
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    execute_sync,
    parse,
    validate,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from erp_shopify_sandbox.shopify.cost import MAX_QUERY_COST, QueryCost
from erp_shopify_sandbox.shopify.mutations import MUTATION_RESOLVERS
from erp_shopify_sandbox.shopify.queries import QUERY_RESOLVERS
from erp_shopify_sandbox.shopify.schema import SCHEMA

INVALID_TOKEN = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
RATE_LIMITS_DOC = "https://shopify.dev/api/usage/rate-limits"


def _type_of(value: Any, *_: Any) -> str:
    return value["__typename"] if isinstance(value, dict) else value.typename


def _wire_schema() -> None:
    for name, resolve in QUERY_RESOLVERS.items():
        SCHEMA.query_type.fields[name].resolve = resolve  # type: ignore[union-attr]
    for name, resolve in MUTATION_RESOLVERS.items():
        SCHEMA.mutation_type.fields[name].resolve = resolve  # type: ignore[union-attr]
    for name in ("Node", "Catalog", "DisplayableError", "ProductOperation"):
        SCHEMA.get_type(name).resolve_type = _type_of  # type: ignore[union-attr]


_wire_schema()


def _error(message: str, **extensions: Any) -> dict[str, Any]:
    return {"message": message, "extensions": extensions} if extensions else {"message": message}


async def graphql_endpoint(request: Request) -> Response:
    sandbox = request.app.state.sandbox
    if request.headers.get("x-shopify-access-token") != sandbox.options.access_token:
        return JSONResponse(INVALID_TOKEN, status_code=401)
    try:
        body = json.loads(await request.body())
        query, variables = body["query"], body.get("variables") or {}
        operation_name = body.get("operationName")
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"errors": "Bad Request: the body must be JSON with a `query`"}, status_code=400)
    bucket, stats = sandbox.bucket, sandbox.stats
    try:
        document = parse(query)
    except GraphQLError as exc:
        return JSONResponse({"errors": [exc.formatted]})
    errors = validate(SCHEMA, document)
    if errors:
        return JSONResponse({"errors": [e.formatted for e in errors]})
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next(
        (o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)), None
    )
    if operation is None:
        return JSONResponse({"errors": [_error(f"Unknown operation named {operation_name!r}.")]})
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    cost = QueryCost(SCHEMA, operation, fragments, variables)
    try:
        requested = cost.requested()
    except GraphQLError as exc:
        return JSONResponse({"errors": [exc.formatted]})

    def answer(
        payload: dict[str, Any], actual: int | None, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        payload["extensions"] = {
            "cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": bucket.status()}
        }
        return JSONResponse(payload, status_code=status, headers=headers)

    stats["requests"] += 1
    if requested > MAX_QUERY_COST:
        stats["max_cost_exceeded"] += 1
        message = f"Query cost is {requested}, which exceeds the single query max cost limit ({MAX_QUERY_COST})."
        return answer(
            {
                "errors": [
                    _error(
                        message,
                        code="MAX_COST_EXCEEDED",
                        cost=requested,
                        maxCost=MAX_QUERY_COST,
                        documentation=RATE_LIMITS_DOC,
                    )
                ]
            },
            None,
        )
    if not bucket.take(requested):
        stats["throttled"] += 1
        throttled = {"errors": [_error("Throttled", code="THROTTLED", documentation=RATE_LIMITS_DOC)]}
        if sandbox.options.throttle_status == 429:
            wait = max(1, math.ceil(bucket.seconds_until(requested)))
            return answer(throttled, None, 429, {"Retry-After": str(wait)})
        return answer(throttled, None)
    result: ExecutionResult = await run_in_threadpool(
        execute_sync,
        SCHEMA,
        document,
        context_value=sandbox.context,
        variable_values=variables,
        operation_name=operation_name,
    )
    actual = cost.actual(result.data)
    bucket.refund(requested - actual)
    stats["requested"] += requested
    stats["actual"] += actual
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload = {"errors": [e.formatted for e in result.errors], **payload}
    if operation.operation.value == "mutation":
        await sandbox.faults.maybe_lose_response()
    return answer(payload, actual)
