"""Login throttling: django-axes counts failed log-ins per username and client address.

See the "Login throttling" block of otiumwork/settings.py for the limits.
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses the log-in of a locked-out username and address before the password is checked.

    Only log-ins over HTTP are throttled: an ``authenticate()`` call without a request (a management
    command, Django's test client ``login()``) has no client address to count and goes straight to
    the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request) -> str | None:
    """The address a log-in attempt came from.

    Behind the TLS proxy (DJANGO_BEHIND_TLS_PROXY) every request comes from the proxy, which appends
    the client's address to ``X-Forwarded-For``: its last entry is the one the proxy saw. Earlier
    entries are whatever the client sent and are not trusted.
    """
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out log-in attempt gets: 429, saying how long to wait and what to do."""
    from axes.helpers import get_client_username, get_cool_off, get_failure_limit
    from django.shortcuts import render

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": minutes,
    }
    return render(request, "registration/locked_out.html", context, status=429)
