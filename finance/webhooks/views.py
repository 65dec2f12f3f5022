"""`POST /api/qb/webhooks`: Intuit's webhook deliveries. No login, no CSRF token, no session: the
`intuit-signature` header is the proof (finance/webhooks/receive.py). Thin: bound the body, hand
it to the service, answer its status with an empty body."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from finance.webhooks.receive import MAX_BODY, receive_delivery


@csrf_exempt  # a machine endpoint: the signature, not a cookie, proves who sends
@require_POST
def quickbooks_webhook(request):
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_BODY:
        return HttpResponse(status=413 if declared.isdigit() else 400)
    raw = request.body  # read once and kept by Django: within the declared, bounded length
    if len(raw) > MAX_BODY:
        return HttpResponse(status=413)
    delivery = receive_delivery(raw=raw, signature=request.headers.get("intuit-signature"))
    return HttpResponse(status=delivery.status)
