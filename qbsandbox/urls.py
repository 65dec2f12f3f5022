"""Routing: Intuit's paths (and the sandbox's `/_sandbox/` control paths) to their handlers."""

from __future__ import annotations

import re
from collections.abc import Callable

from qbsandbox import api, control, oauth
from qbsandbox.responses import Response

Handler = Callable[..., Response]

ROUTES: list[tuple[set[str], re.Pattern[str], Handler]] = [
    ({"GET"}, re.compile(r"/\.well-known/openid_configuration"), oauth.discovery),
    ({"GET"}, re.compile(r"/\.well-known/openid_sandbox_configuration"), oauth.discovery),
    ({"GET", "POST"}, re.compile(r"/connect/oauth2"), oauth.authorize),
    ({"POST"}, re.compile(r"/oauth2/v1/tokens/bearer"), oauth.token),
    ({"POST"}, re.compile(r"/v2/oauth2/tokens/revoke"), oauth.revoke),
    ({"GET"}, re.compile(r"/op/v1/jwks"), oauth.jwks_document),
    ({"GET"}, re.compile(r"/v1/openid_connect/userinfo"), oauth.userinfo),
    ({"GET", "POST"}, re.compile(r"/v3/company/(?P<realm_id>[^/]+)/(?P<rest>.*)"), api.handle),
    ({"POST"}, re.compile(r"/_sandbox/apps"), control.apps),
    ({"GET", "POST"}, re.compile(r"/_sandbox/realms"), control.realms),
    ({"POST"}, re.compile(r"/_sandbox/demo"), control.seed_demo),
    ({"GET", "POST"}, re.compile(r"/_sandbox/webhooks"), control.webhook_subscription),
    ({"GET"}, re.compile(r"/_sandbox/realms/(?P<realm_id>[^/]+)/query"), control.query),
    (
        {"GET"},
        re.compile(r"/_sandbox/realms/(?P<realm_id>[^/]+)/entities/(?P<entity>\w+)/(?P<entity_id>[^/]+)"),
        control.read,
    ),
    (
        {"POST"},
        re.compile(
            r"/_sandbox/realms/(?P<realm_id>[^/]+)/entities/(?P<entity>\w+)/(?P<entity_id>[^/]+)/"
            r"(?P<operation>update|delete|void)"
        ),
        control.change,
    ),
    ({"GET", "POST"}, re.compile(r"/_sandbox/clock"), control.clock),
    ({"POST"}, re.compile(r"/_sandbox/realms/(?P<realm_id>[^/]+)/faults"), control.realm_faults),
    ({"GET"}, re.compile(r"/_sandbox/realms/(?P<realm_id>[^/]+)/calls"), control.calls),
    (
        {"POST"},
        re.compile(r"/_sandbox/realms/(?P<realm_id>[^/]+)/entities/(?P<entity>\w+)"),
        control.entities,
    ),
    ({"GET"}, re.compile(r"/app/(?P<entity>\w+)"), control.app_page),
    ({"POST"}, re.compile(r"/app/(?P<entity>\w+)/change"), control.app_change),
]


def resolve(method: str, path: str) -> tuple[Handler, dict[str, str]] | None | bool:
    """The handler and its path parameters; False when the path exists but not for this method."""
    path_matched = False
    for methods, pattern, handler in ROUTES:
        match = pattern.fullmatch(path)
        if match:
            if method in methods:
                return handler, match.groupdict()
            path_matched = True
    return False if path_matched else None
