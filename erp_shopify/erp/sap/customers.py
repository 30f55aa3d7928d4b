"""Customers and B2B company locations as SAP business partners (``API_BUSINESS_PARTNER``).

- Key: our external reference in ``BusinessPartnerIDByExtSystem`` ("External BP Number", 20
  upper-case characters, filterable), the field SAP keeps for another system's number of the
  partner. A reference longer than 20 (every real Shopify id with its shop name) is kept as its
  ``mapping.customer_refs.short_ref``; finds and upserts answer with the caller's reference, a
  change read with the stored form (the sync recognises both).
- Create: one deep insert of ``A_BusinessPartner`` with the customer role ``FLCU01`` (SAP then
  creates the ``A_Customer`` of the same number) and the addresses, each with its e-mail address
  and phone number. A person (``BusinessPartnerCategory`` 1) for a customer, an organization (2)
  for a company location.
- Update: a PATCH of the partner's names guarded by its ETag (``If-Match``, re-read once on 412),
  sent only when a name changed, so an unchanged record moves no change stamp; addresses are
  compared by value and only the missing ones are added. An address the record no longer has is
  kept: SAP refers to partner addresses from sales documents, and the sync hands over a merged
  list, so removing one is left to an SAP user.
- Changes: ``LastChangeDate`` + ``LastChangeTime`` (a partner never changed since its creation has
  them empty, and is read by ``CreationDate`` + ``CreationTime``), each stamp read in its own
  ordered pass with an overlap window, deduplicated by the partner's ``ETag``. The address has no
  change stamp of its own: an address change SAP does not reflect on the partner is not seen.

Sent once (``retried=False``) like order calls, except the change read, retried like every sync read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from erp_shopify.erp.sap.odata import (
    SYSTEM,
    ODataClient,
    datetime_literal,
    parse_date,
    parse_time,
    results,
    string_literal,
    time_literal,
)
from erp_shopify.erp.shipment_cursor import ShipmentCursor
from erp_shopify.errors import DataError, IntegrationError, RefusedField
from erp_shopify.mapping.customer_refs import short_ref
from erp_shopify.records import Address, CustomerPage, CustomerRecord

BUSINESS_PARTNERS = "API_BUSINESS_PARTNER"
CUSTOMER_ROLE = "FLCU01"
EXTERNAL_REF = "BusinessPartnerIDByExtSystem"
_EXPAND = (
    "to_BusinessPartnerAddress,to_BusinessPartnerAddress/to_EmailAddress,"
    "to_BusinessPartnerAddress/to_PhoneNumber,to_Customer"
)
# Address field -> (SAP address property, its MaxLength in the EDMX)
_ADDRESS_FIELDS = {
    "name": ("CareOfName", 40),
    "company": ("AdditionalStreetPrefixName", 40),
    "address1": ("StreetName", 60),
    "address2": ("StreetSuffixName", 40),
    "city": ("CityName", 40),
    "zip": ("PostalCode", 10),
    "province_code": ("Region", 3),
    "country_code": ("Country", 3),
}
_PROPERTY_FIELDS = {prop: field for field, (prop, _) in _ADDRESS_FIELDS.items()}
_TARGET = re.compile(r"(?:to_BusinessPartnerAddress\((\d+)\)/)?(\w+)$")
_LIMITS = {"external_ref": 20, "first_name": 40, "last_name": 40, "company": 40, "email": 241, "phone": 30}
# the two passes of a change read: (stamp date, stamp time, the other pass's date must be ...)
_PASSES = {"changed": ("LastChangeDate", "LastChangeTime", "ne"), "created": ("CreationDate", "CreationTime", "eq")}


class SapCustomers:
    def __init__(self, odata: ODataClient, *, page_size: int, overlap: timedelta) -> None:
        self.odata, self.page_size, self.overlap = odata, page_size, overlap
        self.url = odata.url(BUSINESS_PARTNERS, "A_BusinessPartner")

    def find_customer(self, external_ref: str) -> CustomerRecord | None:
        row = self._find(external_ref)
        return _record(row).model_copy(update={"external_ref": external_ref}) if row else None

    def upsert_customer(self, customer: CustomerRecord) -> CustomerRecord:
        try:
            return self._upsert(customer)
        except DataError as exc:
            raise _refused_field(exc, customer) from exc

    def _upsert(self, customer: CustomerRecord) -> CustomerRecord:
        asked = customer.external_ref
        customer = customer.model_copy(update={"external_ref": stored_ref(asked)})
        _check(customer)
        row = self._find(asked) if asked else None
        if row is None and customer.erp_number:
            row = self._by_number(customer.erp_number)
        if row is None:
            response = self.odata.write("POST", self.url, _create_payload(customer), BUSINESS_PARTNERS)
            return _record(response.json()["d"]).model_copy(update={"external_ref": asked})
        self._update(row, customer)
        changed = self._by_number(row["BusinessPartner"])
        assert changed is not None, "a partner just updated is readable"
        return _record(changed).model_copy(update={"external_ref": asked or changed.get(EXTERNAL_REF) or ""})

    def stored_ref(self, external_ref: str) -> str:
        """The form SAP keeps ``external_ref`` in."""
        return stored_ref(external_ref)

    def customer_changes(self, cursor: str | None) -> Iterator[CustomerPage]:
        states = _decode(cursor, self.overlap)
        for name, (day_field, time_field, other) in _PASSES.items():
            state = states[name]
            params = {
                "$filter": f"Customer ne '' and LastChangeDate {other} null",
                "$orderby": f"{day_field},{time_field},BusinessPartner",
                "$expand": _EXPAND,
            }
            start = state.window_start()
            if start is not None:
                day = datetime(start.year, start.month, start.day)
                params["$filter"] += (
                    f" and ({day_field} gt {datetime_literal(day)} or ({day_field} eq {datetime_literal(day)}"
                    f" and {time_field} ge {time_literal(start - day)}))"
                )
            for page in self.odata.pages(BUSINESS_PARTNERS, "A_BusinessPartner", params, self.page_size):
                fresh = [
                    row
                    for row in page
                    if state.observe(row["BusinessPartner"], _stamp(row, day_field, time_field), _etag(row))
                ]
                yield CustomerPage(customers=[_record(r) for r in fresh], cursor=_encode(states))

    # --- reads and writes ------------------------------------------------------------------------

    def _find(self, external_ref: str) -> dict[str, Any] | None:
        params = {
            "$filter": f"{EXTERNAL_REF} eq {string_literal(stored_ref(external_ref))}",
            "$expand": _EXPAND,
            "$top": "2",
        }
        rows = results(self.odata.get(self.url, params, retried=False))
        return rows[0] if rows else None

    def _by_number(self, number: str) -> dict[str, Any] | None:
        try:
            return self.odata.get(f"{self.url}({string_literal(number)})", {"$expand": _EXPAND}, retried=False)
        except IntegrationError as exc:
            if exc.status == 404:
                return None
            raise

    def _update(self, row: dict[str, Any], customer: CustomerRecord) -> None:
        number = row["BusinessPartner"]
        names = {k: v for k, v in _names(customer, row["BusinessPartnerCategory"]).items() if row.get(k) != v}
        if names:
            self._patch_partner(row, names)
        addresses = results(row.get("to_BusinessPartnerAddress"))
        held = {_address_key(a): a for a in addresses}
        for n, address in enumerate(customer.addresses):
            fields = _address_payload(address)
            current = held.get(_address_key(fields))
            if current is None:
                email = customer.email if not addresses and n == 0 else ""
                payload = {"BusinessPartner": number, **fields, **_communication(address, customer, email, n)}
                url = self.odata.url(BUSINESS_PARTNERS, "A_BusinessPartnerAddress")
                try:
                    created = self.odata.write("POST", url, payload, BUSINESS_PARTNERS).json()["d"]
                except DataError as exc:  # SAP numbers the address it was given: ours is the n-th
                    raise _refused_field(exc, customer, position=n) from exc
                addresses.append(created)
                held[_address_key(created)] = created
            elif address.phone and [p.get("PhoneNumber") for p in results(current.get("to_PhoneNumber"))][:1] != [
                address.phone
            ]:
                self._put_communication(
                    current, "A_AddressPhoneNumber", "to_PhoneNumber", {"PhoneNumber": address.phone}
                )
        if customer.email and addresses:
            first = addresses[0]
            if [e.get("EmailAddress") for e in results(first.get("to_EmailAddress"))][:1] != [customer.email]:
                self._put_communication(
                    first, "A_AddressEmailAddress", "to_EmailAddress", {"EmailAddress": customer.email}
                )
        if not row.get("to_Customer"):
            url = self.odata.url(BUSINESS_PARTNERS, "A_BusinessPartnerRole")
            self.odata.write(
                "POST", url, {"BusinessPartner": number, "BusinessPartnerRole": CUSTOMER_ROLE}, BUSINESS_PARTNERS
            )

    def _patch_partner(self, row: dict[str, Any], names: dict[str, str]) -> None:
        url = f"{self.url}({string_literal(row['BusinessPartner'])})"
        for attempt in range(2):
            etag = (row.get("__metadata") or {}).get("etag") or "*"
            try:
                self.odata.write("PATCH", url, names, BUSINESS_PARTNERS, headers={"If-Match": etag})
                return
            except IntegrationError as exc:
                if exc.status != 412 or attempt:
                    raise
            row = self.odata.get(url, {"$select": "BusinessPartner"}, retried=False)  # a newer ETag

    def _put_communication(self, address: dict[str, Any], entity_set: str, nav: str, values: dict[str, str]) -> None:
        keys = {"AddressID": address["AddressID"], "Person": "", "OrdinalNumber": "1"}
        existing = results(address.get(nav))
        if existing:
            keys["OrdinalNumber"] = existing[0]["OrdinalNumber"]
            path = ",".join(f"{k}={string_literal(v)}" for k, v in keys.items())
            self.odata.write(
                "PATCH", self.odata.url(BUSINESS_PARTNERS, f"{entity_set}({path})"), values, BUSINESS_PARTNERS
            )
        else:
            self.odata.write(
                "POST", self.odata.url(BUSINESS_PARTNERS, entity_set), {**keys, **values}, BUSINESS_PARTNERS
            )


# --- mapping -------------------------------------------------------------------------------------


def stored_ref(external_ref: str) -> str:
    """Our reference as ``BusinessPartnerIDByExtSystem`` keeps it (20 upper-case characters)."""
    return short_ref(external_ref, _LIMITS["external_ref"]) if external_ref else ""


def _check(customer: CustomerRecord) -> None:
    """Refuse, naming the field, what SAP could only keep cut short."""
    values = {name: getattr(customer, name) for name in _LIMITS}
    for name, limit in _LIMITS.items():
        if len(values[name]) > limit:
            raise DataError(f"customer {customer.external_ref!r}: {name} is longer than SAP's {limit}", system=SYSTEM)
    for n, address in enumerate(customer.addresses):
        for field, (prop, limit) in _ADDRESS_FIELDS.items():
            if len(getattr(address, field)) > limit:
                raise DataError(
                    f"customer {customer.external_ref!r}: addresses[{n}].{field} is longer than SAP's {prop} ({limit})",
                    system=SYSTEM,
                )


def _refused_field(exc: DataError, customer: CustomerRecord, position: int | None = None) -> DataError:
    """SAP's refusal of an address property, named as our field (``addresses[1].zip``), with SAP's
    code; SAP's own text (it quotes the value) stays in the error body, kept with the dead letter."""
    if isinstance(exc, RefusedField):
        return exc
    body = exc.body if isinstance(exc.body, dict) else {}
    details = ((body.get("error") or {}).get("innererror") or {}).get("errordetails") or []
    for detail in details:
        found = _TARGET.search(str(detail.get("target") or ""))
        if found is None or found.group(2) not in _PROPERTY_FIELDS:
            continue
        n = position if position is not None else found.group(1)
        where = f"addresses[{n}]" if n is not None else "addresses"
        field = f"{where}.{_PROPERTY_FIELDS[found.group(2)]}"
        message = (
            f"customer {customer.external_ref!r}: SAP refused {field} ({found.group(2)}, {detail.get('code') or '-'})"
        )
        return RefusedField.naming(exc, message)
    return exc


