"""Customer records of the NetSuite sandbox: the REST record ``customer`` with its ``addressBook``
sublist, upserted by external id, and the SuiteQL table ``customer`` that mirrors its body fields
(``lastmodifieddate`` moves on every change, as NetSuite stamps it).

Sublists follow the record service's rule: a write replaces the ``addressBook`` lines only when the
request names it in ``replace``; otherwise the lines sent are added to the ones the record has.
Each address's ``country`` must be a country NetSuite knows (its Country enumeration: ISO 3166-1
alpha-2 codes; the sandbox knows the ones below)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from erp_shopify_sandbox.netsuite.state import Account, Record

SCHEMA = """
CREATE TABLE customer (
    id INTEGER PRIMARY KEY, entityid TEXT, externalid TEXT UNIQUE, isperson TEXT NOT NULL, firstname TEXT,
    lastname TEXT, companyname TEXT, email TEXT, phone TEXT, isinactive TEXT NOT NULL DEFAULT 'F',
    datecreated TEXT NOT NULL, lastmodifieddate TEXT NOT NULL);
"""
_KNOWN = "US CA MX GB IE DE AT CH FR BE NL LU IT ES PT DK SE NO FI PL CZ AU NZ JP SG HK IN BR ZA AE"
COUNTRIES = frozenset(_KNOWN.split())
_BODY = {
    "firstName": "firstname",
    "lastName": "lastname",
    "companyName": "companyname",
    "email": "email",
    "phone": "phone",
}
_ADDRESS_FIELDS = ("addressee", "attention", "addr1", "addr2", "city", "state", "zip", "country", "addrPhone")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def upsert_customer(
    account: Account, external_id: str, body: dict[str, Any], *, replace: set[str], at: str | None = None
) -> Record:
    """Create or change the customer with this external id (``PUT /customer/eid:<id>``)."""
    from erp_shopify_sandbox.netsuite.state import Record, RecordError

    with account.lock:
        lines = _address_lines(body.get("addressBook"))
        record = account.find("customer", external_id) if external_id else None
        if record is None:
            is_person = bool(body.get("isPerson", not body.get("companyName")))
            if is_person and not body.get("lastName") and not body.get("firstName"):
                raise RecordError("Please enter value(s) for: First Name, Last Name", "lastName")
            if not is_person and not body.get("companyName"):
                raise RecordError("Please enter value(s) for: Company Name", "companyName")
            account._next_id += 1
            record = Record("customer", account._next_id, external_id, {"isPerson": is_person})
            record.fields["dateCreated"] = at or _now()
            account.records[("customer", record.id)] = record
        change_customer(account, record, body, lines, replace=replace, at=at)
        return record


def change_customer(
    account: Account,
    record: Record,
    body: dict[str, Any],
    lines: list[dict[str, Any]] | None = None,
    *,
    replace: set[str],
    at: str | None = None,
) -> None:
    """Body fields set, address lines added (or replaced when ``replace`` names the sublist), stamped."""
    with account.lock:
        if lines is None:
            lines = _address_lines(body.get("addressBook"))
        record.fields.update({k: body[k] for k in (*_BODY, "isInactive", "subsidiary") if k in body})
        if "addressBook" in replace:
            record.lines = lines
        else:
            record.lines = [*record.lines, *lines]
        if record.external_id:
            record.fields["externalId"] = record.external_id
        fields = record.fields
        name = fields.get("companyName") or f"{fields.get('firstName', '')} {fields.get('lastName', '')}".strip()
        fields["entityId"] = name
        fields["lastModifiedDate"] = at or _now()
        account.db.execute(
            "INSERT OR REPLACE INTO customer VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                name,
                record.external_id or None,
                "T" if fields.get("isPerson") else "F",
                *(fields.get(k) or None for k in _BODY),
                "T" if fields.get("isInactive") else "F",
                fields["dateCreated"],
                fields["lastModifiedDate"],
            ),
        )


def render_customer(record: Record, url: str, expand: bool) -> dict[str, Any]:
    """The customer as ``GET /customer/{id}`` answers it: dates in ISO 8601 UTC, the address book
    expanded with ``expandSubResources=true`` and a link otherwise."""
    fields = dict(record.fields)
    for name in ("dateCreated", "lastModifiedDate"):
        fields[name] = datetime.strptime(fields[name], "%Y-%m-%d %H:%M:%S").strftime("%Y-%m-%dT%H:%M:%SZ")
    body: dict[str, Any] = {"links": [{"rel": "self", "href": url}], "id": str(record.id), **fields}
    if expand:
        body["addressBook"] = {
            "items": [
                {**line, "internalId": n + 1, "addressBookAddress": dict(line["addressBookAddress"])}
                for n, line in enumerate(record.lines)
            ]
        }
    else:
        body["addressBook"] = {"links": [{"rel": "self", "href": f"{url}/addressBook"}]}
    return body


def _address_lines(raw: Any) -> list[dict[str, Any]]:
    from erp_shopify_sandbox.netsuite.state import RecordError

    items = (raw or {}).get("items", []) if isinstance(raw, dict) else []
    lines = []
    for n, item in enumerate(items):
        address = dict(item.get("addressBookAddress") or {})
        country = address.get("country")
        country = country.get("id") if isinstance(country, dict) else country
        if country not in COUNTRIES:
            raise RecordError(
                f"Invalid Field Value {country} for the following field: country",
                f"addressBook.items[{n}].addressBookAddress.country",
            )
        address = {k: str(address.get(k) or "") for k in _ADDRESS_FIELDS} | {"country": country}
        lines.append(
            {
                "addressBookAddress": address,
                "defaultShipping": bool(item.get("defaultShipping", n == 0)),
                "defaultBilling": bool(item.get("defaultBilling", n == 0)),
                "label": str(item.get("label") or address["addr1"] or country),
            }
        )
    return lines
