"""The SAP sandbox's business partners (``API_BUSINESS_PARTNER``): the partner, its roles, its
addresses with their e-mail addresses and phone numbers, and the customer role (``A_Customer``,
whose number SAP gives the same as the partner's when the customer role ``FLCU01`` is granted).

As SAP keeps them: a new partner has ``CreationDate``/``CreationTime`` and an empty
``LastChangeDate``/``LastChangeTime`` until its first change; the partner's ``ETag`` moves with
every change and a PATCH must name it in ``If-Match``; an address has no change stamp of its own,
so the sandbox moves its partner's stamp when an address changes through the API (whether every
SAP release does is not documented: docs/erp.md). Addresses are checked as SAP's address checks
refuse them: an unknown country, a region the country does not have, a postal code of the wrong
format for the country.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from erp_shopify_sandbox.sap.address_checks import POSTAL_FORMATS, check_address
from erp_shopify_sandbox.sap.records import BusinessError

if TYPE_CHECKING:
    from erp_shopify_sandbox.sap.store import SapStore

CUSTOMER_ROLES = frozenset({"FLCU00", "FLCU01"})  # FI customer, sales customer
DEFAULT_SOLD_TO = "1000001"  # the one customer a fresh sandbox knows: the shop's default sold-to party
_OPEN_END = datetime(9999, 12, 31, 23, 59, 59)


class BusinessPartners:
    def __init__(self, store: SapStore) -> None:
        self.store = store
        self.rows: dict[str, dict[str, Any]] = {}
        self._next = 1000100
        self._next_address = 24000
        self.countries: dict[str, str | None] = dict(POSTAL_FORMATS)  # SAP's country settings, extendable
        self.create(
            {
                "BusinessPartner": DEFAULT_SOLD_TO,
                "BusinessPartnerCategory": "2",
                "OrganizationBPName1": "Online shop customers",
                "to_BusinessPartnerRole": [{"BusinessPartnerRole": "FLCU01"}],
                "to_BusinessPartnerAddress": [{"CityName": "Walldorf", "PostalCode": "69190", "Country": "DE"}],
            },
            datetime(2020, 1, 1),
        )

    # --- reads -----------------------------------------------------------------------------------

    def addresses(self) -> list[dict[str, Any]]:
        return [a for bp in self.rows.values() for a in bp["to_BusinessPartnerAddress"]]

    def emails(self) -> list[dict[str, Any]]:
        return [e for a in self.addresses() for e in a["to_EmailAddress"]]

    def phones(self) -> list[dict[str, Any]]:
        return [p for a in self.addresses() for p in a["to_PhoneNumber"]]

    def roles(self) -> list[dict[str, Any]]:
        return [r for bp in self.rows.values() for r in bp["to_BusinessPartnerRole"]]

    def customers(self) -> list[dict[str, Any]]:
        return [bp["to_Customer"] for bp in self.rows.values() if bp["to_Customer"] is not None]

    def create(self, payload: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
        """A deep insert: the partner with its roles and addresses (and their e-mail and phone)."""
        with self.store.lock:
            category = str(payload.get("BusinessPartnerCategory") or "")
            if category not in ("1", "2"):
                raise BusinessError(
                    "R11/401", "Enter a business partner category (1 person, 2 organization)", "BusinessPartnerCategory"
                )
            required = ("LastName",) if category == "1" else ("OrganizationBPName1",)
            for name in required:
                if not payload.get(name):
                    raise BusinessError("R11/201", f"Enter a value for {name}", name)
            number = str(payload.get("BusinessPartner") or "")
            if not number:
                self._next += 1
                number = str(self._next)
            if number in self.rows:
                raise BusinessError("R11/028", f"Business partner {number} already exists", "BusinessPartner")
            now = _now(at)
            day, clock = _split(now)
            raw_addresses = results(payload.get("to_BusinessPartnerAddress"))
            addresses = [self._address(number, raw, n) for n, raw in enumerate(raw_addresses)]
            row: dict[str, Any] = {
                "BusinessPartner": number,
                "Customer": "",
                "BusinessPartnerCategory": category,
                "BusinessPartnerGrouping": payload.get("BusinessPartnerGrouping") or "BP02",
                "CorrespondenceLanguage": payload.get("CorrespondenceLanguage") or "EN",
                "CreatedByUser": "SHOPIFY_SYNC",
                "CreationDate": day,
                "CreationTime": clock,
                "LastChangeDate": None,
                "LastChangeTime": None,
                "LastChangedByUser": "",
                "BusinessPartnerIsBlocked": False,
                "to_BusinessPartnerAddress": addresses,
                "to_BusinessPartnerRole": [],
                "to_Customer": None,
            }
            self._names(row, payload)
            row["ETag"] = _etag(now)
            for raw_role in results(payload.get("to_BusinessPartnerRole")):
                self._grant(row, str(raw_role.get("BusinessPartnerRole") or ""), now)
            self.rows[number] = row
            self.store.version += 1
            return row

    def update(self, number: str, payload: dict[str, Any], if_match: str | None, at: datetime | None = None) -> None:
        """PATCH of the partner's own properties, guarded by its ETag."""
        with self.store.lock:
            row = self.partner(number)
            self._check_etag(row, if_match)
            allowed = {"FirstName", "LastName", "OrganizationBPName1", "OrganizationBPName2", "SearchTerm1"}
            allowed |= {"BusinessPartnerIDByExtSystem", "CorrespondenceLanguage", "BusinessPartnerIsBlocked"}
            unknown = set(payload) - allowed
            if unknown:
                name = sorted(unknown)[0]
                raise BusinessError("/IWBEP/CM_MGW_RT/021", f"Property '{name}' cannot be changed here", name)
            row.update({k: payload[k] for k in payload if k in allowed})
            self._names(row, row)
            self.touch(row, at)

    def add_address(self, payload: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
        with self.store.lock:
            row = self.partner(str(payload.get("BusinessPartner") or ""))
            address = self._address(row["BusinessPartner"], payload, len(row["to_BusinessPartnerAddress"]))
            row["to_BusinessPartnerAddress"].append(address)
            self.touch(row, at)
            return address

    def update_address(self, number: str, address_id: str, payload: dict[str, Any], at: datetime | None = None) -> None:
        with self.store.lock:
            row = self.partner(number)
            address = self._find_address(row, address_id)
            merged = {**address, **{k: v for k, v in payload.items() if not k.startswith("to_")}}
            checked = self._address(number, merged, 0, address_id=address_id)
            address.update({k: v for k, v in checked.items() if not k.startswith("to_")})
            self.touch(row, at)

    def put_email(self, address_id: str, payload: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
        """Create (POST A_AddressEmailAddress) or change (PATCH) an address's e-mail address."""
        with self.store.lock:
            row, address = self._owner(address_id)
            ordinal = str(payload.get("OrdinalNumber") or "1")
            current = next((e for e in address["to_EmailAddress"] if e["OrdinalNumber"] == ordinal), None)
            if current is None:
                current = _email(address_id, payload, len(address["to_EmailAddress"]))
                address["to_EmailAddress"].append(current)
            else:
                current["EmailAddress"] = str(payload.get("EmailAddress", current["EmailAddress"]))
            self.touch(row, at)
            return current

    def put_phone(self, address_id: str, payload: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
        with self.store.lock:
            row, address = self._owner(address_id)
            ordinal = str(payload.get("OrdinalNumber") or "1")
            current = next((p for p in address["to_PhoneNumber"] if p["OrdinalNumber"] == ordinal), None)
            if current is None:
                current = _phone(address_id, address["Country"], payload, len(address["to_PhoneNumber"]))
                address["to_PhoneNumber"].append(current)
            else:
                current["PhoneNumber"] = str(payload.get("PhoneNumber", current["PhoneNumber"]))
            self.touch(row, at)
            return current

    def grant_role(self, number: str, role: str, at: datetime | None = None) -> dict[str, Any]:
        with self.store.lock:
            row = self.partner(number)
            granted = self._grant(row, role, _now(at))
            self.touch(row, at)
            return granted

    def replace_addresses(self, number: str, raw_addresses: list[dict[str, Any]], at: datetime | None = None) -> None:
        """An SAP user's edit of the partner's address list (the control API's, not the OData API's)."""
        with self.store.lock:
            row = self.partner(number)
            row["to_BusinessPartnerAddress"] = [self._address(number, raw, n) for n, raw in enumerate(raw_addresses)]
            self.touch(row, at)

    def touch(self, row: dict[str, Any], at: datetime | None = None) -> None:
        now = _now(at)
        row["LastChangeDate"], row["LastChangeTime"] = _split(now)
        row["LastChangedByUser"] = "SHOPIFY_SYNC"
        row["ETag"] = _etag(now)
        self.store.version += 1

    # --- helpers ---------------------------------------------------------------------------------

    def partner(self, number: str) -> dict[str, Any]:
        if number not in self.rows:
            raise KeyError(f"'A_BusinessPartner('{number}')'")
        return self.rows[number]

    def _check_etag(self, row: dict[str, Any], if_match: str | None) -> None:
        if not if_match:
            raise PreconditionError(428, "Precondition required: send the entity's ETag in If-Match")
        if if_match != "*" and if_match != etag_header(row):
            raise PreconditionError(412, "The entity was changed by another user: its ETag does not match")

    def _find_address(self, row: dict[str, Any], address_id: str) -> dict[str, Any]:
        for address in row["to_BusinessPartnerAddress"]:
            if address["AddressID"] == address_id:
                return address
        raise KeyError(
            f"'A_BusinessPartnerAddress(BusinessPartner='{row['BusinessPartner']}',AddressID='{address_id}')'"
        )

    def _owner(self, address_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        for row in self.rows.values():
            for address in row["to_BusinessPartnerAddress"]:
                if address["AddressID"] == address_id:
                    return row, address
        raise BusinessError("AM/002", f"Address {address_id} does not exist", "AddressID")

    def _grant(self, row: dict[str, Any], role: str, now: datetime) -> dict[str, Any]:
        if not role:
            raise BusinessError("R11/201", "Enter a value for BusinessPartnerRole", "BusinessPartnerRole")
        granted = {
            "BusinessPartner": row["BusinessPartner"],
            "BusinessPartnerRole": role,
            "ValidFrom": now,
            "ValidTo": _OPEN_END,
            "AuthorizationGroup": "",
        }
        row["to_BusinessPartnerRole"] = [r for r in row["to_BusinessPartnerRole"] if r["BusinessPartnerRole"] != role]
        row["to_BusinessPartnerRole"].append(granted)
        if role in CUSTOMER_ROLES and row["to_Customer"] is None:
            row["Customer"] = row["BusinessPartner"]
            row["to_Customer"] = {
                "Customer": row["BusinessPartner"],
                "CreatedByUser": "SHOPIFY_SYNC",
                "CreationDate": _split(now)[0],
                "CustomerAccountGroup": "CUST",
                "DeliveryIsBlocked": "",
                "OrderIsBlockedForCustomer": "",
                "DeletionIndicator": False,
            }
        if row["to_Customer"] is not None:
            row["to_Customer"]["CustomerName"] = row["BusinessPartnerName"][:80]
            row["to_Customer"]["CustomerFullName"] = row["BusinessPartnerFullName"]
        return granted

    def _names(self, row: dict[str, Any], source: dict[str, Any]) -> None:
        for name in ("FirstName", "LastName", "OrganizationBPName1", "OrganizationBPName2", "SearchTerm1"):
            row[name] = str(source.get(name) or "")
        row["BusinessPartnerIDByExtSystem"] = str(source.get("BusinessPartnerIDByExtSystem") or "")
        if len(row["BusinessPartnerIDByExtSystem"]) > 20:
            raise BusinessError(
                "/IWBEP/CM_MGW_RT/020",
                "Property 'BusinessPartnerIDByExtSystem' has an invalid value: maximum length 20 exceeded",
                "BusinessPartnerIDByExtSystem",
            )
        if row["BusinessPartnerCategory"] == "1":
            name = f"{row['FirstName']} {row['LastName']}".strip()
        else:
            name = f"{row['OrganizationBPName1']} {row['OrganizationBPName2']}".strip()
        row["BusinessPartnerName"] = row["BusinessPartnerFullName"] = name
        if row.get("to_Customer"):
            row["to_Customer"]["CustomerName"], row["to_Customer"]["CustomerFullName"] = name[:80], name

    def _address(
        self, number: str, raw: dict[str, Any], position: int, *, address_id: str | None = None
    ) -> dict[str, Any]:
        country, region, postal = check_address(raw, f"to_BusinessPartnerAddress({position})", self.countries)
        if address_id is None:
            self._next_address += 1
            address_id = str(self._next_address)
        address = {
            "BusinessPartner": number,
            "AddressID": address_id,
            "ValidityStartDate": datetime(2000, 1, 1),
            "ValidityEndDate": _OPEN_END,
            "AddressUUID": str(uuid.uuid4()),
            "Country": country,
            "Region": region,
            "PostalCode": postal,
            "Language": raw.get("Language") or "EN",
            **{
                k: str(raw.get(k) or "")
                for k in (
                    "AdditionalStreetPrefixName",
                    "CareOfName",
                    "CityName",
                    "HouseNumber",
                    "StreetName",
                    "StreetSuffixName",
                    "AddressIDByExternalSystem",
                )
            },
            "FullName": str(raw.get("CareOfName") or ""),
        }
        address["to_EmailAddress"] = [
            _email(address_id, e, n) for n, e in enumerate(results(raw.get("to_EmailAddress")))
        ]
        address["to_PhoneNumber"] = [
            _phone(address_id, country, p, n) for n, p in enumerate(results(raw.get("to_PhoneNumber")))
        ]
        return address


class PreconditionError(Exception):
    """412 (the ETag is stale) or 428 (no If-Match), as SAP Gateway answers a PATCH."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def etag_header(row: dict[str, Any]) -> str:
    """The weak ETag SAP sends in the ``etag`` header and in ``__metadata.etag``."""
    return f"W/\"'{row['ETag']}'\""


def _email(address_id: str, raw: dict[str, Any], n: int) -> dict[str, Any]:
    address = str(raw.get("EmailAddress") or "")
    if "@" not in address:
        raise BusinessError("AM/873", f"E-mail address {address!r} is not valid", "EmailAddress")
    return {
        "AddressID": address_id,
        "Person": "",
        "OrdinalNumber": str(raw.get("OrdinalNumber") or n + 1),
        "IsDefaultEmailAddress": n == 0,
        "EmailAddress": address,
        "SearchEmailAddress": address.upper()[:20],
        "AddressCommunicationRemarkText": "",
    }


def _phone(address_id: str, country: str, raw: dict[str, Any], n: int) -> dict[str, Any]:
    number = str(raw.get("PhoneNumber") or "")
    return {
        "AddressID": address_id,
        "Person": "",
        "OrdinalNumber": str(raw.get("OrdinalNumber") or n + 1),
        "DestinationLocationCountry": str(raw.get("DestinationLocationCountry") or country),
        "IsDefaultPhoneNumber": n == 0,
        "PhoneNumber": number,
        "PhoneNumberExtension": "",
        "InternationalPhoneNumber": number,
        "PhoneNumberType": "1",
        "AddressCommunicationRemarkText": "",
    }


def results(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return list(value.get("results", []))
    return list(value or [])


def _now(at: datetime | None) -> datetime:
    return (at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _split(moment: datetime) -> tuple[datetime, timedelta]:
    day = datetime(moment.year, moment.month, moment.day)
    return day, moment - day


def _etag(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S") + f".{uuid.uuid4().int % 10_000_000:07d}"
