"""Oracle's customers beyond the shared contract: addresses merged, never removed; a customer born
in Oracle updated by its party number; company locations refused with the reason."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from erp_shopify.errors import DataError
from erp_shopify.records import Address, CustomerRecord
from erp_shopify_tests.test_erp.harness_oracle import OracleHarness, harness

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


def test_a_company_location_is_refused_as_not_supported(oracle: OracleHarness) -> None:
    location = CustomerRecord(kind="company_location", external_ref="L-1", company="Analytical Ltd")
    with pytest.raises(DataError) as refused:
        oracle.adapter.upsert_customer(location)
    assert refused.value.codes == ("NOT_SUPPORTED",) and oracle.count_customers("L-1") == 0
