"""In Chromium: a member reports to the community where they live from their phone, the community
accepts, publishes a small wish, and the member takes it and records what they did."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from jiceng.participation.models import MemberRegistration, ServiceTask
from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_member_reports_community_accepts_member_takes_a_task(page_factory, login, world, zheng) -> None:  # noqa: ANN001
    member = login(page_factory(phone=True), "zheng")
    member.goto("/participation/me/")
    check_page(member)
    member.get_by_role("link", name="去报到").first.click()
    member.get_by_label("居住地社区（村）党组织").select_option(label="和平社区党支部（0101）")
    member.get_by_label("居住小区").fill("幸福里3号楼")
    member.get_by_role("button", name="保存").click()
    expect(member.locator('[data-status="pending"]')).to_be_visible()
    check_page(member)
    reg = MemberRegistration.objects.get()

    community = login(page_factory(), "alice")
    community.goto("/participation/")
    community.get_by_role("link", name="郑明").click()
    community.get_by_label("接收", exact=True).check()
    community.get_by_role("button", name="提交").click()
    expect(community.locator('[data-status="accepted"]')).to_be_visible()
    check_page(community)
    community.goto("/participation/tasks/new/")
    community.get_by_label("类型").select_option("small_wish")
    community.get_by_label("名称").fill("为独居老人修理收音机")
    community.get_by_role("button", name="保存").click()
    expect(community.get_by_role("heading", level=1)).to_have_text("为独居老人修理收音机")
    task = ServiceTask.objects.get()

    member.goto("/participation/tasks/")
    member.get_by_role("link", name="为独居老人修理收音机").click()
    member.get_by_role("button", name="认领").click()
    member.get_by_label("做了什么").fill("上门修好了收音机")
    member.get_by_role("button", name="提交").click()
    expect(member.locator("[data-claim]")).to_contain_text("上门修好了收音机")
    check_page(member)
    reg.refresh_from_db()
    assert reg.status == "accepted" and task.claims.get().done_on is not None
