"""Headless Chromium for browser tests (the `chromium` fixture in conftest): Debian's build, driven by
Playwright; screenshots kept under artifacts/."""

from pathlib import Path

from tests.builders import PASSWORD

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def log_in(page, base_url: str, user, next_path: str = "/") -> None:
    """Sign ``user`` in through the login form; returns once ``next_path`` has opened."""
    page.goto(f"{base_url}/login/?next={next_path}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")
