"""Fixtures of the Dagster wiring tests."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """A temporary Dagster instance of this test's own."""
    with dg.instance_for_test() as test_instance:
        yield test_instance
