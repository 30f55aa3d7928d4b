"""One customer sync of one shop (ERP -> Shopify): ERP customers changed since the watermark,
each merged with Shopify's current customer by ``mapping.customer_merge`` and, when the merge
differs from what Shopify holds, written with ``customerSet`` (identifier: the customer's id).

- Which customers: those whose external reference is this shop's (``<shop>-C<id>``: a Shopify
  customer the ERP knows; ``<shop>-L<id>``: a B2B company location), and, in the one shop whose
  shops file sets ``erp_born_customers``, ERP-born customers with an email (created by
  ``customId`` = the ERP number, then linked in the ERP). Another shop's are left alone.
- A company location holds one shipping and one billing address: each is assigned with
  ``companyLocationAssignAddress`` when the ERP's wins (``merge_location``), then read back.
- ``customerSet`` replaces the address list, so the merged list is always sent whole: an address
  only Shopify holds is kept, one a side deleted since our last write is left out.
- Idempotent without ``@idempotent``: the identifier is the customer's id, so a retry after a lost
  answer updates the same customer with the same values.
- The loop guard accepts the written values before the write (``intend``) and keeps them after
  (``record_many``), so the ``customers/update`` echo is dropped at ingest; the digests of the
  write are kept (``store/written_customers.py``) for the next merge.
- Bad data loses nothing: a customer Shopify refuses (``userErrors``) is listed with its reference,
  codes and fields, the rest is written and the watermark moves on (the ERP's fix moves its stamp).
  Transient and system failures end the run, and the watermark stays.
- Conflicts (both sides changed between two syncs) are reported with names and ids and a short
  diff, never addresses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis

from erp_shopify.config import ShopConfig
from erp_shopify.erp.base import CustomerStore
from erp_shopify.mapping.customer_merge import Written, location_slots, merge_customer, merge_location
from erp_shopify.mapping.customers import creation_key, customer_ref, guard_values, location_ref
from erp_shopify.records import Address, CustomerRecord
from erp_shopify.shopify.client import ShopifyClient
from erp_shopify.store.fingerprints import Fingerprints
from erp_shopify.store.keys import Keys
from erp_shopify.store.written_customers import WrittenCustomers
from erp_shopify.sync.id_definitions import ensure_id_definition

ID_NAMESPACE, ID_KEY = "erp", "customer"  # the customer metafield (type id) holding the ERP number
_REF = {"Customer": re.compile(r"-C(\d+)$"), "CompanyLocation": re.compile(r"-L(\d+)$")}


@dataclass
class CustomerSyncResult:
    watermark: str | None
    read: int = 0
    created: int = 0  # ERP-born customers created in Shopify (shops file erp_born_customers)
    written: int = 0
    unchanged: int = 0
    not_this_shop: int = 0  # ERP-born, another shop's, or a company location: not written here
    gone: int = 0  # the customer no longer exists in Shopify
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        counts = ("read", "created", "written", "unchanged", "not_this_shop", "gone")
        return {**{name: getattr(self, name) for name in counts}, "conflicts": len(self.conflicts)}


def shopify_gid(shop: str, external_ref: str, kind: str = "Customer") -> str | None:
    """The Shopify customer (or company location) behind one of this shop's references, else None."""
    found = _REF[kind].search(external_ref)
    if found is None:
        return None
    gid = f"gid://shopify/{kind}/{found.group(1)}"
    ours = customer_ref(shop, gid) if kind == "Customer" else location_ref(shop, gid)
    return gid if ours == external_ref else None


def from_shopify(node: dict[str, Any]) -> CustomerRecord:
    """A ``customer`` query answer as the record both sides compare."""
    addresses = [
        _graphql_address(a, _person(a), a.get("company") or "", "provinceCode", "countryCodeV2")
        for a in node["addressesV2"]["nodes"]
    ]
    return CustomerRecord(
        shopify_id=node["id"],
        first_name=node.get("firstName") or "",
        last_name=node.get("lastName") or "",
        email=node.get("email") or "",
        phone=node.get("phone") or "",
        addresses=addresses,
        changed_at=datetime.fromisoformat(node["updatedAt"]),
    )


