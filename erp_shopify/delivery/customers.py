"""An order's customer reaches the ERP before the order: the sales order is then sold to that
ERP customer (``SalesOrder.customer.erp_party``) and shipped to its matching address.

Run inside each attempt of an order create, before the create, so every retry repeats it: a find
by the external reference, and an upsert only when the customer is new or lacks the ship-to (the
upsert itself finds before it creates), so a lost answer never duplicates a customer. Orders of
one customer in one run take turns (a lock per customer), since two creates of one new customer
at once would make two; a customer another run created meanwhile is found again when our create
fails. A customer the run has already made sure of, with this ship-to, is not asked for again: a
run delivers many orders of one customer in a burst, and each check costs one or two ERP round
trips in the order's slot. An ERP that keeps no customers (no ``CustomerStore``) keeps the order as mapped: its
configured party.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from erp_shopify.erp.base import CustomerStore
from erp_shopify.errors import IntegrationError
from erp_shopify.records import Address, CustomerRecord, SalesOrder


class OrderCustomers:
    """One delivery run's customer step for its orders."""

    def __init__(self) -> None:
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()
        # (reference, the addresses the order needs) -> the ERP customer that has them, this run
        self._ensured: dict[tuple[str, tuple[Address, ...]], str] = {}

    def sold_to(self, adapter: object, order: SalesOrder, customer: CustomerRecord | None, guest: str) -> SalesOrder:
        """``order`` sold to its ERP customer (created, or given the ship-to, first), or to the
        shop's one-time ``guest`` customer for a guest checkout (empty: the ERP's default party)."""
        if not isinstance(adapter, CustomerStore):
            return order
        if customer is None:
            party = guest or None
        else:
            with self._guard:
                lock = self._locks[customer.external_ref]
            key = (customer.external_ref, tuple(customer.addresses))
            with lock:
                party = self._ensured.get(key) or _ensure(adapter, customer).erp_number
                self._ensured[key] = party
        return order.model_copy(update={"customer": order.customer.model_copy(update={"erp_party": party})})


def _ensure(store: CustomerStore, customer: CustomerRecord) -> CustomerRecord:
    found = store.find_customer(customer.external_ref)
    if found is None:
        try:
            return store.upsert_customer(customer)
        except IntegrationError:
            found = store.find_customer(customer.external_ref)  # created by another run meanwhile?
            if found is None:
                raise
    missing = [a for a in customer.addresses if a not in found.addresses]
    if not missing:
        return found
    # the ERP's names and addresses stay: only the ship-to is added
    return store.upsert_customer(found.model_copy(update={"addresses": [*found.addresses, *missing]}))
