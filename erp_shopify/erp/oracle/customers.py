"""Shopify customers as Oracle Customer Data Management persons (``hubPersons`` on the CRM REST
root, ``/crmRestApi/resources/11.13.18.05``) and B2B company locations as organizations
(``hubOrganizations``), each with its ``Address`` child. The two work alike (``PartyKind``).

- Our key is the party's source system reference: created with ``SourceSystem`` (the configured
  order source, ``SHOPIFY``) and ``SourceSystemReferenceValue`` (our external reference), found again
  by a row-match on both. An upsert reads first, so a create whose answer was lost is found and
  updated, never duplicated. Writes are sent once: the caller owns retries.
- An update patches the names, e-mail and phone and adds the addresses Oracle does not hold yet
  (compared by street, city, postal code and country): addresses are merged, never removed, since
  both sides may own them.
- Changes by ``LastUpdateDate``, keyset-paged like the items, with the shared overlap cursor
  deduping (party, stamp, content): persons first, then organizations, each with its own cursor
  inside one (``CustomerCursor``). A party entered in Oracle has no reference until the sync
  gives it one; it is known by its ``PartyNumber``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from erp_shopify.erp.oracle.rest import SYSTEM, FusionRest, all_of, changed_since, children, equals, instant
from erp_shopify.erp.shipment_cursor import ShipmentCursor, digest
from erp_shopify.errors import DataError
from erp_shopify.records import Address, CustomerPage, CustomerRecord

STAMP = "LastUpdateDate"
REFERENCE = "SourceSystemReferenceValue"
ADDRESS = "Address"
ADDRESS_FIELDS = ("AddressNumber", "Address1", "Address2", "City", "PostalCode", "State", "Country")
CURSOR_PREFIX = "oc2."  # a cursor per party kind; a bare cursor is the persons' one (before organizations)


@dataclass(frozen=True)
class PartyKind:
    """One party resource: our record kind, the resource, the attributes a write sets."""

    kind: str
    resource: str
    noun: str
    attributes: tuple[str, ...]

    @property
    def query(self) -> dict[str, Any]:
        fields = ("PartyNumber", *self.attributes, "SourceSystem", REFERENCE, STAMP)
        return {"fields": fields, "child_fields": {ADDRESS: ADDRESS_FIELDS}}


PERSONS = PartyKind("customer", "hubPersons", "person", ("FirstName", "LastName", "EmailAddress", "PhoneNumber"))
ORGANIZATIONS = PartyKind(
    "company_location", "hubOrganizations", "organization", ("OrganizationName", "EmailAddress", "PhoneNumber")
)
KINDS = {party.kind: party for party in (PERSONS, ORGANIZATIONS)}


def _attributes(customer: CustomerRecord) -> dict[str, Any]:
    contact = {"EmailAddress": customer.email or None, "PhoneNumber": customer.phone or None}
    if customer.kind == "company_location":
        return {"OrganizationName": customer.company, **contact}
    return {"FirstName": customer.first_name, "LastName": customer.last_name, **contact}


def split_cursor(cursor: str | None) -> dict[str, str | None]:
    """The cursor of each party kind; a bare (persons-only) cursor leaves organizations unread."""
    if not cursor:
        return {}
    if not cursor.startswith(CURSOR_PREFIX):
        return {PERSONS.kind: cursor}
    try:
        parts = json.loads(cursor[len(CURSOR_PREFIX) :])
        return {str(kind): (str(part) if part else None) for kind, part in dict(parts).items()}
    except (ValueError, TypeError) as exc:
        raise DataError(f"not an Oracle customer cursor: {cursor[:40]!r} ({exc})", system=SYSTEM) from None


def join_cursor(parts: dict[str, str | None]) -> str:
    return CURSOR_PREFIX + json.dumps(parts, separators=(",", ":"), sort_keys=True)


def _address_body(address: Address) -> dict[str, Any]:
    values = (address.address1, address.address2, address.city, address.zip, address.province_code)
    body = dict(zip(ADDRESS_FIELDS[1:6], values, strict=True))
    return {**{k: v for k, v in body.items() if v}, "Country": address.country_code}


def _same_place(address: dict[str, Any]) -> tuple[str, ...]:
    return tuple(
        str(address.get(name) or "").strip().casefold() for name in ("Address1", "City", "PostalCode", "Country")
    )


class OracleCustomers:
    def __init__(self, rest: FusionRest, *, source_system: str, overlap: timedelta, page_size: int) -> None:
        self.rest, self.source_system, self.overlap, self.page_size = rest, source_system, overlap, page_size

    def _find_row(self, party: PartyKind, external_ref: str) -> dict[str, Any] | None:
        q = all_of(equals("SourceSystem", self.source_system), equals(REFERENCE, external_ref))
        rows = self.rest.page(party.resource, q=q, limit=2, retried=False, **party.query).get("items", [])
        return rows[0] if rows else None

    def _get(self, party: PartyKind, number: str) -> dict[str, Any]:
        fields = ",".join(party.query["fields"]) + f";{ADDRESS}:" + ",".join(ADDRESS_FIELDS)
        found = self.rest.get_item(party.resource, number, fields=fields)
        if found is None:
            raise DataError(
                f"Oracle {party.noun} {number} is gone", status=404, body={"PartyNumber": number}, system=SYSTEM
            )
        return found

    def find(self, external_ref: str) -> CustomerRecord | None:
        """The person, else the organization, carrying our reference."""
        for party in (PERSONS, ORGANIZATIONS):
            if row := self._find_row(party, external_ref):
                return self._record(party, row)
        return None

    def upsert(self, customer: CustomerRecord) -> CustomerRecord:
        party = KINDS[customer.kind]
        if party is ORGANIZATIONS and not customer.company:
            raise DataError(
                f"{customer.external_ref or customer.erp_number}: an Oracle organization needs a name (company)",
                codes=("MISSING_COMPANY",),
                body=customer.model_dump(mode="json"),
                system=SYSTEM,
            )
        attributes = _attributes(customer)
        existing = self._find_row(party, customer.external_ref) if customer.external_ref else None
        if existing is None and customer.erp_number:
            existing = self._get(party, customer.erp_number)
        if existing is None:
            body = {
                **attributes,
                "SourceSystem": self.source_system,
                REFERENCE: customer.external_ref,
                ADDRESS: [_address_body(a) for a in customer.addresses],
            }
            created = self.rest.call("POST", party.resource, json=body, retried=False).json()
            return self._record(party, self._get(party, created["PartyNumber"]))
        number = existing["PartyNumber"]
        self.rest.call("PATCH", f"{party.resource}/{number}", json=attributes, retried=False)
        held = {_same_place(a) for a in children(existing, ADDRESS)}
        for address in customer.addresses:
            body = _address_body(address)
            if _same_place(body) not in held:
                self.rest.call("POST", f"{party.resource}/{number}/child/{ADDRESS}", json=body, retried=False)
                held.add(_same_place(body))
        return self._record(party, self._get(party, number))

    def changes(self, cursor: str | None) -> Iterator[CustomerPage]:
        """Changed persons, then changed organizations; each page's cursor carries both positions."""
        parts = split_cursor(cursor)
        for party in (PERSONS, ORGANIZATIONS):
            state = ShipmentCursor.decode(parts.get(party.kind), self.overlap, system=SYSTEM)
            q = changed_since(STAMP, state.window_start())
            pages = self.rest.changed_pages(
                party.resource, stamp=STAMP, key="PartyNumber", q=q, page_size=self.page_size, **party.query
            )
            for rows in pages:
                fresh = [r for r in rows if state.observe(r["PartyNumber"], instant(r[STAMP]), digest(r))]
                parts[party.kind] = state.encode()
                records = [self._record(party, row) for row in fresh]
                yield CustomerPage(customers=records, cursor=join_cursor(parts))

    def _record(self, party: PartyKind, row: dict[str, Any]) -> CustomerRecord:
        first, last = str(row.get("FirstName") or ""), str(row.get("LastName") or "")
        company = str(row.get("OrganizationName") or "")
        name = company if party is ORGANIZATIONS else f"{first} {last}".strip()
        ours = row.get("SourceSystem") == self.source_system
        return CustomerRecord(
            kind=party.kind,  # type: ignore[arg-type]
            external_ref=str(row.get(REFERENCE) or "") if ours else "",
            erp_number=str(row["PartyNumber"]),
            first_name=first,
            last_name=last,
            company=company,
            email=str(row.get("EmailAddress") or ""),
            phone=str(row.get("PhoneNumber") or ""),
            addresses=[
                Address(
                    name=name,
                    address1=str(a.get("Address1") or ""),
                    address2=str(a.get("Address2") or ""),
                    city=str(a.get("City") or ""),
                    zip=str(a.get("PostalCode") or ""),
                    province_code=str(a.get("State") or ""),
                    country_code=str(a.get("Country") or ""),
                )
                for a in children(row, ADDRESS)
            ],
            changed_at=instant(row[STAMP]) if row.get(STAMP) else None,
        )
