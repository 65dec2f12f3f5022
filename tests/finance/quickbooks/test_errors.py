"""Every QuickBooks failure the corpus shows maps to the error class that says what to do about it."""

import pickle
from decimal import Decimal

import pytest
import requests

from finance.quickbooks.errors import (
    AuthError,
    QueryError,
    QuickBooksError,
    ThrottledError,
    UnavailableError,
    ValidationFault,
    error_from_exception,
    error_from_response,
    faults_in_body,
)
from tests.corpus import (
    corpus_bytes,
    corpus_index,
    corpus_json,
    make_response,
    recorded_headers,
)

# file -> (HTTP status to serve it with, class, QBO code, start of QBO's Message)
FAULT_FILES = {
    "400-2010-unsupported-property.json": (400, ValidationFault, "2010", "Request has invalid"),
    "400-2020-required-param-missing-item-name.json": (
        400,
        ValidationFault,
        "2020",
        "Required param missing",
    ),
    "400-2020-required-param-missing-line-detailtype.json": (400, ValidationFault, "2020", "Required param"),
    "400-2030-invalid-id.json": (400, ValidationFault, "2030", "Invalid ID"),
    "400-2500-invalid-reference-id-inactive.xml": (400, ValidationFault, "2500", "Invalid Reference Id"),
    "400-2500-invalid-reference-id-itemref.xml": (400, ValidationFault, "2500", "Invalid Reference Id"),
    "400-4000-query-parser-error.json": (400, QueryError, "4000", "Error parsing query"),
    "400-4001-invalid-query-context.json": (400, QueryError, "4001", "Invalid query"),
    "400-4001-property-not-queryable.xml": (400, QueryError, "4001", "Invalid query"),
    "400-4001-query-validation-startposition.xml": (400, QueryError, "4001", "Invalid query"),
    "400-4002-query-processing-error.json": (400, QueryError, "4002", "Error processing query"),
    "400-500-unsupported-operation.json": (400, ValidationFault, "500", "Unsupported Operation"),
    "400-5010-stale-object-item.json": (400, ValidationFault, "5010", "Stale Object Error"),
    "400-5010-stale-object-void-salesreceipt.json": (400, ValidationFault, "5010", "Stale Object Error"),
    "400-610-object-not-found.json": (400, ValidationFault, "610", "Object Not Found"),
    "400-6240-duplicate-name-customer.xml": (400, ValidationFault, "6240", "Duplicate Name Exists Error"),
    "400-6240-duplicate-name-taxservice.json": (400, ValidationFault, "6240", "Duplicate Name Exists Error"),
    "400-6240-duplicate-name.json": (400, ValidationFault, "6240", "Duplicate Name Exists Error"),
    "401-3200-application-authentication-failed.xml": (401, AuthError, "3200", "message=ApplicationAuth"),
    "401-3200-malformed-bearer-token.json": (401, AuthError, "3200", "message=AuthenticationFailed"),
    "401-authentication-token-expired.json": (401, AuthError, "3200", "message=AuthenticationFailed"),
    "403-3001-throttle-exceeded-legacy.xml": (403, ThrottledError, "3001", "message=ThrottleExceeded"),
    "403-3100-application-authorization-failed.json": (403, AuthError, "3100", "message=ApplicationAuth"),
    "403-3100-authorization-failed-insufficient-scope.xml": (403, AuthError, "3100", "message=Authorization"),
    "403-3100-authorization-failed.json": (403, AuthError, "3100", "message=AuthorizationFailed"),
    "404-not-found.html": (404, QuickBooksError, "", "404 Not Found"),
    "413-request-entity-too-large.html": (413, QuickBooksError, "", "413 Request Entity Too Large"),
    "429-3001-throttle-exceeded.xml": (429, ThrottledError, "3001", "message=ThrottleExceeded"),
    "500-3100-internal-server-error.json": (500, UnavailableError, "3100", "message=InternalServerError"),
    "503-service-temporarily-unavailable.html": (503, UnavailableError, "", "503 Service Temporarily"),
    "systemfault-10000.xml": (500, UnavailableError, "10000", "An application error has occurred"),
}
# Faults that arrive inside an HTTP 200 body, checked with faults_in_body.
FAULTS_IN_200 = {
    "200-batch-610-object-not-found-5010-stale-object.json",
    "200-upload-6000-business-validation.json",
}


def served(name: str, status: int) -> requests.Response:
    entry = next(e for e in corpus_index("faults") if e["file"] == name)
    return make_response(status, corpus_bytes(f"faults/{name}"), recorded_headers(entry))


def test_every_corpus_fault_file_has_an_expected_mapping():
    assert {e["file"] for e in corpus_index("faults")} == set(FAULT_FILES) | FAULTS_IN_200


@pytest.mark.parametrize("name", sorted(FAULT_FILES))
def test_corpus_fault_maps_to_its_class_code_and_message(name):
    status, cls, code, message = FAULT_FILES[name]

    error = error_from_response(served(name, status))

    assert type(error) is cls
    assert (error.code, error.status) == (code, status)
    assert error.message.startswith(message)
    assert error.body == corpus_bytes(f"faults/{name}").decode()


def test_intuit_tid_is_read_from_either_header_spelling():
    assert error_from_response(served("400-6240-duplicate-name.json", 400)).intuit_tid == (
        "1-5f733d9a-1d4e21aa217ba43177113df4"
    )
    assert error_from_response(served("503-service-temporarily-unavailable.html", 503)).intuit_tid == (
        "8cb2e5b6-76a4-d4b0-a223-02300df8004b"
    )


