"""Machine endpoints for an external scheduler (docs/sync.md, "Cron endpoint"), guarded by the CRON_TOKEN header."""

from __future__ import annotations

import hmac
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from finance.quickbooks.jobs import start_fanout

TOKEN_HEADER = "X-OtiumWork-Cron-Token"  # noqa: S105 - a header name, not a secret


def cron_token_required(view):
    """503 while CRON_TOKEN is unset (the endpoint is off), 401 without the header, 403 when it differs.
    The comparison takes the same time wherever the strings differ."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        expected = settings.CRON_TOKEN
        if not expected:
            return JsonResponse({"error": "The cron endpoint is disabled: CRON_TOKEN is not set."}, status=503)
        given = request.headers.get(TOKEN_HEADER)
        if not given:
            return JsonResponse({"error": f"Missing {TOKEN_HEADER} header."}, status=401)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return JsonResponse({"error": f"Wrong {TOKEN_HEADER}."}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


@csrf_exempt  # a machine endpoint: its own token, no browser session or cookie
@require_POST
@cron_token_required
def qb_sync_all(request):
    """Queue the fan-out (one pull per active QuickBooks connection) and answer at once with counts."""
    return JsonResponse(start_fanout(trigger="cron"), status=202)
