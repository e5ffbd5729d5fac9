"""In Chromium: the member form fills 出生日期 and 性别 from the identity number as it is typed, and keeps
the discipline fields in a collapsed 处分 section (issue 12, items 9 and 12)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from conftest import make_id
from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_the_number_fills_birth_date_and_gender(page_factory, login, world) -> None:  # noqa: ANN001
    page = login(page_factory(phone=True), "alice")
    page.goto("/members/new/?org=0101")
    discipline = page.locator("#discipline")
    expect(discipline).not_to_have_attribute("open", "")
    expect(page.get_by_label("留党察看开始日期")).not_to_be_visible()
    page.get_by_label("公民身份号码").fill(make_id(dt.date(1985, 3, 12), 78))
    page.get_by_label("姓名").focus()  # leaving the field sends it
    expect(page.locator("#id_gender")).to_have_value("female")
    expect(page.locator("#id_birth_date")).to_have_value("1985-03-12")
    expect(page.locator("#id_gender_field")).to_contain_text("已按公民身份号码填写")
    page.locator("#discipline > summary").tap()
    expect(page.get_by_label("留党察看开始日期")).to_be_visible()
    check_page(page)
