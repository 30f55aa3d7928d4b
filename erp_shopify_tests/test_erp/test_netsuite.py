"""NetSuite adapter against the NetSuite sandbox: auth, paging, the change feed, documents, errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from erp_shopify.config import Secret
from erp_shopify.erp.netsuite.adapter import NetSuiteAdapter
from erp_shopify.erp.netsuite.rest import netsuite_error, validate_external_id
from erp_shopify.errors import DataError, ErrorClass, IntegrationError, SystemFailure, TransientError
from erp_shopify.records import Address, CreditLine, CreditNote, Customer, SalesOrder, SalesOrderLine
from erp_shopify.retrying import RetryPolicy
from erp_shopify_sandbox.netsuite import SEED_ITEMS, SEED_LOCATIONS
from erp_shopify_tests.test_erp.harness_netsuite import (
    QUICK_RETRIES,
    NetSuiteHarness,
    harness,
    netsuite_config,
    sandbox_environment,
)


@pytest.fixture
def netsuite() -> Iterator[NetSuiteHarness]:
    with harness() as running:
        yield running


def _order(ref: str, item: str = SEED_ITEMS[0], quantity: int = 2, party: str | None = None) -> SalesOrder:
    return SalesOrder(
        external_ref=ref,
        shop="demo-us",
        currency="USD",
        ordered_at=datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
        customer=Customer(email="grace@example.com", name="Grace Hopper", erp_party=party),
        ship_to=Address(name="Grace Hopper", address1="1 Compiler Rd", city="Arlington", zip="2", country_code="US"),
        lines=[SalesOrderLine(item_code=item, quantity=Decimal(quantity), unit_price=Decimal("19.90"))],
    )


def _available(adapter: NetSuiteAdapter, item: str, location: str = "1") -> Decimal:
    levels = [level for page in adapter.inventory_snapshot([item]) for level in page]
    return next(level.available for level in levels if level.location == location)


def test_a_request_signed_with_the_wrong_token_secret_is_refused_as_a_system_failure(
    netsuite: NetSuiteHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = netsuite_config(netsuite.sandbox).model_copy(update={"token_secret": Secret(env="NS_WRONG_TOKEN_SECRET")})
    monkeypatch.setenv("NS_WRONG_TOKEN_SECRET", "not-the-token-secret")
    with sandbox_environment(netsuite.sandbox):
        wrong = NetSuiteAdapter(config, retry=QUICK_RETRIES)
    with pytest.raises(SystemFailure) as refused:
        wrong.health()
    wrong.close()
    assert refused.value.status == 401
    assert refused.value.codes == ("INVALID_LOGIN",)
    netsuite.adapter.health()  # the right secret still gets in


def test_snapshot_pages_follow_has_more_until_every_row_is_read(netsuite: NetSuiteHarness) -> None:
    pages = list(netsuite.adapter.inventory_snapshot())  # the harness pages by 2
    assert [len(page) for page in pages] == [2] * (len(SEED_ITEMS) * len(SEED_LOCATIONS) // 2)
    keys = [(level.item_code, level.location) for page in pages for level in page]
    assert len(set(keys)) == len(SEED_ITEMS) * len(SEED_LOCATIONS)


def test_changes_sharing_one_second_are_all_delivered_across_page_boundaries(netsuite: NetSuiteHarness) -> None:
    # The seeded account stamps every row in the same second: paging by 2 splits the tie.
    rows = [row for page in netsuite.adapter.inventory_changes(None) for row in page.rows]
    assert len({(row.item_code, row.location) for row in rows}) == len(SEED_ITEMS) * len(SEED_LOCATIONS)


def test_cursor_is_the_newest_change_time_netsuite_reported(netsuite: NetSuiteHarness) -> None:
    body = {"item": SEED_ITEMS[3], "location": "2", "quantity": "12"}
    stamped = netsuite.control.put("/stock", json=body).json()["lastquantityavailablechange"]
    pages = list(netsuite.adapter.inventory_changes(None))
    assert pages[-1].cursor is not None
    assert json.loads(pages[-1].cursor)["t"] == stamped
    assert max(row.changed_at for page in pages for row in page.rows).strftime("%Y-%m-%d %H:%M:%S") == stamped


def test_sales_order_commits_its_quantity_and_the_change_feed_reports_it(netsuite: NetSuiteHarness) -> None:
    adapter = netsuite.adapter
    cursor = adapter.journal_position()
    for _ in adapter.inventory_changes(cursor):
        pass
    before = _available(adapter, SEED_ITEMS[2])
    adapter.create_sales_order(_order("NS-COMMIT-1", item=SEED_ITEMS[2], quantity=3))
    assert _available(adapter, SEED_ITEMS[2]) == before - 3
    rows = [row for page in adapter.inventory_changes(cursor) for row in page.rows]
    assert (SEED_ITEMS[2], "1", before - 3) in {(r.item_code, r.location, r.available) for r in rows}


def test_cancel_is_idempotent_and_releases_the_committed_quantity(netsuite: NetSuiteHarness) -> None:
    adapter = netsuite.adapter
    before = _available(adapter, SEED_ITEMS[1])
    adapter.create_sales_order(_order("NS-CANCEL-1", item=SEED_ITEMS[1], quantity=4))
    first = adapter.cancel_sales_order("NS-CANCEL-1")
    second = adapter.cancel_sales_order("NS-CANCEL-1")
    assert first == second
    assert first.status == "cancelled"
    assert _available(adapter, SEED_ITEMS[1]) == before


def test_credit_memo_is_created_once_per_external_id(netsuite: NetSuiteHarness) -> None:
    adapter = netsuite.adapter
    adapter.create_sales_order(_order("NS-REFUND-ORDER"))
    credit = CreditNote(
        external_ref="NS-REFUND-1",
        order_ref="NS-REFUND-ORDER",
        currency="USD",
        lines=[CreditLine(item_code=SEED_ITEMS[0], quantity=Decimal(1), amount=Decimal("19.90"))],
        amount=Decimal("19.90"),
    )
    assert adapter.create_credit(credit).number == adapter.create_credit(credit).number


def test_credit_for_an_order_netsuite_does_not_hold_is_a_data_error(netsuite: NetSuiteHarness) -> None:
    credit = CreditNote(external_ref="NS-REFUND-2", order_ref="NS-NEVER-SENT", currency="USD", amount=Decimal(5))
    with pytest.raises(DataError, match="NS-NEVER-SENT"):
        netsuite.adapter.create_credit(credit)


def test_prices_carry_price_levels_and_quantity_breaks(netsuite: NetSuiteHarness) -> None:
    body = {"item": SEED_ITEMS[4], "price_level": 1, "currency": "EUR", "quantity": 0, "unit_price": "17.50"}
    netsuite.control.put("/prices", json=body).raise_for_status()
    prices = {
        (p.item_code, p.price_list, p.currency, p.min_quantity): p.price
        for page in netsuite.adapter.prices()
        for p in page
    }
    assert prices[(SEED_ITEMS[4], "retail", "EUR", 1)] == Decimal("17.50")
    assert prices[(SEED_ITEMS[4], "Wholesale", "USD", 10)] == Decimal("14.50")


def test_error_details_become_message_path_and_codes(netsuite: NetSuiteHarness) -> None:
    with pytest.raises(DataError) as rejected:
        netsuite.adapter.create_sales_order(_order("NS-BAD-CUSTOMER", party="999"))
    assert rejected.value.status == 400
    assert rejected.value.codes == ("INVALID_CONTENT",)
    assert "Invalid Field Value 999" in rejected.value.message
    assert "(at entity)" in rejected.value.message
    assert netsuite.count_sales_orders("NS-BAD-CUSTOMER") == 0


def test_request_limit_exceeded_is_transient_although_it_is_a_400() -> None:
    body = {
        "type": "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1",
        "title": "Bad Request",
        "status": 400,
        "o:errorDetails": [{"detail": "Request limit exceeded.", "o:errorCode": "SSS_REQUEST_LIMIT_EXCEEDED"}],
    }
    error = netsuite_error(httpx.Response(400, json=body))
    assert isinstance(error, TransientError)
    assert error.codes == ("SSS_REQUEST_LIMIT_EXCEEDED",)
    assert netsuite_error(httpx.Response(400, json={**body, "o:errorDetails": []})).error_class is ErrorClass.DATA


@pytest.mark.parametrize(
    ("external_ref", "culprit"), [("order#1001", "'#'"), ("shop.example/1001", "'.' '/'"), ("order 1", "' '")]
)
def test_external_ids_netsuite_cannot_address_are_refused_before_any_request(
    netsuite: NetSuiteHarness, external_ref: str, culprit: str
) -> None:
    with pytest.raises(DataError) as refused:
        netsuite.adapter.create_sales_order(_order(external_ref))
    assert culprit in refused.value.message
    assert "letters, digits, '_' and '-'" in refused.value.message
    assert netsuite.count_sales_orders(external_ref) == 0
    assert validate_external_id("shopify-demo_1001") == "shopify-demo_1001"


def _probe_concurrently(adapter: NetSuiteAdapter, callers: int) -> list[IntegrationError | None]:
    outcomes: list[IntegrationError | None] = [None] * callers
    barrier = threading.Barrier(callers)

    def call(n: int) -> None:
        barrier.wait()
        try:
            adapter.health()
        except IntegrationError as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=call, args=(n,)) for n in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.parametrize("limit_status", [429, 400])
def test_requests_over_the_account_concurrency_limit_are_refused_as_transient(limit_status: int) -> None:
    with harness(concurrency_limit=2, limit_status=limit_status) as netsuite:
        netsuite._faults(latency_ms=300)
        with sandbox_environment(netsuite.sandbox):
            no_retry = NetSuiteAdapter(netsuite_config(netsuite.sandbox), retry=RetryPolicy(max_attempts=1))
            patient = NetSuiteAdapter(
                netsuite_config(netsuite.sandbox), retry=RetryPolicy(max_attempts=8, initial_backoff=0.2)
            )
        refused = [e for e in _probe_concurrently(no_retry, 6) if e is not None]
        assert refused  # at most two of six got in at once
        assert all(e.error_class is ErrorClass.TRANSIENT and e.status == limit_status for e in refused)
        assert _probe_concurrently(patient, 4) == [None] * 4  # backing off gets everyone through
        no_retry.close()
        patient.close()
