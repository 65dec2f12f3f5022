"""Intuit's faults: code, HTTP status and message, rendered in the envelope QBO uses for each kind.

- `QboFault`: ValidationFault and friends, `{"Fault":{"Error":[...],"type":...},"time":...}` (or XML).
- `AuthFault`/`ServiceFault`: the lowercase envelope (`fault`/`error`, epoch-ms `time`) of 401/403/500.
- `throttle_response`: 429 code 3001, always XML as QBO sends it.
- `OAuthError`: the token endpoint's `{"error": ...}` bodies.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from qbsandbox.clock import epoch_ms, response_time
from qbsandbox.responses import JSON_FAULT, XML, Response, json_response, text_response

INACTIVE_DETAIL = (
    "Something you're trying to use has been made inactive. "
    "Check the fields with accounts, customers, items, vendors or employees."
)


class QboFault(Exception):
    """A fault in the capitalised envelope (ValidationFault unless said otherwise)."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        detail: str,
        element: str | None = "",
        fault_type: str = "ValidationFault",
        status: int | None = None,
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code, self.message, self.detail, self.element = code, message, detail, element
        self.fault_type = fault_type
        if status is not None:
            self.status = status

    def error(self) -> dict[str, Any]:
        error = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element is not None:
            error["element"] = self.element
        return error

    def fault_body(self) -> dict[str, Any]:
        return {"Error": [self.error()], "type": self.fault_type}

    def render(self, now: float, xml: bool = False) -> Response:
        if xml:
            return text_response(self.xml(now), self.status, XML)
        return json_response(
            {"Fault": self.fault_body(), "time": response_time(now)}, self.status, JSON_FAULT
        )

    def xml(self, now: float) -> str:
        element = f" element={quoteattr(self.element)}" if self.element is not None else ""
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{response_time(now)}">'
            f'<Fault type="{self.fault_type}"><Error code="{self.code}"{element}>'
            f"<Message>{escape(self.message)}</Message><Detail>{escape(self.detail)}</Detail>"
            "</Error></Fault></IntuitResponse>"
        )


class LowercaseFault(Exception):
    """The lowercase envelope QBO uses for AUTHENTICATION and SERVICE faults."""

    def __init__(self, status: int, code: str, message: str, detail: str | None, fault_type: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.detail, self.fault_type = (
            status,
            code,
            message,
            detail,
            fault_type,
        )

    def render(self, now: float, xml: bool = False) -> Response:
        body = {
            "warnings": None,
            "intuitObject": None,
            "fault": {
                "error": [
                    {"message": self.message, "detail": self.detail, "code": self.code, "element": None}
                ],
                "type": self.fault_type,
            },
            "report": None,
            "queryResponse": None,
            "batchItemResponse": [],
            "attachableResponse": [],
            "syncErrorResponse": None,
            "requestId": None,
            "time": epoch_ms(now),
            "status": None,
            "cdcresponse": [],
        }
        response = json_response(body, self.status, JSON_FAULT)
        if self.status == 401:
            response.headers.append(("WWW-Authenticate", 'Bearer realm="Intuit", error="invalid_token"'))
        return response


def auth_fault(detail: str) -> LowercaseFault:
    return LowercaseFault(
        401,
        "3200",
        "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        detail,
        "AUTHENTICATION",
    )


def authorization_fault() -> LowercaseFault:
    return LowercaseFault(
        403, "3100", "message=AuthorizationFailed; errorCode=003100; statusCode=403", None, "SERVICE"
    )


def internal_error_fault() -> LowercaseFault:
    return LowercaseFault(
        500, "3100", "message=InternalServerError; errorCode=003100; statusCode=500", None, "SERVICE"
    )


def throttle_response(now: float, retry_after: int | None) -> Response:
    """429/3001 exactly as QuickBooks sends it: XML even when JSON was asked for."""
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time="{response_time(now)}" xmlns="http://schema.intuit.com/finance/v3">\n'
        '  <Fault type="SERVICE">\n'
        '    <Error code="3001">\n'
        "      <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>\n"
        "      <Detail>The request limit was reached.  Try again later</Detail>\n"
        "    </Error>\n"
        "  </Fault>\n"
        "</IntuitResponse>"
    )
    response = text_response(body, 429, XML)
    if retry_after is not None:
        response.headers.append(("Retry-After", str(retry_after)))
    return response


# -- the faults QBO answers most, by code ----------------------------------------------------------
def object_not_found() -> QboFault:
    return QboFault("610", "Object Not Found", f"Object Not Found : {INACTIVE_DETAIL}")


def required_param(element: str) -> QboFault:
    return QboFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element,
    )


def invalid_reference(element: str) -> QboFault:
    return QboFault("2500", "Invalid Reference Id", f"Invalid Reference Id : {element}", element)


def inactive_reference() -> QboFault:
    return QboFault("2500", "Invalid Reference Id", f"Invalid Reference Id : {INACTIVE_DETAIL}", "")


def invalid_id(value: str) -> QboFault:
    return QboFault("2030", "Invalid ID", f"Id should be a valid number. Supplied value:{value}", "Id")


def duplicate_name(name: str, existing_id: str) -> QboFault:
    detail = (
        "The name supplied already exists. : Another customer, vendor or employee is already using "
        f"this name ({name}, Id={existing_id}). Please use a different name."
    )
    return QboFault("6240", "Duplicate Name Exists Error", detail, "")


def business_validation(detail: str) -> QboFault:
    return QboFault(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        "",
    )


def stale_object() -> QboFault:
    return QboFault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and root were working on this at the same time. "
        "root finished before you did, so your work was not saved.",
        "",
    )


def query_parse_error(detail: str) -> QboFault:
    return QboFault("4000", "Error parsing query", f"QueryParserError: {detail}", None)


def query_invalid(detail: str) -> QboFault:
    return QboFault("4001", "Invalid query", f"QueryValidationError: {detail}", None)


def unsupported_operation(path: str, base_url: str) -> QboFault:
    return QboFault(
        "500",
        "Unsupported Operation",
        f"Operation Could not find resource for relative : {path} of full path: {base_url}{path} "
        "is not supported.",
        None,
    )


class OAuthError(Exception):
    """An error of the token or revoke endpoint: `{"error": "invalid_grant"}` and the like."""

    def __init__(self, error: str, status: int = 400, description: str | None = None) -> None:
        super().__init__(error)
        self.error, self.status, self.description = error, status, description

    def render(self) -> Response:
        body: dict[str, str] = {"error": self.error}
        if self.description:
            body = {"error_description": self.description, "error": self.error}
        return json_response(body, self.status, JSON_FAULT)
