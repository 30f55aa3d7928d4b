"""An order's customer known by e-mail alone still reaches the ERP with a name (SAP's business
partner and NetSuite's person require one)."""

from erp_shopify.mapping.customers import order_customer
from erp_shopify_tests.test_mapping.order_payloads import ADDRESS, order_payload

ONLY_EMAIL = {"admin_graphql_api_id": "gid://shopify/Customer/7", "id": 7, "email": "ada@example.com"}


def test_a_nameless_customer_is_named_by_the_ship_to_person() -> None:
    record = order_customer(order_payload(1, [("TEE-M", 1, "1.00")], customer=ONLY_EMAIL), "demo-eu")
    assert record is not None and f"{record.first_name} {record.last_name}" == ADDRESS["name"]


def test_a_nameless_customer_without_an_address_is_named_by_the_email() -> None:
    payload = order_payload(2, [("TEE-M", 1, "1.00")], customer=ONLY_EMAIL, shipping_address=None, billing_address=None)
    record = order_customer(payload, "demo-eu")
    assert record is not None and (record.first_name, record.last_name) == ("", "ada@example.com")


def test_a_named_customer_keeps_its_names() -> None:
    named = {**ONLY_EMAIL, "first_name": "Augusta", "last_name": "King"}
    record = order_customer(order_payload(3, [("TEE-M", 1, "1.00")], customer=named), "demo-eu")
    assert record is not None and (record.first_name, record.last_name) == ("Augusta", "King")
