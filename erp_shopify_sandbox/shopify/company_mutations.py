"""``companyLocationAssignAddress``: set a B2B company location's shipping and/or billing address
(``addressTypes``); both types at once share one address, as Shopify's "billing same as shipping".
No ``@idempotent``: sending the same address again sets it again. A write emits
``company_locations/update`` (payload as Shopify's published schema has it).

User errors (``BusinessCustomerUserError``): ``RESOURCE_NOT_FOUND`` (no such location),
``NO_INPUT`` (no address type), ``BLANK`` (no ``address1`` or ``countryCode``: a company address
requires both), ``TOO_LONG`` (a field over 255 characters). The codes are Shopify's enum; which
one Shopify answers in each case is not documented, so the client handles any of them alike.
"""

from __future__ import annotations

from typing import Any

from erp_shopify_sandbox.shopify import ids
from erp_shopify_sandbox.shopify.payloads import COUNTRY_NAMES
from erp_shopify_sandbox.shopify.sales_views import company_address
from erp_shopify_sandbox.shopify.state import PriceList, ShopState, now_iso
from erp_shopify_sandbox.shopify.user_errors import user_error

MAX_FIELD = 255
_INPUT_FIELDS = ("address1", "address2", "city", "countryCode", "firstName", "lastName", "phone", "recipient", "zip")


def company_location_assign_address(
    _root: Any, info: Any, locationId: str, address: dict[str, Any], addressTypes: list[str]
) -> dict[str, Any]:
    context = info.context
    state: ShopState = context.state
    state.count_write("companyLocationAssignAddress")
    with state.lock:
        index = ids.parse_gid(locationId, "CompanyLocation")
        if index is None or index >= len(state.price_lists) or not state.price_lists[index].company_location:
            return _refused("RESOURCE_NOT_FOUND", ["locationId"], "Resource requested does not exist.")
        if not addressTypes:
            return _refused("NO_INPUT", ["addressTypes"], "No address types were given.")
        for key in ("address1", "countryCode"):
            if not address.get(key):
                return _refused("BLANK", ["address", key], f"{key} can't be blank")
        for key, value in address.items():
            if isinstance(value, str) and len(value) > MAX_FIELD:
                return _refused("TOO_LONG", ["address", key], f"{key} is too long (maximum is {MAX_FIELD})")
        location = state.price_lists[index]
        stamp = now_iso()
        stored = {key: address.get(key) for key in _INPUT_FIELDS} | {"zoneCode": address.get("zoneCode")}
        stored |= {"index": state.company_address_count, "created_at": stamp, "updated_at": stamp}
        state.company_address_count += 1
        if "SHIPPING" in addressTypes:
            location.shipping_address = stored
        if "BILLING" in addressTypes:
            location.billing_address = stored
        location.location_updated_at = stamp
        context.webhooks.emit("company_locations/update", location_payload(location))
        return {"addresses": [company_address(stored, location.company_location or "")], "userErrors": []}


def _refused(code: str, field: list[str], message: str) -> dict[str, Any]:
    return {"addresses": None, "userErrors": [user_error(code, field, message)]}


def location_payload(location: PriceList) -> dict[str, Any]:
    """The ``company_locations/*`` webhook payload of a location (its company is the sandbox's one
    company per location)."""
    company_gid = ids.gid("Company", location.index)
    company = {
        "admin_graphql_api_id": company_gid,
        "created_at": location.location_updated_at,
        "customer_since": location.location_updated_at,
        "external_id": "",
        "main_contact_admin_graphql_api_id": ids.gid("CompanyContact", location.index),
        "name": location.company_location or "",
        "note": "",
        "updated_at": location.location_updated_at,
    }
    return {
        "admin_graphql_api_id": ids.gid("CompanyLocation", location.index),
        "billing_address": _address_payload(location.billing_address, company_gid),
        "buyer_experience_configuration": None,
        "company": company,
        "created_at": location.location_updated_at,
        "external_id": "",
        "locale": "en",
        "name": location.company_location or "",
        "note": "",
        "phone": "",
        "shipping_address": _address_payload(location.shipping_address, company_gid),
        "tax_exemptions": [],
        "tax_registration": None,
        "tax_settings": {"tax_exempt": False, "tax_exemptions": [], "tax_registration_id": ""},
        "updated_at": location.location_updated_at,
    }


def _address_payload(stored: dict[str, Any] | None, company_gid: str) -> dict[str, Any] | None:
    if stored is None:
        return None
    country = stored.get("countryCode") or ""
    return {
        "address1": stored.get("address1") or "",
        "address2": stored.get("address2"),
        "admin_graphql_api_id": ids.gid("CompanyAddress", stored["index"]),
        "city": stored.get("city") or "",
        "company_admin_graphql_api_id": company_gid,
        "country": COUNTRY_NAMES.get(country, country),
        "country_code": country,
        "created_at": stored["created_at"],
        "first_name": stored.get("firstName"),
        "last_name": stored.get("lastName"),
        "phone": stored.get("phone") or "",
        "province": stored.get("zoneCode") or "",
        "recipient": stored.get("recipient") or "",
        "updated_at": stored["updated_at"],
        "zip": stored.get("zip") or "",
        "zone_code": stored.get("zoneCode") or "",
    }
