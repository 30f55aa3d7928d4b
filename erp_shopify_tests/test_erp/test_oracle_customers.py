"""Oracle's customers beyond the shared contract: addresses merged, never removed; a customer born
in Oracle updated by its party number; B2B company locations as organizations (``hubOrganizations``)
found by our reference, never duplicated, addresses merged, and read back by the change feed; and
orders bought by (and shipped to) the customer's party."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from erp_shopify.erp.oracle.orders import RESOURCE
from erp_shopify.erp.oracle.rest import children
from erp_shopify.errors import DataError, TransientError
from erp_shopify.records import (
    Address,
    CreditLine,
    CreditNote,
    CustomerRecord,
)
from erp_shopify_sandbox.oracle import SEED_ITEMS
from erp_shopify_tests.test_erp.harness_oracle import OracleHarness, harness, sales_order

HOME = Address(address1="1 Main St", city="Austin", zip="73301", country_code="US")
WORK = Address(address1="9 Bank St", city="Austin", zip="73302", province_code="TX", country_code="US")


@pytest.fixture
def oracle() -> Iterator[OracleHarness]:
    with harness() as h:
        yield h


def test_an_update_adds_new_addresses_and_keeps_those_oracle_holds(oracle: OracleHarness) -> None:
    first = oracle.adapter.upsert_customer(CustomerRecord(external_ref="C-1", last_name="Ng", addresses=[HOME]))
    again = oracle.adapter.upsert_customer(CustomerRecord(external_ref="C-1", last_name="Ng", addresses=[WORK]))
    assert again.erp_number == first.erp_number
    assert sorted((a.address1, a.province_code) for a in again.addresses) == [("1 Main St", ""), ("9 Bank St", "TX")]


def test_a_customer_born_in_oracle_is_updated_by_its_party_number(oracle: OracleHarness) -> None:
    oracle.put_erp_customer("", "Grace Hopper", [HOME])
    [grace] = [c for page in oracle.adapter.customer_changes(None) for c in page.customers]
    assert grace.external_ref == ""  # no reference until the sync gives one
    renamed = grace.model_copy(update={"email": "grace@example.com"})
    written = oracle.adapter.upsert_customer(renamed)
    assert (written.erp_number, written.email) == (grace.erp_number, "grace@example.com")


LOCATION = CustomerRecord(
    kind="company_location", external_ref="L-1", company="Analytical Ltd", email="buyer@an.example", addresses=[WORK]
)


def test_a_company_location_is_an_organization_found_again_by_its_reference(oracle: OracleHarness) -> None:
    first = oracle.adapter.upsert_customer(LOCATION)
    moved = LOCATION.model_copy(update={"company": "Analytical Labs Ltd", "addresses": [HOME]})
    again = oracle.adapter.upsert_customer(moved)
    assert (again.kind, again.erp_number) == ("company_location", first.erp_number)
    assert again.company == "Analytical Labs Ltd"
    assert sorted(a.address1 for a in again.addresses) == ["1 Main St", "9 Bank St"]  # merged, not replaced
    assert again.email == "buyer@an.example" and oracle.count_company_locations("L-1") == 1
    assert oracle.count_customers("L-1") == 0  # no person was made for it
    found = oracle.adapter.find_customer("L-1")
    assert found is not None and (found.kind, found.erp_number) == ("company_location", first.erp_number)


def test_a_company_location_whose_create_answer_was_lost_is_not_duplicated(oracle: OracleHarness) -> None:
    oracle.lose_next_create_response()
    with pytest.raises(TransientError):  # the lost answer: a timeout
        oracle.adapter.upsert_customer(LOCATION)
    oracle.clear_faults()
    written = oracle.adapter.upsert_customer(LOCATION)
    assert written.company == "Analytical Ltd" and oracle.count_company_locations("L-1") == 1


def test_customer_changes_yield_changed_organizations_after_persons(oracle: OracleHarness) -> None:
    oracle.adapter.upsert_customer(CustomerRecord(external_ref="C-7", last_name="Ng", addresses=[HOME]))
    theirs = oracle.put_erp_organization("Navy Lab", [WORK])
    pages = list(oracle.adapter.customer_changes(None))
    seen = [(c.kind, c.external_ref or c.erp_number) for page in pages for c in page.customers]
    assert seen == [("customer", "C-7"), ("company_location", theirs)]
    assert not [c for page in oracle.adapter.customer_changes(pages[-1].cursor) for c in page.customers]
    oracle.adapter.upsert_customer(LOCATION)
    later = [c for page in oracle.adapter.customer_changes(pages[-1].cursor) for c in page.customers]
    assert [(c.kind, c.external_ref, c.company) for c in later] == [("company_location", "L-1", "Analytical Ltd")]


def test_a_cursor_from_before_organizations_reads_them_from_the_start(oracle: OracleHarness) -> None:
    oracle.adapter.upsert_customer(CustomerRecord(external_ref="C-8", last_name="Ng"))
    oracle.adapter.upsert_customer(LOCATION)
    persons_only = '{"at":null,"seen":{}}'  # the persons-only cursor the first version handed out
    kinds = [c.kind for page in oracle.adapter.customer_changes(persons_only) for c in page.customers]
    assert kinds == ["customer", "company_location"]


def test_a_company_location_without_a_company_name_is_refused_naming_the_field(oracle: OracleHarness) -> None:
    nameless = LOCATION.model_copy(update={"company": ""})
    with pytest.raises(DataError) as refused:
        oracle.adapter.upsert_customer(nameless)
    assert refused.value.codes == ("MISSING_COMPANY",) and "company" in str(refused.value)
    assert oracle.count_company_locations("L-1") == 0


def _placed(oracle: OracleHarness, ref: str) -> dict[str, Any]:
    placed = oracle.adapter.rest.get_item(RESOURCE, f"SHOPIFY:{ref}", expand="shipToCustomer")
    assert placed is not None
    return placed


def test_an_order_of_a_synced_company_location_is_bought_and_shipped_to_its_party(oracle: OracleHarness) -> None:
    party = oracle.adapter.upsert_customer(LOCATION).erp_number
    oracle.adapter.create_sales_order(sales_order("O-1", party=party))
    placed = _placed(oracle, "O-1")
    [ship_to] = children(placed, "shipToCustomer")
    assert (placed["BuyingPartyNumber"], ship_to["PartyNumber"], ship_to["AddressLine1"]) == (
        party,
        party,
        "1 Analytical Way",
    )


def test_an_order_without_a_customer_party_is_bought_by_the_configured_account(oracle: OracleHarness) -> None:
    oracle.adapter.create_sales_order(sales_order("O-2"))
    placed = _placed(oracle, "O-2")
    [ship_to] = children(placed, "shipToCustomer")
    assert placed["BuyingPartyNumber"] == oracle.adapter.config.buying_party_number and "PartyNumber" not in ship_to


def test_an_order_naming_a_party_oracle_does_not_hold_is_refused_and_not_created(oracle: OracleHarness) -> None:
    with pytest.raises(DataError) as refused:
        oracle.adapter.create_sales_order(sales_order("O-3", party="CDRM_999999"))
    assert refused.value.codes == ("DOO-INVALID-PARTY",) and "CDRM_999999" in str(refused.value)
    assert oracle.count_sales_orders("O-3") == 0


def test_a_return_is_bought_by_the_party_of_the_order_it_returns(oracle: OracleHarness) -> None:
    party = oracle.adapter.upsert_customer(CustomerRecord(external_ref="C-9", last_name="Ng")).erp_number
    oracle.adapter.create_sales_order(sales_order("O-4", party=party))
    line = CreditLine(item_code=SEED_ITEMS[0], quantity=Decimal(1), amount=Decimal("19.90"))
    credit = CreditNote(external_ref="R-4", order_ref="O-4", currency="USD", lines=[line], amount=Decimal("19.90"))
    oracle.adapter.create_credit(credit)
    assert _placed(oracle, "R-4")["BuyingPartyNumber"] == party
