"""Each environment reaches QuickBooks at the right URLs; `local` derives them all from one base."""

import dataclasses

import pytest
from intuitlib.config import DISCOVERY_URL

from finance.quickbooks.client import QuickBooksClient
from finance.quickbooks.environments import Environment, QuickBooksUrls, urls_for
from tests.corpus import corpus_json


def test_production_uses_intuit_hosts():
    urls = urls_for("production", local_base_url="http://unused")

    assert urls == QuickBooksUrls(
        discovery="https://developer.intuit.com/.well-known/openid_configuration/",
        authorize="https://appcenter.intuit.com/connect/oauth2",
        token="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        revoke="https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        api_base="https://quickbooks.api.intuit.com",
        web_app="https://app.qbo.intuit.com",
    )


def test_sandbox_uses_the_sandbox_api_and_the_endpoints_of_its_discovery_document():
    urls = urls_for("sandbox", local_base_url="http://unused")
    discovery = corpus_json("oauth/openid-sandbox-configuration.json")

    assert urls.api_base == "https://sandbox-quickbooks.api.intuit.com"
    assert urls.web_app == "https://app.sandbox.qbo.intuit.com"
    assert (urls.authorize, urls.token, urls.revoke) == (
        discovery["authorization_endpoint"],
        discovery["token_endpoint"],
        discovery["revocation_endpoint"],
    )


@pytest.mark.parametrize("environment", ["production", "sandbox"])
def test_discovery_urls_are_the_ones_intuit_oauth_uses(environment):
    assert urls_for(environment, local_base_url="").discovery == DISCOVERY_URL[environment]


def company_url(urls: QuickBooksUrls, realm_id: str) -> str:
    """Where the client sends a company's Accounting API calls for these URLs."""
    return QuickBooksClient(api_base=urls.api_base, realm_id=realm_id, access_token="unused").company_url


@pytest.mark.parametrize("base", ["http://localhost:8001", "http://localhost:8001/"])
def test_local_puts_intuit_paths_under_one_base_url(base):
    urls = urls_for("local", local_base_url=base)

    assert urls == QuickBooksUrls(
        discovery="http://localhost:8001/.well-known/openid_configuration",
        authorize="http://localhost:8001/connect/oauth2",
        token="http://localhost:8001/oauth2/v1/tokens/bearer",
        revoke="http://localhost:8001/v2/oauth2/tokens/revoke",
        api_base="http://localhost:8001",
        web_app="http://localhost:8001",
        realm_in_links=True,
    )
    assert company_url(urls, "123") == "http://localhost:8001/v3/company/123"


def test_local_base_url_may_carry_a_path_prefix():
    urls = urls_for("local", local_base_url="https://sandbox.example.org/qbo")

    assert urls.token == "https://sandbox.example.org/qbo/oauth2/v1/tokens/bearer"
    assert company_url(urls, "9") == "https://sandbox.example.org/qbo/v3/company/9"


def test_local_without_a_usable_base_url_is_refused():
    with pytest.raises(ValueError, match="must start with http"):
        urls_for("local", local_base_url="")


@pytest.mark.parametrize("environment", ["prod", "Production", "e2e", "https://evil.example/.well-known"])
def test_unknown_environment_is_refused(environment):
    with pytest.raises(ValueError, match="unknown QuickBooks environment"):
        urls_for(environment, local_base_url="http://localhost:8001")


def test_environment_values_and_frozen_urls():
    assert [e.value for e in Environment] == ["production", "sandbox", "local"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        urls_for("production", local_base_url="").token = "https://elsewhere"  # type: ignore[misc]
