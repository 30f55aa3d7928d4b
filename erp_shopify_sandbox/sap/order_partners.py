"""A sales order's header partners (``A_SalesOrderHeaderPartner``) in the SAP sandbox: each must be a
business partner with the customer role, and may carry an address of the document's own
(``A_SalesOrderPartnerAddress``), checked like a partner address."""

from __future__ import annotations

from typing import Any

from erp_shopify_sandbox.sap.address_checks import check_address
from erp_shopify_sandbox.sap.partners import BusinessPartners, results
from erp_shopify_sandbox.sap.records import BusinessError

PARTNER_FUNCTIONS = {"SP": "AG", "SH": "WE", "BP": "RE", "PY": "RG"}  # English external -> internal code


def order_partners(partners: BusinessPartners, sales_order: str, sold_to: str, raw: Any) -> list[dict[str, Any]]:
    """A sales order's header partners (``to_Partner``): the sold-to party and the ones sent,
    each a customer; the ship-to party is the sold-to party unless one is sent, as SAP's
    partner determination defaults it. ``PartnerFunction`` is the external code in the logon
    language (English: SP sold-to, SH ship-to, BP bill-to, PY payer); SAP keeps the internal
    code (AG, WE, RE, RG) in ``PartnerFunctionInternalCode``."""
    given = {"SP": sold_to}
    addresses: dict[str, list[dict[str, Any]]] = {}
    for n, partner in enumerate(results(raw)):
        function = str(partner.get("PartnerFunction") or "")
        if function not in PARTNER_FUNCTIONS:
            raise BusinessError(
                "V1/182", f"Partner function {function} is not defined", f"to_Partner({n})/PartnerFunction"
            )
        given[function] = str(partner.get("Customer") or "")
        addresses[function] = [
            _document_address(sales_order, function, a, f"to_Partner({n})/to_Address({m})")
            for m, a in enumerate(results(partner.get("to_Address")))
        ]
    given.setdefault("SH", sold_to)
    for function, customer in given.items():
        row = partners.rows.get(customer)
        if row is None or row["to_Customer"] is None:
            target = "SoldToParty" if function == "SP" else "to_Partner/Customer"
            raise BusinessError("V1/004", f"Customer {customer} has not been created for sales organization", target)
    return [
        {
            "SalesOrder": sales_order,
            "PartnerFunction": function,
            "PartnerFunctionInternalCode": PARTNER_FUNCTIONS[function],
            "Customer": customer,
            "ReferenceBusinessPartner": customer,
            "AddressID": next((a["AddressID"] for a in partners.rows[customer]["to_BusinessPartnerAddress"]), ""),
            "to_Address": addresses.get(function, []),
        }
        for function, customer in given.items()
    ]


# --- writes ----------------------------------------------------------------------------------


def _document_address(sales_order: str, function: str, raw: dict[str, Any], target: str) -> dict[str, Any]:
    """A partner's address entered in the sales order itself (a document address), checked like any."""
    country, region, postal = check_address(raw, target)
    fields = ("AddresseeFullName", "OrganizationName1", "StreetName", "StreetSuffixName1", "CityName", "EmailAddress")
    return {
        "SalesOrder": sales_order,
        "PartnerFunction": function,
        "AddressRepresentationCode": "",
        **{name: str(raw.get(name) or "") for name in (*fields, "PhoneNumber")},
        "Country": country,
        "Region": region,
        "PostalCode": postal,
    }
