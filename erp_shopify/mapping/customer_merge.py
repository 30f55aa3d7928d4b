"""Newest change wins, decided honestly: the pure rule that merges one customer's two sides (the
ERP's record and Shopify's) into what the customer sync writes, and says where they disagreed.

- **Customer-level fields** (first and last name, company, email, phone) go with the side whose
  customer-level change time (Shopify ``updatedAt``, the ERP's change stamp) is newer by more than
  the allowed clock skew. Within the skew the times cannot order the changes: the side whose
  values moved away from what we last wrote is the one that changed; if both did, Shopify's are
  kept (the customer's own edit, which the storefront already shows) and the conflict is reported.
- **Addresses by value** (as the loop guard compares them), never by position: the result is
  the union of both sides, less an address that one side deleted (that side held it at the last
  sync and no longer does). So an address only Shopify holds is never dropped by an ERP write
  (``customerSet`` replaces the list it is sent), and a deletion on either side is honoured.
- **Echo**: when the merge equals what Shopify already holds there is nothing to write.

A conflict is reported with names and ids and a short diff (which fields, how many addresses on
each side only), never the values: addresses do not belong in run metadata.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from erp_shopify.mapping.customers import GUARDED_FIELDS
from erp_shopify.records import Address, CustomerRecord

DEFAULT_SKEW = timedelta(seconds=120)


@dataclass(frozen=True)
class Written:
    """What the sync last saw and wrote for a customer, as digests only (no names or addresses
    kept): the fields written, and each side's addresses after that sync. A side "deleted" an
    address when it held it then and no longer does; an address a side never held was not deleted
    by it (a Shopify address whose webhook has not reached the ERP yet is not an ERP deletion)."""

    fields: str
    erp_addresses: frozenset[str]
    shopify_addresses: frozenset[str]

    @classmethod
    def after(cls, erp: CustomerRecord, shopify: CustomerRecord) -> Written:
        """After a sync: the ERP as read, and Shopify as it now holds the customer."""
        return cls(_digest(_fields(shopify)), _address_digests(erp), _address_digests(shopify))

    def to_json(self) -> str:
        return json.dumps(
            {"fields": self.fields, "erp": sorted(self.erp_addresses), "shopify": sorted(self.shopify_addresses)}
        )

    @classmethod
    def from_json(cls, text: str) -> Written:
        data = json.loads(text)
        return cls(data["fields"], frozenset(data["erp"]), frozenset(data["shopify"]))


@dataclass(frozen=True)
class CustomerMerge:
    merged: CustomerRecord  # the customer as both sides should hold it
    write: bool  # Shopify must be written (the merge differs from what it holds)
    conflict: dict[str, Any] | None = None  # both sides changed: names, ids, short diff
    dropped: list[str] = field(default_factory=list)  # "erp"/"shopify": whose deletion was honoured


def merge_customer(
    erp: CustomerRecord,
    shopify: CustomerRecord | None,
    last_written: Written | None,
    *,
    skew: timedelta = DEFAULT_SKEW,
) -> CustomerMerge:
    """``erp`` and ``shopify`` now, and ``last_written`` (digests of what the sync last wrote,
    None if it never wrote this customer)."""
    if shopify is None:
        return CustomerMerge(merged=erp, write=True)
    winner, both_changed = _newer(erp, shopify, last_written, skew)
    source = erp if winner == "erp" else shopify
    fields = {f: getattr(source, f) for f in GUARDED_FIELDS}
    addresses, dropped = _addresses(erp.addresses, shopify.addresses, last_written)
    merged = shopify.model_copy(update={**fields, "addresses": addresses, "erp_number": erp.erp_number})
    differing = [f for f in GUARDED_FIELDS if getattr(erp, f) != getattr(shopify, f)]
    conflict = None
    if both_changed and differing:
        conflict = {
            "customer": erp.external_ref or erp.erp_number,
            "shopify_id": shopify.shopify_id,
            "erp_number": erp.erp_number,
            "kept": winner,
            "fields": differing,
            "addresses_erp_only": sum(1 for a in erp.addresses if a not in shopify.addresses),
            "addresses_shopify_only": sum(1 for a in shopify.addresses if a not in erp.addresses),
        }
    write = _values(merged) != _values(shopify)
    return CustomerMerge(merged=merged, write=write, conflict=conflict, dropped=dropped)


def _newer(erp: CustomerRecord, shopify: CustomerRecord, last: Written | None, skew: timedelta) -> tuple[str, bool]:
    """Whose customer-level fields win, and whether both sides changed them since our last write."""
    erp_moved = last is None or _digest(_fields(erp)) != last.fields
    shopify_moved = last is None or _digest(_fields(shopify)) != last.fields
    both = erp_moved and shopify_moved
    by_time = _by_time(erp, shopify, skew)
    if by_time is not None:
        return by_time, both
    if erp_moved and not shopify_moved:
        return "erp", False
    return "shopify", both


def _addresses(erp: list[Address], shopify: list[Address], last: Written | None) -> tuple[list[Address], list[str]]:
    none: frozenset[str] = frozenset()
    before = {"erp": last.erp_addresses if last else none, "shopify": last.shopify_addresses if last else none}
    dropped: list[str] = []
    merged: list[Address] = []
    for address in [*shopify, *erp]:  # Shopify's order first: its default stays the default
        if address in merged:
            continue
        key = _digest(address.model_dump())
        deleted_by = [side for side, held in (("erp", erp), ("shopify", shopify)) if address not in held]
        deleted_by = [side for side in deleted_by if key in before[side]]
        if deleted_by:
            dropped.extend(deleted_by)
            continue
        merged.append(address)
    return merged, dropped


def _address_digests(customer: CustomerRecord) -> frozenset[str]:
    return frozenset(_digest(a.model_dump()) for a in customer.addresses)


def _fields(customer: CustomerRecord) -> tuple[str, ...]:
    return tuple(getattr(customer, f) for f in GUARDED_FIELDS)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:32]


def _values(customer: CustomerRecord) -> tuple[Any, ...]:
    return (*_fields(customer), sorted(a.model_dump_json() for a in customer.addresses))


def _by_time(erp: CustomerRecord, shopify: CustomerRecord, skew: timedelta) -> str | None:
    if erp.changed_at and shopify.changed_at:
        if erp.changed_at > shopify.changed_at + skew:
            return "erp"
        if shopify.changed_at > erp.changed_at + skew:
            return "shopify"
    return None
