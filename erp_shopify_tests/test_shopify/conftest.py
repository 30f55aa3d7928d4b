from __future__ import annotations

from collections.abc import Iterator

import pytest

from erp_shopify_tests.test_shopify.peer import ScriptedShopify, scripted_shopify


@pytest.fixture
def peer() -> Iterator[ScriptedShopify]:
    with scripted_shopify() as running:
        yield running
