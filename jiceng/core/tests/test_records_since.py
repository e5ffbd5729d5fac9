"""Records that start on the import day are not violations before it (issue 10, capability 3).

An organization's ``records_since`` (记录起始日期) is the day from which jiceng keeps its records. A
period that starts before it, and a state day before it, are "no records": never findings, listed
apart. A state rule that looks back (``member.no_life_6_months``) is judged once its whole window lies
on or after it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import json
from typing import Any

from django.core.management import call_command
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core import compliance, periods
from jiceng.life.models import Attendance, Meeting
from jiceng.members.models import Member
from jiceng.orgs.models import Organization


def _since(org: Any, day: dt.date) -> None:
    Organization.objects.filter(pk=org.pk).update(records_since=day)


def _keys(org: Any, label: str) -> set[tuple[str, str, str]]:
    return {(f.org_code, f.rule, f.period) for f in compliance.evaluate(org, label)}


def test_periods_starting_before_records_since_are_no_records(world: Any) -> None:
    _since(world.branch_a, dt.date(2026, 8, 15))
    got = _keys(world.branch_a, "2026-Q3")
    assert ("0101", "life.theme_day_monthly", "2026-09") in got
    assert not {k for k in got if k[2] in ("2026-07", "2026-08", "2026-Q3")}
    assert ("0101", "org.branch_too_small", "2026-09-30") not in got  # 5 full members: no finding anyway
    assert ("0101", "member.probation_overdue", "2026-09-30") not in got  # joined 2026-03-01: not yet
    gaps = compliance.assess(world.branch_a, "2026-Q3").no_records
    assert [(n.org_code, n.period) for n in gaps] == [
        ("0101", "2026-07"),
        ("0101", "2026-08"),
        ("0101", "2026-Q3"),
    ]


def test_a_state_day_before_records_since_is_not_judged(world: Any) -> None:
    _since(world.branch_b, dt.date(2027, 7, 1))
    assert not {k for k in _keys(world.root, "2027-06-30") if k[0] == "0102"}
    assert ("0102", "org.secretary_missing", "2027-07-01") in _keys(world.root, "2027-07-01")
    gaps = compliance.assess(world.root, "2027-06-30").no_records
    assert [(n.org_code, n.period) for n in gaps] == [("0102", "2027-06-30")]


def test_a_window_looking_back_is_judged_once_it_lies_wholly_after_records_since(world: Any) -> None:
    a = world.branch_a
    zhang = Member.objects.get(name="张伟")
    for day in (dt.date(2026, 6, 10), dt.date(2026, 9, 10)):
        m = Meeting.objects.create(org=a, org_path=a.path, kind="theme_day", held_on=day, topic="学习")
        Attendance.objects.create(meeting=m, member=zhang, presence="absent")
    _since(a, dt.date(2026, 5, 1))

    def flagged(label: str) -> bool:
        return any(
            f.rule == "member.no_life_6_months" and f.member == zhang.pk
            for f in compliance.evaluate(a, label)
        )

    # 30 September: the window runs from 31 March, before the records start.
    assert not flagged("2026-09-30")
    # 31 October: the window runs from 1 May (meetings after 30 April), the records' first day.
    assert flagged("2026-10-31")
    _since(a, dt.date(2026, 5, 2))
    assert not flagged("2026-10-31")


def test_a_meeting_before_records_since_is_not_judged(world: Any) -> None:
    a = world.branch_a
    for day in (dt.date(2026, 7, 5), dt.date(2026, 9, 5)):
        Meeting.objects.create(
            org=a,
            org_path=a.path,
            kind="general_meeting",
            held_on=day,
            topic="表决",
            voted=True,
            voting_members=10,
            voters_present=3,
        )
    _since(a, dt.date(2026, 8, 1))
    assert {k[2] for k in _keys(a, "2026-Q3") if k[1] == "life.quorum"} == {"2026-09-05"}


def test_the_command_line_lists_the_periods_without_records(world: Any) -> None:
    _since(world.branch_c, dt.date(2026, 9, 1))
    out = io.StringIO()
    with translation.override("zh-hans"):
        call_command("compliance", "--org", "0103", "--period", "2026-Q3", stdout=out)
    items = json.loads(out.getvalue())
    gaps = [i for i in items if i.get("status") == "no_records"]
    assert [(g["org_code"], g["period"]) for g in gaps] == [
        ("010301", "2026-07"),
        ("010301", "2026-08"),
        ("010301", "2026-Q3"),
    ]
    assert set(gaps[0]) == {"org_code", "period", "status", "message"}
    assert "早于记录起始日期2026年9月1日" in gaps[0]["message"]
    findings = [i for i in items if "status" not in i]
    assert {f["period"] for f in findings} == {"2026-09", "2026-09-30"}


# The property: whatever the records_since of each organization, no finding is dated before it -----------


def _first_day(rule: str, label: str) -> dt.date:
    p = periods.parse(label)
    if rule == "member.no_life_6_months":
        day = p.end
        y, m = divmod(day.month - 1 - 6, 12)
        year, month = day.year + y, m + 1
        since = dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
        return since + dt.timedelta(days=1)
    return p.start


LABELS = st.one_of(
    st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2025, 2027), st.integers(1, 12)),
    st.builds(lambda y, q: f"{y}-Q{q}", st.integers(2025, 2027), st.integers(1, 4)),
    st.builds(str, st.integers(2025, 2027)),
    st.builds(lambda d: d.isoformat(), st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31))),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    label=LABELS,
    since=st.lists(st.dates(dt.date(2024, 6, 1), dt.date(2028, 1, 1)), min_size=5, max_size=5),
    absences=st.lists(st.dates(dt.date(2024, 6, 1), dt.date(2027, 12, 31)), max_size=4),
)
def test_no_finding_is_ever_dated_before_its_organizations_records_since(
    world: Any, label: str, since: list[dt.date], absences: list[dt.date]
) -> None:
    a = world.branch_a
    Attendance.objects.all().delete()
    Meeting.objects.all().delete()
    zhang = Member.objects.get(name="张伟")
    for day in absences:
        m = Meeting.objects.create(
            org=a,
            org_path=a.path,
            kind="theme_day",
            held_on=day,
            topic="学习",
            voted=True,
            voting_members=5,
            voters_present=1,
        )
        Attendance.objects.create(meeting=m, member=zhang, presence="absent")
    orgs = [world.root, world.branch_a, world.branch_b, world.general, world.branch_c]
    Organization.objects.update(records_since=dt.date(1900, 1, 1))
    everything = compliance.evaluate(world.root, label)
    for org, day in zip(orgs, since, strict=True):
        _since(org, day)
    by_code = dict(zip([o.code for o in orgs], since, strict=True))
    found = compliance.evaluate(world.root, label)
    for f in found:
        assert _first_day(f.rule, f.period) >= by_code[f.org_code], f
    # ... and nothing else changes: the findings are those of all records, less those before records_since.
    assert [f.key for f in found] == [
        f.key for f in everything if _first_day(f.rule, f.period) >= by_code[f.org_code]
    ]


def test_the_health_page_counts_and_the_api_lists_the_periods_without_records(
    world: Any, client_for: Any
) -> None:
    _since(world.branch_c, dt.date(2026, 9, 1))
    client = client_for(world.county_admin)
    with translation.override("zh-hans"):
        page = client.get("/reports/0103/?period=2026-Q3").content.decode()
    assert 'id="hc-no-records"' in page and "另有 3 个组织期间早于记录起始日期" in page
    assert 'id="hc-no-records"' not in client.get("/reports/0101/?period=2026-Q3").content.decode()
    api = client.get("/api/v1/findings/no-records/", {"org": "0103", "period": "2026-Q3"})
    assert api.status_code == 200
    assert [(i["org_code"], i["period"], i["status"]) for i in api.json()["results"]] == [
        ("010301", "2026-07", "no_records"),
        ("010301", "2026-08", "no_records"),
        ("010301", "2026-Q3", "no_records"),
    ]
    findings = client.get("/api/v1/findings/", {"org": "0103", "period": "2026-Q3"}).json()["results"]
    assert {f["period"] for f in findings} == {"2026-09", "2026-09-30"}
    # Scoped like the findings: a secretary of another branch gets 404.
    other = client_for(world.alice).get("/api/v1/findings/no-records/", {"org": "0103", "period": "2026-Q3"})
    assert other.status_code == 404
