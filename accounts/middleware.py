"""Attach the signed-in user's membership (company and role) to every request."""

from django.utils.functional import SimpleLazyObject

from .models import Membership


def _membership_of(user):
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("company").filter(user=user).first()


class MembershipMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _membership_of(request.user))
        return self.get_response(request)
