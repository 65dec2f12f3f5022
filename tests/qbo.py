"""Driving the QuickBooks connection through the product, against the local sandbox, as an admin's
browser would: Connect → the sandbox's consent page → the callback."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from django.urls import reverse

from qbsandbox.testing import RunningSandbox


@dataclass
class LocalQuickBooks:
    sandbox: RunningSandbox
    app: dict[str, Any]

    def realm(self, **kwargs: Any) -> str:
        kwargs.setdefault("name", "Test Company")
        return self.sandbox.create_realm(**kwargs)


def start(client, entity) -> str:
    """Click Connect; returns the consent URL the browser is sent to."""
    response = client.post(reverse("finance:qb_connect", args=[entity.pk]))
    assert response.status_code == 302, response
    return response["Location"]


def consent(authorize_url: str, realm_id: str, decision: str = "approve") -> str:
    """Answer the sandbox's consent page; returns the callback URL it redirects to."""
    base, _, query = authorize_url.partition("?")
    params = dict(parse_qsl(query))
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200, page.text
    answer = requests.post(
        base, data={**params, "realm_id": realm_id, "decision": decision}, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def callback(client, callback_url: str):
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}", follow=True)


def connect(client, entity, realm_id: str, decision: str = "approve"):
    """The whole flow; returns the final page (the dashboard with its message)."""
    return callback(client, consent(start(client, entity), realm_id, decision))


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []
