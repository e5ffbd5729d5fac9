"""Organizational-life rules (RULES.md §2) on period boundaries: property tests over the pure functions."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from jiceng.core import periods
from jiceng.core.compliance import OrgRef
from jiceng.core.rulebook import BY_CODE, RuleBook, RuleParams
from jiceng.life import rules


@pytest.fixture(autouse=True)
def _chinese() -> Any:
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


ORG = OrgRef("0101", "00010001", "和平社区党支部")
DAYS = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31))


def params(code: str, *, enabled: bool = True) -> RuleParams:
    p = RuleBook([]).on(code, dt.date(2026, 1, 1))
    return RuleParams(p.code, enabled, p.values, p.citation, p.effective_from)


MONTHLY = {
    "life.theme_day_monthly": lambda month, held, p: rules.theme_day_monthly(
        org=ORG, month=month, held=held, params=p
    ),
    "life.committee_meeting_monthly": lambda month, held, p: rules.committee_meeting_monthly(
        org=ORG, month=month, has_committee=True, held=held, params=p
    ),
    "life.group_meeting_monthly": lambda month, held, p: rules.group_meeting_monthly(
        org=ORG, month=month, group_id=7, group_name="第一党小组", held=held, params=p
    ),
}
PERIODIC = {
    "life.general_meeting_quarterly": ("quarter", rules.general_meeting_quarterly),
    "life.party_lecture_quarterly": ("quarter", rules.party_lecture_quarterly),
    "life.organizational_life_annual": ("year", rules.organizational_life_annual),
    "life.member_review_annual": ("year", rules.member_review_annual),
}


@pytest.mark.parametrize("code", sorted(MONTHLY))
@given(day=DAYS)
def test_a_meeting_on_any_day_of_the_month_counts_and_the_neighbouring_days_do_not(
    code: str, day: dt.date
) -> None:
    month = periods.containing("month", day)
    judge = MONTHLY[code]
    assert judge(month, [day], params(code)) is None
    assert judge(month, [month.start], params(code)) is None  # first day
    assert judge(month, [month.end], params(code)) is None  # last day: 28, 29, 30 or 31
    outside = [month.start - dt.timedelta(days=1), month.end + dt.timedelta(days=1)]
    f = judge(month, outside, params(code))
    assert f is not None
    assert (f.rule, f.period, f.org_code) == (code, month.label, "0101")
    assert f.citation == BY_CODE[code].citation
    assert f.due_on == month.end
    assert f.message.startswith(f"{day.year}年{day.month}月")


@given(year=st.integers(1990, 2100), number=st.integers(1, 12))
def test_the_last_day_of_every_month_is_its_calendar_length(year: int, number: int) -> None:
    month = periods.month(year, number)
    assert month.end.day == calendar.monthrange(year, number)[1]
    assert (
        rules.theme_day_monthly(
            org=ORG, month=month, held=[month.end], params=params("life.theme_day_monthly")
        )
        is None
    )
    if number == 2:
        assert month.end.day == (29 if calendar.isleap(year) else 28)


@pytest.mark.parametrize("code", sorted(PERIODIC))
@given(day=DAYS)
def test_quarters_and_years_count_their_first_and_last_day(code: str, day: dt.date) -> None:
    kind, judge = PERIODIC[code]
    period = periods.containing(kind, day)
    p = params(code)
    for inside in (period.start, period.end, day):
        assert judge(org=ORG, period=period, held=[inside], params=p) is None
    f = judge(
        org=ORG,
        period=period,
        held=[period.start - dt.timedelta(days=1), period.end + dt.timedelta(days=1)],
        params=p,
    )
    assert f is not None and f.period == period.label and f.due_on == period.end


@pytest.mark.parametrize("code", sorted([*MONTHLY, *PERIODIC]))
def test_a_rule_switched_off_finds_nothing(code: str) -> None:
    month = periods.month(2026, 3)
    if code in MONTHLY:
        assert MONTHLY[code](month, [], params(code)) is not None
        assert MONTHLY[code](month, [], params(code, enabled=False)) is None
    else:
        kind, judge = PERIODIC[code]
        period = periods.containing(kind, month.start)
        assert judge(org=ORG, period=period, held=[], params=params(code)) is not None
        assert judge(org=ORG, period=period, held=[], params=params(code, enabled=False)) is None


def test_a_branch_without_a_committee_owes_no_committee_meeting() -> None:
    month = periods.month(2026, 2)
    p = params("life.committee_meeting_monthly")
    assert (
        rules.committee_meeting_monthly(org=ORG, month=month, has_committee=False, held=[], params=p) is None
    )


def test_group_findings_name_the_group_and_are_told_apart() -> None:
    month = periods.month(2024, 2)
    p = params("life.group_meeting_monthly")
    a = rules.group_meeting_monthly(
        org=ORG, month=month, group_id=1, group_name="第一党小组", held=[], params=p
    )
    b = rules.group_meeting_monthly(
        org=ORG, month=month, group_id=2, group_name="第二党小组", held=[], params=p
    )
    assert a and b and a.key != b.key
    assert a.message == "2024年2月第一党小组未召开党小组会"


@given(
    voting=st.integers(0, 200),
    present=st.integers(0, 200),
    day=DAYS,
)
def test_quorum_is_more_than_half(voting: int, present: int, day: dt.date) -> None:
    p = params("life.quorum")
    f = rules.quorum(
        org=ORG,
        meeting_id=3,
        kind="general_meeting",
        held_on=day,
        voting_members=voting,
        voters_present=present,
        params=p,
    )
    assert (f is not None) == (voting > 0 and 2 * present <= voting)
    if f is not None:
        assert f.period == day.isoformat() and f.subject == "meeting:3"
        assert "支部党员大会" in f.message
        # Meeting.quorum_met says the same.
        from jiceng.life.models import Meeting

        assert Meeting(voted=True, voting_members=voting, voters_present=present).quorum_met is False
    off = params("life.quorum", enabled=False)
    assert (
        rules.quorum(
            org=ORG,
            meeting_id=3,
            kind="general_meeting",
            held_on=day,
            voting_members=10,
            voters_present=1,
            params=off,
        )
        is None
    )


def test_quorum_boundaries() -> None:
    assert (
        rules.quorum_met(voting_members=10, voters_present=5) is False
    )  # exactly half is not more than half
    assert rules.quorum_met(voting_members=10, voters_present=6) is True
    assert rules.quorum_met(voting_members=9, voters_present=5) is True
    assert rules.quorum_met(voting_members=0, voters_present=0) is None
    assert rules.quorum_met(voting_members=None, voters_present=3) is None
