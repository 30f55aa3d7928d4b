from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

from erp_shopify_tests.test_erp.harness import ErpHarness

BACKENDS = [
    pytest.param("sap", id="sap"),
    pytest.param("netsuite", id="netsuite"),
    pytest.param("oracle", id="oracle"),
    pytest.param("tryton", id="tryton", marks=pytest.mark.slow),
]


# The ERPs the fulfillment sync reads shipments from: all of them.
SHIPPING_BACKENDS = BACKENDS
# The ERPs whose sales orders carry shipping, discounts and taxes to the cent: all of them.
PRICED_BACKENDS = BACKENDS


def _harness(request: pytest.FixtureRequest) -> Iterator[ErpHarness]:
    module = importlib.import_module(f"erp_shopify_tests.test_erp.harness_{request.param}")
    with module.harness() as harness:
        yield harness


@pytest.fixture(params=SHIPPING_BACKENDS)
def shipping_erp(request: pytest.FixtureRequest) -> Iterator[ErpHarness]:
    yield from _harness(request)


@pytest.fixture(params=PRICED_BACKENDS)
def priced_erp(request: pytest.FixtureRequest) -> Iterator[ErpHarness]:
    yield from _harness(request)


@pytest.fixture(params=BACKENDS)
def erp(request: pytest.FixtureRequest) -> Iterator[ErpHarness]:
    yield from _harness(request)