def _names(customer: CustomerRecord, category: str) -> dict[str, str]:
    names = {EXTERNAL_REF: customer.external_ref, "SearchTerm1": (customer.last_name or customer.company)[:20].upper()}
    if category == "2":
        return {**names, "OrganizationBPName1": customer.company or f"{customer.first_name} {customer.last_name}"}
    return {**names, "FirstName": customer.first_name, "LastName": customer.last_name or customer.company}


def _create_payload(customer: CustomerRecord) -> dict[str, Any]:
    category = "2" if customer.kind == "company_location" else "1"
    addresses = [
        {**_address_payload(a), **_communication(a, customer, customer.email if n == 0 else "", n)}
        for n, a in enumerate(customer.addresses)
    ]
    return {
        "BusinessPartnerCategory": category,
        **_names(customer, category),
        "to_BusinessPartnerRole": [{"BusinessPartnerRole": CUSTOMER_ROLE}],
        "to_BusinessPartnerAddress": addresses,
    }


def _address_payload(address: Address) -> dict[str, str]:
    return {prop: getattr(address, field) for field, (prop, _) in _ADDRESS_FIELDS.items()}


def _communication(address: Address, customer: CustomerRecord, email: str, n: int) -> dict[str, Any]:
    phone = address.phone or (customer.phone if n == 0 else "")
    extra: dict[str, Any] = {}
    if email:
        extra["to_EmailAddress"] = [{"OrdinalNumber": "1", "EmailAddress": email}]
    if phone:
        extra["to_PhoneNumber"] = [{"OrdinalNumber": "1", "PhoneNumber": phone}]
    return extra


