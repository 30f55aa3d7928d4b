"""One sandbox shop: state, cost bucket, webhooks, bulk operations and faults behind one ASGI app,
and ``start_shopify_sandbox`` which serves it on loopback."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from erp_shopify_sandbox.faults import FaultMiddleware, Faults, FaultState
from erp_shopify_sandbox.server import ServerThread
from erp_shopify_sandbox.shopify import control_routes
from erp_shopify_sandbox.shopify.bulk import BulkOperations
from erp_shopify_sandbox.shopify.cost import PLAN_RESTORE_RATES, LeakyBucket
from erp_shopify_sandbox.shopify.graphql_endpoint import INVALID_TOKEN, graphql_endpoint
from erp_shopify_sandbox.shopify.idempotency import IdempotencyLedger
from erp_shopify_sandbox.shopify.state import ShopState
from erp_shopify_sandbox.shopify.webhooks import API_VERSION, WebhookDispatcher

GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"


class SandboxOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shop_domain: str = "sandbox.myshopify.com"
    plan: Literal["standard", "advanced", "plus", "enterprise"] = "standard"
    bucket_size: float | None = Field(None, gt=0)  # default 20x the plan's restore rate
    throttle_status: Literal[200, 429] = 200
    access_token: str = "shpat_sandbox"
    webhook_secret: str = "sandbox-webhook-secret"
    currency: str = "USD"
    webhook_time_scale: float = Field(1.0, gt=0)  # 0.001 runs the 4 h retry schedule in 14 s
    webhook_timeout: float = Field(5.0, gt=0)
    duplicate_webhooks: bool = False
    write_latency_ms: float = Field(0, ge=0)  # how long an idempotent write holds its key in flight

    @property
    def restore_rate(self) -> float:
        return PLAN_RESTORE_RATES[self.plan]


@dataclass
class Context:
    """What resolvers see as ``info.context``."""

    state: ShopState
    options: SandboxOptions
    webhooks: WebhookDispatcher
    idempotency: IdempotencyLedger
    base_url: str = ""
    bulk_operations: Any = None
    unbounded: bool = False  # bulk operations read whole connections


def _shopify_error(status: int, faults: Faults) -> Response:
    if status == 401:
        return JSONResponse(INVALID_TOKEN, status_code=401)
    if status == 429:
        return JSONResponse(
            {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}, status_code=429
        )
    text = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Unavailable Shop", 504: "Gateway Timeout"}
    return JSONResponse({"errors": text.get(status, f"HTTP {status}")}, status_code=status)


class ShopifySandbox:
    """A running shop. ``app`` is the ASGI app (faults outermost); attributes are the live parts."""

    def __init__(self, options: SandboxOptions | None = None, faults: Faults | None = None) -> None:
        self.options = options or SandboxOptions()
        self.state = ShopState(self.options.shop_domain, self.options.currency)
        self.faults = FaultState(faults)
        self.webhooks = WebhookDispatcher(
            self.options.shop_domain,
            self.options.webhook_secret,
            time_scale=self.options.webhook_time_scale,
            timeout=self.options.webhook_timeout,
            duplicate=self.options.duplicate_webhooks,
        )
        self.bucket = LeakyBucket(self.options.bucket_size or 20 * self.options.restore_rate, self.options.restore_rate)
        self.stats = {"requests": 0, "requested": 0, "actual": 0, "throttled": 0, "max_cost_exceeded": 0}
        self._files = tempfile.TemporaryDirectory(prefix="shopify-sandbox-bulk-")
        self.context = Context(self.state, self.options, self.webhooks, IdempotencyLedger())
        self.context.bulk_operations = BulkOperations(self.context, Path(self._files.name))
        inner = Starlette(routes=[Route(GRAPHQL_PATH, graphql_endpoint, methods=["POST"]), *control_routes.ROUTES])
        inner.state.sandbox = self
        self.app = FaultMiddleware(inner, self.faults, error_response=_shopify_error)

    def reconfigure(self, **changes: Any) -> None:
        """Change plan, bucket size, throttle status or write latency at run time."""
        self.options = SandboxOptions.model_validate({**self.options.model_dump(), **changes})
        self.context.options = self.options
        self.bucket.restore_rate = self.options.restore_rate
        self.bucket.capacity = self.options.bucket_size or 20 * self.options.restore_rate
        self.webhooks.duplicate = self.options.duplicate_webhooks
        self.webhooks.time_scale = self.options.webhook_time_scale

    def close(self) -> None:
        self.webhooks.stop()
        self._files.cleanup()


class RunningShopifySandbox:
    """The handle ``start_shopify_sandbox`` returns (a ``RunningSandbox``)."""

    name = "shopify"

    def __init__(self, sandbox: ShopifySandbox, server: ServerThread) -> None:
        from erp_shopify_sandbox.shopify.control import SandboxControl

        self.sandbox = sandbox
        self.server = server
        self.url = server.url
        sandbox.context.base_url = self.url
        self.control = SandboxControl(self.url)

    @property
    def graphql_url(self) -> str:
        return self.url + GRAPHQL_PATH

    def describe(self) -> dict[str, str]:
        o = self.sandbox.options
        return {
            "Shopify Admin GraphQL": self.graphql_url,
            "shop domain": o.shop_domain,
            "access token (X-Shopify-Access-Token)": o.access_token,
            "webhook secret": o.webhook_secret,
            "plan": f"{o.plan} ({o.restore_rate:g} pt/s, bucket {self.sandbox.bucket.capacity:g})",
            "control API": f"{self.url}/_sandbox/",
        }

    def stop(self) -> None:
        self.control.close()
        self.server.stop()
        self.sandbox.close()

    def __enter__(self) -> RunningShopifySandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_shopify_sandbox(
    port: int = 0, *, faults: Faults | None = None, seed: int = 0, locations: int = 1, **options: Any
) -> RunningShopifySandbox:
    """Serve a sandbox shop on 127.0.0.1 (``port=0`` picks a free port); ``options`` are
    ``SandboxOptions`` fields (plan, access_token, webhook_secret, throttle_status...)."""
    sandbox = ShopifySandbox(SandboxOptions(**options), faults)
    if seed:
        sandbox.state.seed(seed, locations=locations)
    elif locations:
        sandbox.state.add_locations([f"Warehouse {i + 1}" for i in range(locations)])
    server = ServerThread(sandbox.app, port=port).start()
    return RunningShopifySandbox(sandbox, server)
