"""How the OData client authenticates: basic auth (on-premise communication user) or OAuth 2.0
client credentials (SAP BTP / S/4HANA Cloud communication arrangements: client id and secret by
HTTP basic auth at the token endpoint, ``erp/oauth.py``)."""

from __future__ import annotations

import httpx

from erp_shopify.config import SapConfig
from erp_shopify.erp.oauth import ClientCredentials, client_secret_basic
from erp_shopify.erp.sap.odata import SYSTEM
from erp_shopify.errors import DataError


def sap_auth(config: SapConfig) -> httpx.Auth | None:
    """The configured authentication, or None when the config names no credentials."""
    if config.auth == "oauth2":
        if not (config.token_url and config.client_id and config.client_secret):
            raise DataError("SAP oauth2 needs token_url, client_id and client_secret", system=SYSTEM)
        credentials = client_secret_basic(config.client_id.value(), config.client_secret.value())
        return ClientCredentials(config.token_url, credentials, system=SYSTEM)
    if config.username and config.password:
        return httpx.BasicAuth(config.username.value(), config.password.value())
    return None
