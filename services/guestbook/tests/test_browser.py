"""The page in a real browser (Debian's headless Chromium, driven by Playwright's Python package):
post through the form, without JavaScript, and see the message on the page it redirects to."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.live import manage, production_env, unavailable

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in CI containers; the sandbox refuses root
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def sync_playwright():
    if not Path(CHROMIUM).is_file():
        unavailable(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable(
            "playwright is missing: pip install -r services/guestbook/requirements-test.txt"
        )
    return sync_playwright


def test_posting_through_the_form_shows_the_message(
    live_site, sync_playwright, tmp_path: Path
) -> None:
    env = production_env(NODB="1", SQLITE_PATH=str(tmp_path / "guestbook.sqlite3"))
    manage("migrate", "--noinput", env=env)
    text = "Hello from Chromium <b>not bold</b> & friends"
    with live_site(env, workers=1, threads=4) as site, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(java_script_enabled=False)  # the form needs no JavaScript
            page.goto(f"{site.url}/")
            assert page.locator("#visits").inner_text() == "Visits: 1"
            assert page.locator("#messages-empty").is_visible()
            page.fill("textarea[name=text]", text)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            assert page.url == f"{site.url}/"  # POST, redirect, GET
            first = page.locator("#messages li .text").first
            assert first.inner_text() == text  # shown as written, markup escaped
            assert page.locator("#messages b").count() == 0
            assert page.locator("#visits").inner_text() == "Visits: 2"
            page.screenshot(path=str(tmp_path / "guestbook.png"), full_page=True)
        finally:
            browser.close()
