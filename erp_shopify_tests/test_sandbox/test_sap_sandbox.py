"""The SAP sandbox speaks SAP Gateway's OData v2: its own metadata, read by SAP's own Python client
(pyodata), CSRF and basic auth on the wire, server paging, query options and SAP error bodies."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pyodata
import pytest
import requests

from erp_shopify_sandbox.faults import Faults
from erp_shopify_sandbox.sap import PASSWORD, USERNAME, SapSandbox, start
from erp_shopify_sandbox.sap.schema import SERVICES, service

AUTH = (USERNAME, PASSWORD)
DOCS = "API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader"


@pytest.fixture
def sandbox() -> Iterator[SapSandbox]:
    running = SapSandbox(faults=Faults(seed=1), page_size=5).start()
    httpx.post(
        f"{running.url}/_sandbox/seed",
        json={
            "materials": ["M1", "M2"],
            "stock": [{"material": "M1", "quantity": 10}, {"material": "M2", "plant": "1710", "quantity": 4}],
            "movements": [
                {
                    "material": "M1" if n % 2 else "M2",
                    "quantity": 1,
                    "movement_type": "501",
                    "at": (datetime(2026, 11, 27, 10, 0, tzinfo=UTC) + timedelta(minutes=n)).isoformat(),
                }
                for n in range(12)
            ],
        },
    ).raise_for_status()
    yield running
    running.stop()


@pytest.fixture
def client(sandbox: SapSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.odata_url + "/", auth=AUTH, headers={"Accept": "application/json"}) as http:
        yield http


def test_sap_own_client_reads_the_sandbox_metadata_and_entities(sandbox: SapSandbox) -> None:
    session = requests.Session()
    session.auth = AUTH
    documents = pyodata.Client(f"{sandbox.odata_url}/API_MATERIAL_DOCUMENT_SRV/", session)
    first = documents.entity_sets.A_MaterialDocumentHeader.get_entities().top(1).expand("to_MaterialDocumentItem")
    [header] = first.execute()
    assert header.MaterialDocument == "4900000001"
    assert [item.Material for item in header.to_MaterialDocumentItem] == ["M2"]
    session.close()


def test_every_served_property_is_declared_in_metadata_with_its_json_shape(client: httpx.Client) -> None:
    declared = service("API_MATERIAL_DOCUMENT_SRV").sets
    body = client.get(DOCS, params={"$top": "1", "$expand": "to_MaterialDocumentItem"}).json()["d"]["results"][0]
    header_names = {k for k in body if not k.startswith("__") and not k.startswith("to_")}
    item = body["to_MaterialDocumentItem"]["results"][0]
    assert header_names == set(declared["A_MaterialDocumentHeader"].properties)
    assert {k for k in item if not k.startswith("__") and not k.startswith("to_")} == set(
        declared["A_MaterialDocumentItem"].properties
    )
    assert body["CreationDate"] == "/Date(1795737600000)/" and body["CreationTime"] == "PT10H00M00S"
    assert item["QuantityInBaseUnit"] == "1.000"  # Edm.Decimal as a string at its declared scale
    assert body["__metadata"]["type"] == "API_MATERIAL_DOCUMENT_SRV.A_MaterialDocumentHeaderType"


def test_each_service_serves_its_own_edmx(client: httpx.Client) -> None:
    for name in SERVICES:
        response = client.get(f"{name}/$metadata")
        schema = next(ET.fromstring(response.content).iter("{http://schemas.microsoft.com/ado/2008/09/edm}Schema"))
        assert schema.get("Namespace") == name


def test_server_pages_with_next_links_and_counts_all_pages(client: httpx.Client) -> None:
    first = client.get(DOCS, params={"$inlinecount": "allpages"}).json()["d"]
    second = client.get(first["__next"]).json()["d"]
    third = client.get(second["__next"]).json()["d"]
    assert first["__count"] == "12"
    assert [len(first["results"]), len(second["results"]), len(third["results"])] == [5, 5, 2]
    assert "__next" not in third


def test_filter_with_datetime_and_time_literals_parentheses_and_not(client: httpx.Client) -> None:
    expression = (
        "(CreationDate eq datetime'2026-11-27T00:00:00' and CreationTime ge time'PT10H09M00S')"
        " or MaterialDocument eq '4900000001' and not (MaterialDocumentYear ne '2026')"
    )
    rows = client.get(DOCS, params={"$filter": expression, "$select": "MaterialDocument"}).json()["d"]["results"]
    assert [r["MaterialDocument"] for r in rows] == ["4900000001", "4900000010", "4900000011", "4900000012"]
    assert set(rows[0]) == {"__metadata", "MaterialDocument"}


def test_orderby_descending_with_top_and_skip(client: httpx.Client) -> None:
    params = {"$orderby": "CreationTime desc", "$top": "2", "$skip": "1", "$select": "MaterialDocument"}
    rows = client.get(DOCS, params=params).json()["d"]["results"]
    assert [r["MaterialDocument"] for r in rows] == ["4900000011", "4900000010"]


def test_unknown_property_in_filter_is_a_400_with_an_sap_error_body(client: httpx.Client) -> None:
    response = client.get(DOCS, params={"$filter": "Colour eq 'red'"})
    assert response.status_code == 400
    assert "Colour" in response.json()["error"]["message"]["value"]


def test_writes_need_the_csrf_token_of_the_same_session(client: httpx.Client, sandbox: SapSandbox) -> None:
    order = {
        "SalesOrderType": "OR",
        "SalesOrganization": "1010",
        "DistributionChannel": "10",
        "OrganizationDivision": "00",
        "SoldToParty": "1000001",
        "PurchaseOrderByCustomer": "csrf-test",
        "to_Item": [{"Material": "M1", "RequestedQuantity": "1"}],
    }
    refused = client.post("API_SALES_ORDER_SRV/A_SalesOrder", json=order)
    assert (refused.status_code, refused.headers["x-csrf-token"]) == (403, "Required")
    token = client.get("API_SALES_ORDER_SRV/", headers={"X-CSRF-Token": "Fetch"}).headers["x-csrf-token"]
    created = client.post("API_SALES_ORDER_SRV/A_SalesOrder", json=order, headers={"X-CSRF-Token": token})
    assert created.status_code == 201
    assert created.json()["d"]["to_Item"]["results"][0]["Material"] == "M1"
    stranger = httpx.post(
        f"{sandbox.odata_url}/API_SALES_ORDER_SRV/A_SalesOrder", json=order, auth=AUTH, headers={"X-CSRF-Token": token}
    )  # right token, but no session cookie
    assert stranger.status_code == 403


def test_wrong_password_is_401(sandbox: SapSandbox) -> None:
    response = httpx.get(f"{sandbox.odata_url}/{DOCS}", auth=(USERNAME, "nope"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "/IWFND/CM_CONSUMER/101"


def test_injected_outage_answers_with_an_sap_error_body(client: httpx.Client, sandbox: SapSandbox) -> None:
    httpx.put(f"{sandbox.url}/_sandbox/faults", json={"error_rate": 1.0, "error_status": 503}).raise_for_status()
    response = client.get(DOCS)
    assert response.status_code == 503
    assert response.json()["error"]["message"]["lang"] == "en"


def test_sales_order_commits_before_a_lost_answer(client: httpx.Client, sandbox: SapSandbox) -> None:
    token = client.get("API_SALES_ORDER_SRV/", headers={"X-CSRF-Token": "Fetch"}).headers["x-csrf-token"]
    httpx.put(f"{sandbox.url}/_sandbox/faults", json={"timeout_after_commit_rate": 1.0, "hang_seconds": 1.0})
    order = {
        "SalesOrderType": "OR",
        "SalesOrganization": "1010",
        "DistributionChannel": "10",
        "OrganizationDivision": "00",
        "SoldToParty": "1000001",
        "PurchaseOrderByCustomer": "lost-1",
        "to_Item": [{"Material": "M2", "RequestedQuantity": "3"}],
    }
    with pytest.raises(httpx.ReadTimeout):
        client.post("API_SALES_ORDER_SRV/A_SalesOrder", json=order, headers={"X-CSRF-Token": token}, timeout=0.3)
    orders = httpx.get(f"{sandbox.url}/_sandbox/orders", params={"purchase_order_by_customer": "lost-1"}).json()
    stock = httpx.get(f"{sandbox.url}/_sandbox/stock", params={"material": "M2"}).json()
    assert orders["count"] == 1
    by_plant = {row["Plant"]: float(row["MatlWrhsStkQtyInMatlBaseUnit"]) for row in stock}
    assert by_plant == {"1710": 4, "1010": 6 - 3}  # the goods issue drew on the first plant holding stock


def test_unknown_material_in_an_order_is_refused_with_sap_message(client: httpx.Client) -> None:
    token = client.get("API_SALES_ORDER_SRV/", headers={"X-CSRF-Token": "Fetch"}).headers["x-csrf-token"]
    order = {
        "SalesOrderType": "OR",
        "SalesOrganization": "1010",
        "DistributionChannel": "10",
        "OrganizationDivision": "00",
        "SoldToParty": "1000001",
        "PurchaseOrderByCustomer": "bad",
        "to_Item": [{"Material": "GHOST", "RequestedQuantity": "1"}],
    }
    response = client.post("API_SALES_ORDER_SRV/A_SalesOrder", json=order, headers={"X-CSRF-Token": token})
    assert response.status_code == 400
    assert response.json()["error"]["message"]["value"].startswith("Material GHOST is not defined")


def test_start_serves_the_sandbox_the_cli_describes() -> None:
    running = start(0, Faults())
    try:
        described = running.describe()
        response = httpx.get(f"{described['SAP OData base_url']}/API_MATERIAL_STOCK_SRV/", auth=AUTH)
        assert response.json()["d"]["EntitySets"] == ["A_MatlStkInAcctMod"]
    finally:
        running.stop()


def test_order_without_a_manual_price_is_priced_from_the_customer_condition(
    client: httpx.Client, sandbox: SapSandbox
) -> None:
    httpx.put(
        f"{sandbox.url}/_sandbox/conditions",
        json=[
            {"material": "M1", "rate": "2000", "quantity": 100, "currency": "EUR"},
            {"material": "M1", "customer": "1000042", "rate": "15", "currency": "EUR"},
        ],
    ).raise_for_status()
    httpx.put(
        f"{sandbox.url}/_sandbox/business-partners",
        json=[{"number": "1000042", "organization": "Key account", "addresses": [{"Country": "DE"}]}],
    ).raise_for_status()
    token = client.get("API_SALES_ORDER_SRV/", headers={"X-CSRF-Token": "Fetch"}).headers["x-csrf-token"]
    totals = []
    for sold_to in ("1000001", "1000042"):
        order = {
            "SalesOrderType": "OR",
            "SalesOrganization": "1010",
            "DistributionChannel": "10",
            "OrganizationDivision": "00",
            "SoldToParty": sold_to,
            "PurchaseOrderByCustomer": f"list-{sold_to}",
            "TransactionCurrency": "EUR",
            "to_Item": [{"Material": "M1", "RequestedQuantity": "2"}],
        }
        created = client.post("API_SALES_ORDER_SRV/A_SalesOrder", json=order, headers={"X-CSRF-Token": token})
        totals.append(created.json()["d"]["TotalNetAmount"])
    assert totals == ["40.000", "30.000"]


def test_outbound_deliveries_are_served_as_their_own_metadata_declares_and_sap_own_client_reads_them(
    sandbox: SapSandbox, client: httpx.Client
) -> None:
    order = sandbox.store.create_sales_order(
        {
            "SalesOrderType": "OR",
            "SalesOrganization": "1010",
            "DistributionChannel": "10",
            "OrganizationDivision": "00",
            "SoldToParty": "1000001",
            "PurchaseOrderByCustomer": "shop-a-1",
            "to_Item": [{"Material": "M2", "RequestedQuantity": "3"}],
        }
    )
    delivery = sandbox.store.deliveries.ship(order["SalesOrder"], {"M2": Decimal(2)}, bill_of_lading="BOL-1")
    declared = service("API_OUTBOUND_DELIVERY_SRV").sets
    url = "API_OUTBOUND_DELIVERY_SRV/A_OutbDeliveryHeader"
    body = client.get(url, params={"$expand": "to_DeliveryDocumentItem"}).json()["d"]["results"][0]
    assert {k for k in body if not k.startswith(("__", "to_"))} == set(declared["A_OutbDeliveryHeader"].properties)
    assert (body["OverallGoodsMovementStatus"], body["BillOfLading"]) == ("C", "BOL-1")
    (item,) = body["to_DeliveryDocumentItem"]["results"]
    assert (item["ReferenceSDDocument"], item["ActualDeliveryQuantity"]) == (order["SalesOrder"], "2.000")
    filtered = client.get(url, params={"$filter": "LastChangeDate ge datetime'2000-01-01T00:00:00'"}).json()
    assert [r["DeliveryDocument"] for r in filtered["d"]["results"]] == [delivery["DeliveryDocument"]]
    session = requests.Session()
    session.auth = AUTH
    deliveries = pyodata.Client(f"{sandbox.odata_url}/API_OUTBOUND_DELIVERY_SRV/", session)
    [header] = deliveries.entity_sets.A_OutbDeliveryHeader.get_entities().expand("to_DeliveryDocumentItem").execute()
    assert [i.Material for i in header.to_DeliveryDocumentItem] == ["M2"]
    session.close()


# Facts of SAP's published API_PRODUCT_SRV metadata that the adapter relies on (name: (type, MaxLength)).
PRODUCT_EDMX_FACTS = {
    "A_Product": {
        "Product": ("Edm.String", "40"),
        "LastChangeDateTime": ("Edm.DateTimeOffset", None),
        "IsMarkedForDeletion": ("Edm.Boolean", None),
        "CrossPlantConfigurableProduct": ("Edm.String", "40"),
        "SizeOrDimensionText": ("Edm.String", "32"),
        "ProductStandardID": ("Edm.String", "18"),
        "GrossWeight": ("Edm.Decimal", None),
        "WeightUnit": ("Edm.String", "3"),
        "Brand": ("Edm.String", "4"),
        "ProductGroup": ("Edm.String", "9"),
    },
    "A_ProductDescription": {
        "Product": ("Edm.String", "40"),
        "Language": ("Edm.String", "2"),
        "ProductDescription": ("Edm.String", "40"),
    },
}


def test_product_service_metadata_keeps_sap_names_types_and_lengths(client: httpx.Client) -> None:
    schema = next(
        ET.fromstring(client.get("API_PRODUCT_SRV/$metadata").content).iter(
            "{http://schemas.microsoft.com/ado/2008/09/edm}Schema"
        )
    )
    edm = "{http://schemas.microsoft.com/ado/2008/09/edm}"
    declared = {
        t.get("Name"): {p.get("Name"): (p.get("Type"), p.get("MaxLength")) for p in t.iter(f"{edm}Property")}
        for t in schema.iter(f"{edm}EntityType")
    }
    for entity_set, facts in PRODUCT_EDMX_FACTS.items():
        assert {name: declared[f"{entity_set}Type"][name] for name in facts} == facts
    assert service("API_PRODUCT_SRV").sets["A_Product"].navigation["to_Description"] == ("A_ProductDescription", True)


def test_sap_own_client_reads_products_with_their_descriptions(sandbox: SapSandbox) -> None:
    httpx.put(
        f"{sandbox.url}/_sandbox/products",
        json=[{"product": "TEE", "description": "Blue tee", "at": "2026-11-27T10:00:00.123+00:00"}],
    ).raise_for_status()
    session = requests.Session()
    session.auth = AUTH
    products = pyodata.Client(f"{sandbox.odata_url}/API_PRODUCT_SRV/", session)
    [tee] = products.entity_sets.A_Product.get_entities().expand("to_Description").execute()
    assert tee.Product == "TEE" and tee.IsMarkedForDeletion is False
    assert tee.LastChangeDateTime == datetime(2026, 11, 27, 10, 0, 0, 123000, tzinfo=UTC)
    assert [(d.Language, d.ProductDescription) for d in tee.to_Description] == [("EN", "Blue tee")]
    session.close()


def test_every_served_product_property_is_declared(client: httpx.Client, sandbox: SapSandbox) -> None:
    httpx.put(f"{sandbox.url}/_sandbox/products", json=[{"product": "MUG", "gross_weight": "0.350"}])
    row = client.get("API_PRODUCT_SRV/A_Product('MUG')").json()["d"]
    names = {k for k in row if not k.startswith("__") and not k.startswith("to_")}
    assert names == set(service("API_PRODUCT_SRV").sets["A_Product"].properties)
    assert row["GrossWeight"] == "0.350" and row["LastChangeDateTime"].endswith("+0000)/")
