"""In Chromium on a phone-sized screen: a secretary records a committee meeting and the due item goes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jiceng.life.models import Meeting
from jiceng.orgs import services as org_services
from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_record_a_committee_meeting_on_a_phone_and_the_due_item_goes(page_factory, login, world) -> None:  # noqa: ANN001, F811
    today = timezone.localdate()
    committee = [(world.members_a[0], "secretary"), (world.members_a[1], "organization_member")]
    committee.append((world.members_a[2], "publicity_member"))
    org_services.record_election(
        actor=world.alice, org=world.branch_a, elected_on=today - dt.timedelta(days=400), posts=committee
    )
    page = login(page_factory(phone=True), "alice")
    page.goto("/life/calendar/")
    due = page.locator('[data-due="committee_meeting"]')
    expect(due).to_have_attribute("data-status", "due")
    check_page(page)

    due.get_by_role("link", name="录入").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("录入组织生活")
    expect(page.get_by_label("会议类型")).to_have_value("committee_meeting")
    check_page(page)
    # Vote figures and the party group only show when they apply.
    votes = page.locator("[data-life-votes]")
    expect(votes).to_be_hidden()
    expect(page.locator("[data-life-group-field]")).to_be_hidden()
    # A 支委会 calls the committee in office, not the whole branch of 6.
    expect(page.locator("[data-life-counts]")).to_contain_text("应到 3 人，实到 3 人")

    page.get_by_label("主题").fill("研究发展党员工作")
    page.locator("label:visible", has_text="缺席").first.click()  # the first member listed is absent
    expect(page.locator("[data-life-present]")).to_have_text("2")

    page.get_by_label("有表决事项").check()
    expect(votes).to_be_visible()
    expect(page.get_by_label("有表决权的党员数", exact=True)).to_have_value("3")  # the full members listed
    page.get_by_label("到会有表决权的党员数").fill("1")
    expect(page.locator("[data-life-quorum-warning]")).to_be_visible()
    page.get_by_label("到会有表决权的党员数").fill("2")
    expect(page.locator("[data-life-quorum-warning]")).to_be_hidden()
    page.get_by_label("赞成").fill("2")

    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("支委会")
    check_page(page)
    meeting = Meeting.objects.get()
    assert (meeting.kind, meeting.expected, meeting.present, meeting.quorum_met) == (
        "committee_meeting",
        3,
        2,
        True,
    )

    page.get_by_role("link", name="组织生活日历").first.click()
    expect(page.locator('[data-due="committee_meeting"]')).to_have_attribute("data-status", "held")
    check_page(page)
