"""The address checks SAP runs on a business partner address (country, region, postal code), with
the country settings of the countries the sandbox knows. SAP's own settings cover every country;
the sandbox knows the ones below and refuses any other as an unknown country."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from erp_shopify_sandbox.sap.records import BusinessError

# Countries the sandbox knows, with the postal code format SAP's country settings check (None: no check)
POSTAL_FORMATS: dict[str, str | None] = {
    "US": r"\d{5}(-\d{4})?",
    "CA": r"[A-Z]\d[A-Z] \d[A-Z]\d",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "IT": r"\d{5}",
    "ES": r"\d{5}",
    "NL": r"\d{4} ?[A-Z]{2}",
    "AT": r"\d{4}",
    "CH": r"\d{4}",
    "BE": r"\d{4}",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}",
    "IE": None,
    "AU": r"\d{4}",
    "JP": r"\d{3}-\d{4}",
}
# Regions the sandbox knows per country; a country absent here accepts no region
REGIONS: dict[str, frozenset[str]] = {
    "US": frozenset(
        [
            "AL",
            "AK",
            "AZ",
            "AR",
            "CA",
            "CO",
            "CT",
            "DE",
            "DC",
            "FL",
            "GA",
            "HI",
            "ID",
            "IL",
            "IN",
            "IA",
            "KS",
            "KY",
            "LA",
            "ME",
            "MD",
            "MA",
            "MI",
            "MN",
            "MS",
            "MO",
            "MT",
            "NE",
            "NV",
            "NH",
            "NJ",
            "NM",
            "NY",
            "NC",
            "ND",
            "OH",
            "OK",
            "OR",
            "PA",
            "RI",
            "SC",
            "SD",
            "TN",
            "TX",
            "UT",
            "VT",
            "VA",
            "WA",
            "WV",
            "WI",
            "WY",
        ]
    ),
    "CA": frozenset(["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"]),
    "DE": frozenset(f"{n:02d}" for n in range(1, 17)),
    "AU": frozenset(["ACT", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA"]),
}


def check_address(
    raw: dict[str, Any], target: str, countries: Mapping[str, str | None] = POSTAL_FORMATS
) -> tuple[str, str, str]:
    """The address's country, region and postal code, upper-cased, or the BusinessError SAP answers
    (``countries``: the countries SAP's settings define, with their postal code formats)."""
    country = str(raw.get("Country") or "").upper()
    if not country:
        raise BusinessError("AM/228", "Enter a country/region", f"{target}/Country")
    if country not in countries:
        raise BusinessError("AM/216", f"Country/Region key {country} does not exist", f"{target}/Country")
    region = str(raw.get("Region") or "").upper()
    if region and region not in REGIONS.get(country, frozenset()):
        raise BusinessError(
            "AM/217", f"Region {region} is not defined for country/region {country}", f"{target}/Region"
        )
    postal = str(raw.get("PostalCode") or "").upper()
    pattern = countries[country]
    if postal and pattern and not re.fullmatch(pattern, postal):
        raise BusinessError(
            "AM/213",
            f"Postal code {postal} does not have the format of country/region {country}",
            f"{target}/PostalCode",
        )
    return country, region, postal
