"""The sandbox's JSON writer: exact money, and stored rows spliced into query pages unchanged."""

from decimal import Decimal

from qbsandbox.responses import RawJSON, dumps, loads


def test_stored_rows_are_spliced_as_they_are():
    stored = '{"Id":"7","TotalAmt":100.00,"ExchangeRate":83.3,"Note":"\\u0001RAW0 in text"}'
    page = dumps({"QueryResponse": {"Invoice": [RawJSON(stored), RawJSON(stored)], "maxResults": 2}, "time": "t"})
    assert page == '{"QueryResponse":{"Invoice":[' + stored + "," + stored + '],"maxResults":2},"time":"t"}'
    assert loads(page)["QueryResponse"]["Invoice"][0]["TotalAmt"] == Decimal("100.00")


def test_decimals_beside_raw_rows_keep_their_two_places():
    assert dumps({"a": Decimal("5"), "b": [RawJSON('{"x":0}')]}) == '{"a":5.00,"b":[{"x":0}]}'


def test_added_latency_delays_only_the_accounting_api(tmp_path):
    import time

    import requests

    from qbsandbox.app import make_app
    from qbsandbox.server import build_server

    app = make_app(str(tmp_path / "slow.sqlite3"), latency=0.3)
    server = build_server(app, "127.0.0.1", 0, quiet=True)
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        started = time.monotonic()
        requests.get(f"{base}/_sandbox/realms", timeout=5)
        control_took = time.monotonic() - started
        started = time.monotonic()
        requests.get(f"{base}/v3/company/1/companyinfo/1", timeout=5)  # 401 without a token, after the delay
        api_took = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
    assert control_took < 0.25 <= 0.3 <= api_took
