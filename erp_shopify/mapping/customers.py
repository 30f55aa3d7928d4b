"""Shopify customer and B2B webhooks -> the ERP customer: pure functions, no I/O.

The payload models read ``customers/create|update`` and ``company_locations/create|update``
tolerantly (unknown fields ignored) and key every object on its ``admin_graphql_api_id``. A
customer becomes one ``CustomerRecord`` (its addresses, the default first); a company location
becomes one with ``kind="company_location"``: the company's name, the location's shipping address
and, when it differs, its billing address. ``companies/*`` carry no address, so they send nothing:
a company reaches the ERP with its locations. An order's customer (``order_customer``) is the
customer or, for a B2B order, its company location, with the order's ship-to.

The external reference is ``<shop>-C<id>`` for a customer and ``<shop>-L<id>`` for a company
location (``orders.external_ref``: at most 35 characters, the same for every event), so a
customer of two shops is two ERP customers, as it is two Shopify customers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from erp_shopify.errors import DataError
from erp_shopify.mapping.orders import NothingToSend, ShopifyAddress, external_ref, legacy_id, parse_payload
from erp_shopify.policy import COMPANY_TOPICS, CUSTOMER_TOPICS, LOCATION_TOPICS
from erp_shopify.records import Address, CustomerRecord, ErpDocument

CUSTOMER_KIND, LOCATION_KIND = "C", "L"
GUARDED_FIELDS = ("first_name", "last_name", "company", "email", "phone")


class _Payload(BaseModel):
    """Tolerant, like the order models: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class CustomerAddress(ShopifyAddress):
    default: bool = False


class OrderCustomer(_Payload):
    """The customer as an order shows it (and the core of a ``customers/*`` payload)."""

    admin_graphql_api_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None


class CustomerPayload(OrderCustomer):
    admin_graphql_api_id: str
    updated_at: datetime | None = None
    addresses: list[CustomerAddress] = []
    default_address: CustomerAddress | None = None


class CompanyPayload(_Payload):
    admin_graphql_api_id: str | None = None
    name: str | None = None


class LocationAddress(_Payload):
    """A company location's address: ``recipient`` is the person, ``zone_code`` the province."""

    recipient: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    zip: str | None = None
    zone_code: str | None = None
    country_code: str | None = None
    phone: str | None = None

    def to_erp(self, company: str) -> Address:
        person = self.recipient or " ".join(p for p in (self.first_name, self.last_name) if p)
        renamed = {"name": person, "company": company, "province_code": self.zone_code}
        return ShopifyAddress.model_validate(self.model_dump() | renamed).to_erp()


class LocationPayload(_Payload):
    admin_graphql_api_id: str
    name: str | None = None
    updated_at: datetime | None = None
    company: CompanyPayload | None = None
    shipping_address: LocationAddress | None = None
    billing_address: LocationAddress | None = None


class OrderCompany(_Payload):
    location_id: int | None = None


class OrderParties(_Payload):
    """Who an order is for: its customer, or for a B2B order its company location."""

    customer: OrderCustomer | None = None
    company: OrderCompany | None = None
    shipping_address: ShopifyAddress | None = None
    billing_address: ShopifyAddress | None = None


@dataclass(frozen=True)
class UpsertCustomer:
    """Create or update the ERP customer (found by its external reference, never duplicated)."""

    customer: CustomerRecord

    @property
    def order_ref(self) -> str:
        return self.customer.external_ref


CustomerAction = UpsertCustomer | NothingToSend


def customer_ref(shop: str, gid: str) -> str:
    return external_ref(shop, legacy_id(gid), kind=CUSTOMER_KIND)


def location_ref(shop: str, gid: str) -> str:
    return external_ref(shop, legacy_id(gid), kind=LOCATION_KIND)


def to_customer(payload: dict[str, Any], shop: str) -> CustomerRecord:
    """A ``customers/*`` payload as the customer record the ERP keeps."""
    customer: CustomerPayload = parse_payload(CustomerPayload, payload, "customer")
    addresses = sorted(customer.addresses, key=lambda a: not a.default)  # the default first
    if not addresses and customer.default_address is not None:
        addresses = [customer.default_address]
    first, last = customer.first_name or "", customer.last_name or ""
    if not (first or last):  # a customer known by e-mail alone: SAP and NetSuite need a name
        person = addresses[0].name if addresses else ""
        first, _, last = person.rpartition(" ") if person else ("", "", customer.email or "")
    return CustomerRecord(
        external_ref=customer_ref(shop, customer.admin_graphql_api_id),
        shopify_id=customer.admin_graphql_api_id,
        first_name=first,
        last_name=last,
        email=customer.email or "",
        phone=customer.phone or "",
        addresses=list(dict.fromkeys(a.to_erp() for a in addresses)),
        changed_at=customer.updated_at,
    )


