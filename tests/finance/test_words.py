"""Words the pages show: an error is a human sentence first with QuickBooks' code, intuit_tid, OAuth
codes and class names folded into details; log lines name their objects in words; one status badge
per connection reflects its last run."""

from types import SimpleNamespace

import pytest

from finance.presentation import card_state, error_text


@pytest.mark.parametrize(
    "stored,sentence,detail",
    [
        (
            "QuickBooks returned an unexpected error. QuickBooks said: message=InternalServerError; "
            "errorCode=003100 (code 003100, HTTP 500, intuit_tid 1-abc)",
            "QuickBooks returned an unexpected error.",
            "intuit_tid 1-abc",
        ),
        (
            "QuickBooks refused the stored authorization (invalid_grant); an admin must reconnect.",
            "QuickBooks refused the stored authorization; an admin must reconnect.",
            "invalid_grant",
        ),
        ("unexpected error (KeyError): 'Line'", "Unexpected error: 'Line'.", "KeyError"),
        ("needs reconnect (needs reconnect).", "Needs reconnect (needs reconnect).", ""),
    ],
)
def test_an_error_reads_as_a_sentence_with_its_details_folded(stored, sentence, detail):
    text = error_text(stored)
    assert text.sentence == sentence
    assert detail in text.details
    for code in ("intuit_tid", "invalid_grant", "KeyError", "errorCode"):
        assert code not in text.sentence


def test_the_status_badge_reflects_the_last_run():
    connected = SimpleNamespace(realm_id="1", status="connected")
    failed = SimpleNamespace(status="error")
    assert card_state(connected, failed, stale=False, unfinished=False).label == "connected · last sync failed"
    assert card_state(connected, failed, stale=False, unfinished=False).key == "bad"
    assert card_state(connected, None, stale=True, unfinished=False).label == "connected · data stale"
    assert card_state(connected, None, stale=False, unfinished=True).label == "syncing…"
    assert card_state(connected, SimpleNamespace(status="success"), stale=False, unfinished=False).key == "ok"
    assert card_state(SimpleNamespace(realm_id="1", status="needs_reconnect"), None, stale=False,
                      unfinished=False).label == "needs reconnect"  # fmt: skip
    assert card_state(None, None, stale=False, unfinished=False).label == "not connected"
