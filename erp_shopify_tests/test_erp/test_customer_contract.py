"""One customer contract for every ERP that keeps customers in agreement with Shopify: found by our
external reference and created or updated, never duplicated (also when a create's answer is lost),
and read back by the ERP's own change stamp with an overlap that never hands a change out twice.

Each backend's harness adds, beside the ``ErpHarness`` methods:
- ``put_erp_customer(number, name, addresses)``: a customer created or changed in the ERP itself
  (an ERP user's edit), moving its change stamp;
- ``count_customers(external_ref)``: how many ERP customers carry this external reference;
- ``lose_next_customer_create_response()``: the next customer create commits, its answer is lost.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

from erp_shopify.erp.base import CustomerStore
from erp_shopify.errors import DataError
from erp_shopify.records import Address, CustomerRecord

BACKENDS = [
    pytest.param("sap", id="sap"),
    pytest.param("netsuite", id="netsuite"),
    pytest.param("oracle", id="oracle"),
    pytest.param("tryton", id="tryton", marks=pytest.mark.slow),
]

HOME = Address(name="Ada Lovelace", address1="12 St James's Sq", city="London", zip="SW1Y 4JH", country_code="GB")
WORK = Address(
    name="Ada Lovelace", company="Analytical Ltd", address1="1 Bank St", city="London", zip="E14 5JP", country_code="GB"
)


@pytest.fixture(params=BACKENDS)
def erp(request: pytest.FixtureRequest) -> Iterator:
    module = importlib.import_module(f"erp_shopify_tests.test_erp.harness_{request.param}")
    with module.harness() as harness:
        assert isinstance(harness.adapter, CustomerStore)
        yield harness


def _ada(ref: str = "C-1001", *addresses: Address) -> CustomerRecord:
    return CustomerRecord(
        external_ref=ref,
        shopify_id=f"gid://shopify/Customer/{ref[2:]}",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        addresses=list(addresses) or [HOME],
    )


def _drain(erp, cursor: str | None) -> tuple[list[CustomerRecord], str | None]:
    customers: list[CustomerRecord] = []
    for page in erp.adapter.customer_changes(cursor):
        customers.extend(page.customers)
        cursor = page.cursor
    return customers, cursor


def _streets(customer: CustomerRecord) -> list[str]:
    return sorted(a.address1 for a in customer.addresses)


def test_an_upsert_creates_once_and_then_updates_the_same_customer(erp) -> None:
    created = erp.adapter.upsert_customer(_ada())
    assert created.erp_number
    updated = erp.adapter.upsert_customer(_ada("C-1001", HOME, WORK))
    assert updated.erp_number == created.erp_number
    assert erp.count_customers("C-1001") == 1
    found = erp.adapter.find_customer("C-1001")
    assert found is not None and found.erp_number == created.erp_number
    assert _streets(found) == ["1 Bank St", "12 St James's Sq"]
    assert (found.first_name, found.last_name, found.email) == ("Ada", "Lovelace", "ada@example.com")


def test_an_unknown_customer_is_not_found(erp) -> None:
    assert erp.adapter.find_customer("C-404") is None


def test_a_create_retried_after_a_lost_answer_leaves_one_customer(erp) -> None:
    erp.lose_next_customer_create_response()
    with pytest.raises(Exception):  # noqa: B017 - each ERP's transport error; its class is tested elsewhere
        erp.adapter.upsert_customer(_ada("C-2002"))
    erp.clear_faults()
    retried = erp.adapter.upsert_customer(_ada("C-2002"))
    assert erp.count_customers("C-2002") == 1
    assert retried.erp_number


def test_an_erp_edit_is_read_once_with_its_addresses_and_change_time(erp) -> None:
    _, cursor = _drain(erp, None)
    erp.put_erp_customer("", "Grace Hopper", [WORK])
    changed, cursor = _drain(erp, cursor)
    [grace] = [c for c in changed if c.last_name == "Hopper" or c.company == "Grace Hopper" or "Grace" in c.first_name]
    assert _streets(grace) == ["1 Bank St"]
    assert grace.erp_number and grace.changed_at is not None
    again, _ = _drain(erp, cursor)  # the overlap re-reads the window and skips what it handed out
    assert [c.erp_number for c in again if c.erp_number == grace.erp_number] == []


def test_our_own_upsert_is_read_back_with_its_external_reference(erp) -> None:
    _, cursor = _drain(erp, None)
    written = erp.adapter.upsert_customer(_ada("C-3003"))
    changed, _ = _drain(erp, cursor)
    [ours] = [c for c in changed if c.erp_number == written.erp_number]
    assert ours.external_ref == "C-3003"  # so the sync recognises it as its own write (no echo)


def test_an_address_the_erp_refuses_is_a_data_error_naming_the_field(erp) -> None:
    bad = HOME.model_copy(update={"country_code": "XX"})
    with pytest.raises(DataError) as refused:
        erp.adapter.upsert_customer(_ada("C-4004", bad))
    assert "country" in str(refused.value).lower()
    assert erp.count_customers("C-4004") == 0
