"""The Oracle sandbox's Customer Data Management parties: persons (``hubPersons``) and
organizations (``hubOrganizations``), each with its ``Address`` child, as rows in the resources'
attribute names. Party numbers are unique across both, as in the Trading Community registry.

A party created with ``SourceSystem`` and ``SourceSystemReferenceValue`` keeps them, so a client
finds it again by that reference. Every write to a party or one of its addresses stamps the
party's ``LastUpdateDate`` (strictly increasing). An address whose ``Country`` is no territory
code is refused, and nothing of the request is kept.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Any

from erp_shopify_sandbox.oracle.catalog import Stamps

_CODES = (
    "AC AD AE AF AG AI AL AM AN AO AR AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS "
    "BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE "
    "EG EH ER ES ET FI FJ FK FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GW GY HK HM HN HR "
    "HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK "
    "LR LS LT LU LV LY MA MC MD ME MF MG MK ML MM MN MO MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG "
    "NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PS PT PY QA RE RO RS RU RW SA SB SC SD SE SG "
    "SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ "
    "UA UG UM US UY UZ VA VC VE VG VN VU WF WS XK YE YT ZA ZM ZW "
)
TERRITORIES = frozenset(_CODES.split())  # ISO 3166-1 alpha-2, as Oracle names territories
PERSON_FIELDS = ("FirstName", "LastName", "EmailAddress", "PhoneNumber")
ORGANIZATION_FIELDS = ("OrganizationName", "EmailAddress", "PhoneNumber")
ADDRESS_FIELDS = ("Address1", "Address2", "City", "PostalCode", "State", "Country")


class PartyError(ValueError):
    """A request Oracle would refuse (400) with this detail and error code."""

    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail)
        self.code = code


def party_ids() -> Iterator[int]:
    """The pod's party ids: one sequence for persons, organizations and their addresses."""
    return itertools.count(100001)


class Parties:
    """Persons or organizations: ``fields`` are the attributes a create or a patch sets."""

    def __init__(
        self, lock: threading.RLock, stamps: Stamps, ids: Iterator[int], fields: tuple[str, ...] = PERSON_FIELDS
    ) -> None:
        self.lock, self.stamps, self.ids, self.fields = lock, stamps, ids, fields
        self.persons: dict[str, dict[str, Any]] = {}  # by PartyNumber
        self._next = 0

    def _number(self) -> str:
        self._next = next(self.ids)
        return f"CDRM_{self._next}"

    @staticmethod
    def _address(body: dict[str, Any]) -> dict[str, Any]:
        country = body.get("Country")
        if country not in TERRITORIES:
            raise PartyError(
                f"The value {country} of the attribute Country isn't a valid territory code.", "HZ-COUNTRY"
            )
        return {name: body.get(name) for name in ADDRESS_FIELDS}

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            addresses = [self._address(a) for a in body.get("Address") or []]  # all checked before anything is kept
            number = self._number()
            person: dict[str, Any] = {
                "PartyNumber": number,
                "PartyId": self._next,
                **{name: body.get(name) for name in self.fields},
                "SourceSystem": body.get("SourceSystem"),
                "SourceSystemReferenceValue": body.get("SourceSystemReferenceValue"),
                "CreationDate": self.stamps.next(),
                "Address": [{**address, "AddressNumber": self._number()} for address in addresses],
            }
            person["LastUpdateDate"] = self.stamps.next()
            self.persons[number] = person
            return person

    def update(self, number: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            person = self.persons[number]
            person.update({name: body[name] for name in self.fields if name in body})
            person["LastUpdateDate"] = self.stamps.next()
            return person

    def add_address(self, number: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            address = {**self._address(body), "AddressNumber": self._number()}
            person = self.persons[number]
            person["Address"].append(address)
            person["LastUpdateDate"] = self.stamps.next()
            return address

    def rows(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{**p, "Address": [dict(a) for a in p["Address"]]} for p in self.persons.values()]

    def count(self, reference: str) -> int:
        with self.lock:
            return sum(1 for p in self.persons.values() if p.get("SourceSystemReferenceValue") == reference)
