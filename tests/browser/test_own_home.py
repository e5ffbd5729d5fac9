"""In Chromium on a phone: a member signs in and finds their own things on the home page (their record,
their meetings, and for a person in a development file the timeline and next steps), and no link of the
page leads to a page they cannot use (issue 12, item 8)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

DEAD_ENDS = ("您还没有被授予任何党组织的查看权限", "共0次", "您还没有所属的党组织")


def walk_every_link(page) -> list[str]:  # noqa: ANN001
    """Visit every same-site link of the page (menus included); none may be a dead end."""
    hrefs = page.eval_on_selector_all(
        "a[href^='/']", "els => Array.from(new Set(els.map(e => e.getAttribute('href'))))"
    )
    visited = []
    for href in sorted(h for h in hrefs if not h.startswith("/static/") and "#" not in h):
        response = page.goto(href)
        assert response is not None and response.status == 200, href
        text = page.locator("main").inner_text()
        for dead in DEAD_ENDS:
            assert dead not in text, (href, dead)
        visited.append(href)
    return visited


def test_a_member_sees_their_meetings_and_no_dead_end(page_factory, login, world) -> None:  # noqa: ANN001
    from jiceng.life import services as life_services

    dora = world.dora.member
    life_services.record_meeting(
        actor=world.alice,
        org=world.branch_a,
        kind="general_meeting",
        held_on=dt.date(2026, 10, 12),
        topic="学习党章",
        attendance={dora: "absent", world.members_a[1]: "present"},
    )
    page = login(page_factory(phone=True), "dora")
    expect(page.get_by_role("heading", level=1)).to_have_text("我的")
    meetings = page.locator('[data-own="meetings"] li')
    expect(meetings).to_have_count(1)
    expect(meetings.first).to_contain_text("2026-10-12")
    expect(meetings.first).to_contain_text("支部党员大会")
    expect(meetings.first).to_contain_text("缺席")
    check_page(page)
    # The menu offers no organization pages to a member.
    page.get_by_role("button", name="展开或收起导航菜单").tap()
    nav = page.locator("#jc-navbar-menu")
    for name in ("组织", "党员", "组织生活", "发展党员"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_count(0)
    visited = walk_every_link(page)
    assert "/members/me/" in visited


def test_a_probationary_member_sees_their_development_timeline(page_factory, login, world) -> None:  # noqa: ANN001
    from jiceng.core.models import RoleAssignment, User
    from jiceng.development.models import StepKind
    from jiceng.development.tests.helpers import walk

    development = walk(world, until=StepKind.ADMISSION, name="钱预备")
    user = User.objects.create_user("qian", password=PASSWORD, full_name="钱预备")
    RoleAssignment.objects.create(user=user, org=world.branch_a, role="member")
    development.member.user = user
    development.member.save(update_fields=["user"])

    page = login(page_factory(phone=True), "qian")
    timeline = page.locator('[data-own="timeline"] li')
    expect(timeline.first).to_contain_text("提出入党申请")
    expect(page.locator('[data-own="timeline"]')).to_contain_text("支部大会讨论接收预备党员")
    expect(page.locator('[data-own="next"] li').first).to_be_visible()
    body = page.locator("main").inner_text()
    assert "培养考察" not in body and "政治审查" not in body
    assert re.search(r"当前阶段：预备党员", body)
    check_page(page)
    walk_every_link(page)


def test_an_applicant_sees_their_own_timeline_and_no_dead_end(page_factory, login, world) -> None:  # noqa: ANN001
    """An activist (no member record) signed in with the account linked to their development file."""
    from django.utils import timezone

    from jiceng.core.models import User
    from jiceng.development.models import StepKind
    from jiceng.development.tests.helpers import walk

    start = timezone.localdate() - dt.timedelta(days=420)
    development = walk(world, until=StepKind.NOTICE, name="林积极", start=start)
    development.user = User.objects.create_user("linjiji", password=PASSWORD, full_name="林积极")
    development.save(update_fields=["user"])

    page = login(page_factory(phone=True), "linjiji")
    expect(page.get_by_role("heading", level=1)).to_have_text("我的")
    expect(page.locator('[data-own="timeline"]')).to_contain_text("确定为入党积极分子")
    expect(page.locator('[data-next="candidate"]')).to_be_visible()
    body = page.locator("main").inner_text()
    assert "当前阶段：入党积极分子" in body and "培养考察" not in body and "我的党员信息" not in body
    check_page(page)
    walk_every_link(page)
    assert page.goto(f"/development/{development.pk}/").status == 404