def customer_input(customer: CustomerRecord) -> dict[str, Any]:
    """``CustomerSetInput`` for the merged customer: its whole address list."""
    data: dict[str, Any] = {"firstName": customer.first_name, "lastName": customer.last_name}
    data |= {key: value for key, value in (("email", customer.email), ("phone", customer.phone)) if value}
    data["addresses"] = [_address_input(a) for a in customer.addresses]
    return data


def _address_input(address: Address) -> dict[str, Any]:
    first, _, last = address.name.rpartition(" ") if " " in address.name else ("", "", address.name)
    values = {
        "firstName": first, "lastName": last, "company": address.company, "address1": address.address1,
        "address2": address.address2, "city": address.city, "zip": address.zip,
        "provinceCode": address.province_code, "countryCode": address.country_code, "phone": address.phone,
    }  # fmt: skip
    return {key: value for key, value in values.items() if value}


class CustomerSync:
    def __init__(
        self,
        shop: ShopConfig,
        client: ShopifyClient,
        store: CustomerStore,
        redis_client: redis.Redis,
        key_prefix: str,
        *,
        log: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.shop, self.client, self.store, self.log = shop, client, store, log
        self.guard = Fingerprints(redis_client, key_prefix)
        self.written = WrittenCustomers(redis_client, key_prefix)
        self.redis, self.keys = redis_client, Keys(key_prefix)

    def run(self, cursor: str | None) -> CustomerSyncResult:
        result = CustomerSyncResult(watermark=cursor)
        for page in self.store.customer_changes(cursor):
            for erp in page.customers:
                result.read += 1
                self._one(erp, result)
            result.watermark = page.cursor
        self.log(f"{self.shop.name}: customers {result.metadata()}")
        return result

    def _one(self, erp: CustomerRecord, result: CustomerSyncResult) -> None:
        if erp.kind == "company_location":
            self._location(erp, result)
            return
        if not erp.external_ref and self.shop.erp_born_customers and erp.email and not erp.deleted:
            self._create(erp, result)
            return
        gid = shopify_gid(self.shop.name, erp.external_ref)
        if gid is None:
            result.not_this_shop += 1
            return
        node = self.client.execute("customer", {"id": gid})["customer"]
        if node is None:
            result.gone += 1
            return
        shopify = from_shopify(node).model_copy(update={"external_ref": erp.external_ref})
        last = self.written.load(self.shop.name, [erp.external_ref]).get(erp.external_ref)
        merge = merge_customer(erp, shopify, last)
        if merge.conflict is not None:
            result.conflicts.append(merge.conflict)
        if not merge.write:
            result.unchanged += 1
            self.written.save(self.shop.name, {erp.external_ref: Written.after(erp, shopify)})
            return
        values = {gid: guard_values(merge.merged)}
        self.guard.intend(self.shop.name, values)
        answer = self.client.execute(
            "customer_set",
            {"identifier": {"id": gid}, "input": customer_input(merge.merged)},
            raise_user_errors=False,
        )["customerSet"]
        if answer["userErrors"]:
            result.refused.append(_refused(erp, answer["userErrors"]))
            return
        self.guard.record_many(self.shop.name, values)
        self.written.save(self.shop.name, {erp.external_ref: Written.after(erp, merge.merged)})
        result.written += 1

    def _create(self, erp: CustomerRecord, result: CustomerSyncResult) -> None:
        """An ERP-born customer: upserted by ``customId`` (its ERP number, so a retry after a lost
        answer finds the customer the first attempt made), then linked in the ERP by the new id.
        Its ``customers/create`` may arrive before the answer: the intent is kept by email."""
        definition = {"namespace": ID_NAMESPACE, "key": ID_KEY, "name": "ERP customer", "ownerType": "CUSTOMER"}
        marker = self.keys.customer_id_definition(self.shop.name)
        ensure_id_definition(self.client, self.redis, marker, {**definition, "type": "id"})
        values = guard_values(erp)
        self.guard.intend(self.shop.name, {creation_key(erp.email): values})
        custom_id = {"namespace": ID_NAMESPACE, "key": ID_KEY, "value": erp.erp_number}
        variables = {"identifier": {"customId": custom_id}, "input": customer_input(erp)}
        answer = self.client.execute("customer_set", variables, raise_user_errors=False)["customerSet"]
        if answer["userErrors"]:
            result.refused.append(_refused(erp, answer["userErrors"]))
            return
        gid = answer["customer"]["id"]
        self.guard.record_many(self.shop.name, {gid: values})
        ref = customer_ref(self.shop.name, gid)
        self.store.upsert_customer(erp.model_copy(update={"external_ref": ref, "shopify_id": gid}))
        self.written.save(self.shop.name, {ref: Written.after(erp, erp)})
        result.created += 1

    def _location(self, erp: CustomerRecord, result: CustomerSyncResult) -> None:
        """A B2B company location: each of its two addresses assigned when the ERP's wins."""
        gid = shopify_gid(self.shop.name, erp.external_ref, kind="CompanyLocation")
        node = self.client.execute("company_location", {"id": gid})["companyLocation"] if gid else None
        if gid is None or node is None:
            result.not_this_shop += gid is None
            result.gone += gid is not None
            return
        shopify = from_location(node)
        last = self.written.load(self.shop.name, [erp.external_ref]).get(erp.external_ref)
        merge = merge_location(erp, shopify, last)
        if merge.conflict is not None:
            result.conflicts.append(merge.conflict)
        slots = {**location_slots(shopify), **merge.writes}
        expected = shopify.model_copy(update={"addresses": list(dict.fromkeys(a for a in slots.values() if a))})
        self.guard.intend(self.shop.name, {gid: guard_values(expected)})  # the echo may come before the answer
        for slot, address in merge.writes.items():
            variables = {"locationId": gid, "address": location_address_input(address), "addressTypes": [slot]}
            answer = self.client.execute("company_location_assign_address", variables, raise_user_errors=False)
            errors = answer["companyLocationAssignAddress"]["userErrors"]
            if errors:
                result.refused.append(_refused(erp, errors))
                return
        after = from_location(self.client.execute("company_location", {"id": gid})["companyLocation"])
        self.guard.record_many(self.shop.name, {gid: guard_values(after)})
        self.written.save(self.shop.name, {erp.external_ref: Written.after(erp, after)})
        result.written += bool(merge.writes)
        result.unchanged += not merge.writes


def from_location(node: dict[str, Any]) -> CustomerRecord:
    """A ``companyLocation`` answer as the record both sides compare: ship-to, then a differing bill-to."""
    company = (node.get("company") or {}).get("name") or node.get("name") or ""
    found = [_location_address(node[k], company) for k in ("shippingAddress", "billingAddress") if node.get(k)]
    return CustomerRecord(
        kind="company_location",
        shopify_id=node["id"],
        company=company,
        addresses=list(dict.fromkeys(found)),
        changed_at=datetime.fromisoformat(node["updatedAt"]),
    )


def _location_address(a: dict[str, Any], company: str) -> Address:
    return _graphql_address(a, a.get("recipient") or _person(a), company, "zoneCode", "countryCode")


def _person(a: dict[str, Any]) -> str:
    return " ".join(p for p in (a.get("firstName"), a.get("lastName")) if p)


def _graphql_address(a: dict[str, Any], name: str, company: str, province: str, country: str) -> Address:
    """A ``MailingAddress`` or ``CompanyAddress`` node (their province and country fields differ)."""
    return Address(
        name=name,
        company=company,
        address1=a.get("address1") or "",
        address2=a.get("address2") or "",
        city=a.get("city") or "",
        zip=a.get("zip") or "",
        province_code=a.get(province) or "",
        country_code=a.get(country) or "",
        phone=a.get("phone") or "",
    )


def location_address_input(address: Address) -> dict[str, Any]:
    values = {
        "recipient": address.name, "address1": address.address1, "address2": address.address2,
        "city": address.city, "zip": address.zip, "zoneCode": address.province_code,
        "countryCode": address.country_code, "phone": address.phone,
    }  # fmt: skip
    return {key: value for key, value in values.items() if value}


def _refused(erp: CustomerRecord, errors: list[dict[str, Any]]) -> dict[str, str]:
    return {
        "customer": erp.external_ref,
        "erp_number": erp.erp_number,
        "codes": ", ".join(e.get("code") or "-" for e in errors),
        "fields": "; ".join(".".join(e.get("field") or []) for e in errors),
    }
