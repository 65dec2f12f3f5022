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
