"""NetSuite-specific customer behaviour: customer records written by external id with their
address book, read back by SuiteQL's ``lastmodifieddate``, and sales orders whose ``entity`` is the
customer, against the NetSuite sandbox over signed HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from erp_shopify.erp.netsuite.rest import RECORD_PATH
from erp_shopify.errors import DataError
from erp_shopify.records import Address, Customer, CustomerRecord, SalesOrder, SalesOrderLine
from erp_shopify_sandbox.netsuite import SEED_ITEMS
from erp_shopify_tests.test_erp.harness_netsuite import NetSuiteHarness, harness

HOME = Address(name="Grace Hopper", address1="1 Compiler Rd", city="Arlington", zip="22201", country_code="US")
LAB = Address(
    name="Grace Hopper", company="Navy Lab", address1="2 Cobol Way", city="Arlington", zip="22202", country_code="US"
)


@pytest.fixture
def netsuite() -> Iterator[NetSuiteHarness]:
    with harness() as running:
        yield running


def _grace(ref: str = "C-7", *addresses: Address) -> CustomerRecord:
    return CustomerRecord(
        external_ref=ref,
        first_name="Grace",
        last_name="Hopper",
        email="grace@example.com",
        addresses=list(addresses) or [HOME],
    )


def _order(ref: str, party: str | None) -> SalesOrder:
    return SalesOrder(
        external_ref=ref,
        shop="demo-us",
        currency="USD",
        ordered_at=datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
        customer=Customer(email="grace@example.com", name="Grace Hopper", erp_party=party),
        ship_to=LAB,
        lines=[SalesOrderLine(item_code=SEED_ITEMS[0], quantity=Decimal(1), unit_price=Decimal("19.90"))],
    )


def test_an_order_naming_its_customer_has_that_customer_as_entity(netsuite: NetSuiteHarness) -> None:
    party = netsuite.adapter.upsert_customer(_grace()).erp_number
    netsuite.adapter.create_sales_order(_order("so-grace-1", party))
    order = netsuite.adapter.rest.call("GET", netsuite.adapter.rest.record_path("salesOrder", "so-grace-1")).json()
    assert order["entity"] == {"id": party}


def test_an_order_naming_an_unknown_customer_is_a_data_error_naming_entity(netsuite: NetSuiteHarness) -> None:
    with pytest.raises(DataError) as refused:
        netsuite.adapter.create_sales_order(_order("so-ghost-1", "987654"))
    assert "entity" in str(refused.value)
    assert netsuite.count_sales_orders("so-ghost-1") == 0


def test_an_upsert_keeps_the_address_book_it_found_and_adds_only_what_is_missing(netsuite: NetSuiteHarness) -> None:
    number = netsuite.adapter.upsert_customer(_grace("C-8", HOME)).erp_number
    netsuite.put_erp_customer(number, "Grace Hopper", [HOME, LAB])  # a NetSuite user adds the lab
    moved = HOME.model_copy(update={"address1": "3 Compiler Rd"})
    written = netsuite.adapter.upsert_customer(_grace("C-8", HOME, moved))
    assert sorted(a.address1 for a in written.addresses) == ["1 Compiler Rd", "2 Cobol Way", "3 Compiler Rd"]
    again = netsuite.adapter.upsert_customer(_grace("C-8", HOME, moved))
    assert len(again.addresses) == 3  # sent whole with replace=addressBook: nothing doubled


def test_a_company_location_is_a_company_customer(netsuite: NetSuiteHarness) -> None:
    location = CustomerRecord(kind="company_location", external_ref="L-9", company="Navy Lab", addresses=[LAB])
    written = netsuite.adapter.upsert_customer(location)
    raw = netsuite.adapter.rest.call("GET", f"{RECORD_PATH}/customer/{written.erp_number}").json()
    assert (raw["isPerson"], raw["companyName"]) == (False, "Navy Lab")
    assert (written.kind, written.company) == ("company_location", "Navy Lab")


def test_an_external_reference_netsuite_cannot_address_is_refused_before_any_request(netsuite: NetSuiteHarness) -> None:
    with pytest.raises(DataError) as refused:
        netsuite.adapter.upsert_customer(_grace("C 10"))
    assert refused.value.codes == ("INVALID_EXTERNAL_ID",)


def test_the_change_read_asks_suiteql_for_customers_by_lastmodifieddate(netsuite: NetSuiteHarness) -> None:
    netsuite.adapter.upsert_customer(_grace("C-11"))
    pages = list(netsuite.adapter.customer_changes(None))
    assert [c.external_ref for p in pages for c in p.customers] == ["C-11"]
    rows = netsuite.adapter.rest.suiteql(
        "SELECT c.id AS id FROM customer c WHERE c.lastmodifieddate >= "
        "TO_TIMESTAMP('2000-01-01 00:00:00', 'YYYY-MM-DD HH24:MI:SS') ORDER BY c.lastmodifieddate, c.id",
        limit=10,
    )["items"]
    assert [r["id"] for r in rows] == [pages[0].customers[0].erp_number]
