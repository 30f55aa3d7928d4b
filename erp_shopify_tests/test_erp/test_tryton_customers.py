"""Tryton's customers beyond the shared contract: how a Shopify customer or B2B location is kept in
``party.party``, and what an upsert never does (replace an ERP user's address, duplicate one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from erp_shopify.errors import DataError
from erp_shopify.records import Address, CustomerRecord
from erp_shopify_tests.test_erp.harness_tryton import TrytonHarness, harness

pytestmark = pytest.mark.slow

OFFICE = Address(
    name="Grace Hopper",
    company="Navy Labs",
    address1="1 Pier Rd",
    address2="Building 4",
    city="Arlington",
    zip="22202",
    province_code="WA",
    country_code="US",
    phone="+1 555 0100",
)


@pytest.fixture(scope="module")
def tryton() -> Iterator[TrytonHarness]:
    with harness() as running:
        yield running


def _grace(ref: str, *addresses: Address, **fields: str) -> CustomerRecord:
    values = {"first_name": "Grace", "last_name": "Brewster Hopper", "email": "grace@example.com"} | fields
    return CustomerRecord(external_ref=ref, addresses=list(addresses), **values)


def test_every_address_field_survives_the_round_trip_through_a_party(tryton: TrytonHarness) -> None:
    written = tryton.adapter.upsert_customer(_grace("C-9001", OFFICE, phone="+1 555 0199"))
    assert written.addresses == [OFFICE]
    assert (written.first_name, written.last_name) == ("Grace Brewster", "Hopper")  # one party name, split at its end
    assert (written.email, written.phone) == ("grace@example.com", "+1 555 0199")
    assert written.erp_number and written.changed_at is not None


def test_an_upsert_adds_new_addresses_and_keeps_the_erp_users_own(tryton: TrytonHarness) -> None:
    first = tryton.adapter.upsert_customer(_grace("C-9002", OFFICE))
    erp_own = Address(name="Grace Hopper", address1="9 Depot St", city="Boston", zip="02101", country_code="US")
    tryton.put_erp_customer(first.erp_number, "Grace Brewster Hopper", [erp_own])
    moved = OFFICE.model_copy(update={"address1": "2 Pier Rd"})
    after = tryton.adapter.upsert_customer(_grace("C-9002", moved, OFFICE))
    assert sorted(a.address1 for a in after.addresses) == ["1 Pier Rd", "2 Pier Rd", "9 Depot St"]
    again = tryton.adapter.upsert_customer(_grace("C-9002", moved, OFFICE))
    assert len(again.addresses) == 3  # the same values twice add nothing


def test_a_company_location_is_a_party_named_for_the_company(tryton: TrytonHarness) -> None:
    location = CustomerRecord(kind="company_location", external_ref="demo-L77", company="Navy Labs", addresses=[OFFICE])
    written = tryton.adapter.upsert_customer(location)
    found = tryton.adapter.find_customer("demo-L77")
    assert found is not None and found.kind == "company_location"
    assert (found.company, found.first_name, found.erp_number) == ("Navy Labs", "", written.erp_number)


def test_a_province_tryton_does_not_know_is_a_data_error_naming_the_field(tryton: TrytonHarness) -> None:
    with pytest.raises(DataError) as refused:
        tryton.adapter.upsert_customer(_grace("C-9003", OFFICE.model_copy(update={"province_code": "ZZ"})))
    assert "province_code" in str(refused.value) and "US-ZZ" in str(refused.value)
    assert tryton.count_customers("C-9003") == 0


def test_a_customer_known_only_by_its_erp_number_gets_our_reference(tryton: TrytonHarness) -> None:
    number = tryton.put_erp_customer("", "Alan Turing", [])
    known = CustomerRecord(external_ref="C-9004", erp_number=number, last_name="Turing")
    linked = tryton.adapter.upsert_customer(known)
    assert linked.erp_number == number and linked.external_ref == "C-9004"
    assert tryton.count_customers("C-9004") == 1


def test_the_companys_own_party_is_never_a_changed_customer(tryton: TrytonHarness) -> None:
    names = [c.last_name for page in tryton.adapter.customer_changes(None) for c in page.customers]
    assert "GmbH" not in names  # "Demo Shop GmbH" is the company itself
    assert "Customer" in names  # the demo's "Shopify Customer" party is a customer