def test_validation_fault_keeps_detail_and_element_for_the_caller_to_word():
    error = error_from_response(served("400-2500-invalid-reference-id-itemref.xml", 400))

    assert error.element == "Line.SalesItemLineDetail.ItemRef"
    assert error.detail == "Invalid Reference Id : Line.SalesItemLineDetail.ItemRef"
    assert error.fault_type == "ValidationFault"


def test_duplicate_name_gives_callers_code_and_detail_and_a_readable_str():
    error = error_from_response(served("400-6240-duplicate-name-customer.xml", 400))

    assert error.code == "6240"
    assert "Another $$customer$$ is already using this name" in error.detail
    text = str(error)
    assert text.startswith("QuickBooks rejected the data. QuickBooks said: Duplicate Name Exists Error")
    assert "code 6240" in text and "<IntuitResponse" not in text


def test_all_errors_of_a_fault_are_kept():
    error = error_from_response(served("401-3200-application-authentication-failed.xml", 401))

    assert [e["detail"] for e in error.errors] == ["", "This error does have detail"]


def test_batch_item_faults_in_a_200_body():
    items = corpus_json("faults/200-batch-610-object-not-found-5010-stale-object.json")["BatchItemResponse"]

    found = [faults_in_body(item) for item in items]

    assert found[0] is None and found[3] is None
    assert [(type(e), e.code) for e in found[1:3]] == [(ValidationFault, "610"), (ValidationFault, "5010")]
    assert found[2].detail.startswith("Stale Object Error : You and Christian Pelczarski")


def test_upload_fault_in_a_200_body():
    item = corpus_json("faults/200-upload-6000-business-validation.json")["AttachableResponse"][0]

    error = faults_in_body(item)

    assert type(error) is ValidationFault and error.code == "6000" and error.status is None


def test_cdc_system_fault_in_a_200_body_is_not_transient():
    error = faults_in_body(corpus_json("cdc/fault-entities-missing.json"))

    assert type(error) is QuickBooksError and error.code == "10000"
    assert not error.transient


def test_body_without_fault_has_none():
    assert faults_in_body(corpus_json("query/empty-after-last-page.json")) is None
    assert faults_in_body(["not", "a", "dict"]) is None


@pytest.mark.parametrize(
    "name",
    [
        "token-error-invalid-grant.json",
        "token-error-invalid-grant-token-invalid.json",
        "token-error-invalid-grant-invalid-refresh-token.json",
        "token-error-invalid-grant-invalid-refresh-token-2020.json",
        "token-error-invalid-grant-token-type-or-clientid.json",
    ],
)
def test_invalid_grant_from_the_token_endpoint_means_reconnect(name):
    error = error_from_response(make_response(400, corpus_bytes(f"oauth/{name}"), {"intuit_tid": "1-abc"}))

    assert type(error) is AuthError
    assert (error.code, error.intuit_tid) == ("invalid_grant", "1-abc")
    assert "reconnect" in str(error)


def test_invalid_client_points_at_the_app_credentials():
    error = error_from_response(make_response(401, corpus_bytes("oauth/token-error-invalid-client.json")))

    assert type(error) is AuthError and error.code == "invalid_client"
    assert "Client ID or Client Secret" in str(error)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthError),
        (403, AuthError),
        (429, ThrottledError),
        (502, UnavailableError),
        (404, QuickBooksError),
    ],
)
def test_empty_body_maps_by_status(status, cls):
    error = error_from_response(make_response(status))

    assert type(error) is cls and error.body == ""


def test_retry_after_seconds_and_http_date():
    in_seconds = error_from_response(make_response(429, b"", {"Retry-After": "7"}))
    as_date = error_from_response(make_response(429, b"", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}))

    assert in_seconds.retry_after == 7.0
    assert as_date.retry_after == 0.0  # a date in the past: retry now


def test_only_throttled_and_unavailable_are_transient():
    assert ThrottledError().transient and UnavailableError().transient
    assert not any(cls().transient for cls in (QuickBooksError, AuthError, ValidationFault, QueryError))


def test_timeouts_and_connection_errors_are_unavailable():
    timeout = error_from_exception(requests.ReadTimeout("read timed out"))
    refused = error_from_exception(requests.ConnectionError("refused"))

    assert type(timeout) is UnavailableError and timeout.message == "the request timed out"
    assert type(refused) is UnavailableError and refused.message == "could not connect to QuickBooks"


def test_token_quoted_by_quickbooks_is_redacted_from_str():
    token = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..Kq3bcd8kQ2s.Zk1tU2xOcUhrRHhNZw"
    body = corpus_bytes("faults/401-authentication-token-expired.json").replace(
        b"<TOKEN_PREFIX>", token.encode()
    )

    error = error_from_response(make_response(401, body))

    assert token not in str(error) and "[redacted]" in str(error)


def test_scrub_removes_a_known_secret_everywhere():
    error = AuthError("bad", detail="token abc123 rejected", body='{"t":"abc123"}').scrub("abc123")

    assert "abc123" not in str(error) + error.detail + error.body + repr(error)


def test_errors_survive_pickling_with_their_attributes():
    error = error_from_response(served("400-6240-duplicate-name.json", 400))

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object

    assert type(copy) is ValidationFault
    assert (copy.code, copy.intuit_tid, str(copy)) == (error.code, error.intuit_tid, str(error))


def test_xml_and_html_bodies_do_not_need_a_content_type():
    error = error_from_response(make_response(429, corpus_bytes("faults/429-3001-throttle-exceeded.xml")))

    assert type(error) is ThrottledError and error.detail == "The request limit was reached.  Try again later"
    assert Decimal  # parse_float is the client's job; errors keep text as text
