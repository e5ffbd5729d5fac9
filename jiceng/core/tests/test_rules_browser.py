"""In Chromium: a secretary opens the rule catalogue from the navigation, in Chinese and in English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def open_menu(page: Page) -> None:
    """Open the phone menu and wait until Bootstrap's collapse transition has ended.

    A click during the transition can land on the menu while it still grows, and then nothing
    navigates (seen once in CI under load).
    """
    page.get_by_role("button", name="展开或收起导航菜单").click()
    expect(page.locator("#jc-navbar-menu")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    expect(page.locator("#jc-navbar-menu")).not_to_have_class(re.compile(r"collapsing"))


def test_a_secretary_reads_the_rule_catalogue_in_both_languages(page_factory, login, world) -> None:  # noqa: ANN001
    page = login(page_factory(phone=True), "alice")
    open_menu(page)
    page.get_by_role("link", name="规则", exact=True).click()
    expect(page).to_have_url(re.compile(r"/rules/"), timeout=20_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("规则目录")
    section = page.locator("#rule-org\\.branch_too_small")
    expect(section.get_by_role("heading")).to_have_text("党支部正式党员不足3人")
    expect(section.get_by_text("中国共产党支部工作条例（试行）第四条")).to_be_visible()
    check_page(page)

    open_menu(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rule catalogue")
    expect(section.get_by_text("Regulations on the Work of Party Branches (Trial), Art. 4")).to_be_visible()
    check_page(page)
