"""Tryton's customers as ``CustomerRecord``s: a ``party.party`` with its ``party.address`` rows and
contact mechanisms (email, phone).

- **Our key** is a ``party.identifier`` of no type whose code is the external reference (Tryton's
  own place for "another system's number of this party"); the ERP number is the party's ``code``
  (Tryton's sequence). A party is created in one ``create`` call with its identifier, addresses
  and contact mechanisms, so a create whose answer was lost is found by the retry, not repeated.
- **Names**: Tryton keeps one party name. A person's is "first last" (read back split at the last
  space); a company location's is the company name. An address's ``party_name`` is the company
  when there is one, with the person in ``attn``; else the person. ``address1``/``address2`` are
  the lines of ``street``; ``province_code`` is the ``country.subdivision`` ``<country>-<code>``.
- **Addresses merge, never replace**: an upsert adds the addresses Tryton does not hold (compared
  by value) and leaves the others alone, since an ERP user may own some of them.
- **Changes**: parties, addresses and contact mechanisms whose ``create_date`` or ``write_date``
  is at or after the mark minus an overlap window, each version delivered once (as products). The
  company's own parties are not customers and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, timedelta
from typing import Any

from erp_shopify.erp.tryton.products import changed_since, record_stamp
from erp_shopify.erp.tryton.rpc import SYSTEM, TrytonRpc
from erp_shopify.errors import DataError, SystemFailure
from erp_shopify.records import Address, CustomerPage, CustomerRecord

# A B2B company location's external reference ends in "-L<id>" (``mapping.customers.location_ref``).
LOCATION_REF = re.compile(r"-L\d+$")
_ADDRESS_FIELDS = ["party", "party_name", "attn", "street", "postal_code", "city", "country.code", "subdivision.code"]
_CONTACT_FIELDS = ["party", "address", "type", "value"]
_STAMPS = ["create_date", "write_date"]
ALL = {"active_test": False}


def address_key(address: Address) -> tuple[str, ...]:
    """What makes two addresses the same one, as Tryton keeps them (case and spaces aside)."""
    values = address.model_dump()
    return tuple(" ".join(str(values[f]).split()).casefold() for f in sorted(values))


class TrytonCustomers:
    def __init__(self, rpc: TrytonRpc, read: Callable[..., Any], *, overlap: timedelta) -> None:
        self.rpc, self.read, self.overlap = rpc, read, overlap
        self._countries: dict[str, int] = {}

    # reads ------------------------------------------------------------------------------------

    def find_customer(self, external_ref: str) -> CustomerRecord | None:
        party = self._party_by_ref(external_ref)
        return self._records([party])[0] if party is not None else None

    def _party_by_ref(self, external_ref: str) -> int | None:
        rows = self.read(
            "party.identifier",
            "search_read",
            [("type", "=", None), ("code", "=", external_ref)],
            0,
            None,
            [("id", "ASC")],
            ["party"],
        )
        return rows[0]["party"] if rows else None

    def _party_by_number(self, number: str) -> int | None:
        ids = self.read("party.party", "search", [("code", "=", number)], 0, 1, None)
        return ids[0] if ids else None

    def party_for(self, number: str, ship_to: Address) -> tuple[int, int | None]:
        """The party with this code and its address equal to ``ship_to`` (by value), else its
        first; a code Tryton does not hold is a system failure (a configured one-time customer
        that is missing, or a customer archived since its upsert: someone must look)."""
        party = self._party_by_number(number)
        if party is None:
            raise SystemFailure(f"Tryton has no party with code {number!r} (shops file guest_customer?)", system=SYSTEM)
        rows = self._address_rows(party)
        wanted = address_key(ship_to.model_copy(update={"phone": ""}))
        same = [row["id"] for row in rows if address_key(_address(row, "")) == wanted]
        return party, (same or [row["id"] for row in rows] or [None])[0]

    def changes(self, cursor: str | None) -> Iterator[CustomerPage]:
        models = (("party.party", "id"), ("party.address", "party"), ("party.contact_mechanism", "party"))
        parties, cursor = changed_since(self.read, models, cursor, self.overlap, "customer")
        own = {row["party"] for row in self.read("company.company", "search_read", [], 0, None, None, ["party"])}
        yield CustomerPage(customers=self._records([p for p in parties if p not in own]), cursor=cursor)

    def _records(self, ids: list[int]) -> list[CustomerRecord]:
        if not ids:
            return []
        heads = self.read("party.party", "read", ids, ["name", "code", "active", *_STAMPS], context=ALL)
        refs = self.read(
            "party.identifier",
            "search_read",
            [("party", "in", ids), ("type", "=", None)],
            0,
            None,
            [("id", "ASC")],
            ["party", "code"],
        )
        addresses = self.read(
            "party.address",
            "search_read",
            [("party", "in", ids)],
            0,
            None,
            [("sequence", "ASC"), ("id", "ASC")],
            [*_ADDRESS_FIELDS, *_STAMPS],
        )
        contacts = self.read(
            "party.contact_mechanism",
            "search_read",
            [("party", "in", ids), ("type", "in", ["email", "phone", "mobile"])],
            0,
            None,
            [("sequence", "ASC"), ("id", "ASC")],
            [*_CONTACT_FIELDS, *_STAMPS],
        )
        return [self._record(head, refs, addresses, contacts) for head in heads]

    def _record(
        self,
        head: dict[str, Any],
        refs: list[dict[str, Any]],
        addresses: list[dict[str, Any]],
        contacts: list[dict[str, Any]],
    ) -> CustomerRecord:
        party = head["id"]
        ref = next((r["code"] for r in refs if r["party"] == party), "")
        own_addresses = [a for a in addresses if a["party"] == party]
        own_contacts = [c for c in contacts if c["party"] == party]
        phones = {c["address"]: c["value"] for c in reversed(own_contacts) if c["type"] in ("phone", "mobile")}
        email = next((c["value"] for c in own_contacts if c["type"] == "email" and not c["address"]), "")
        stamps = [record_stamp(row) for row in (head, *own_addresses, *own_contacts)]
        is_location = LOCATION_REF.search(ref) is not None
        name = head.get("name") or ""
        first, _, last = name.rpartition(" ") if " " in name else ("", "", name)
        return CustomerRecord(
            kind="company_location" if is_location else "customer",
            external_ref=ref,
            erp_number=head.get("code") or "",
            first_name="" if is_location else first,
            last_name="" if is_location else last,
            company=name if is_location else "",
            email=email,
            phone=phones.get(None, ""),
            addresses=[_address(a, phones.get(a["id"], "")) for a in own_addresses],
            changed_at=max(stamps).replace(tzinfo=UTC),
            deleted=not head.get("active", True),
        )

    # writes (sent once: the caller retries, and a retry finds before it creates) ---------------

    def upsert_customer(self, customer: CustomerRecord) -> CustomerRecord:
        party = self._party_by_ref(customer.external_ref) if customer.external_ref else None
        if party is None and customer.erp_number:
            party = self._party_by_number(customer.erp_number)
        addresses = [(address, self._address_values(address, customer)) for address in customer.addresses]
        if party is None:
            party = self._create(customer, addresses)
        else:
            self._update(party, customer, addresses)
        return self._records([party])[0]

    def _create(self, customer: CustomerRecord, addresses: list[tuple[Address, dict[str, Any]]]) -> int:
        values: dict[str, Any] = {"name": _party_name(customer)}
        if customer.external_ref:
            values["identifiers"] = [["create", [{"type": None, "code": customer.external_ref}]]]
        if addresses:
            values["addresses"] = [["create", [{**row, "sequence": n} for n, (_, row) in enumerate(addresses)]]]
        contacts = _contacts(customer)
        if contacts:
            values["contact_mechanisms"] = [["create", contacts]]
        [party] = self.rpc.model("party.party", "create", [values])
        phones = [(a, row) for a, row in addresses if a.phone]
        if phones:  # an address's phone needs the address's id: a second call (found again by value on a retry)
            self._update(party, customer, addresses)
        return int(party)

    def _update(self, party: int, customer: CustomerRecord, addresses: list[tuple[Address, dict[str, Any]]]) -> None:
        [current] = self._records([party])
        if _party_name(customer) and _party_name(customer) != _party_name(current):
            self.rpc.model("party.party", "write", [party], {"name": _party_name(customer)})
        if customer.external_ref and current.external_ref != customer.external_ref:
            identifier = {"party": party, "type": None, "code": customer.external_ref}
            self.rpc.model("party.identifier", "create", [identifier])
        self._set_contact(party, None, "email", customer.email)
        self._set_contact(party, None, "phone", customer.phone)
        held = {address_key(a) for a in current.addresses}
        rows = self._address_rows(party)
        by_key = {address_key(_address(row, "")): row["id"] for row in rows}
        for address, values in addresses:
            if address_key(address) in held:
                continue
            bare = address_key(address.model_copy(update={"phone": ""}))
            address_id = by_key.get(bare)
            if address_id is None:
                [address_id] = self.rpc.model("party.address", "create", [{**values, "party": party}])
            self._set_contact(party, address_id, "phone", address.phone)

    def _address_rows(self, party: int) -> list[dict[str, Any]]:
        order = [("sequence", "ASC"), ("id", "ASC")]
        rows: list[dict[str, Any]] = self.read(
            "party.address", "search_read", [("party", "=", party)], 0, None, order, _ADDRESS_FIELDS
        )
        return rows

    def _set_contact(self, party: int, address: int | None, kind: str, value: str) -> None:
        """The party's (or address's) first email or phone set to ``value``; an empty value changes nothing."""
        if not value:
            return
        kinds = ["phone", "mobile"] if kind == "phone" else [kind]
        rows = self.read(
            "party.contact_mechanism",
            "search_read",
            [("party", "=", party), ("address", "=", address), ("type", "in", kinds)],
            0,
            1,
            [("sequence", "ASC"), ("id", "ASC")],
            ["value"],
        )
        if not rows:
            row = {"party": party, "address": address, "type": kind, "value": value}
            self.rpc.model("party.contact_mechanism", "create", [row])
        elif rows[0]["value"] != value:
            self.rpc.model("party.contact_mechanism", "write", [rows[0]["id"]], {"value": value})

    def _address_values(self, address: Address, customer: CustomerRecord) -> dict[str, Any]:
        """Tryton's address values; a country or subdivision Tryton does not know is a data error."""
        country = self._country(address.country_code, customer) if address.country_code else None
        subdivision = None
        if address.province_code:
            if country is None:
                raise _refused(customer, "province_code", address.province_code, "needs a country_code")
            code = f"{address.country_code.upper()}-{address.province_code.upper()}"
            found = self.read(
                "country.subdivision", "search", [("country", "=", country), ("code", "=", code)], 0, 1, None
            )
            if not found:
                raise _refused(customer, "province_code", address.province_code, f"Tryton has no subdivision {code}")
            subdivision = found[0]
        person, company = address.name, address.company
        return {
            "party_name": company or person or None,
            "attn": person if company else None,
            "street_unstructured": "\n".join(line for line in (address.address1, address.address2) if line) or None,
            "postal_code": address.zip or None,
            "city": address.city or None,
            "country": country,
            "subdivision": subdivision,
        }

    def _country(self, code: str, customer: CustomerRecord) -> int:
        code = code.upper()
        if code not in self._countries:
            found = self.read("country.country", "search", [("code", "=", code)], 0, 1, None)
            if not found:
                raise _refused(customer, "country_code", code, f"Tryton has no country {code}")
            self._countries[code] = found[0]
        return self._countries[code]


