"""Customers and B2B company locations as NetSuite ``customer`` records.

- Key: our external reference is the record's ``externalId``; a write is the record service's
  upsert ``PUT /customer/eid:<ref>``, so a retry after a lost answer changes the customer the first
  attempt created instead of creating a second.
- Addresses: the ``addressBook`` sublist. The customer is read first and the book sent back whole
  with ``replace=addressBook``: the addresses it holds, then the record's ones it lacks (compared by
  value). An address the record no longer has is kept, as on SAP (a merged list comes from the
  sync, and NetSuite's transactions keep their own copy of the address they used). A write that
  would change nothing is not sent: a repeated webhook, or a retry whose first attempt committed,
  costs one read and leaves ``lastmodifieddate`` alone.
- A person (``isPerson``) for a customer, a company (``companyName``) for a company location.
- Changes: SuiteQL on ``customer.lastmodifieddate`` (account time, to the second), paged by keyset
  (time, id) with an overlap window, each changed customer then read whole from the record service;
  one whose content was already handed out is skipped (the stamp alone would not do: a change in
  the same second as the one before it has the same stamp).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from erp_shopify.erp.netsuite.rest import RECORD_PATH, SYSTEM, RestClient, validate_external_id
from erp_shopify.erp.netsuite.suiteql import SQL_TIME_FORMAT, TIME_FORMAT, keyset_condition, literal
from erp_shopify.erp.shipment_cursor import ShipmentCursor
from erp_shopify.errors import DataError, RefusedField
from erp_shopify.records import Address, CustomerPage, CustomerRecord

# Address field -> the addressBookAddress field
_ADDRESS_FIELDS = {
    "name": "addressee",
    "company": "attention",
    "address1": "addr1",
    "address2": "addr2",
    "city": "city",
    "zip": "zip",
    "province_code": "state",
    "country_code": "country",
    "phone": "addrPhone",
}
_BOOK_FIELDS = {field: name for name, field in _ADDRESS_FIELDS.items()}
_BOOK_PATH = re.compile(r"addressBook\.items\[(\d+)\]\.addressBookAddress\.(\w+)")
_CHANGED = "c.lastmodifieddate"


class NetSuiteCustomers:
    def __init__(
        self,
        rest: RestClient,
        query: Callable[[str], dict[str, Any]],
        *,
        subsidiary: str,
        overlap: timedelta,
        zone: ZoneInfo,
    ) -> None:
        self.rest, self.query, self.subsidiary, self.overlap, self.zone = rest, query, subsidiary, overlap, zone

    def find_customer(self, external_ref: str) -> CustomerRecord | None:
        found = self._read(self.rest.record_path("customer", external_ref))
        return self._record(found) if found else None

    def upsert_customer(self, customer: CustomerRecord) -> CustomerRecord:
        if customer.external_ref:
            path = self.rest.record_path("customer", validate_external_id(customer.external_ref))
        elif customer.erp_number.isdigit():
            path = f"{RECORD_PATH}/customer/{customer.erp_number}"
        else:
            raise DataError("a customer needs an external_ref or a NetSuite internal id (erp_number)", system=SYSTEM)
        current = self._read(path)
        if current is None and not customer.external_ref:
            raise DataError(f"no NetSuite customer {customer.erp_number!r}", status=404, system=SYSTEM)
        body = _body(customer, current, self.subsidiary)
        if current is not None and _unchanged(body, current):
            return self._record(current)  # a repeated webhook: no write, and the change stamp stays
        method = "PUT" if customer.external_ref else "PATCH"
        try:
            self.rest.call(method, path, params={"replace": "addressBook"}, json=body, retried=False)
        except DataError as exc:
            raise _refused_field(exc, customer, current) from exc
        written = self._read(path)
        if written is None:
            raise DataError(
                f"NetSuite customer {customer.external_ref!r} was not readable after its write", system=SYSTEM
            )
        return self._record(written)

    def customer_changes(self, cursor: str | None) -> Iterator[CustomerPage]:
        state = ShipmentCursor.decode(cursor, self.overlap, system=SYSTEM)
        start = state.window_start()
        after: tuple[str, int] | None = None
        while True:
            rows = self.query(_changes_query(start.strftime(TIME_FORMAT) if start else None, after))["items"]
            records = []
            for row in rows:  # read whole: two changes in one second share the stamp, not the content
                changed = datetime.strptime(row["changed"], TIME_FORMAT)
                found = self._read(f"{RECORD_PATH}/customer/{row['id']}", retried=True)
                if found is not None and state.observe(row["id"], changed, f"{row['changed']}|{_digest(found)}"):
                    records.append(self._record(found))
            if rows or after is None:
                yield CustomerPage(customers=records, cursor=state.encode())
            if not rows:
                return
            after = (rows[-1]["changed"], int(rows[-1]["id"]))

    def _read(self, path: str, *, retried: bool = False) -> dict[str, Any] | None:
        try:
            return self.rest.call("GET", path, params={"expandSubResources": "true"}, retried=retried).json()
        except DataError as exc:
            if exc.status == 404:
                return None
            raise

    def _record(self, row: dict[str, Any]) -> CustomerRecord:
        person = bool(row.get("isPerson"))
        changed = datetime.fromisoformat(str(row["lastModifiedDate"]).replace("Z", "+00:00"))
        return CustomerRecord(
            kind="customer" if person else "company_location",
            external_ref=row.get("externalId") or "",
            erp_number=str(row["id"]),
            first_name=row.get("firstName") or "",
            last_name=row.get("lastName") or "",
            company=row.get("companyName") or "",
            email=row.get("email") or "",
            phone=row.get("phone") or "",
            addresses=[_address(line) for line in _lines(row)],
            changed_at=changed,
        )


def _changes_query(lower: str | None, after: tuple[str, int] | None) -> str:
    condition = keyset_condition(_CHANGED, "c.id", lower, after)
    return (
        f"SELECT c.id AS id, TO_CHAR({_CHANGED}, {literal(SQL_TIME_FORMAT)}) AS changed FROM customer c"
        f"{condition} ORDER BY {_CHANGED}, c.id"
    )


def _body(customer: CustomerRecord, current: dict[str, Any] | None, subsidiary: str) -> dict[str, Any]:
    held = [line.get("addressBookAddress") or {} for line in _lines(current or {})]
    keys = {_key(a) for a in held}
    added = [_address_book(a) for a in customer.addresses if _key(_address_book(a)) not in keys]
    book = [{"addressBookAddress": a} for a in held] + [{"addressBookAddress": a} for a in added]
    for n, line in enumerate(book):
        line["defaultShipping"] = line["defaultBilling"] = n == 0
    body: dict[str, Any] = {
        "email": customer.email,
        "phone": customer.phone,
        "addressBook": {"items": book},
    }
    if customer.kind == "company_location":
        body |= {"isPerson": False, "companyName": customer.company or f"{customer.first_name} {customer.last_name}"}
    else:
        body |= {"isPerson": True, "firstName": customer.first_name, "lastName": customer.last_name}
        body |= {"companyName": customer.company} if customer.company else {}
    if current is None:
        body["subsidiary"] = {"id": subsidiary}
    return body


def _refused_field(exc: DataError, customer: CustomerRecord, current: dict[str, Any] | None) -> DataError:
    """NetSuite's refusal of an address book field, named as our field (``addresses[1].country_code``):
    the book sent is the addresses the record held, then ours it lacked, so NetSuite's line number
    is turned back into the position in ``customer.addresses``."""
    body = exc.body if isinstance(exc.body, dict) else {}
    held = {_key(line.get("addressBookAddress") or {}) for line in _lines(current or {})}
    added = [n for n, a in enumerate(customer.addresses) if _key(_address_book(a)) not in held]
    for detail in body.get("o:errorDetails") or []:
        found = _BOOK_PATH.search(str(detail.get("o:errorPath") or ""))
        if found is None or found.group(2) not in _BOOK_FIELDS:
            continue
        line = int(found.group(1)) - len(held)
        where = f"addresses[{added[line]}]" if 0 <= line < len(added) else "addresses"
        message = (
            f"customer {customer.external_ref!r}: NetSuite refused {where}.{_BOOK_FIELDS[found.group(2)]}"
            f" ({found.group(2)}, {detail.get('o:errorCode') or '-'})"
        )
        return RefusedField.naming(exc, message)
    return exc


def _digest(record: dict[str, Any]) -> str:
    return hashlib.sha1(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _unchanged(body: dict[str, Any], current: dict[str, Any]) -> bool:
    """The write would add no address and change no field the record holds."""
    fields = {k: v for k, v in body.items() if k != "addressBook"}
    same = all((current.get(k) or "") == (v or "") for k, v in fields.items() if not isinstance(v, bool))
    kind = all(bool(current.get(k)) == v for k, v in fields.items() if isinstance(v, bool))
    return same and kind and len(body["addressBook"]["items"]) == len(_lines(current))


def _address_book(address: Address) -> dict[str, str]:
    return {field: getattr(address, name) for name, field in _ADDRESS_FIELDS.items()}


def _key(address: dict[str, Any]) -> tuple[str, ...]:
    values = []
    for field in _ADDRESS_FIELDS.values():
        value = address.get(field)
        value = value.get("id") if isinstance(value, dict) else value
        values.append(str(value or "").strip().upper())
    return tuple(values)


def _lines(row: dict[str, Any]) -> list[dict[str, Any]]:
    book = row.get("addressBook") or {}
    return list(book.get("items", [])) if isinstance(book, dict) else []


def _address(line: dict[str, Any]) -> Address:
    raw = line.get("addressBookAddress") or {}
    values = {}
    for name, field in _ADDRESS_FIELDS.items():
        value = raw.get(field)
        values[name] = str((value.get("id") if isinstance(value, dict) else value) or "")
    return Address(**values)
