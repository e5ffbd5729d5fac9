"""In Chromium: the street issues a task to its branches, a branch records the theme day it asks for and
confirms the link with one click, and the street sees it done."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jiceng.tasks.models import Assignment, Task
from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_issue_answer_by_recording_the_meeting_and_see_it_done(page_factory, login, world) -> None:  # noqa: ANN001
    deadline = timezone.localdate() + dt.timedelta(days=7)
    street = login(page_factory(), "county")
    street.goto("/tasks/new/")
    check_page(street)
    street.get_by_label("任务名称").fill("开展“学党史”主题党日")
    street.get_by_label("完成期限", exact=True).fill(deadline.isoformat())
    street.get_by_label("下达范围").select_option("all_branches")
    street.get_by_label("完成方式").select_option("meeting")
    street.get_by_label("会议类型", exact=True).select_option("theme_day")
    street.get_by_role("button", name="提交").click()
    expect(street.get_by_role("heading", level=1)).to_have_text("开展“学党史”主题党日")
    expect(street.locator('[data-figure="total"]')).to_have_text("3")
    expect(street.locator('[data-figure="answered"]')).to_have_text("0")
    check_page(street)
    task = Task.objects.get()

    branch = login(page_factory(phone=True), "alice")
    branch.goto("/")
    branch.locator('[data-home="tasks"]').get_by_role("link", name="开展“学党史”主题党日").click()
    expect(branch.get_by_text("还没有符合要求的记录")).to_be_visible()
    check_page(branch)
    branch.get_by_role("link", name="录入组织生活").click()
    expect(branch.get_by_label("会议类型")).to_have_value("theme_day")
    branch.get_by_label("主题").fill("学党史主题党日")
    branch.get_by_role("button", name="保存").click()
    expect(branch.get_by_role("heading", level=1)).to_contain_text("主题党日")

    a = Assignment.objects.get(task=task, org=world.branch_a)
    branch.goto(f"/tasks/assignments/{a.pk}/")
    expect(branch.locator("[data-proposal]")).to_have_count(1)
    branch.get_by_role("button", name="确认以此完成").click()
    expect(branch.locator('[data-status="answered"]').first).to_be_visible()
    expect(branch.locator("[data-record]")).to_contain_text("学党史主题党日")
    check_page(branch)

    street.reload()
    expect(street.locator('[data-figure="answered"]')).to_have_text("1")
    expect(street.locator('[data-org="0101"] [data-status="answered"]')).to_be_visible()
    check_page(street)
