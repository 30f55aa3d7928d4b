from __future__ import annotations

import pytest

from erp_shopify.policy import SYNC_POLICY, Direction, Domain, Owner, domain_for_topic, owner, routed_topics


def test_every_domain_has_exactly_one_declared_policy() -> None:
    assert set(SYNC_POLICY) == set(Domain)


def test_erp_owns_stock_and_prices_and_shopify_owns_orders() -> None:
    assert owner(Domain.INVENTORY) is Owner.ERP
    assert owner(Domain.PRICES) is Owner.ERP
    assert owner(Domain.ORDERS) is Owner.SHOPIFY
    assert SYNC_POLICY[Domain.REFUNDS].direction is Direction.SHOPIFY_TO_ERP
    assert SYNC_POLICY[Domain.CUSTOMER_ADDRESSES].owner is Owner.NEWEST


def test_routed_topics_are_the_consumed_and_echo_topics() -> None:
    assert routed_topics() == {
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "refunds/create",
        "customers/create",
        "customers/update",
        "companies/create",
        "companies/update",
        "company_locations/create",
        "company_locations/update",
        "inventory_levels/update",
        "products/update",
    }
    assert domain_for_topic("refunds/create") is Domain.REFUNDS
    assert domain_for_topic("inventory_levels/update") is Domain.INVENTORY
    assert domain_for_topic("company_locations/update") is Domain.CUSTOMER_ADDRESSES
    with pytest.raises(KeyError, match="app/uninstalled"):
        domain_for_topic("app/uninstalled")
