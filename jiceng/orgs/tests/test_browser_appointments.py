"""In Chromium: the street's organization admin records the 党工委's appointment (no term to fill in)
and the day from which its records are kept, and the organization page shows both."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from jiceng.orgs.models import Committee, Formation, Organization
from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_record_an_appointment_and_the_records_since_day(page_factory, login, world) -> None:  # noqa: ANN001
    page = login(page_factory(phone=True), "county")
    page.goto("/orgs/01/")
    page.get_by_role("button", name="操作").click()
    page.get_by_role("link", name="记录任命").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("记录任命")
    expect(page.get_by_label("任期（年）")).to_have_count(0)
    check_page(page)
    page.get_by_label("任命日期").fill("2022-05-01")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#org-committee-term")).to_contain_text("2022-05-01由上级党委任命，不设任期")
    check_page(page)
    committee = Committee.objects.get(org=world.root)
    assert (committee.formation, committee.term_years) == (Formation.APPOINTED, None)

    page.get_by_role("button", name="操作").click()
    expect(page.get_by_role("link", name="批准延期换届")).to_have_count(0)
    page.get_by_role("link", name="修改组织信息").click()
    page.get_by_label("记录起始日期").fill("2025-01-01")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#org-records-since")).to_have_text("2025-01-01")
    check_page(page)
    assert Organization.objects.get(code="01").records_since == dt.date(2025, 1, 1)
