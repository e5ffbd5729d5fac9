"""Playwright driving Debian's Chromium (/usr/bin/chromium) against pytest-django's live server.

Under CI (CI=true) a missing Chromium fails the run; elsewhere the browser tests are skipped.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("JICENG_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


class ConsoleErrors(list):
    def assert_none(self):
        assert not self, "browser console errors:\n" + "\n".join(self)


@pytest.fixture
def page_factory(browser, live_server):
    """New pages (desktop or phone viewport) that collect console errors and CSP violations."""
    contexts = []

    def make(*, phone: bool = False, locale: str = "zh-CN"):
        viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = browser.new_context(
            viewport=viewport, locale=locale, base_url=live_server.url, is_mobile=phone, has_touch=phone
        )
        contexts.append(context)
        page = context.new_page()
        page.console_errors = ConsoleErrors()
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def login(world):
    from conftest import PASSWORD

    def do(page, username: str):
        page.goto("/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("networkidle")
        return page

    return do
