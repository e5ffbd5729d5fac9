"""In Chromium on a phone-sized screen: a county admin drills down from the health check to a finding."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from jiceng.life.models import Meeting
from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(autouse=True)
def _reports_urls(settings) -> None:  # noqa: ANN001
    settings.ROOT_URLCONF = "jiceng.reports.tests.urls"


def test_drill_down_from_the_street_to_a_branch_and_a_finding(page_factory, login, world) -> None:  # noqa: ANN001, F811
    a = world.branch_a
    Meeting.objects.create(
        org=a, org_path=a.path, kind="theme_day", held_on=dt.date(2026, 1, 9), topic="学习"
    )
    page = login(page_factory(phone=True), "county")
    page.goto("/reports/01/?period=2026-Q1")
    expect(page.get_by_role("heading", level=1)).to_have_text("东城街道党工委体检")
    expect(
        page.locator(".jc-chart canvas, .jc-chart svg").first
    ).to_be_attached()  # the chart drew (CSP-clean)
    check_page(page)

    page.get_by_role("link", name="和平社区党支部").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("和平社区党支部体检")
    expect(page.get_by_text("2026年2月未开展主题党日")).to_be_visible()
    expect(page.get_by_text("2026年1月未开展主题党日")).to_have_count(0)
    check_page(page)

    page.get_by_role("link", name="本月未开展主题党日").click()  # filter the list by this rule
    expect(page.locator(".list-group-item")).to_have_count(2)
    page.get_by_role("link", name="依据与说明").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("本月未开展主题党日")
    expect(page.get_by_text("中国共产党支部工作条例（试行）第十六条")).to_be_visible()
    check_page(page)

    page.get_by_role("link", name="返回和平社区党支部体检").click()
    page.get_by_role("link", name="导出Excel").wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name="导出Excel").click()
    assert download.value.suggested_filename == "compliance-0101-2026-Q1.xlsx"
