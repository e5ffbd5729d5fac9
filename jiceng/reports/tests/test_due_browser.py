"""In Chromium on a phone: the secretary's due list lists each item once, pending ones by their due date."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_the_due_list_on_a_phone(page_factory, login, world) -> None:  # noqa: ANN001
    page = login(page_factory(phone=True), "alice")
    page.goto("/")
    pending = page.locator('[data-due="due"] li')
    expect(pending.first).to_be_visible()
    check_page(page)
    for text in pending.all_inner_texts():
        assert re.search(r"\d+月\d+日前", text) and "截至" not in text and "未" not in text, text
    items = page.locator("[data-due] li")
    keys = [
        (
            li.get_attribute("data-rule"),
            "" if len(li.get_attribute("data-period") or "") == 10 else li.get_attribute("data-period"),
        )
        for li in items.all()
    ]
    assert len(keys) == len(set(keys))