def _address_key(row: dict[str, Any]) -> tuple[str, ...]:
    """An address by value: SAP upper-cases country, region and postal code, so they compare upper."""
    return tuple(str(row.get(prop) or "").strip().upper() for prop, _ in _ADDRESS_FIELDS.values())


def _record(row: dict[str, Any]) -> CustomerRecord:
    addresses = results(row.get("to_BusinessPartnerAddress"))
    emails = [e["EmailAddress"] for a in addresses[:1] for e in results(a.get("to_EmailAddress"))]
    phones = [p["PhoneNumber"] for a in addresses[:1] for p in results(a.get("to_PhoneNumber"))]
    organization = row.get("BusinessPartnerCategory") == "2"
    changed = row.get("LastChangeDate") and _stamp(row, "LastChangeDate", "LastChangeTime")
    return CustomerRecord(
        kind="company_location" if organization else "customer",
        external_ref=row.get(EXTERNAL_REF) or "",
        erp_number=row["BusinessPartner"],
        first_name="" if organization else row.get("FirstName") or "",
        last_name="" if organization else row.get("LastName") or "",
        company=" ".join(filter(None, (row.get("OrganizationBPName1"), row.get("OrganizationBPName2"))))
        if organization
        else "",
        email=emails[0] if emails else "",
        phone=phones[0] if phones else "",
        addresses=[_address(a) for a in addresses],
        changed_at=(changed or _stamp(row, "CreationDate", "CreationTime")).replace(tzinfo=UTC),
    )


