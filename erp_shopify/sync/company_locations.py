"""ERP -> Shopify for B2B company locations: the ERP's address of a location we know (its external
reference is this shop's ``<shop>-L<id>``) written with ``companyLocationAssignAddress``.

- A location holds two addresses in Shopify, shipping and billing. The ERP's location record lists
  the ship-to first and, when it differs, the bill-to (``mapping.customers.to_company_location``
  builds it so): the first is written as the shipping address and the second, or the first again,
  as the billing address. When both are one address it is sent once with both types.
- Newest change wins, by which side moved: the digests of each side's pair at the last sync are
  kept (``store/written_customers.py``). Only an ERP pair that moved since then is written; one that
  did not is Shopify's newer change on its way to the ERP (webhook), and is left alone. Both moved
  between two syncs: Shopify's is kept and the conflict reported (names and ids only), as for
  customers.
- The loop guard accepts what Shopify's ``company_locations/update`` will show before the write
  and keeps it after, so that webhook is dropped at ingest as our echo.
- No ``@idempotent``: assigning the same address again is harmless, so a retry after a lost
  answer is too. Refusals (``userErrors``) are listed with the reference, codes and fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from erp_shopify.mapping.customer_merge import Written
from erp_shopify.mapping.customers import guard_values, location_ref
from erp_shopify.records import Address, CustomerRecord
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.fingerprints import Fingerprints
from erp_shopify.store.written_customers import WrittenCustomers


@dataclass(frozen=True)
class LocationOutcome:
    outcome: str  # "written", "unchanged", "gone", "refused", "conflict"
    detail: dict[str, Any] | None = None  # the refusal or conflict, without addresses


def person(node: dict[str, Any]) -> str:
    """The person of a ``MailingAddress`` or ``CompanyAddress``: first and last name."""
    return " ".join(p for p in (node.get("firstName"), node.get("lastName")) if p)


def graphql_address(node: dict[str, Any], name: str, company: str, province: str, country: str) -> Address:
    """A ``MailingAddress`` or ``CompanyAddress`` node (their province and country fields differ)."""
    return Address(
        name=name,
        company=company,
        address1=node.get("address1") or "",
        address2=node.get("address2") or "",
        city=node.get("city") or "",
        zip=node.get("zip") or "",
        province_code=node.get(province) or "",
        country_code=node.get(country) or "",
        phone=node.get("phone") or "",
    )


def location_address(node: dict[str, Any] | None, company: str) -> Address | None:
    """A ``CompanyAddress`` as the record both sides compare (its company: the location's)."""
    if node is None:
        return None
    return graphql_address(node, node.get("recipient") or person(node), company, "zoneCode", "countryCode")


def refusal(reference: str, erp_number: str, errors: list[dict[str, Any]]) -> dict[str, str]:
    """A write Shopify refused (``userErrors``): the reference, codes and fields, never values."""
    return {
        "customer": reference,
        "erp_number": erp_number,
        "codes": ", ".join(e.get("code") or "-" for e in errors),
        "fields": "; ".join(".".join(e.get("field") or []) for e in errors),
    }


def address_input(address: Address) -> dict[str, Any]:
    """``CompanyAddressInput``: the person as ``recipient`` (a company address has no company field)."""
    values = {
        "recipient": address.name, "address1": address.address1, "address2": address.address2,
        "city": address.city, "zip": address.zip, "zoneCode": address.province_code,
        "countryCode": address.country_code, "phone": address.phone,
    }  # fmt: skip
    return {key: value for key, value in values.items() if value}


def _pair(addresses: list[Address | None]) -> CustomerRecord:
    unique = list(dict.fromkeys(a for a in addresses if a is not None))
    return CustomerRecord(kind="company_location", addresses=unique)


def _guarded(company: str, addresses: list[Address | None]) -> dict[str, Any]:
    """The loop guard's values of the location's ``company_locations/update`` webhook."""
    shown = _pair(addresses).addresses
    return guard_values(CustomerRecord(kind="company_location", company=company, addresses=shown))


class LocationWriter:
    """One shop's company-location step of the customer sync."""

    def __init__(self, shop: str, client: ShopifyClient, guard: Fingerprints, written: WrittenCustomers) -> None:
        self.shop, self.client, self.guard, self.written = shop, client, guard, written

    def sync(self, erp: CustomerRecord, gid: str) -> LocationOutcome:
        node = self.client.execute("company_location", {"id": gid})["companyLocation"]
        if node is None:
            return LocationOutcome("gone")
        ref = location_ref(self.shop, gid)
        company = (node.get("company") or {}).get("name") or ""
        shipping = location_address(node.get("shippingAddress"), company)
        billing = location_address(node.get("billingAddress"), company)
        if not erp.addresses:
            return LocationOutcome("unchanged")
        wanted = [a.model_copy(update={"company": company}) for a in erp.addresses[:2]]
        ship_to, bill_to = wanted[0], wanted[-1]
        erp_pair, shopify_pair = _pair([ship_to, bill_to]), _pair([shipping, billing])
        last = self.written.load(self.shop, [ref]).get(ref)
        seen = Written.after(erp_pair, shopify_pair)
        if (shipping, billing) == (ship_to, bill_to) or (last is not None and seen.erp_addresses == last.erp_addresses):
            self.written.save(self.shop, {ref: seen})  # equal, or Shopify's newer change is on its way
            return LocationOutcome("unchanged")
        if last is not None and seen.shopify_addresses != last.shopify_addresses:
            self.written.save(self.shop, {ref: seen})
            conflict = {"customer": ref, "shopify_id": gid, "erp_number": erp.erp_number, "kept": "shopify"}
            return LocationOutcome("conflict", conflict | {"fields": "addresses"})
        expected = {gid: _guarded(company, [ship_to, bill_to])}
        if ship_to != bill_to:  # two writes: the webhook of the first shows the new ship-to, the old bill-to
            self.guard.intend(self.shop, {gid: _guarded(company, [ship_to, billing])})
        self.guard.intend(self.shop, expected)
        types = [["SHIPPING", "BILLING"]] if ship_to == bill_to else [["SHIPPING"], ["BILLING"]]
        for address, address_types in zip((ship_to, bill_to), types, strict=False):
            variables = {"locationId": gid, "address": address_input(address), "addressTypes": address_types}
            answer = self.client.execute("company_location_assign_address", variables, raise_user_errors=False)
            errors = answer["companyLocationAssignAddress"]["userErrors"]
            if errors:
                return LocationOutcome("refused", refusal(ref, erp.erp_number, errors))
        self.guard.record_many(self.shop, expected)
        self.written.save(self.shop, {ref: Written.after(erp_pair, erp_pair)})
        return LocationOutcome("written")
