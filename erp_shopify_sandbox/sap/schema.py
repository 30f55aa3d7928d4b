"""The services the SAP sandbox serves, read from its own trimmed copies of SAP's published EDMX
(package data), so the JSON it answers has exactly the names and types its ``$metadata`` declares."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

SERVICES = (
    "API_MATERIAL_DOCUMENT_SRV",
    "API_MATERIAL_STOCK_SRV",
    "API_SLSPRICINGCONDITIONRECORD_SRV",
    "API_SALES_ORDER_SRV",
    "API_OUTBOUND_DELIVERY_SRV",
    "API_PRODUCT_SRV",
    "API_BUSINESS_PARTNER",
)
_EDM = "{http://schemas.microsoft.com/ado/2008/09/edm}"


@dataclass(frozen=True)
class Property:
    name: str
    edm_type: str  # "Edm.String", "Edm.DateTime", ...
    scale: int | None = None


@dataclass(frozen=True)
class EntitySet:
    name: str
    type_name: str  # qualified: "API_SALES_ORDER_SRV.A_SalesOrderType"
    keys: tuple[str, ...]
    properties: dict[str, Property]
    navigation: dict[str, tuple[str, bool]] = field(default_factory=dict)  # name -> (target set, to-many)


@dataclass(frozen=True)
class Service:
    name: str
    metadata: bytes
    sets: dict[str, EntitySet]


@cache
def service(name: str) -> Service:
    xml = resources.files("erp_shopify_sandbox.sap").joinpath(f"metadata/{name}.xml").read_bytes()
    schema = next(ET.fromstring(xml).iter(f"{_EDM}Schema"))
    namespace = schema.get("Namespace", name)
    ends: dict[tuple[str, str], tuple[str, bool]] = {}
    for association in schema.iter(f"{_EDM}Association"):
        for end in association.iter(f"{_EDM}End"):
            ends[(association.get("Name", ""), end.get("Role", ""))] = (
                end.get("Type", "").split(".")[-1],
                end.get("Multiplicity") == "*",
            )
    container = schema.find(f"{_EDM}EntityContainer")
    assert container is not None, f"{name}: no EntityContainer"
    set_of_type = {
        s.get("EntityType", "").split(".")[-1]: s.get("Name", "") for s in container.iter(f"{_EDM}EntitySet")
    }
    sets: dict[str, EntitySet] = {}
    for entity_type in schema.iter(f"{_EDM}EntityType"):
        type_name = entity_type.get("Name", "")
        properties = {
            p.get("Name", ""): Property(
                p.get("Name", ""), p.get("Type", ""), int(p.get("Scale", "0")) if p.get("Scale") else None
            )
            for p in entity_type.iter(f"{_EDM}Property")
        }
        navigation = {}
        for nav in entity_type.iter(f"{_EDM}NavigationProperty"):
            target, many = ends[(nav.get("Relationship", "").split(".")[-1], nav.get("ToRole", ""))]
            navigation[nav.get("Name", "")] = (set_of_type[target], many)
        keys = tuple(ref.get("Name", "") for ref in entity_type.iter(f"{_EDM}PropertyRef"))
        set_name = set_of_type[type_name]
        sets[set_name] = EntitySet(set_name, f"{namespace}.{type_name}", keys, properties, navigation)
    return Service(name, xml, sets)