def to_company_location(payload: dict[str, Any], shop: str) -> CustomerRecord:
    """A ``company_locations/*`` payload: the ship-to first, then the bill-to when it differs."""
    location: LocationPayload = parse_payload(LocationPayload, payload, "company location")
    company = (location.company.name if location.company else None) or location.name or ""
    if not company:
        raise DataError(
            f"company location {location.admin_graphql_api_id} has no company name",
            codes=("MALFORMED_PAYLOAD",),
            system="mapping",
        )
    found = [a.to_erp(company) for a in (location.shipping_address, location.billing_address) if a is not None]
    return CustomerRecord(
        kind="company_location",
        external_ref=location_ref(shop, location.admin_graphql_api_id),
        shopify_id=location.admin_graphql_api_id,
        company=company,
        addresses=list(dict.fromkeys(found)),
        changed_at=location.updated_at,
    )


def order_customer(payload: dict[str, Any], shop: str) -> CustomerRecord | None:
    """The ERP customer an order is sold to, with the order's ship-to as an address it must have:
    the company location of a B2B order, else the customer; None for a guest checkout. A customer
    without a name (Shopify allows one known by e-mail alone) is named by the ship-to's person,
    else by the e-mail, since an ERP customer needs a name."""
    parties: OrderParties = parse_payload(OrderParties, payload, "order")
    where = parties.shipping_address or parties.billing_address
    addresses = [where.to_erp()] if where is not None else []
    if parties.company is not None and parties.company.location_id is not None:
        gid = f"gid://shopify/CompanyLocation/{parties.company.location_id}"
        named = (where.company if where else None) or f"Company location {parties.company.location_id}"
        return CustomerRecord(
            kind="company_location",
            external_ref=location_ref(shop, gid),
            shopify_id=gid,
            company=named,
            addresses=[a.model_copy(update={"company": named}) for a in addresses],
        )
    customer = parties.customer
    if customer is None or not customer.admin_graphql_api_id:
        return None
    first, last = customer.first_name or "", customer.last_name or ""
    if not (first or last):  # a customer known by e-mail alone: SAP and NetSuite need a name
        person = addresses[0].name if addresses else ""
        first, _, last = person.rpartition(" ") if person else ("", "", customer.email or "")
    return CustomerRecord(
        external_ref=customer_ref(shop, customer.admin_graphql_api_id),
        shopify_id=customer.admin_graphql_api_id,
        first_name=first,
        last_name=last,
        email=customer.email or "",
        phone=customer.phone or "",
        addresses=addresses,
    )


def customer_action(topic: str, payload: dict[str, Any], shop: str) -> CustomerAction:
    """What one customer or B2B webhook asks of the ERP."""
    if topic in CUSTOMER_TOPICS:
        return UpsertCustomer(to_customer(payload, shop))
    if topic in LOCATION_TOPICS:
        return UpsertCustomer(to_company_location(payload, shop))
    if topic in COMPANY_TOPICS:
        gid = str(payload.get("admin_graphql_api_id") or "")
        return NothingToSend(gid, f"{topic}: a company reaches the ERP with its locations (company_locations/*)")
    raise DataError(f"topic {topic!r} is not a customer topic", codes=("UNKNOWN_TOPIC",), system="mapping")


def customer_document(customer: CustomerRecord) -> ErpDocument:
    """The ledger's record of an upsert: the ERP's customer number for our reference."""
    return ErpDocument(number=customer.erp_number or "(no number)", external_ref=customer.external_ref)


def guard_values(customer: CustomerRecord) -> dict[str, Any]:
    """What the loop guard compares for a customer or company location: its contact fields and its
    addresses as a set (order and Shopify's own ids aside). A writer records exactly this."""
    rows = sorted(json.dumps(a.model_dump(), sort_keys=True) for a in customer.addresses)
    return {**{f: getattr(customer, f) for f in GUARDED_FIELDS}, "addresses": rows}


def observed_values(topic: str, payload: dict[str, Any], shop: str) -> dict[str, Any]:
    """``guard_values`` of a customer webhook; a payload that cannot be read shows values no write
    of ours ever has, so it is queued (and dead-lettered with its payload by delivery), never dropped."""
    try:
        action = customer_action(topic, payload, shop)
    except DataError:
        return {"unreadable": True}
    return guard_values(action.customer) if isinstance(action, UpsertCustomer) else {}
