"""A customer's external reference where the ERP's field is shorter than ours (pure, no I/O).

``<shop>-C<id>`` runs to 35 characters, but some ERPs keep another system's number of a customer
in a shorter, upper-case field (SAP's ``BusinessPartnerIDByExtSystem``: 20). ``short_ref`` is the
form such an ERP stores: the reference upper-cased when it fits, else a digest of the shop's part
and the Shopify id in base 36 (``<digest>-C<base36 id>``), so it stays unique per shop and object,
and ``shopify_object`` turns either form back into the Shopify object of a given shop.
"""

from __future__ import annotations

import hashlib
import re

from erp_shopify.mapping.orders import external_ref

_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_KINDS = {"C": "Customer", "L": "CompanyLocation"}
_TAIL = re.compile(r"-([CL])([0-9A-Z]+)$", re.IGNORECASE)


def _base36(number: int) -> str:
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = _DIGITS[digit] + text
        if not number:
            return text


def short_ref(reference: str, limit: int) -> str:
    """``reference`` as an ERP field of ``limit`` upper-case characters keeps it (``limit`` >= 20)."""
    if len(reference) <= limit:
        return reference.upper()
    found = _TAIL.search(reference)
    if found is None:
        return hashlib.sha1(reference.encode()).hexdigest()[:limit].upper()
    tail = f"-{found.group(1).upper()}{_base36(int(found.group(2)))}"
    digest = hashlib.sha1(reference[: found.start()].encode()).hexdigest()
    return f"{digest[: limit - len(tail)]}{tail}".upper()


def shopify_object(shop: str, stored: str) -> tuple[str, str] | None:
    """``(kind, gid)`` of this shop's customer or company location behind ``stored`` (our
    reference, or its ``short_ref``); None when it is another shop's, or no reference at all."""
    found = _TAIL.search(stored)
    if found is None:
        return None
    kind, digits = found.group(1).upper(), found.group(2)
    candidates = {int(digits, 36)} | ({int(digits)} if digits.isdigit() else set())
    for number in candidates:
        full = external_ref(shop, str(number), kind=kind)
        if stored.upper() == short_ref(full, max(len(stored), 20)):
            return kind, f"gid://shopify/{_KINDS[kind]}/{number}"
    return None