def _party_name(customer: CustomerRecord) -> str:
    if customer.kind == "company_location":
        return customer.company
    return " ".join(part for part in (customer.first_name, customer.last_name) if part) or customer.company


def _contacts(customer: CustomerRecord) -> list[dict[str, Any]]:
    pairs = (("email", customer.email), ("phone", customer.phone))
    return [{"type": kind, "value": value} for kind, value in pairs if value]


def _address(row: dict[str, Any], phone: str) -> Address:
    lines = (row.get("street") or "").split("\n", 1)
    subdivision = (row.get("subdivision.") or {}).get("code") or ""
    company = row.get("party_name") or "" if row.get("attn") else ""
    return Address(
        name=row.get("attn") or ("" if company else row.get("party_name") or ""),
        company=company,
        address1=lines[0],
        address2=lines[1] if len(lines) > 1 else "",
        city=row.get("city") or "",
        zip=row.get("postal_code") or "",
        province_code=subdivision.split("-", 1)[-1],
        country_code=(row.get("country.") or {}).get("code") or "",
        phone=phone,
    )


def _refused(customer: CustomerRecord, field: str, value: str, reason: str) -> DataError:
    who = customer.external_ref or customer.erp_number or "a new customer"
    return DataError(
        f"customer {who}: address {field} {value!r}: {reason}",
        body={"external_ref": customer.external_ref, "field": field, "value": value},
        codes=("unknown_" + field.removesuffix("_code"),),
        system=SYSTEM,
    )
