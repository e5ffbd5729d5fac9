"""Organization rules (RULES.md §1) as pure functions: thresholds, terms ending on the day judged, leap days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from jiceng.core.compliance import OrgRef
from jiceng.core.rulebook import RuleBook, RuleParams
from jiceng.orgs import rules
from jiceng.orgs import rules_compliance as r


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


@given(full=st.integers(0, 100), minimum=st.integers(1, 10), day=DAYS)
def test_branch_too_small_below_the_minimum_only(full: int, minimum: int, day: dt.date) -> None:
    f = r.branch_too_small(
        org=ORG, day=day, full_members=full, params=params("org.branch_too_small", min_full_members=minimum)
    )
    assert (f is not None) == (full < minimum)
    if f:
        assert f.period == day.isoformat() and f.params == {"min_full_members": minimum}
    assert (
        r.branch_too_small(
            org=ORG, day=day, full_members=0, params=params("org.branch_too_small", enabled=False)
        )
        is None
    )


@given(members=st.integers(0, 200), maximum=st.integers(10, 100), day=DAYS)
def test_branch_too_large_above_the_maximum_only(members: int, maximum: int, day: dt.date) -> None:
    f = r.branch_too_large(
        org=ORG, day=day, members=members, params=params("org.branch_too_large", max_members=maximum)
    )
    assert (f is not None) == (members > maximum)


@given(full=st.integers(0, 40), has=st.booleans(), day=DAYS)
def test_committee_missing_from_the_threshold_on(full: int, has: bool, day: dt.date) -> None:
    f = r.committee_missing(
        org=ORG, day=day, full_members=full, has_committee=has, params=params("org.committee_missing")
    )
    assert (f is not None) == (full >= 7 and not has)


@given(size=st.integers(0, 12), required=st.booleans(), day=DAYS)
def test_committee_size_between_3_and_7(size: int, required: bool, day: dt.date) -> None:
    f = r.committee_size(
        org=ORG, day=day, size=size, committee_required=required, params=params("org.committee_size")
    )
    expected = not 3 <= size <= 7 and (required or size > 2)
    assert (f is not None) == expected


@given(elected=DAYS, years=st.integers(1, 6), offset=st.integers(-800, 800))
def test_a_term_has_ended_on_its_last_day_and_is_due_within_the_notice(
    elected: dt.date, years: int, offset: int
) -> None:
    term = r.TermFacts(elected, years, None)
    ends = rules.add_years(elected, years)
    day = ends + dt.timedelta(days=offset)
    expired = r.committee_term_expired(
        org=ORG, day=day, term=term, params=params("org.committee_term_expired")
    )
    due = r.committee_term_due(org=ORG, day=day, term=term, params=params("org.committee_term_due"))
    assert (expired is not None) == (ends <= day)  # ending on the day judged: already ended
    assert (due is not None) == (day < ends <= rules.add_months(day, 6))
    assert not (expired and due)
    if expired:
        assert expired.params == {"term_years": years, "extended_to": None}
    if due:
        assert due.due_on == ends


def test_a_term_elected_on_29_february_ends_on_28_february() -> None:
    term = r.TermFacts(dt.date(2024, 2, 29), 5, None)
    p = params("org.committee_term_expired")
    assert term.ends_on == dt.date(2029, 2, 28)
    assert r.committee_term_expired(org=ORG, day=dt.date(2029, 2, 27), term=term, params=p) is None
    f = r.committee_term_expired(org=ORG, day=dt.date(2029, 2, 28), term=term, params=p)
    assert f is not None
    assert (
        f.message
        == "本届委员会于2024年2月29日选举产生，任期5年，已于2029年2月28日届满，截至2029年2月28日尚未换届"
    )


@given(extra=st.integers(-365, 365), offset=st.integers(-30, 30))
def test_an_approved_extension_replaces_the_end_of_term(extra: int, offset: int) -> None:
    regular = dt.date(2026, 6, 1)
    extended = regular + dt.timedelta(days=extra)
    term = r.TermFacts(dt.date(2021, 6, 1), 5, extended)
    day = extended + dt.timedelta(days=offset)
    f = r.committee_term_expired(org=ORG, day=day, term=term, params=params("org.committee_term_expired"))
    assert (f is not None) == (extended <= day)
    if f:
        assert "经批准延期" in f.message


@given(notice=st.integers(1, 24), day=DAYS)
def test_the_notice_period_is_a_parameter(notice: int, day: dt.date) -> None:
    ends = rules.add_months(day, notice)
    term = r.TermFacts(rules.add_years(ends, -3), 3, ends)
    p = params("org.committee_term_due", notice_months=notice)
    assert r.committee_term_due(org=ORG, day=day, term=term, params=p) is not None
    later = r.TermFacts(term.elected_on, 3, ends + dt.timedelta(days=1))
    assert r.committee_term_due(org=ORG, day=day, term=later, params=p) is None


@given(full_on=DAYS, offset=st.integers(-400, 800), correction=st.integers(-2, 2))
def test_secretary_standing_counts_whole_years_from_becoming_a_full_member(
    full_on: dt.date, offset: int, correction: int
) -> None:
    day = full_on + dt.timedelta(days=offset)
    years = r.standing_years(full_on, day, correction)
    sec = r.SecretaryFacts(5, "张伟", full_on, correction)
    f = r.secretary_standing_short(
        org=ORG, day=day, secretary=sec, params=params("org.secretary_standing_short")
    )
    assert (f is not None) == (years < 1)
    if f:
        assert f.member == 5 and f.member_name == "张伟"
    if day < full_on:
        assert years == 0


def test_one_year_of_standing_is_reached_on_the_anniversary_even_from_29_february() -> None:
    sec = r.SecretaryFacts(5, "张伟", dt.date(2024, 2, 29), 0)
    p = params("org.secretary_standing_short")
    assert r.secretary_standing_short(org=ORG, day=dt.date(2025, 2, 28), secretary=sec, params=p) is not None
    assert r.secretary_standing_short(org=ORG, day=dt.date(2025, 3, 1), secretary=sec, params=p) is None
    unknown = r.SecretaryFacts(5, "张伟", None, 0)
    assert r.secretary_standing_short(org=ORG, day=dt.date(2025, 3, 1), secretary=unknown, params=p) is None


def test_secretary_missing() -> None:
    p = params("org.secretary_missing")
    assert r.secretary_missing(org=ORG, day=dt.date(2026, 3, 31), has_secretary=True, params=p) is None
    f = r.secretary_missing(org=ORG, day=dt.date(2026, 3, 31), has_secretary=False, params=p)
    assert f is not None and f.message == "截至2026年3月31日，本支部没有书记"
