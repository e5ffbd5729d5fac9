"""``agreement.project_overdue``: the pure judge (hypothesis: the boundary exact, done or cancelled
projects never found) and the engine over records, switched on by a rule version (shipped off)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiceng.core.compliance import OrgRef, evaluate
from jiceng.core.models import RuleVersion
from jiceng.core.rulebook import BY_CODE, RuleBook, RuleParams
from jiceng.partners import rules
from jiceng.partners.models import AgreementProject

ORG = OrgRef("0101", "00010001", "和平社区党支部")
DEFAULTS = BY_CODE[rules.CODE].defaults


def on(**values):  # noqa: ANN003, ANN201
    return RuleParams(rules.CODE, True, {**DEFAULTS, **values}, "c", None)


def judge(deadline, day, *, status="in_progress", done_on=None, params=None):  # noqa: ANN001, ANN201
    return rules.project_overdue(
        org=ORG,
        project_id=7,
        title="楼道灯改造",
        unit="和平物业",
        deadline=deadline,
        status=status,
        done_on=done_on,
        day=day,
        params=params or on(),
    )


def test_shipped_switched_off() -> None:
    spec = BY_CODE[rules.CODE]
    assert (spec.enabled, spec.confidence, spec.app) == (False, "U", "partners")
    params = RuleBook(versions=[]).on(rules.CODE, dt.date(2026, 6, 1))
    assert params.enabled is False
    assert judge(dt.date(2020, 1, 1), dt.date(2026, 6, 1), params=params) is None


days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1))


@given(
    deadline=days,
    grace=st.integers(min_value=0, max_value=90),
    after=st.integers(min_value=-60, max_value=60),
)
def test_found_from_the_day_after_deadline_and_grace(deadline, grace, after) -> None:  # noqa: ANN001
    day = deadline + dt.timedelta(days=grace + after)
    f = judge(deadline, day, params=on(grace_days=grace))
    assert (f is not None) == (after > 0)
    if f is not None:
        assert (f.rule, f.subject, f.period, f.facts["days"]) == (
            rules.CODE,
            "project:7",
            day.isoformat(),
            after,
        )
        assert "楼道灯改造" in f.message and "和平物业" in f.message


@given(
    deadline=days, done=st.integers(min_value=-60, max_value=60), day=st.integers(min_value=-60, max_value=60)
)
def test_a_project_done_by_the_day_or_cancelled_is_never_found(deadline, done, day) -> None:  # noqa: ANN001
    done_on, on_day = deadline + dt.timedelta(days=done), deadline + dt.timedelta(days=day)
    f = judge(deadline, on_day, status="done", done_on=done_on)
    # Done by the day judged: never; done later (judging a past day): overdue then if past deadline.
    assert (f is not None) == (done_on > on_day and on_day > deadline)
    assert judge(deadline, on_day, status="cancelled") is None


@pytest.mark.django_db
def test_the_engine_finds_the_overdue_projects_of_the_subtree(world, agreement) -> None:  # noqa: ANN001
    day = world.project_unit.deadline + dt.timedelta(days=5)
    assert [f for f in evaluate(world.root, day.isoformat()) if f.rule == rules.CODE] == []  # off
    RuleVersion.objects.create(
        code=rules.CODE, effective_from=dt.date(2020, 1, 1), enabled=True, citation="共建协议"
    )
    found = [f for f in evaluate(world.root, day.isoformat()) if f.rule == rules.CODE]
    assert [(f.org_code, f.facts["title"], f.facts["days"]) for f in found] == [("0101", "楼道灯改造", 5)]
    assert found[0].citation == "共建协议"
    AgreementProject.objects.filter(pk=world.project_unit.pk).update(status="done", done_on=day)
    assert [f for f in evaluate(world.root, day.isoformat()) if f.rule == rules.CODE] == []
    # 新华村's evaluation holds none of 和平社区's projects.
    AgreementProject.objects.filter(pk=world.project_unit.pk).update(status="in_progress", done_on=None)
    assert [f for f in evaluate(world.branch_b, day.isoformat()) if f.rule == rules.CODE] == []
