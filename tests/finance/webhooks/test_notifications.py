"""Intuit's two webhook bodies read into events: the corpus samples of both formats, the three time
formats Intuit writes, the keys that name an event across deliveries, and bodies that are neither."""

from datetime import UTC, datetime

import pytest

from finance.webhooks.notifications import Malformed, events_in, moment, realms_named
from tests.corpus import corpus_bytes


def test_a_classic_notification_names_each_entity_of_each_realm():
    [vendor, customer] = events_in(corpus_bytes("webhooks/notification-vendor-update-customer-create.json"))
    assert vendor.realm_id == customer.realm_id == "1269959970"
    assert (vendor.entity, vendor.entity_id, vendor.operation) == ("Vendor", "40", "Update")
    assert (customer.entity, customer.entity_id, customer.operation) == ("Customer", "43", "Create")
    assert vendor.occurred_at == datetime(2016, 10, 5, 3, 9, 4, tzinfo=UTC)
    assert vendor.key != customer.key


def test_a_cloud_events_array_names_its_realm_entity_and_verb():
    [event] = events_in(corpus_bytes("webhooks/cloudevents-class-created.json"))
    assert (event.realm_id, event.entity, event.entity_id, event.operation) == ("310687", "Class", "1234", "Create")
    assert event.occurred_at == datetime(2025, 10, 7, 19, 59, 7, 34359, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-10-05T14:42:19-0700", datetime(2015, 10, 5, 21, 42, 19, tzinfo=UTC)),
        ("2016-10-05T03:09:04.000Z", datetime(2016, 10, 5, 3, 9, 4, tzinfo=UTC)),
        ("2025-09-10T21:31:25.179851517Z", datetime(2025, 9, 10, 21, 31, 25, 179851, tzinfo=UTC)),
    ],
)
def test_every_time_format_intuit_writes_is_read(text, expected):
    assert moment(text) == expected


def test_the_same_event_delivered_twice_has_the_same_key_and_another_change_another():
    body = corpus_bytes("webhooks/notification-customer-create.json")
    assert events_in(body)[0].key == events_in(body)[0].key
    later = body.replace(b"14:42:19", b"14:43:19")
    assert events_in(later)[0].key != events_in(body)[0].key


def test_realms_are_found_in_the_raw_bytes_of_both_formats():
    assert realms_named(corpus_bytes("webhooks/notification-vendor-update-customer-create.json")) == {"1269959970"}
    assert realms_named(corpus_bytes("webhooks/cloudevents-account-created.intuit-blog.json")) == {"310687"}


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"\xff\xfe", b"{}", b'{"eventNotifications": [1]}', b'[{"type": "qbo.invoice.created.v1"}]',
     b'{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":[{"name":"Invoice","id":"1",'
     b'"operation":"Create","lastUpdated":"yesterday"}]}}]}'],
    ids=["not json", "not utf-8", "neither format", "item not an object", "no specversion", "bad time"],
)  # fmt: skip
def test_a_body_of_neither_format_is_malformed(raw):
    with pytest.raises(Malformed):
        events_in(raw)
