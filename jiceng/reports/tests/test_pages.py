"""The health-check pages, the ranking, the export and the due list: content, scope for every named user."""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from jiceng.core import compliance
from jiceng.core.models import ObjectChange
from jiceng.life.models import Meeting
from jiceng.reports import selectors
from jiceng.reports.models import ComplianceRun


@pytest.fixture(autouse=True)
def _chinese() -> Any:
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


pytestmark = pytest.mark.urls("jiceng.reports.tests.urls")

B_NAMES = ("新华村党支部", "孙强", "周杰", "吴霞", "0102")


class PageChecker(HTMLParser):
    """What the CSP forbids: inline scripts and styles, event-handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.h1 = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.h1 += tag == "h1"
        if tag == "script" and "src" not in a and a.get("type") != "application/json":
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style>")
        for name, _value in attrs:
            if name == "style" or (name.startswith("on") and len(name) > 2) or name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}=>")


def page(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    text = response.content.decode()
    checker = PageChecker()
    checker.feed(text)
    assert checker.problems == [] and checker.h1 == 1
    return text


def health(code: str, **query: str) -> str:
    from urllib.parse import urlencode

    return reverse("reports:health", args=[code]) + ("?" + urlencode(query) if query else "")


@pytest.fixture
def q1(world: Any) -> Any:
    """A committee meeting in January and a vote without quorum in 0101; the rest is missing."""
    a = world.branch_a
    Meeting.objects.create(
        org=a, org_path=a.path, kind="theme_day", held_on=dt.date(2026, 1, 20), topic="学习"
    )
    Meeting.objects.create(
        org=a,
        org_path=a.path,
        kind="general_meeting",
        held_on=dt.date(2026, 3, 2),
        topic="表决",
        voted=True,
        voting_members=6,
        voters_present=3,
    )
    return world


def test_health_page_counts_by_rule_and_by_child(q1: Any, client_for: Any) -> None:
    text = page(client_for(q1.county_admin).get(health("01", period="2026-Q1")))
    found = compliance.evaluate(q1.root, "2026-Q1")
    assert "01 东城" not in text
    assert f">{len(found)}<" in text.replace(" ", "")
    for child in ("和平社区党支部", "新华村党支部", "机关第一党总支"):
        assert child in text
    assert "表决时到会有表决权的党员未超过半数" in text
    assert "/reports/0101/?period=2026-Q1" in text
    assert "/reports/01/ranking/?period=2026-Q1" in text


def test_drill_down_to_a_branch_and_a_finding(q1: Any, client_for: Any) -> None:
    client = client_for(q1.alice)
    text = page(client.get(health("0101", period="2026-Q1", rule="life.theme_day_monthly")))
    assert "2026年2月未开展主题党日" in text and "2026年3月未开展主题党日" in text
    assert "2026年1月未开展主题党日" not in text
    assert "2026年第一季度未上党课" not in text  # filtered to one rule
    link = re.search(r'href="(/reports/0101/finding/\?[^"]+)"', text)
    assert link
    detail = page(client.get(link.group(1).replace("&amp;", "&")))
    assert "中国共产党支部工作条例（试行）第十六条" in detail
    assert "已核对原文，条款号未核对" in detail  # V-c
    assert "当月任何一天开展的都算数" in detail


def test_a_finding_about_a_person_and_a_missing_one(q1: Any, client_for: Any) -> None:
    client = client_for(q1.alice)
    dora = q1.members_a[0].__class__.objects.get(name="赵敏")
    url = reverse("reports:finding", args=["0101"])
    ok = client.get(
        url,
        {"period": "2027-Q2", "rule": "member.probation_overdue", "about": "2027-06-30", "member": dora.pk},
    )
    assert "预备期已于2027年3月1日届满" in page(ok)
    missing = client.get(
        url,
        {"period": "2027-Q2", "rule": "member.probation_overdue", "about": "2027-06-30", "member": 999999},
    )
    assert missing.status_code == 404
    assert client.get(url, {"period": "2027-Q2", "rule": "no.such", "about": "2027-06-30"}).status_code == 404


def test_a_bad_period_falls_back_with_a_message(q1: Any, client_for: Any) -> None:
    text = page(client_for(q1.alice).get(health("0101", period="2026-Q5")))
    assert "无法识别的期间" in text


def test_ranking_orders_children_by_findings(q1: Any, client_for: Any) -> None:
    text = page(client_for(q1.viewer).get(reverse("reports:ranking", args=["01"]), {"period": "2026-Q1"}))
    counts: dict[str, int] = {}
    for f in compliance.evaluate(q1.root, "2026-Q1"):
        top = f.org_code[:4]
        counts[top] = counts.get(top, 0) + 1
    order = [name for name in ("和平社区党支部", "新华村党支部", "机关第一党总支") if name in text]
    positions = sorted(order, key=text.index)
    expected = sorted(
        [("和平社区党支部", "0101"), ("新华村党支部", "0102"), ("机关第一党总支", "0103")],
        key=lambda x: (-counts.get(x[1], 0), x[1]),
    )
    assert positions == [name for name, _code in expected]
    for name in ("张伟", "赵敏", "孙强"):
        assert name not in text  # organizations, never people


def test_export_xlsx_is_complete_and_audited(q1: Any, client_for: Any) -> None:
    from openpyxl import load_workbook

    response = client_for(q1.county_admin).get(reverse("reports:export", args=["01"]), {"period": "2026-Q1"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:4] == ("组织编码", "组织名称", "规则编码", "规则")
    found = compliance.evaluate(q1.root, "2026-Q1")
    assert sorted((r[0], r[2], r[4]) for r in rows[1:]) == sorted(
        (f.org_code, f.rule, f.period) for f in found
    )
    assert ObjectChange.objects.filter(action="export", org_path=q1.root.path).count() == 1
    # The export's own change record does not make the stored run stale.
    from jiceng.reports import store

    run = ComplianceRun.objects.get(org=q1.root, period="2026-Q1")
    assert store.is_fresh(run, q1.root)


SCOPED_URLS = [
    lambda code: health(code, period="2026-Q1"),
    lambda code: reverse("reports:ranking", args=[code]) + "?period=2026-Q1",
    lambda code: reverse("reports:export", args=[code]) + "?period=2026-Q1",
    # Only branches have this finding: for a committee it is "not found" even within scope.
    lambda code: (
        reverse("reports:finding", args=[code]) + "?period=2026-Q1&rule=life.theme_day_monthly&about=2026-02"
    ),
]
BRANCHES = {"0101", "0102", "010301"}


@pytest.mark.parametrize("make_url", SCOPED_URLS)
@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("alice", {"0101"}),
        ("bob", {"0102"}),
        ("county_admin", {"01", "0101", "0102", "0103", "010301"}),
        ("viewer", {"01", "0101", "0102", "0103", "010301"}),
        ("dora", set()),
        ("charlie", set()),
        ("sysadmin", set()),
    ],
)
def test_scope_on_every_page(q1: Any, client_for: Any, make_url: Any, who: str, allowed: set[str]) -> None:
    client = client_for(getattr(q1, who))
    if make_url is SCOPED_URLS[-1]:
        allowed = allowed & BRANCHES
    for code in ("01", "0101", "0102", "0103", "010301", "9999", "01%00", "a" * 40):
        status = client.get(make_url(code)).status_code
        assert status == (200 if code in allowed else 404), (who, code, status)


def test_alice_never_sees_0102_even_when_a_root_run_is_stored(q1: Any, client_for: Any) -> None:
    client_for(q1.county_admin).get(health("01", period="2026-Q1"))  # stores the root's run
    client = client_for(q1.alice)
    for url in (health("0101", period="2026-Q1"), health("0101", period="2026-Q1", status="overdue")):
        text = page(client.get(url))
        for name in B_NAMES:
            assert name not in text, name
    wb_bytes = client.get(reverse("reports:export", args=["0101"]), {"period": "2026-Q1"}).content
    from openpyxl import load_workbook

    cells = [
        c
        for row in load_workbook(io.BytesIO(wb_bytes)).worksheets[0].iter_rows(values_only=True)
        for c in row
    ]
    assert not any(isinstance(c, str) and any(n in c for n in B_NAMES) for c in cells)


def test_a_fresh_page_costs_a_fixed_number_of_queries(
    q1: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    from jiceng.orgs import services as orgs

    client = client_for(q1.county_admin)
    client.get(health("01", period="2026-Q1"))
    with django_assert_max_num_queries(30) as ctx:
        page(client.get(health("01", period="2026-Q1")))
    fixed = len(ctx.captured_queries)
    for i in range(4):
        orgs.create_org(
            actor=q1.county_admin,
            parent=q1.general,
            code=f"01037{i}",
            name=f"支部{i}",
            kind="branch",
            unit_kind="village",
        )
    client.get(health("01", period="2026-Q1"))  # evaluates again (stale) and stores
    with django_assert_max_num_queries(fixed):
        page(client.get(health("01", period="2026-Q1")))


# The due list ---------------------------------------------------------------------------------------------


def test_the_due_list_shows_this_months_work_and_drops_it_once_done(world: Any) -> None:
    today = dt.date(2026, 5, 12)
    [block] = selectors.due_list(world.alice, today=today)
    assert block.org.code == "0101"
    due = {(f.rule, f.period) for f in block.due}
    overdue = {(f.rule, f.period) for f in block.overdue}
    assert ("life.theme_day_monthly", "2026-05") in due
    assert ("life.general_meeting_quarterly", "2026-Q2") in due
    assert ("life.organizational_life_annual", "2026") in due
    assert ("life.theme_day_monthly", "2026-04") in overdue
    assert ("life.general_meeting_quarterly", "2026-Q1") in overdue
    assert ("org.secretary_missing", "2026-05-12") in overdue
    assert not any(f.rule == "org.secretary_missing" for f in block.due)  # listed once, as of today
    a = world.branch_a
    Meeting.objects.create(
        org=a, org_path=a.path, kind="theme_day", held_on=dt.date(2026, 5, 31), topic="五月主题党日"
    )
    [block] = selectors.due_list(world.alice, today=today)
    assert ("life.theme_day_monthly", "2026-05") not in {(f.rule, f.period) for f in block.due}


def test_the_due_list_warns_of_a_probation_ending_this_month(world: Any) -> None:
    from jiceng.members.models import Member

    Member.objects.filter(name="赵敏").update(joined_on=dt.date(2026, 3, 20))  # probation ends 20 March 2027
    [block] = selectors.due_list(world.alice, today=dt.date(2027, 3, 20))
    assert [f.member_name for f in block.overdue if f.rule == "member.probation_overdue"] == ["赵敏"]
    assert not [f for f in block.due if f.rule == "member.probation_overdue"]
    [block] = selectors.due_list(world.alice, today=dt.date(2027, 3, 19))
    assert [f.member_name for f in block.due if f.rule == "member.probation_overdue"] == ["赵敏"]
    assert not [f for f in block.overdue if f.rule == "member.probation_overdue"]
    [block] = selectors.due_list(world.alice, today=dt.date(2027, 2, 27))
    assert not [f for f in block.due + block.overdue if f.rule == "member.probation_overdue"]


def test_the_due_list_is_for_branches_in_scope_only(world: Any) -> None:
    assert [b.org.code for b in selectors.due_list(world.bob)] == ["0102"]
    assert selectors.due_list(world.county_admin) == []  # a committee: the health check instead
    assert selectors.due_list(world.dora) == []
    assert selectors.due_list(world.charlie) == []


def test_the_due_include_renders(world: Any, rf: Any) -> None:
    blocks = selectors.due_list(world.alice, today=dt.date(2026, 5, 12))
    request = rf.get("/")
    request.user = world.alice
    html = render_to_string("compliance/_due.html", {"due_blocks": blocks}, request=request)
    checker = PageChecker()
    checker.feed(html)
    assert checker.problems == []
    assert "2026年4月未开展主题党日" in html and "/reports/0101/" in html
    assert "5月31日前开展主题党日" in html and "2026年5月未开展主题党日" not in html
    assert "孙强" not in html and "新华村" not in html
