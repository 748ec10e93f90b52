"""`/docs` in a real browser (Debian's headless Chromium, driven by Playwright): the Authorize button takes a
session token, and "Try it out" of `GET /me` then answers for that person."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

# Debian's `chromium` package (`.ci/run` installs it); Playwright drives it, it downloads no browser of its own.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TIMEOUT_MS = 15_000


@pytest.fixture
def page(tmp_path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM), "headless Chromium is needed: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def try_get_me(page) -> tuple[str, str]:
    """Execute `GET /me` from its operation block; the status and body shown."""
    block = page.locator("#operations-me-getMe")
    if not block.locator("button.execute").is_visible():
        block.locator("button.try-out__btn").click()
    responses = block.locator(".live-responses-table")
    clear = block.locator("button.btn-clear")
    if clear.is_visible():  # the previous answer goes first, so the one read below is this call's
        clear.click()
        responses.wait_for(state="detached")
    block.locator("button.execute").click()
    row = responses.locator("tbody tr.response").first
    row.wait_for()
    return row.locator(".response-col_status").inner_text().strip(), row.locator(".microlight").first.inner_text()


def test_authorize_button_signs_in_and_me_answers(system_stack, gateway_user, page):
    page.goto(f"{system_stack.url}/docs")
    page.locator(".topbar select").select_option(label="users")
    page.locator("#operations-me-getMe .opblock-summary").click()

    status, body = try_get_me(page)
    assert status == "401" and '"Unauthorized"' in body  # not signed in yet

    page.locator("button.authorize").first.click()
    dialog = page.locator(".auth-container").filter(has_text="bearer")
    dialog.locator("input").fill(gateway_user.token)
    dialog.locator("button.authorize").click()
    page.locator("button.btn-done").click()
    assert page.locator("button.authorize.locked").first.is_visible()  # the padlock closed

    status, body = try_get_me(page)
    assert status == "200", body
    assert f'"username": "{gateway_user.username}"' in body
