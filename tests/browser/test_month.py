"""A branch secretary's month on a 390 px phone, counted (issue 12, "Counted").

The world is the demo's first secretary's: a 21-member community branch with a five-member committee,
its records kept since the start of the last quarter and every meeting of that time held. The routine,
after signing in: answer the due list's two items through their "去办理" links (record the month's
支委会 and 主题党日 with attendance: one excused, one absent, one excused), see the due list empty, and
see the health check clean, of the last quarter and of this month. The test counts full page loads,
taps (clicks) and characters typed, and fails when any exceeds the ceiling README.md states
("A secretary's month, counted"; ``test_the_readme_states_the_ceilings`` keeps the two equal).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD, make_id
from tests.browser.test_flows import check_page

pytestmark = [pytest.mark.xdist_group("browser")]

# The ceilings (README.md states the same numbers).
MAX_PAGE_LOADS = 6
MAX_TAPS = 11
MAX_KEYSTROKES = 12

NAMES = (
    "王建国",
    "李秀英",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "黄海燕",
    "赵强",
    "吴敏",
    "周杰",
    "徐丽",
    "孙磊",
    "马超",
    "朱玉兰",
    "胡军",
    "郭芳",
    "何勇",
    "高明",
    "林娜",
    "罗平",
    "郑红梅",
)
POSTS = ("secretary", "deputy_secretary", "organization_member", "publicity_member", "discipline_member")


def _month_starts(first: dt.date, before: dt.date) -> list[dt.date]:
    out, day = [], first
    while day < before:
        out.append(day)
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def build_month_world() -> Any:
    """The branch, its committee, the secretary's account ``shuji1`` and the meetings since the start
    of the last quarter; nothing of the running month is held but what a quarter or a year asks for
    (so the due list holds exactly this month's 支委会 and 主题党日)."""
    from jiceng.core import periods
    from jiceng.core.models import RoleAssignment, User
    from jiceng.life import services as life
    from jiceng.members import services as members
    from jiceng.orgs import services as orgs
    from jiceng.orgs.models import Organization

    today = timezone.localdate()
    admin = User.objects.create_superuser("root", password=PASSWORD, full_name="系统管理员")
    root = orgs.create_org(
        actor=admin,
        parent=None,
        code="01",
        name="庆青街道党工委",
        kind="working_committee",
        unit_kind="government",
    )
    RoleAssignment.objects.create(user=admin, org=root, role="org_admin")
    branch = orgs.create_org(
        actor=admin,
        parent=root,
        code="0101",
        name="兴华社区党支部",
        kind="branch",
        unit_kind="community",
        founded_on=dt.date(1990, 1, 1),
    )
    people = [
        members.create_member(
            actor=admin,
            org=branch,
            id_number=make_id(dt.date(1950 + i, 1 + i % 12, 1 + i), 100 + 2 * i + 1),
            name=name,
            gender="male",
            birth_date=dt.date(1950 + i, 1 + i % 12, 1 + i),
            education="bachelor",
            category="employed",
            status="full",
            joined_on=dt.date(1995 + i % 20, 7, 1),
            full_member_on=dt.date(1996 + i % 20, 7, 1),
        )
        for i, name in enumerate(NAMES)
    ]
    orgs.record_election(
        actor=admin,
        org=branch,
        elected_on=today - dt.timedelta(days=400),
        posts=list(zip(people, POSTS, strict=False)),
    )
    secretary = User.objects.create_user("shuji1", password=PASSWORD, full_name=people[0].name)
    RoleAssignment.objects.create(user=secretary, org=branch, role="secretary", granted_by=admin)
    people[0].user = secretary
    people[0].save(update_fields=["user"])

    this_month = periods.containing("month", today)
    this_quarter = periods.containing("quarter", today)
    since = periods.containing("quarter", this_quarter.start - dt.timedelta(days=1)).start
    Organization.objects.filter(path__prefix=root.path).update(records_since=since)
    committee, everyone = people[:5], people

    def hold(kind: str, day: dt.date, who: list) -> None:
        life.record_meeting(
            actor=admin,
            org=branch,
            kind=kind,
            held_on=day,
            topic="学习",
            attendance={m: "present" for m in who},
        )

    for month in _month_starts(since, this_month.start):
        hold("committee_meeting", month + dt.timedelta(days=2), committee)
        hold("theme_day", month + dt.timedelta(days=14), everyone)
    # the quarterly meetings of the last quarter, and of the running quarter and year already held
    for kind in ("general_meeting", "party_lecture"):
        hold(kind, since + dt.timedelta(days=20), everyone)
        hold(kind, this_quarter.start, everyone)
    for kind in ("organizational_life_meeting", "member_review"):
        hold(kind, min(today, max(dt.date(today.year, 1, 2), since)), everyone)
    return branch


@dataclass
class Count:
    page_loads: int = 0
    taps: int = 0
    keystrokes: int = 0


@pytest.fixture
def month_world(db: Any) -> Any:
    return build_month_world()


@pytest.mark.browser
def test_a_secretarys_month_on_a_phone_counted(page_factory: Any, month_world: Any) -> None:
    from jiceng.life.models import Attendance, Meeting

    page = page_factory(phone=True)
    page.goto("/login/")
    page.get_by_label("用户名").fill("shuji1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")

    # Counted from the home page on: what a secretary does each month.
    count = Count()
    page.on("load", lambda _page: setattr(count, "page_loads", count.page_loads + 1))

    def tap(locator: Any) -> None:
        count.taps += 1
        locator.click()

    def type_in(locator: Any, text: str) -> None:
        count.keystrokes += len(text)
        locator.fill(text)

    pending = page.locator('[data-due="due"] li')
    expect(pending).to_have_count(2)
    expect(page.locator('[data-due="overdue"] li')).to_have_count(0)
    check_page(page)

    # 1. This month's 支委会, through its fix link: the form comes set to the kind and today.
    item = page.locator('[data-due="due"] li[data-rule="life.committee_meeting_monthly"]')
    expect(item).to_contain_text("前召开支委会")
    tap(item.get_by_role("link", name="去办理"))
    expect(page.get_by_label("会议类型")).to_have_value("committee_meeting")
    expect(page.get_by_label("日期", exact=True)).to_have_value(timezone.localdate().isoformat())
    expect(page.locator("[data-life-member]:visible")).to_have_count(5)  # the committee in office
    check_page(page)
    type_in(page.get_by_label("主题"), "研究本月工作")
    tap(page.locator("[data-life-member]:visible label", has_text="请假").nth(4))
    tap(page.get_by_role("button", name="保存"))
    expect(page.locator('[data-due="due"] li')).to_have_count(1)  # back on the due list

    # 2. This month's 主题党日, the same way: everyone listed, one absent, one excused.
    item = page.locator('[data-due="due"] li[data-rule="life.theme_day_monthly"]')
    tap(item.get_by_role("link", name="去办理"))
    expect(page.get_by_label("会议类型")).to_have_value("theme_day")
    expect(page.locator("[data-life-member]:visible")).to_have_count(21)
    type_in(page.get_by_label("主题"), "重温入党誓词")
    tap(page.locator("[data-life-member]:visible label", has_text="缺席").nth(20))
    tap(page.locator("[data-life-member]:visible label", has_text="请假").nth(19))
    tap(page.get_by_role("button", name="保存"))
    expect(page.get_by_text("本期工作都已完成。")).to_be_visible()
    expect(page.get_by_text("没有逾期事项。")).to_be_visible()
    check_page(page)

    # 3. The health check: the last quarter, then this month, both clean.
    tap(page.get_by_role("link", name="体检", exact=True).first)
    expect(page.locator("#hc-total + p")).to_have_text("0")
    check_page(page)
    this_month = timezone.localdate().strftime("%Y-%m")
    count.taps += 2  # a phone's select: open the list, pick the month
    page.get_by_label("期间", exact=True).select_option(this_month)
    tap(page.get_by_role("button", name="查看"))
    expect(page.get_by_label("期间", exact=True)).to_have_value(this_month)
    expect(page.locator("#hc-total + p")).to_have_text("0")
    check_page(page)

    # What was recorded.
    meetings = Meeting.objects.filter(held_on=timezone.localdate())
    assert set(meetings.values_list("kind", flat=True)) >= {"committee_meeting", "theme_day"}
    committee = meetings.get(kind="committee_meeting")
    assert (committee.expected, committee.present) == (5, 4)
    theme = meetings.get(kind="theme_day")
    assert (theme.expected, theme.present) == (21, 19)
    assert Attendance.objects.filter(meeting=theme, presence="absent").count() == 1

    print(f"secretary's month: {count}")  # noqa: T201
    assert count.page_loads <= MAX_PAGE_LOADS, count
    assert count.taps <= MAX_TAPS, count
    assert count.keystrokes <= MAX_KEYSTROKES, count


def test_the_readme_states_the_ceilings() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### A secretary's month, counted", 1)[1].split("\n#", 1)[0]
    numbers = {
        "page loads": MAX_PAGE_LOADS,
        "taps": MAX_TAPS,
        "keystrokes": MAX_KEYSTROKES,
    }
    for name, value in numbers.items():
        words = r"\s+".join(name.split())
        assert re.search(rf"\*\*{value}\*\*\s+{words}\b", section), (name, value)
