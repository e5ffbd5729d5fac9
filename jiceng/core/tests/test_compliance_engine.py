"""The engine against an independent brute-force count on generated datasets; bounded queries; read-only.

The brute force below is written from RULES.md without looking at the engine: it walks every branch,
month, quarter and year with plain Python over all rows, and must find exactly the same findings.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core import compliance, periods
from jiceng.core.models import RuleVersion
from jiceng.life.models import Attendance, Meeting, MeetingKind
from jiceng.members.models import Member
from jiceng.orgs.models import Committee, CommitteePost, Organization, PartyGroup


@pytest.fixture(autouse=True)
def _chinese() -> Any:
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


KINDS = [k.value for k in MeetingKind]


# The independent count --------------------------------------------------------------------------------


def _add_years(day: dt.date, n: int) -> dt.date:
    if day.month == 2 and day.day == 29 and not calendar.isleap(day.year + n):
        return dt.date(day.year + n, 2, 28)
    return dt.date(day.year + n, day.month, day.day)


def _add_months(day: dt.date, n: int) -> dt.date:
    y, m = divmod(day.month - 1 + n, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months(p: periods.Period) -> list[tuple[dt.date, dt.date, str]]:
    if p.kind == "day":
        return []
    out, y, m = [], p.start.year, p.start.month
    while dt.date(y, m, 1) <= p.end:
        out.append((dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1]), f"{y}-{m:02d}"))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _quarters(p: periods.Period) -> list[tuple[dt.date, dt.date, str]]:
    if p.kind not in ("quarter", "year"):
        return []
    out = []
    for start, _end, _label in _months(p):
        if start.month in (1, 4, 7, 10):
            q = (start.month - 1) // 3 + 1
            last = dt.date(start.year, start.month + 2, calendar.monthrange(start.year, start.month + 2)[1])
            out.append((start, last, f"{start.year}-Q{q}"))
    return out


def _years(p: periods.Period) -> list[tuple[dt.date, dt.date, str]]:
    return [(p.start, p.end, str(p.start.year))] if p.kind == "year" else []


def brute_force(root: Organization, label: str) -> set[tuple[Any, ...]]:
    p = periods.parse(label)
    day = p.end
    out: set[tuple[Any, ...]] = set()
    orgs = [o for o in Organization.objects.all() if o.path.startswith(root.path)]
    meetings = list(Meeting.objects.all())
    committees = list(Committee.objects.all())
    posts = list(CommitteePost.objects.select_related("member"))
    members = list(Member.objects.all())
    groups = list(PartyGroup.objects.all())
    attendance = list(Attendance.objects.select_related("meeting"))

    def exists(o: Organization, when: dt.date) -> bool:
        return o.founded_on is None or o.founded_on <= when

    def committee_at(o: Organization, when: dt.date) -> Committee | None:
        got = [
            c
            for c in committees
            if c.org_id == o.id and c.elected_on <= when and (c.ended_on is None or c.ended_on > when)
        ]
        return got[0] if got else None

    def held(o: Organization, kind: str, start: dt.date, end: dt.date, group: Any = "any") -> bool:
        return any(
            m.org_id == o.id
            and m.kind == kind
            and start <= m.held_on <= end
            and (group == "any" or m.group_id in (group, None))
            for m in meetings
        )

    def member_on(m: Member, when: dt.date) -> bool:
        return m.joined_on <= when and (m.closed_on is None or m.closed_on > when)

    def full_on(m: Member, when: dt.date) -> bool:
        return m.status == "full" and (m.full_member_on is None or m.full_member_on <= when)

    for o in orgs:
        branch = o.kind == "branch"
        if branch:
            for start, end, lab in _months(p):
                if not exists(o, start):
                    continue
                if not held(o, "theme_day", start, end):
                    out.add((o.code, "life.theme_day_monthly", lab, None, ""))
                if committee_at(o, start) and not held(o, "committee_meeting", start, end):
                    out.add((o.code, "life.committee_meeting_monthly", lab, None, ""))
                for g in groups:
                    if g.org_id == o.id and not held(o, "group_meeting", start, end, group=g.id):
                        out.add((o.code, "life.group_meeting_monthly", lab, None, f"group:{g.id}"))
            for rule, kind, windows in (
                ("life.general_meeting_quarterly", "general_meeting", _quarters(p)),
                ("life.party_lecture_quarterly", "party_lecture", _quarters(p)),
                ("life.organizational_life_annual", "organizational_life_meeting", _years(p)),
                ("life.member_review_annual", "member_review", _years(p)),
            ):
                for start, end, lab in windows:
                    if exists(o, start) and not held(o, kind, start, end):
                        out.add((o.code, rule, lab, None, ""))
            for m in meetings:
                in_p = m.org_id == o.id and p.start <= m.held_on <= p.end
                if in_p and m.voted and m.voting_members and 2 * (m.voters_present or 0) <= m.voting_members:
                    out.add((o.code, "life.quorum", m.held_on.isoformat(), None, f"meeting:{m.id}"))
        if not exists(o, day):
            continue
        d = day.isoformat()
        c = committee_at(o, day)
        if c is not None and o.kind != "working_committee":  # 党工委 are appointed: no term
            end = c.extended_to or _add_years(c.elected_on, c.term_years)
            if end <= day:
                out.add((o.code, "org.committee_term_expired", d, None, ""))
            elif end <= _add_months(day, 6):
                out.add((o.code, "org.committee_term_due", d, None, ""))
        if not branch:
            continue
        mine = [m for m in members if m.org_id == o.id and member_on(m, day)]
        full = sum(1 for m in mine if full_on(m, day))
        if full < 3:
            out.add((o.code, "org.branch_too_small", d, None, ""))
        if len(mine) > 50:
            out.add((o.code, "org.branch_too_large", d, None, ""))
        if full >= 7 and c is None:
            out.add((o.code, "org.committee_missing", d, None, ""))
        secretary = None
        if c is not None:
            n = sum(1 for x in posts if x.committee_id == c.id)
            if not 3 <= n <= 7 and (full >= 7 or n > 2):
                out.add((o.code, "org.committee_size", d, None, ""))
            sec = [x.member for x in posts if x.committee_id == c.id and x.post == "secretary"]
            if sec and member_on(sec[0], day):
                secretary = sec[0]
        if secretary is None:
            out.add((o.code, "org.secretary_missing", d, None, ""))
        elif secretary.full_member_on is not None:
            f = secretary.full_member_on
            years = 0 if f > day else day.year - f.year - ((day.month, day.day) < (f.month, f.day))
            if years + secretary.standing_correction < 1:
                out.add((o.code, "org.secretary_standing_short", d, secretary.id, ""))
        since = _add_months(day, -6)
        for m in mine:
            if not full_on(m, day) and _add_years(m.joined_on, 1) <= day:
                out.add((o.code, "member.probation_overdue", d, m.id, ""))
            rows = [a for a in attendance if a.member_id == m.id and since < a.meeting.held_on <= day]
            present = sum(1 for a in rows if a.presence == "present")
            absent = sum(1 for a in rows if a.presence == "absent")
            if present == 0 and absent > 0 and m.joined_on <= since:
                out.add((o.code, "member.no_life_6_months", d, m.id, ""))
    return out


def engine_keys(root: Organization, label: str) -> set[tuple[Any, ...]]:
    found = compliance.evaluate(root, label)
    keys = [(f.org_code, f.rule, f.period, f.member, f.subject) for f in found]
    assert len(keys) == len(set(keys)), "no finding twice"
    return set(keys)


# Generated datasets ---------------------------------------------------------------------------------------

PERIOD_LABELS = st.one_of(
    st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2023, 2027), st.integers(1, 12)),
    st.builds(lambda y, q: f"{y}-Q{q}", st.integers(2023, 2027), st.integers(1, 4)),
    st.builds(str, st.integers(2023, 2027)),
    st.builds(lambda d: d.isoformat(), st.dates(dt.date(2023, 1, 1), dt.date(2027, 12, 31))),
)


@st.composite
def datasets(draw: Any) -> dict[str, Any]:
    label = draw(PERIOD_LABELS)
    p = periods.parse(label)
    near = st.integers(-45, (p.end - p.start).days + 45).map(lambda n: p.start + dt.timedelta(days=n))
    edges = st.sampled_from([p.start, p.end, p.start - dt.timedelta(days=1), p.end + dt.timedelta(days=1)])
    meetings = draw(
        st.lists(
            st.tuples(
                st.integers(0, 2),
                st.sampled_from(KINDS),
                st.one_of(near, edges),
                st.booleans(),
                st.integers(0, 12),
                st.integers(0, 12),
                st.sampled_from([None, 0, 1]),
            ),
            max_size=25,
        )
    )
    committees = draw(
        st.lists(
            st.tuples(
                st.integers(0, 3),
                st.integers(-6 * 366, 60).map(lambda n: p.end + dt.timedelta(days=n)),
                st.sampled_from([3, 5]),
                st.one_of(st.none(), st.integers(-300, 300)),
                st.integers(0, 6),
            ),
            max_size=4,
            unique_by=lambda c: c[0],
        )
    )
    return {
        "label": label,
        "meetings": meetings,
        "committees": committees,
        "groups": draw(st.integers(0, 2)),
        "probation_joined": draw(st.integers(-800, 100).map(lambda n: p.end + dt.timedelta(days=n))),
        "founded": draw(st.one_of(st.none(), near)),
        "closed": draw(st.one_of(st.none(), near)),
        "closed_name": draw(st.sampled_from(["孙强", "周杰", "张伟", "郑明"])),
        "presence": draw(st.lists(st.sampled_from(["present", "leave", "absent"]), max_size=40)),
    }


def build(world: Any, data: dict[str, Any]) -> None:
    Attendance.objects.all().delete()
    Meeting.objects.all().delete()
    CommitteePost.objects.all().delete()
    Committee.objects.all().delete()
    PartyGroup.objects.all().delete()
    branches = [world.branch_a, world.branch_b, world.branch_c]
    everyone = [world.root, *branches]
    Organization.objects.filter(pk=world.branch_b.pk).update(founded_on=data["founded"])
    dora = Member.objects.get(name="赵敏")
    Member.objects.filter(pk=dora.pk).update(
        joined_on=data["probation_joined"], status="probationary", full_member_on=None
    )
    Member.objects.filter(name=data["closed_name"]).update(closed_on=data["closed"])
    groups = [
        PartyGroup.objects.create(org=world.branch_a, name=f"第{i + 1}党小组") for i in range(data["groups"])
    ]
    for index, kind, held_on, voted, voting, present, group in data["meetings"]:
        org = branches[index]
        Meeting.objects.create(
            org=org,
            org_path=org.path,
            kind=kind,
            held_on=held_on,
            topic="测试",
            voted=voted,
            voting_members=voting,
            voters_present=present,
            group=groups[group]
            if (kind == "group_meeting" and group is not None and group < len(groups))
            else None,
        )
    for index, elected, years, extension, n_posts in data["committees"]:
        org = everyone[index]
        c = Committee.objects.create(
            org=org,
            elected_on=elected,
            term_years=years,
            extended_to=None
            if extension is None
            else _add_years(elected, years) + dt.timedelta(days=extension),
        )
        people = list(Member.objects.filter(org=org).order_by("id"))[:n_posts]
        for i, m in enumerate(people):
            CommitteePost.objects.create(
                committee=c, member=m, post="secretary" if i == 0 else "committee_member"
            )
    # Attendance of branch A's members at branch A's meetings, in the order drawn.
    presence = iter(data["presence"])
    for meeting in Meeting.objects.filter(org=world.branch_a).order_by("id"):
        for m in Member.objects.filter(org=world.branch_a).order_by("id"):
            value = next(presence, None)
            if value is None:
                return
            Attendance.objects.create(meeting=meeting, member=m, presence=value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=datasets())
def test_engine_equals_the_brute_force_count(world: Any, data: dict[str, Any]) -> None:
    build(world, data)
    for root in (world.root, world.branch_a, world.general):
        assert engine_keys(root, data["label"]) == brute_force(root, data["label"])


def test_the_attendance_window_and_period_edges_on_this_database(world: Any) -> None:
    """Meetings on the first and last day of a month, quarter and year, and the six-month window's ends,
    as the database buckets them (TruncMonth, date comparisons)."""
    a = world.branch_a
    for kind, day in [
        ("theme_day", dt.date(2024, 2, 29)),  # last day of a leap February
        ("theme_day", dt.date(2024, 3, 1)),
        ("general_meeting", dt.date(2024, 1, 1)),
        ("party_lecture", dt.date(2024, 3, 31)),
        ("organizational_life_meeting", dt.date(2024, 12, 31)),
        ("member_review", dt.date(2024, 1, 1)),
    ]:
        Meeting.objects.create(org=a, org_path=a.path, kind=kind, held_on=day, topic="边界")
    got = {(f.rule, f.period) for f in compliance.evaluate(a, "2024") if f.rule.startswith("life.")}
    assert ("life.theme_day_monthly", "2024-02") not in got
    assert ("life.theme_day_monthly", "2024-03") not in got
    assert ("life.theme_day_monthly", "2024-04") in got
    assert ("life.general_meeting_quarterly", "2024-Q1") not in got
    assert ("life.party_lecture_quarterly", "2024-Q1") not in got
    assert ("life.general_meeting_quarterly", "2024-Q2") in got
    assert ("life.organizational_life_annual", "2024") not in got
    assert ("life.member_review_annual", "2024") not in got

    # Six months before 31 August 2024 is 29 February: a meeting then is outside the window, 1 March inside.
    wang = Member.objects.get(name="王芳")
    for day, presence in [(dt.date(2024, 2, 29), "present"), (dt.date(2024, 3, 1), "absent")]:
        m = Meeting.objects.create(org=a, org_path=a.path, kind="theme_day", held_on=day, topic="出席")
        Attendance.objects.create(meeting=m, member=wang, presence=presence)
    no_life = [f for f in compliance.evaluate(a, "2024-08-31") if f.rule == "member.no_life_6_months"]
    assert [f.member for f in no_life] == [wang.pk]
    assert (
        no_life[0].message
        == "王芳在2024年2月29日之后至2024年8月31日的6个月内未参加任何一次组织生活，其中1次缺席未请假"
    )
    # On 30 August the window still starts after 29 February (30 → 29 in February); on 28 August it
    # starts after 28 February and the attendance of 29 February counts.
    assert [
        f.member for f in compliance.evaluate(a, "2024-08-30") if f.rule == "member.no_life_6_months"
    ] == [wang.pk]
    assert [
        f.member for f in compliance.evaluate(a, "2024-08-28") if f.rule == "member.no_life_6_months"
    ] == []


def test_a_term_ending_on_the_evaluated_day(world: Any) -> None:
    Committee.objects.create(org=world.branch_b, elected_on=dt.date(2023, 3, 31), term_years=3)
    rules_on = lambda label: {f.rule for f in compliance.evaluate(world.branch_b, label)}  # noqa: E731
    assert "org.committee_term_expired" in rules_on("2026-Q1")  # ends 31 March 2026, the quarter's last day
    assert "org.committee_term_expired" not in rules_on("2026-03-30")
    assert "org.committee_term_due" in rules_on("2026-03-30")


def test_a_parameter_switched_in_the_middle_of_a_period(world: Any) -> None:
    """Each month is judged with the version in force on its last day; state rules on the state day."""
    RuleVersion.objects.create(
        code="life.theme_day_monthly", effective_from=dt.date(2026, 2, 15), enabled=False, citation="试行停用"
    )
    RuleVersion.objects.create(
        code="org.branch_too_small",
        effective_from=dt.date(2026, 3, 31),
        params={"min_full_members": 4},
        citation="新",
    )
    found = compliance.evaluate(world.root, "2026-Q1")
    months = sorted({f.period for f in found if f.rule == "life.theme_day_monthly"})
    assert months == ["2026-01"]  # February and March end after the switch-off
    small = {f.org_code: f for f in found if f.rule == "org.branch_too_small"}
    assert set(small) == {"0102", "010301"}  # 0102 has 3 full members: fewer than 4 from 31 March on
    assert small["0102"].params == {"min_full_members": 4} and small["0102"].citation == "新"
    before = {
        f.org_code for f in compliance.evaluate(world.root, "2026-03-30") if f.rule == "org.branch_too_small"
    }
    assert before == {"010301"}


def test_a_rule_switched_off_finds_nothing_until_switched_on_again(world: Any) -> None:
    RuleVersion.objects.create(
        code="life.party_lecture_quarterly",
        effective_from=dt.date(2025, 1, 1),
        enabled=False,
        citation="本地停用",
    )
    RuleVersion.objects.create(
        code="life.party_lecture_quarterly", effective_from=dt.date(2026, 1, 1), enabled=True, citation="恢复"
    )
    assert not [
        f for f in compliance.evaluate(world.root, "2025") if f.rule == "life.party_lecture_quarterly"
    ]
    again = [
        f for f in compliance.evaluate(world.root, "2026-Q1") if f.rule == "life.party_lecture_quarterly"
    ]
    assert again and {f.citation for f in again} == {"恢复"}


def _queries(root: Organization, label: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        compliance.evaluate(root, label)
    return len(ctx.captured_queries)


def test_the_number_of_queries_does_not_depend_on_the_subtree(world: Any) -> None:
    from jiceng.orgs import services as orgs

    # The root's subtree holds a probationary member (one more query: the decisions on probation).
    # Member counts, probationary members and absentees take two queries each: members placed by
    # their membership records of the day, and members without any record. Tasks and resident
    # requests load their facts in one query each. The dues ledger: one query for the members of
    # branches that keep their dues in jiceng (none here; with some, two more: payments, exemptions).
    # Consultation: one query each for the notices and the follow-up items of the subtree. Resident
    # requests' per-category time limits: one query for the category tree (names and parents).
    assert _queries(world.branch_c, "2026-Q1") <= 22
    small = _queries(world.root, "2026-Q1")
    assert small <= 23
    for i in range(5):
        b = orgs.create_org(
            actor=world.county_admin,
            parent=world.general,
            code=f"01039{i}",
            name=f"新支部{i}",
            kind="branch",
            unit_kind="community",
        )
        Committee.objects.create(org=b, elected_on=dt.date(2024, 1, 1), term_years=5)
        PartyGroup.objects.create(org=b, name="一组")
        Meeting.objects.create(
            org=b, org_path=b.path, kind="committee_meeting", held_on=dt.date(2026, 2, 3), topic="t"
        )
    assert _queries(world.root, "2026-Q1") == small
    assert _queries(world.root, "2026") == small


def _table_counts() -> dict[str, int]:
    from django.apps import apps

    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def test_evaluation_is_read_only_and_repeatable(world: Any) -> None:
    Meeting.objects.create(
        org=world.branch_a,
        org_path=world.branch_a.path,
        kind="general_meeting",
        held_on=dt.date(2026, 2, 1),
        topic="表决",
        voted=True,
        voting_members=6,
        voters_present=3,
    )
    before = _table_counts()
    first = [f.as_json() for f in compliance.evaluate(world.root, "2026")]
    second = [f.as_json() for f in compliance.evaluate(world.root, "2026")]
    assert first == second
    assert _table_counts() == before
    assert any(f["rule"] == "life.quorum" and f["period"] == "2026-02-01" for f in first)


@pytest.mark.parametrize("label", ["2026-02", "2026-Q1", "2026", "2026-03-31"])
def test_period_semantics(world: Any, label: str) -> None:
    """Monthly rules per month inside P, quarterly per quarter, annual only for a year, state at P's end."""
    found = compliance.evaluate(world.branch_a, label)
    by_rule: dict[str, set[str]] = {}
    for f in found:
        by_rule.setdefault(f.rule, set()).add(f.period)
    p = periods.parse(label)
    assert by_rule.get("life.theme_day_monthly", set()) == {m.label for m in p.months()} - (
        set() if p.kind != "day" else {m.label for m in p.months()}
    )
    assert by_rule.get("life.general_meeting_quarterly", set()) == {q.label for q in p.quarters()}
    assert by_rule.get("life.organizational_life_annual", set()) == {y.label for y in p.years()}
    assert by_rule.get("org.secretary_missing") == {p.end.isoformat()}
