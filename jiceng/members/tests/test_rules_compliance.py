"""Member rules of the compliance engine: probation overdue and six months without organizational life."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from jiceng.core.compliance import OrgRef
from jiceng.core.rulebook import RuleBook, RuleParams
from jiceng.members import rules_compliance as r
from jiceng.orgs.rules import add_months, add_years


@pytest.fixture(autouse=True)
def _chinese() -> Any:
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


ORG = OrgRef("0101", "00010001", "和平社区党支部")
DAYS = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))


def params(code: str, *, enabled: bool = True, **values: int) -> RuleParams:
    p = RuleBook([]).on(code, dt.date(2026, 1, 1))
    return RuleParams(p.code, enabled, {**p.values, **values}, p.citation, p.effective_from)


def probation(day: dt.date, joined: dt.date, full_on: dt.date | None = None, decision=None, **values):  # noqa: ANN001, ANN201
    return r.probation_overdue(
        org=ORG,
        member_id=9,
        name="赵敏",
        day=day,
        joined_on=joined,
        full_member_on=full_on,
        decision=decision,
        params=params("member.probation_overdue", **values),
    )


@given(joined=DAYS, offset=st.integers(-400, 400), years=st.integers(1, 3))
def test_probation_is_overdue_from_its_last_day_on(joined: dt.date, offset: int, years: int) -> None:
    ends = add_years(joined, years)
    day = ends + dt.timedelta(days=offset)
    f = probation(day, joined, probation_years=years)
    assert (f is not None) == (ends <= day)
    if f:
        assert f.member == 9 and f.period == day.isoformat() and f.params == {"probation_years": years}


@given(joined=DAYS, converted_after=st.integers(0, 500), offset=st.integers(0, 900))
def test_a_conversion_recorded_by_the_day_judged_closes_the_case(
    joined: dt.date, converted_after: int, offset: int
) -> None:
    full_on = add_years(joined, 1) + dt.timedelta(days=converted_after)
    day = joined + dt.timedelta(days=offset)
    f = probation(day, joined, full_on)
    ends = add_years(joined, 1)
    assert (f is not None) == (ends <= day < full_on)


def test_probation_from_29_february_ends_on_28_february() -> None:
    assert probation(dt.date(2025, 2, 27), dt.date(2024, 2, 29)) is None
    f = probation(dt.date(2025, 2, 28), dt.date(2024, 2, 29))
    assert f is not None
    assert (
        f.message == "赵敏于2024年2月29日入党，预备期已于2025年2月28日届满，截至2025年2月28日尚未讨论其转正"
    )


def test_decisions_of_member_development_are_honoured() -> None:
    joined = dt.date(2025, 3, 1)
    day = dt.date(2026, 6, 1)
    assert probation(day, joined) is not None
    extend = r.ProbationDecision("extend", dt.date(2026, 3, 1), dt.date(2026, 9, 1))
    assert probation(day, joined, decision=extend) is None
    assert probation(dt.date(2026, 9, 1), joined, decision=extend) is not None
    assert probation(day, joined, decision=r.ProbationDecision("revoke", dt.date(2026, 3, 5))) is None
    later = r.ProbationDecision("revoke", dt.date(2026, 7, 1))
    assert probation(day, joined, decision=later) is not None  # not decided yet on the day judged
    assert probation(day, joined) is not None and probation(day, joined, enabled=False) is None


@given(day=DAYS, months=st.integers(1, 12))
def test_the_window_is_months_long_and_clamps_to_month_ends(day: dt.date, months: int) -> None:
    after, until = r.no_life_window(day, months)
    assert until == day and after == add_months(day, -months)
    assert after < day
    assert add_months(after, months) <= day  # 31 Aug - 6 months = 28/29 Feb, and back is 28/29 Aug


def test_the_window_of_31_august() -> None:
    assert r.no_life_window(dt.date(2024, 8, 31), 6) == (dt.date(2024, 2, 29), dt.date(2024, 8, 31))
    assert r.no_life_window(dt.date(2026, 8, 31), 6) == (dt.date(2026, 2, 28), dt.date(2026, 8, 31))


@given(
    present=st.integers(0, 3),
    leave=st.integers(0, 3),
    absent=st.integers(0, 3),
    joined_offset=st.integers(-30, 30),
    day=DAYS,
)
def test_no_life_needs_no_presence_and_an_absence_without_leave(
    present: int, leave: int, absent: int, joined_offset: int, day: dt.date
) -> None:
    since, _until = r.no_life_window(day, 6)
    joined = since + dt.timedelta(days=joined_offset)
    f = r.no_life_6_months(
        org=ORG,
        member_id=3,
        name="王芳",
        day=day,
        joined_on=joined,
        present=present,
        leave=leave,
        absent=absent,
        params=params("member.no_life_6_months"),
    )
    assert (f is not None) == (present == 0 and absent > 0 and joined <= since)


def test_no_life_message_counts_absences_in_english_plurals():
    """English says "1 unexcused absence" and "2 unexcused absences"; Chinese has one form."""
    from django.utils import translation

    from jiceng.members.rules_compliance import MESSAGES

    def text(absent: int) -> str:
        return MESSAGES["member.no_life_6_months"](
            {"name": "Wang", "since": "2024-02-29", "day": "2024-08-31", "months": 6, "absent": absent}
        )

    with translation.override("en"):
        assert text(1).endswith("with 1 unexcused absence")
        assert text(2).endswith("with 2 unexcused absences")
    with translation.override("zh-hans"):
        assert text(1).endswith("其中1次缺席未请假")
