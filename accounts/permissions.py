"""Role checks for views.

Every view of the product is wrapped in ``member_required``: anonymous users go to the login page,
users without a company get 403, and a role outside ``roles`` gets 403. Objects of another company
are never looked up by id alone: views scope every query by ``request.membership.company``, so such
URLs answer 404.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .models import Role

ALL_ROLES = (Role.ADMIN, Role.FINANCE, Role.SALES)
FINANCE_ROLES = (Role.ADMIN, Role.FINANCE)
ADMIN_ONLY = (Role.ADMIN,)


def member_required(*roles: str):
    allowed = set(roles or ALL_ROLES)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = request.membership
            if not membership or membership.role not in allowed:
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
