"""``customerSet``: create or update a customer found by its identifier (``id``, ``email`` or
``phone``; none creates), replacing the address list when ``addresses`` is sent, as Shopify does.
Its user errors: ``NOT_FOUND`` (no customer with that id), ``INPUT_MISMATCH`` (the identifier's
email or phone differs from the input's), ``TAKEN`` (another customer has that email), ``BLANK``
(a new customer with no name, email or phone). A write emits ``customers/create`` or
``customers/update``."""

from __future__ import annotations

from typing import Any

from erp_shopify_sandbox.shopify import ids, payloads
from erp_shopify_sandbox.shopify.sales_views import CustomerView
from erp_shopify_sandbox.shopify.state import Customer, ShopState, now_iso
from erp_shopify_sandbox.shopify.user_errors import user_error

_FIELDS = {"firstName": "first_name", "lastName": "last_name", "email": "email", "phone": "phone"}
_ADDRESS_FIELDS = {
    "address1": "address1", "address2": "address2", "city": "city", "company": "company",
    "countryCode": "country_code", "firstName": "first_name", "lastName": "last_name", "phone": "phone",
    "provinceCode": "province_code", "zip": "zip",
}  # fmt: skip


def customer_set(
    _root: Any, info: Any, input: dict[str, Any], identifier: dict[str, Any] | None = None
) -> dict[str, Any]:
    context = info.context
    state: ShopState = context.state
    state.count_write("customerSet")
    with state.lock:
        found, errors = _find(state, identifier or {}, input)
        errors = errors or _taken(state, found, input)
        if not errors and found is None and not any(input.get(k) for k in _FIELDS):
            errors = [user_error("BLANK", ["input"], "Customer must have a name, phone number or email address")]
        if errors:
            return {"customer": None, "userErrors": errors}
        stamp = now_iso()
        created = found is None
        if found is None:
            found = Customer(len(state.customers), "", "", "", stamp, stamp)
            state.customers.append(found)
        for key, attribute in _FIELDS.items():
            if key in input:
                setattr(found, attribute, input[key] or "")
        if input.get("addresses") is not None:
            found.addresses = [_address(state, found, a) for a in input["addresses"]]
        found.updated_at = stamp
        topic = "customers/create" if created else "customers/update"
        context.webhooks.emit(topic, payloads.customer(state, found))
        return {"customer": CustomerView(state, found.index), "userErrors": []}


def _find(
    state: ShopState, identifier: dict[str, Any], input: dict[str, Any]
) -> tuple[Customer | None, list[dict[str, Any]]]:
    if identifier.get("id") is not None:
        index = ids.parse_gid(identifier["id"], "Customer")
        if index is None or index >= len(state.customers):
            return None, [user_error("NOT_FOUND", ["identifier", "id"], "Customer does not exist")]
        return state.customers[index], []
    for key in ("email", "phone"):
        if identifier.get(key) is not None:
            if input.get(key) is not None and input[key] != identifier[key]:
                message = f"The {key} in the identifier does not match the input"
                return None, [user_error("INPUT_MISMATCH", ["input", key], message)]
            match = [c for c in state.customers if getattr(c, key) == identifier[key]]
            return (match[0] if match else None), []
    return None, []


def _taken(state: ShopState, found: Customer | None, input: dict[str, Any]) -> list[dict[str, Any]]:
    email = input.get("email")
    if email and any(c.email == email and c is not found for c in state.customers):
        return [user_error("TAKEN", ["input", "email"], "Email has already been taken")]
    return []


def _address(state: ShopState, customer: Customer, given: dict[str, Any]) -> dict[str, Any]:
    kept = {attribute: given.get(key) or "" for key, attribute in _ADDRESS_FIELDS.items()}
    for old in customer.addresses or []:  # an unchanged address keeps its id
        if all(old.get(a) == v for a, v in kept.items()):
            return old
    state.address_count += 1
    return {**kept, "index": state.address_count - 1}
