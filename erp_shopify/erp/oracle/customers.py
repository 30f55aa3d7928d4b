"""Shopify customers as Oracle Customer Data Management persons (``hubPersons`` on the CRM REST
root, ``/crmRestApi/resources/11.13.18.05``), with their ``Address`` child.

- Our key is the person's source system reference: created with ``SourceSystem`` (the configured
  order source, ``SHOPIFY``) and ``SourceSystemReferenceValue`` (our external reference), found again
  by a row-match on both. An upsert reads first, so a create whose answer was lost is found and
  updated, never duplicated. Writes are sent once: the caller owns retries.
- An update patches the names, e-mail and phone and adds the addresses Oracle does not hold yet
  (compared by street, city, postal code and country): addresses are merged, never removed, since
  both sides may own them.
- Changes by ``LastUpdateDate``, keyset-paged like the items, with the shared overlap cursor
  deduping (person, stamp, content). A person entered in Oracle has no reference until the sync
  gives it one; it is known by its ``PartyNumber``.
- B2B company locations (``hubOrganizations``) are not written yet: a data error says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from erp_shopify.erp.oracle.rest import SYSTEM, FusionRest, all_of, changed_since, children, equals, instant
from erp_shopify.erp.shipment_cursor import ShipmentCursor, digest
from erp_shopify.errors import DataError
from erp_shopify.records import Address, CustomerPage, CustomerRecord

RESOURCE = "hubPersons"
STAMP = "LastUpdateDate"
FIELDS = ("PartyNumber", "FirstName", "LastName", "EmailAddress", "PhoneNumber", "SourceSystem")
REFERENCE = "SourceSystemReferenceValue"
ADDRESS = "Address"
ADDRESS_FIELDS = ("AddressNumber", "Address1", "Address2", "City", "PostalCode", "State", "Country")
QUERY: dict[str, Any] = {"fields": (*FIELDS, REFERENCE, STAMP), "child_fields": {ADDRESS: ADDRESS_FIELDS}}


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

    def _find_row(self, external_ref: str) -> dict[str, Any] | None:
        q = all_of(equals("SourceSystem", self.source_system), equals(REFERENCE, external_ref))
        rows = self.rest.page(RESOURCE, q=q, limit=2, retried=False, **QUERY).get("items", [])
        return rows[0] if rows else None

    def _get(self, number: str) -> dict[str, Any]:
        found = self.rest.get_item(
            RESOURCE, number, fields=",".join(QUERY["fields"]) + ";Address:" + ",".join(ADDRESS_FIELDS)
        )
        if found is None:
            raise DataError(f"Oracle person {number} is gone", status=404, body={"PartyNumber": number}, system=SYSTEM)
        return found

    def find(self, external_ref: str) -> CustomerRecord | None:
        row = self._find_row(external_ref)
        return self._record(row) if row else None

    def upsert(self, customer: CustomerRecord) -> CustomerRecord:
        if customer.kind != "customer":
            raise DataError(
                f"{customer.external_ref or customer.erp_number}: Oracle company locations (hubOrganizations) "
                "are not written yet",
                codes=("NOT_SUPPORTED",),
                body=customer.model_dump(mode="json"),
                system=SYSTEM,
            )
        person = {
            "FirstName": customer.first_name,
            "LastName": customer.last_name,
            "EmailAddress": customer.email or None,
            "PhoneNumber": customer.phone or None,
        }
        existing = self._find_row(customer.external_ref) if customer.external_ref else None
        if existing is None and customer.erp_number:
            existing = self._get(customer.erp_number)
        if existing is None:
            body = {
                **person,
                "SourceSystem": self.source_system,
                REFERENCE: customer.external_ref,
                ADDRESS: [_address_body(a) for a in customer.addresses],
            }
            created = self.rest.call("POST", RESOURCE, json=body, retried=False).json()
            return self._record(self._get(created["PartyNumber"]))
        number = existing["PartyNumber"]
        self.rest.call("PATCH", f"{RESOURCE}/{number}", json=person, retried=False)
        held = {_same_place(a) for a in children(existing, ADDRESS)}
        for address in customer.addresses:
            body = _address_body(address)
            if _same_place(body) not in held:
                self.rest.call("POST", f"{RESOURCE}/{number}/child/{ADDRESS}", json=body, retried=False)
                held.add(_same_place(body))
        return self._record(self._get(number))

    def changes(self, cursor: str | None) -> Iterator[CustomerPage]:
        state = ShipmentCursor.decode(cursor, self.overlap, system=SYSTEM)
        q = changed_since(STAMP, state.window_start())
        pages = self.rest.changed_pages(
            RESOURCE, stamp=STAMP, key="PartyNumber", q=q, page_size=self.page_size, **QUERY
        )
        for rows in pages:
            fresh = [row for row in rows if state.observe(row["PartyNumber"], instant(row[STAMP]), digest(row))]
            yield CustomerPage(customers=[self._record(row) for row in fresh], cursor=state.encode())

    def _record(self, row: dict[str, Any]) -> CustomerRecord:
        first, last = str(row.get("FirstName") or ""), str(row.get("LastName") or "")
        ours = row.get("SourceSystem") == self.source_system
        return CustomerRecord(
            kind="customer",
            external_ref=str(row.get(REFERENCE) or "") if ours else "",
            erp_number=str(row["PartyNumber"]),
            first_name=first,
            last_name=last,
            email=str(row.get("EmailAddress") or ""),
            phone=str(row.get("PhoneNumber") or ""),
            addresses=[
                Address(
                    name=f"{first} {last}".strip(),
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
