"""Where QuickBooks lives for each environment: every URL the integration calls, in one place, and
the OAuth redirect URI of this site.

`production` and `sandbox` are Intuit's own hosts; `local` puts Intuit's paths under one base URL,
the setting QBO_LOCAL_URL, so a stand-in server is reached exactly as Intuit is (docs/sync.md,
"Environments"). ``urls_for`` takes that base as an argument; ``quickbooks_urls`` and
``redirect_uri`` read the settings.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.urls import reverse


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production (Intuit)"
    SANDBOX = "sandbox", "Sandbox (Intuit developer sandbox)"
    LOCAL = "local", "Local QuickBooks sandbox (demo and tests)"


@dataclass(frozen=True)
class QuickBooksUrls:
    discovery: str
    authorize: str
    token: str
    revoke: str
    api_base: str
    web_app: str
    # Transaction ids are per company: a stand-in serving several companies needs the realm in links.
    realm_in_links: bool = False

    def transaction_url(self, path: str, txn_id: str, realm_id: str) -> str:
        """A transaction's page in QuickBooks' web app: `{web_app}/app/{path}?txnId=ID`, `path` as
        QuickBooks names it (`invoice`, `recvpayment`, `bill`, `billpayment`, `creditmemo`)."""
        query = urlencode({"txnId": txn_id, **({"realmId": realm_id} if self.realm_in_links else {})})
        return f"{self.web_app}/app/{path}?{query}"


# Same hosts in both Intuit environments (the sandbox discovery document lists them too).
_AUTHORIZE = "https://appcenter.intuit.com/connect/oauth2"
_BEARER_ENDPOINT = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
_REVOKE = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"

_INTUIT = {
    Environment.PRODUCTION: QuickBooksUrls(
        discovery="https://developer.intuit.com/.well-known/openid_configuration/",
        authorize=_AUTHORIZE,
        token=_BEARER_ENDPOINT,
        revoke=_REVOKE,
        api_base="https://quickbooks.api.intuit.com",
        web_app="https://app.qbo.intuit.com",
    ),
    Environment.SANDBOX: QuickBooksUrls(
        discovery="https://developer.intuit.com/.well-known/openid_sandbox_configuration/",
        authorize=_AUTHORIZE,
        token=_BEARER_ENDPOINT,
        revoke=_REVOKE,
        api_base="https://sandbox-quickbooks.api.intuit.com",
        web_app="https://app.sandbox.qbo.intuit.com",
    ),
}


def local_urls(base_url: str) -> QuickBooksUrls:
    """Intuit's paths under one base URL."""
    base = base_url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(
            f"the local QuickBooks base URL must start with http:// or https://, got {base_url!r}"
        )
    return QuickBooksUrls(
        discovery=f"{base}/.well-known/openid_configuration",
        authorize=f"{base}/connect/oauth2",
        token=f"{base}/oauth2/v1/tokens/bearer",
        revoke=f"{base}/v2/oauth2/tokens/revoke",
        api_base=base,
        web_app=base,
        realm_in_links=True,
    )


def urls_for(environment: str, *, local_base_url: str) -> QuickBooksUrls:
    """The URLs of `environment` ("production", "sandbox" or "local"); ValueError for anything else."""
    try:
        env = Environment(environment)
    except ValueError:
        choices = ", ".join(e.value for e in Environment)
        raise ValueError(
            f"unknown QuickBooks environment {environment!r} (expected one of: {choices})"
        ) from None
    if env is Environment.LOCAL:
        return local_urls(local_base_url)
    return _INTUIT[env]


def quickbooks_urls(environment: str) -> QuickBooksUrls:
    """The URLs of `environment`, the local one under the setting QBO_LOCAL_URL."""
    return urls_for(environment, local_base_url=settings.QBO_LOCAL_URL)


def redirect_uri() -> str:
    """The callback URL to register at Intuit, built from the setting SITE_URL."""
    return settings.SITE_URL + reverse("finance:qb_callback")
