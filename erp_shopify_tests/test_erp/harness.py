"""What the ERP contract suite needs from each backend (SAP sandbox, NetSuite sandbox, real Tryton).

Each backend module ``harness_<kind>.py`` provides ``harness() -> ContextManager[ErpHarness]``.
The harness drives the backend only through its own control surface (a sandbox control API, or
Tryton's own RPC), never through the adapter under test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Protocol

from erp_shopify.erp.base import ErpAdapter


class ErpHarness(Protocol):
    name: str
    adapter: ErpAdapter  # configured with short timeouts and a small retry budget for tests
    items: list[str]  # item codes known to the ERP, each stocked at ``location``
    location: str  # the ERP location code the adapter reports for them

    def set_stock(self, item_code: str, quantity: Decimal) -> None:
        """Commit a stock change in the ERP (a new journal entry) leaving ``quantity`` available."""

    def lose_next_create_response(self) -> None:
        """The next sales-order create commits in the ERP, but its response never reaches the client."""

    def inject_status(self, status: int) -> None:
        """Answer every following request with this HTTP status (503, 429, 401, ...) until cleared."""

    def clear_faults(self) -> None: ...

    def count_sales_orders(self, external_ref: str) -> int:
        """How many sales orders the ERP holds with this external reference."""

    def document_total(self, external_ref: str) -> Decimal:
        """The sales order's total as the ERP computed it (net value plus taxes)."""

    def credit_total(self, external_ref: str) -> Decimal:
        """What the ERP's credit for a refund comes to (net value plus taxes), as a positive amount."""

    def ship(self, external_ref: str, item_code: str, quantity: Decimal, tracking: str) -> str:
        """The warehouse ships ``quantity`` of one item of the order (goods issue posted) with one
        tracking number; returns the ERP's shipment document."""

    def retrack(self, document: str, tracking: str) -> None:
        """A tracking number entered or corrected on a shipped document."""


@contextmanager
def exported(environment: Mapping[str, str]) -> Iterator[None]:
    """Export a sandbox's credentials for an adapter to read, and restore the environment after."""
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
