"""In Chromium: a full consultation. The community opens a topic, publishes the notice, records the
meeting and its decision, splits it into an item, updates it to done; a resident, without an account,
says on the public page that it was carried out."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jiceng.consultation.models import Comment, Topic
from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_topic_notice_meeting_decision_updates_and_a_resident_says_done(
    page_factory, login, live_server, world
) -> None:  # noqa: ANN001
    day = timezone.localdate().isoformat()
    p = login(page_factory(phone=True), "alice")
    p.get_by_role("button", name="展开或收起导航菜单").tap()
    expect(p.locator("#jc-navbar-menu")).to_have_class(__import__("re").compile(r"\bshow\b"), timeout=15000)
    p.locator("#jc-navbar-menu").get_by_role("link", name="议事协商", exact=True).click()
    expect(p.get_by_role("heading", level=1)).to_have_text("议事协商", timeout=30000)
    p.get_by_role("link", name="发起协商议题").click()
    p.get_by_label("发起组织").select_option(label="和平社区党支部（0101）")
    p.get_by_label("议题", exact=True).fill("楼道照明改造")
    p.get_by_label("议题来源").select_option("residents")
    p.get_by_role("button", name="保存").click()
    expect(p.get_by_role("heading", level=1)).to_have_text("楼道照明改造", timeout=30000)
    check_page(p)

    p.get_by_role("link", name="发布协商公告").click()
    p.get_by_label("协商会议日期").fill(day)
    p.get_by_label("协商会议地点").fill("社区议事厅")
    p.get_by_label("居民代表").check()
    p.get_by_label("物业服务企业").check()
    p.get_by_role("button", name="保存").click()
    expect(p.locator("[data-notice]")).to_contain_text("社区议事厅", timeout=30000)

    p.get_by_role("link", name="记录协商会议").click()
    p.get_by_label("居民代表人数").fill("8")
    p.get_by_label("物业服务企业人数").fill("1")
    p.get_by_label("会议记录").fill("居民代表逐一发言，物业说明方案。")
    p.get_by_label("讨论的方案").fill("更换声控灯\n更换感应灯")
    p.get_by_label("协商决定").fill("更换感应灯，物业负责安装")
    p.get_by_label("进行了表决").check()
    p.get_by_label("赞成").fill("8")
    p.get_by_label("反对").fill("1")
    p.get_by_label("弃权").fill("0")
    p.get_by_role("button", name="保存").click()
    expect(p.locator("[data-decision]")).to_contain_text("更换感应灯", timeout=30000)
    check_page(p)

    p.get_by_role("link", name="增加落实事项").click()
    p.locator("#id_title").fill("安装感应灯")
    p.get_by_role("button", name="保存").click()
    p.get_by_role("link", name="安装感应灯").click()
    p.get_by_label("进度（%）").fill("100")
    p.get_by_label("进展情况（公开）").fill("全部楼道已安装感应灯")
    p.get_by_role("button", name="保存").click()
    expect(p.locator("[data-update]").first).to_contain_text("全部楼道已安装感应灯", timeout=30000)
    topic = Topic.objects.get()
    assert topic.status == "done"

    resident = page_factory(phone=True)
    resident.goto(f"{live_server.url}/consultation/public/{topic.pk}/")
    expect(resident.get_by_role("heading", level=1)).to_have_text("楼道照明改造", timeout=30000)
    check_page(resident)
    resident.get_by_text("评价这项进展").click()
    resident.get_by_label("已落实", exact=True).check()
    resident.get_by_label("您的意见（可不填，请勿填写姓名电话）").fill("晚上回家亮堂了")
    resident.get_by_role("button", name="提交评价").click()
    expect(resident.locator('[data-verdict="carried"]')).to_contain_text("1", timeout=30000)
    assert Comment.objects.get().verdict == "carried"