def _address(row: dict[str, Any]) -> Address:
    phones = [p["PhoneNumber"] for p in results(row.get("to_PhoneNumber"))]
    values = {field: row.get(prop) or "" for field, (prop, _) in _ADDRESS_FIELDS.items()}
    return Address(**values, phone=phones[0] if phones else "")


def _stamp(row: dict[str, Any], day_field: str, time_field: str) -> datetime:
    """The partner's stamp as a naive UTC datetime (SAP's ``Edm.DateTime`` and ``Edm.Time``)."""
    day = parse_date(row.get(day_field))
    if day is None:
        raise DataError(f"business partner {row.get('BusinessPartner')!r} has no {day_field}", body=row, system=SYSTEM)
    return (day + parse_time(row.get(time_field))).replace(tzinfo=None)


def _etag(row: dict[str, Any]) -> str:
    return str((row.get("__metadata") or {}).get("etag") or row.get("ETag") or "")


def _decode(cursor: str | None, overlap: timedelta) -> dict[str, ShipmentCursor]:
    try:
        parts = json.loads(cursor) if cursor else {}
        return {name: ShipmentCursor.decode(parts.get(name), overlap, system=SYSTEM) for name in _PASSES}
    except (ValueError, AttributeError) as exc:
        raise DataError(f"not a SAP customer cursor: {str(cursor)[:80]!r} ({exc})", system=SYSTEM) from None


def _encode(states: dict[str, ShipmentCursor]) -> str:
    return json.dumps({name: state.encode() for name, state in states.items()}, separators=(",", ":"))
