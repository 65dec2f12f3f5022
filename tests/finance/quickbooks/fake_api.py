"""A fake Accounting API for the client's tests: `responses` on a made-up host, a client that records
its waits instead of sleeping, and builders of query pages."""

import re

import pytest
import requests
import responses

from finance.quickbooks.client import QuickBooksClient

API = "https://qbo.test"
REALM = "4620816365212676460"
COMPANY = f"{API}/v3/company/{REALM}"
TOKEN = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..c2VjcmV0LWFjY2Vzcy10b2tlbg.abcdefghijkl"
QUERY_URL = re.compile(re.escape(f"{COMPANY}/query") + r"(\?.*)?$")
BATCH_URL = re.compile(re.escape(f"{COMPANY}/batch") + r"(\?.*)?$")


class RecordingSession(requests.Session):
    """A session that remembers the keyword arguments of every request (to see the timeout)."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def request(self, method, url, **kwargs):
        self.sent.append(kwargs)
        return super().request(method, url, **kwargs)


@pytest.fixture
def waits():
    return []


@pytest.fixture
def make_client(waits):
    def build(**options):
        return QuickBooksClient(api_base=API, realm_id=REALM, access_token=TOKEN, sleep=waits.append, **options)

    return build


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def add_query_page(mock, payload, status=200):
    mock.add(responses.POST, QUERY_URL, json=payload, status=status)


def sent_statements(mock):
    return [call.request.body.decode() for call in mock.calls]


def page_of(entity, count, start=1):
    return {"QueryResponse": {entity: [{"Id": str(start + i)} for i in range(count)]}, "time": "t"}
