"""WSGI entry point.

In development the local QuickBooks sandbox is mounted under ``/qbo-sandbox`` of this same server,
so the demo needs one process. The product never imports the sandbox: it reaches it over HTTP at
QBO_LOCAL_URL exactly as it reaches Intuit. This module is only the composition of the two.
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otiumwork.settings")

SANDBOX_PREFIX = "/qbo-sandbox"


def mount_local_sandbox(app, sandbox_app, prefix: str = SANDBOX_PREFIX):
    """A WSGI app that sends ``prefix/...`` to the sandbox and everything else to ``app``."""

    def dispatch(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == prefix or path.startswith(prefix + "/"):
            environ = dict(environ)
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
            environ["PATH_INFO"] = path[len(prefix) :]
            return sandbox_app(environ, start_response)
        return app(environ, start_response)

    return dispatch


application = get_wsgi_application()

if settings.QBO_SANDBOX_MOUNT:
    # Imported here, not at the top: the sandbox is demo-only and must never load in production mode.
    from qbsandbox.app import make_app

    application = mount_local_sandbox(application, make_app(settings.QBO_SANDBOX_DB))
