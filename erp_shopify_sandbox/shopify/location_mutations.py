"""``companyLocationAssignAddress``: set a company location's shipping and/or billing address
(``addressTypes``), as Shopify does; an unknown location is ``RESOURCE_NOT_FOUND``, an empty
``addressTypes`` ``NO_INPUT``, an address without ``address1`` or ``countryCode`` ``BLANK``. Each
write emits ``company_locations/update`` (valid against the published schema)."""

from __future__ import annotations

from typing import Any

from erp_shopify_sandbox.shopify import ids
from erp_shopify_sandbox.shopify.state import ShopState, now_iso
from erp_shopify_sandbox.shopify.user_errors import user_error

_FIELDS = (
    "address1",
    "address2",
    "city",
    "countryCode",
    "firstName",
    "lastName",
    "phone",
    "recipient",
    "zip",
    "zoneCode",
)


def company_location_assign_address(
    _root: Any, info: Any, locationId: str, address: dict[str, Any], addressTypes: list[str]
) -> dict[str, Any]:
    context = info.context
    state: ShopState = context.state
    state.count_write("companyLocationAssignAddress")
    index = ids.parse_gid(locationId, "CompanyLocation")
    with state.lock:
        if index is None or not 0 <= index < len(state.price_lists) or not state.price_lists[index].company_location:
            return {"addresses": None, "userErrors": [user_error("RESOURCE_NOT_FOUND", ["locationId"], "Not found")]}
        if not addressTypes:
            return {"addresses": None, "userErrors": [user_error("NO_INPUT", ["addressTypes"], "No input")]}
        blank = [f for f in ("address1", "countryCode") if not address.get(f)]
        if blank:
            errors = [user_error("BLANK", ["address", f], f"{f} can't be blank") for f in blank]
            return {"addresses": None, "userErrors": errors}
        stamp = now_iso()
        stored = {f: address.get(f) or "" for f in _FIELDS}
        written = []
        for kind in addressTypes:
            state.address_count += 1
            book = state.location_addresses.setdefault(index, {})
            book[kind] = {**stored, "index": state.address_count - 1, "created_at": stamp, "updated_at": stamp}
            written.append(company_address(state, index, kind))
        state.location_updated[index] = stamp
        context.webhooks.emit("company_locations/update", location_payload(state, index))
        return {"addresses": written, "userErrors": []}


def company_address(state: ShopState, index: int, kind: str) -> dict[str, Any] | None:
    """A stored address as GraphQL's ``CompanyAddress``."""
    stored = state.location_addresses.get(index, {}).get(kind)
    if stored is None:
        return None
    return {
        "id": ids.gid("CompanyAddress", stored["index"]),
        "companyName": state.price_lists[index].company_location or "",
        "createdAt": stored["created_at"],
        "updatedAt": stored["updated_at"],
        "formattedAddress": [v for v in (stored["address1"], stored["city"], stored["countryCode"]) if v],
        **{f: stored[f] or None for f in _FIELDS},
        "countryCode": stored["countryCode"],
    }


def location_payload(state: ShopState, index: int) -> dict[str, Any]:
    """The ``company_locations/update`` payload, shaped like Shopify's published schema."""
    price_list = state.price_lists[index]
    stamp = state.location_updated.get(index, now_iso())
    company_gid = ids.gid("Company", index)
    return {
        "admin_graphql_api_id": ids.gid("CompanyLocation", index),
        "name": price_list.company_location or "",
        "external_id": "",
        "locale": "en",
        "note": "",
        "phone": "",
        "created_at": stamp,
        "updated_at": stamp,
        "tax_exemptions": [],
        "tax_registration": None,
        "tax_settings": {"tax_exempt": False, "tax_exemptions": [], "tax_registration_id": ""},
        "buyer_experience_configuration": None,
        "company": {
            "admin_graphql_api_id": company_gid,
            "name": price_list.company_location or "",
            "note": "",
            "external_id": "",
            "main_contact_admin_graphql_api_id": ids.gid("CompanyContact", index),
            "created_at": stamp,
            "updated_at": stamp,
            "customer_since": stamp,
        },
        "shipping_address": _payload_address(state, index, "SHIPPING", company_gid),
        "billing_address": _payload_address(state, index, "BILLING", company_gid),
    }


def _payload_address(state: ShopState, index: int, kind: str, company_gid: str) -> dict[str, Any] | None:
    book = state.location_addresses.get(index, {})
    stored = book.get(kind) or book.get("BILLING" if kind == "SHIPPING" else "SHIPPING")
    if stored is None:
        return None
    return {
        "address1": stored["address1"],
        "address2": stored["address2"] or None,
        "city": stored["city"],
        "zip": stored["zip"],
        "country": stored["countryCode"],
        "country_code": stored["countryCode"],
        "province": stored["zoneCode"],
        "zone_code": stored["zoneCode"],
        "recipient": stored["recipient"],
        "first_name": stored["firstName"] or None,
        "last_name": stored["lastName"] or None,
        "phone": stored["phone"],
        "admin_graphql_api_id": ids.gid("CompanyAddress", stored["index"]),
        "company_admin_graphql_api_id": company_gid,
        "created_at": stored["created_at"],
        "updated_at": stored["updated_at"],
    }
