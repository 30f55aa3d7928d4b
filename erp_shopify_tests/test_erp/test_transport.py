"""Every ERP adapter sends through the ``transport=`` it is given, and what httpx raises when no
answer arrives comes back classified once, the same way for every ERP."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from erp_shopify.config import parse_settings
from erp_shopify.erp.base import ErpAdapter
from erp_shopify.erp.netsuite.adapter import NetSuiteAdapter
from erp_shopify.erp.oracle.adapter import OracleAdapter
from erp_shopify.erp.sap.adapter import SapAdapter
from erp_shopify.erp.tryton.adapter import TrytonAdapter
from erp_shopify.errors import ErrorClass, IntegrationError
from erp_shopify.retrying import RetryPolicy
from erp_shopify_tests.test_erp.test_build_adapter import ERPS, SHOP

ONCE = RetryPolicy(max_attempts=1)
ADAPTERS: dict[str, Callable[..., ErpAdapter]] = {
    "sap": SapAdapter,
    "netsuite": NetSuiteAdapter,
    "tryton": TrytonAdapter,
    "oracle": OracleAdapter,
}


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUILD_ADAPTER_SECRET", "not-a-real-secret")


@pytest.mark.parametrize(
    ("failure", "code"),
    [(httpx.ConnectError("connection refused"), "connect"), (httpx.ReadTimeout("no bytes"), "timeout")],
)
@pytest.mark.parametrize("kind", sorted(ERPS))
def test_a_failed_transport_is_a_transient_error_of_the_erp(kind: str, failure: httpx.HTTPError, code: str) -> None:
    sent: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        raise failure

    erp = parse_settings({"erp": ERPS[kind], "shops": [SHOP]}).erp
    adapter = ADAPTERS[kind](erp, retry=ONCE, transport=httpx.MockTransport(refuse))
    with pytest.raises(IntegrationError) as caught:
        adapter.health()
    adapter.close()
    assert sent, "the adapter did not send through the given transport"
    assert (caught.value.error_class, caught.value.codes, caught.value.system) == (ErrorClass.TRANSIENT, (code,), kind)
    assert caught.value.__cause__ is failure
