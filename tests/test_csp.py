"""The Content-Security-Policy allows no inline script, event handler or style attribute: every page
carries the header, and no template needs what the policy refuses."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html")) + sorted(ROOT.glob("*/templates/**/*.html"))

REFUSED = {
    "an inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "a style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "an event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "a <style> element without the request's nonce": re.compile(
        r"<style(?![^>]*nonce=\"\{\{ request\.csp_nonce \}\}\")[^>]*>", re.IGNORECASE
    ),
}


@pytest.mark.parametrize("template", TEMPLATES, ids=[str(t.relative_to(ROOT)) for t in TEMPLATES])
def test_no_template_needs_what_the_policy_refuses(template):
    source = template.read_text(encoding="utf-8")
    found = [what for what, pattern in REFUSED.items() if pattern.search(source)]
    assert not found, f"{template.relative_to(ROOT)} has {', '.join(found)}: use static/js/app.js or a class"


@pytest.mark.django_db
def test_pages_send_the_policy(client, admin_user, entity):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"  # a nonce joins it only when a page uses one
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"

    client.force_login(admin_user)
    for url in (
        reverse("home"),
        reverse("sales:list"),
        reverse("finance:home"),
        reverse("finance:snapshots", args=[entity.pk]),
        reverse("finance:qb"),
        reverse("settings"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"] == policy, url
