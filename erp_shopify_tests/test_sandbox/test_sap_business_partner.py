"""The SAP sandbox's ``API_BUSINESS_PARTNER``: its own trimmed metadata keeps SAP's names, types and
lengths and SAP's own client reads it; a deep insert creates the partner with its customer role and
addresses; a PATCH needs the partner's current ETag; addresses are checked as SAP checks them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import httpx
import pyodata
import pytest
import requests

from erp_shopify_sandbox.sap import PASSWORD, USERNAME, SapSandbox
from erp_shopify_sandbox.sap.schema import service

AUTH = (USERNAME, PASSWORD)
SERVICE = "API_BUSINESS_PARTNER"
EDM = "{http://schemas.microsoft.com/ado/2008/09/edm}"
# Facts of SAP's published API_BUSINESS_PARTNER metadata the adapter relies on (name: (type, MaxLength)).
BUSINESS_PARTNER_EDMX_FACTS = {
    "A_BusinessPartner": {
        "BusinessPartner": ("Edm.String", "10"),
        "BusinessPartnerCategory": ("Edm.String", "1"),
        "BusinessPartnerIDByExtSystem": ("Edm.String", "20"),
        "FirstName": ("Edm.String", "40"),
        "LastName": ("Edm.String", "40"),
        "OrganizationBPName1": ("Edm.String", "40"),
        "SearchTerm1": ("Edm.String", "20"),
        "CreationDate": ("Edm.DateTime", None),
        "CreationTime": ("Edm.Time", None),
        "LastChangeDate": ("Edm.DateTime", None),
        "LastChangeTime": ("Edm.Time", None),
        "ETag": ("Edm.String", "26"),
    },
    "A_BusinessPartnerAddress": {
        "AddressID": ("Edm.String", "10"),
        "CareOfName": ("Edm.String", "40"),
        "AdditionalStreetPrefixName": ("Edm.String", "40"),
        "StreetName": ("Edm.String", "60"),
        "StreetSuffixName": ("Edm.String", "40"),
        "CityName": ("Edm.String", "40"),
        "PostalCode": ("Edm.String", "10"),
        "Region": ("Edm.String", "3"),
        "Country": ("Edm.String", "3"),
    },
    "A_AddressEmailAddress": {"EmailAddress": ("Edm.String", "241"), "OrdinalNumber": ("Edm.String", "3")},
    "A_AddressPhoneNumber": {"PhoneNumber": ("Edm.String", "30"), "OrdinalNumber": ("Edm.String", "3")},
    "A_BusinessPartnerRole": {"BusinessPartnerRole": ("Edm.String", "6")},
    "A_Customer": {"Customer": ("Edm.String", "10")},
}
ADA = {
    "BusinessPartnerCategory": "1",
    "FirstName": "Ada",
    "LastName": "Lovelace",
    "BusinessPartnerIDByExtSystem": "C-1001",
    "to_BusinessPartnerRole": [{"BusinessPartnerRole": "FLCU01"}],
    "to_BusinessPartnerAddress": [
        {
            "StreetName": "12 St James's Sq",
            "CityName": "London",
            "PostalCode": "SW1Y 4JH",
            "Country": "GB",
            "to_EmailAddress": [{"EmailAddress": "ada@example.com"}],
            "to_PhoneNumber": [{"PhoneNumber": "+44 20 7946 0000"}],
        }
    ],
}


@pytest.fixture
def sandbox() -> Iterator[SapSandbox]:
    running = SapSandbox().start()
    yield running
    running.stop()


@pytest.fixture
def client(sandbox: SapSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{sandbox.odata_url}/{SERVICE}/", auth=AUTH, headers={"Accept": "application/json"}
    ) as http:
        token = http.get("", headers={"X-CSRF-Token": "Fetch"}).headers["x-csrf-token"]
        http.headers["X-CSRF-Token"] = token
        yield http


def _create(client: httpx.Client, payload: dict[str, Any]) -> httpx.Response:
    return client.post("A_BusinessPartner", json=payload)


def test_business_partner_metadata_keeps_sap_names_types_and_lengths(client: httpx.Client) -> None:
    schema = next(ET.fromstring(client.get("$metadata").content).iter(f"{EDM}Schema"))
    declared = {
        t.get("Name"): {p.get("Name"): (p.get("Type"), p.get("MaxLength")) for p in t.iter(f"{EDM}Property")}
        for t in schema.iter(f"{EDM}EntityType")
    }
    for entity_set, facts in BUSINESS_PARTNER_EDMX_FACTS.items():
        assert {name: declared[f"{entity_set}Type"][name] for name in facts} == facts
    sets = service(SERVICE).sets
    assert sets["A_BusinessPartner"].navigation["to_Customer"] == ("A_Customer", False)
    assert sets["A_BusinessPartnerAddress"].navigation["to_EmailAddress"] == ("A_AddressEmailAddress", True)


def test_a_deep_insert_creates_the_partner_its_customer_role_and_addresses(client: httpx.Client) -> None:
    created = _create(client, ADA)
    assert created.status_code == 201
    body = created.json()["d"]
    number = body["BusinessPartner"]
    assert body["to_Customer"]["Customer"] == number  # the customer role makes a customer of that number
    [address] = body["to_BusinessPartnerAddress"]["results"]
    assert address["to_EmailAddress"]["results"][0]["EmailAddress"] == "ada@example.com"
    assert body["LastChangeDate"] is None and body["CreationDate"].startswith("/Date(")  # never changed yet
    served = {k for k in body if not k.startswith(("__", "to_"))}
    assert served == set(service(SERVICE).sets["A_BusinessPartner"].properties)


def test_sap_own_client_reads_partners_with_addresses_and_customer(sandbox: SapSandbox, client: httpx.Client) -> None:
    _create(client, ADA).raise_for_status()
    session = requests.Session()
    session.auth = AUTH
    partners = pyodata.Client(f"{sandbox.odata_url}/{SERVICE}/", session)
    query = partners.entity_sets.A_BusinessPartner.get_entities().filter("BusinessPartnerIDByExtSystem eq 'C-1001'")
    [ada] = query.expand("to_BusinessPartnerAddress,to_Customer").execute()
    assert (ada.FirstName, ada.LastName) == ("Ada", "Lovelace")
    assert [a.PostalCode for a in ada.to_BusinessPartnerAddress] == ["SW1Y 4JH"]
    assert ada.to_Customer.Customer == ada.BusinessPartner
    session.close()


def test_a_patch_needs_the_current_etag(client: httpx.Client) -> None:
    number = _create(client, ADA).json()["d"]["BusinessPartner"]
    read = client.get(f"A_BusinessPartner('{number}')")
    etag = read.headers["etag"]
    assert etag == read.json()["d"]["__metadata"]["etag"]
    url = f"A_BusinessPartner('{number}')"
    assert client.patch(url, json={"LastName": "King"}).status_code == 428
    assert client.patch(url, json={"LastName": "King"}, headers={"If-Match": etag}).status_code == 204
    stale = client.patch(url, json={"LastName": "Byron"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["error"]["message"]["lang"] == "en"
    changed = client.get(url).json()["d"]
    assert changed["LastName"] == "King" and changed["LastChangeDate"] is not None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("Country", "XX", "Country/Region key XX does not exist"),
        ("Region", "ZZ", "Region ZZ is not defined for country/region GB"),
        ("PostalCode", "12345", "Postal code 12345 does not have the format of country/region GB"),
    ],
)
def test_an_address_sap_would_refuse_is_a_400_naming_the_field(
    client: httpx.Client, sandbox: SapSandbox, field: str, value: str, message: str
) -> None:
    [address] = ADA["to_BusinessPartnerAddress"]
    refused = _create(client, {**ADA, "to_BusinessPartnerAddress": [{**address, field: value}]})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["message"]["value"] == message
    assert error["innererror"]["errordetails"][0]["target"].endswith(f"/{field}")
    assert [n for n, r in sandbox.store.partners.rows.items() if r["LastName"]] == []  # nothing of it kept


def test_an_order_refuses_a_sold_to_party_without_the_customer_role_and_sap_client_reads_partners(
    sandbox: SapSandbox, client: httpx.Client
) -> None:
    sandbox.store.add_material("M1")
    order = {
        "SalesOrderType": "OR",
        "SalesOrganization": "1010",
        "DistributionChannel": "10",
        "OrganizationDivision": "00",
        "SoldToParty": "4711",
        "PurchaseOrderByCustomer": "partners-1",
        "to_Item": [{"Material": "M1", "RequestedQuantity": "1"}],
    }
    orders = f"{sandbox.odata_url}/API_SALES_ORDER_SRV/A_SalesOrder"
    refused = client.post(orders, json=order)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "V1/004"
    number = _create(client, ADA).json()["d"]["BusinessPartner"]
    ship_to = {
        "PartnerFunction": "SH",
        "Customer": number,
        "to_Address": [{"StreetName": "1 Dock Rd", "Country": "GB"}],
    }
    client.post(orders, json={**order, "SoldToParty": number, "to_Partner": [ship_to]}).raise_for_status()
    session = requests.Session()
    session.auth = AUTH
    sales = pyodata.Client(f"{sandbox.odata_url}/API_SALES_ORDER_SRV/", session)
    [created] = sales.entity_sets.A_SalesOrder.get_entities().expand("to_Partner/to_Address").execute()
    functions = {p.PartnerFunction: (p.Customer, [a.StreetName for a in p.to_Address]) for p in created.to_Partner}
    assert functions == {"SP": (number, []), "SH": (number, ["1 Dock Rd"])}
    session.close()
