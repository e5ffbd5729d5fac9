"""``partner.member_not_reported``: the pure judge (hypothesis: the boundary exact) and the engine over
records, switched on by a rule version with its effective date (shipped switched off)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiceng.core.compliance import OrgRef, evaluate
from jiceng.core.models import RuleVersion
from jiceng.core.rulebook import BY_CODE, RuleBook, RuleParams
from jiceng.participation import rules, services

BRANCH = OrgRef("010301", "000100030001", "财政所党支部")
DEFAULTS = BY_CODE[rules.CODE].defaults


def on(**values):  # noqa: ANN003, ANN201
    return RuleParams(rules.CODE, True, {**DEFAULTS, **values}, "c", None)


def judge(arrived, day, *, reported=False, category="employed", unit_kind="government", params=None):  # noqa: ANN001, ANN201
    return rules.member_not_reported(
        org=BRANCH,
        unit_kind=unit_kind,
        member_id=3,
        name="郑明",
        category=category,
        arrived_on=arrived,
        reported=reported,
        day=day,
        params=params or on(),
    )


def test_shipped_switched_off_with_its_parameters() -> None:
    spec = BY_CODE[rules.CODE]
    assert (spec.enabled, spec.confidence, spec.app, spec.section) == (False, "U", "participation", "10")
    params = RuleBook(versions=[]).on(rules.CODE, dt.date(2026, 6, 1))
    assert params.enabled is False
    assert judge(dt.date(2020, 1, 1), dt.date(2026, 6, 1), params=params) is None


@given(
    arrived=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)),
    within=st.integers(min_value=0, max_value=400),
    after=st.integers(min_value=-30, max_value=30),
)
def test_the_finding_starts_the_day_after_the_limit(arrived, within, after) -> None:  # noqa: ANN001
    day = arrived + dt.timedelta(days=within + after)
    f = judge(arrived, day, params=on(within_days=within))
    assert (f is not None) == (after > 0)
    if f is not None:
        assert (f.rule, f.member, f.period, f.facts["days"]) == (rules.CODE, 3, day.isoformat(), after)
        assert "郑明" in f.message


def test_reported_exempt_or_other_categories_never_found() -> None:
    arrived, day = dt.date(2025, 1, 1), dt.date(2026, 1, 1)
    assert judge(arrived, day) is not None
    assert judge(arrived, day, reported=True) is None
    assert judge(arrived, day, unit_kind="community") is None
    assert judge(arrived, day, category="retired") is None
    assert judge(arrived, day, category="retired", params=on(categories=["employed", "retired"])) is not None


@pytest.mark.django_db
def test_the_engine_finds_the_members_who_did_not_report(world) -> None:  # noqa: ANN001
    RuleVersion.objects.create(
        code=rules.CODE, effective_from=dt.date(2020, 1, 1), enabled=True, citation="本地规定"
    )
    day = dt.date.today() + dt.timedelta(days=200)
    period = day.isoformat()
    found = [f for f in evaluate(world.root, period) if f.rule == rules.CODE]
    # 郑明 of 财政所 (an organ branch, employed); the community and village branches are exempt.
    assert [(f.org_code, f.member_name) for f in found] == [("010301", "郑明")]
    assert found[0].citation == "本地规定"
    services.register_member(actor=world.county_admin, member=world.member_c, community=world.branch_a)
    assert [f for f in evaluate(world.root, period) if f.rule == rules.CODE] == []
    # Switched off again from a later date: nothing judged then.
    RuleVersion.objects.create(
        code=rules.CODE, effective_from=dt.date(2021, 1, 1), enabled=False, citation="停用"
    )
    assert [f for f in evaluate(world.root, period) if f.rule == rules.CODE] == []
