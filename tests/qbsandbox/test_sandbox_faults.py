"""Injected faults (throttle, error, hang, revoke) and call counting, through the control API."""

from __future__ import annotations

import time

import pytest
import requests

from tests.qbsandbox.conftest import token_request


def test_throttle_answers_429_xml_until_the_count_runs_out(sandbox, conn):
    sandbox.inject_fault(conn.realm_id, "throttle", count=2)
    for _ in range(2):
        response = conn.query("SELECT COUNT(*) FROM Customer")
        assert response.status_code == 429
        assert response.headers["Content-Type"] == "application/xml"
        assert '<Error code="3001">' in response.text
        assert "message=ThrottleExceeded; errorCode=003001; statusCode=429" in response.text
        assert "Retry-After" not in response.headers
    assert conn.query("SELECT COUNT(*) FROM Customer").status_code == 200


def test_throttle_sends_retry_after_only_when_asked(sandbox, conn):
    sandbox.inject_fault(conn.realm_id, "throttle", count=1, retry_after=7)
    assert conn.query("SELECT COUNT(*) FROM Customer").headers["Retry-After"] == "7"


def test_fault_lets_the_first_calls_pass_when_after_is_given(sandbox, conn):
    sandbox.inject_fault(conn.realm_id, "error", count=1, after=2)
    statuses = [conn.query("SELECT COUNT(*) FROM Customer").status_code for _ in range(4)]
    assert statuses == [200, 200, 500, 200]


def test_error_answers_500_in_the_lowercase_envelope(sandbox, conn):
    sandbox.inject_fault(conn.realm_id, "error", count=1)
    response = conn.api("GET", f"companyinfo/{conn.realm_id}")
    assert response.status_code == 500 and response.headers["Content-Type"] == "application/json"
    error = response.json()["fault"]["error"][0]
    assert error["code"] == "3100" and "InternalServerError" in error["message"]


def test_hang_makes_the_client_time_out_without_blocking_others(sandbox, app, conn):
    other = sandbox.create_realm(name="Unhurried Co")
    sandbox.inject_fault(conn.realm_id, "hang", count=1, seconds=1.5)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        conn.query("SELECT COUNT(*) FROM Customer", timeout=0.5)
    assert time.monotonic() - started < 1.4
    # Other requests are served while the hung one sleeps.
    assert requests.get(f"{sandbox.url}/_sandbox/realms/{other}/calls", timeout=1).status_code == 200
    assert conn.query("SELECT COUNT(*) FROM Customer").status_code == 200


def test_revoke_fault_makes_the_next_refresh_invalid_grant(sandbox, app, conn):
    sandbox.inject_fault(conn.realm_id, "revoke")
    response = token_request(sandbox.url, app, grant_type="refresh_token", refresh_token=conn.refresh_token)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    assert conn.query("SELECT COUNT(*) FROM Customer").status_code == 401


def test_calls_are_counted_per_realm_and_kind(sandbox, conn):
    conn.query("SELECT COUNT(*) FROM Customer")
    conn.query("SELECT COUNT(*) FROM Vendor")
    conn.api("GET", f"companyinfo/{conn.realm_id}")
    conn.create("Customer", {"DisplayName": "Counted Co"})
    assert sandbox.calls(conn.realm_id) == {"total": 4, "query": 2, "companyinfo": 1, "create": 1}


def test_unknown_fault_kind_is_refused(sandbox, conn):
    with pytest.raises(RuntimeError, match="400"):
        sandbox.inject_fault(conn.realm_id, "explode")


def test_oauth_error_fails_refresh_and_revoke_but_not_the_api(sandbox, app, conn):
    sandbox.inject_fault(conn.realm_id, "oauth_error", count=2)
    assert conn.query("SELECT COUNT(*) FROM Customer").status_code == 200
    refresh = token_request(sandbox.url, app, grant_type="refresh_token", refresh_token=conn.refresh_token)
    assert (refresh.status_code, refresh.json()) == (500, {"error": "server_error"})
    revoke = requests.post(
        f"{sandbox.url}/v2/oauth2/tokens/revoke",
        json={"token": conn.refresh_token},
        auth=(app["client_id"], app["client_secret"]),
        timeout=5,
    )
    assert revoke.status_code == 500
    # The failed calls changed nothing: the refresh token still works once the faults are spent.
    again = token_request(sandbox.url, app, grant_type="refresh_token", refresh_token=conn.refresh_token)
    assert again.status_code == 200


def test_oauth_hang_delays_the_token_endpoint(sandbox, app, conn):
    sandbox.inject_fault(conn.realm_id, "oauth_hang", count=1, seconds=1.0)
    with pytest.raises(requests.Timeout):
        requests.post(
            f"{sandbox.url}/oauth2/v1/tokens/bearer",
            data={"grant_type": "refresh_token", "refresh_token": conn.refresh_token},
            auth=(app["client_id"], app["client_secret"]),
            timeout=0.4,
        )
