"""SAP Gateway's OData v2 error bodies, for the sandbox's answers and its injected faults."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from starlette.responses import JSONResponse, Response

from erp_shopify_sandbox.faults import Faults


def sap_error(status: int, code: str, message: str, *, target: str = "", service_id: str = "") -> JSONResponse:
    """SAP Gateway's v2 error body, errordetails included."""
    detail = {"code": code, "message": message, "propertyref": "", "severity": "error", "target": target}
    body = {
        "error": {
            "code": code,
            "message": {"lang": "en", "value": message},
            "innererror": {
                "application": {
                    "component_id": "",
                    "service_namespace": "/SAP/",
                    "service_id": service_id,
                    "service_version": "0001",
                },
                "transactionid": uuid.uuid4().hex.upper(),
                "timestamp": datetime.now(UTC).strftime("%Y%m%d%H%M%S.%f")[:21],
                "errordetails": [detail],
            },
        }
    }
    return JSONResponse(body, status_code=status)


def fault_response(status: int, faults: Faults) -> Response:
    messages = {
        401: ("/IWFND/CM_CONSUMER/101", "Logon failed: user or password is not valid"),
        429: ("/IWFND/CM_BEC/029", "Too many requests: the rate limit of the API is exceeded"),
    }
    code, message = messages.get(status, ("/IWFND/CM_BEC/026", f"SAP backend not available (HTTP {status})"))
    return sap_error(status, code, message)
