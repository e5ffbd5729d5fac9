"""``task.overdue``: the pure judge (hypothesis, the grace boundary exact) and the engine over records."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiceng.core.compliance import OrgRef, evaluate
from jiceng.core.rulebook import BY_CODE, RuleBook, RuleParams
from jiceng.tasks import rules
from jiceng.tasks.models import Assignment

from .helpers import theme_day, theme_task, today

BOOK = RuleBook(versions=[])
BRANCH = OrgRef("0101", "00010001", "和平社区党支部")
PARENT = OrgRef("01", "0001", "东城街道党工委")
D = dt.date


def judge(deadline, day, *, answered_on=None, grace=None, book=BOOK, parent=PARENT):  # noqa: ANN001, ANN201
    params = book.on(rules.CODE, day)
    if grace is not None:
        params = RuleParams(rules.CODE, True, {"grace_days": grace}, params.citation, None)
    return rules.overdue(
        org=BRANCH,
        parent=parent,
        assignment_id=7,
        title="开展主题党日",
        deadline=deadline,
        answered_on=answered_on,
        day=day,
        params=params,
    )


def test_registered_with_a_grace_parameter_and_a_citation():
    spec = BY_CODE["task.overdue"]
    assert spec.defaults == {"grace_days": 7} and spec.citation and spec.confidence == "U"


@settings(deadline=None)
@given(
    deadline=st.dates(D(2020, 1, 1), D(2030, 1, 1)),
    offset=st.integers(-40, 60),
    grace=st.integers(0, 30),
)
def test_grace_boundary_is_exact(deadline, offset, grace):
    day = deadline + dt.timedelta(days=offset)
    found = judge(deadline, day, grace=grace)
    # The deadline is still in time; the day after the branch has a finding; after more than ``grace``
    # days the next level has one too.
    assert [f.org_code for f in found] == (["0101"] if offset > 0 else []) + (
        ["01"] if offset > grace else []
    )
    for f in found:
        assert f.rule == "task.overdue" and f.period == day.isoformat() and f.params == {"grace_days": grace}
    if offset > grace:
        assert found[1].due_on == deadline + dt.timedelta(days=grace) and found[1].facts["escalated"]


@settings(deadline=None)
@given(
    deadline=st.dates(D(2020, 1, 1), D(2030, 1, 1)),
    answered=st.integers(-10, 30),
    offset=st.integers(-10, 60),
)
def test_answered_by_the_day_is_never_a_finding(deadline, answered, offset):
    answered_on = deadline + dt.timedelta(days=answered)
    day = deadline + dt.timedelta(days=offset)
    found = judge(deadline, day, answered_on=answered_on)
    if answered_on <= day:
        assert found == []
    else:
        assert bool(found) == (offset > 0)


def test_no_escalation_without_a_next_level_and_none_when_switched_off():
    assert [f.org_code for f in judge(D(2026, 1, 1), D(2026, 3, 1), parent=None)] == ["0101"]
    off = RuleBook(
        [
            SimpleNamespace(
                code=rules.CODE, effective_from=D(2026, 2, 1), enabled=False, params={}, citation=""
            )
        ]
    )
    assert judge(D(2026, 1, 1), D(2026, 3, 1), book=off) == []
    assert judge(D(2026, 1, 1), D(2026, 1, 20), book=off) != []


def test_grace_by_effective_date():
    book = RuleBook(
        [
            SimpleNamespace(
                code=rules.CODE,
                effective_from=D(2026, 3, 1),
                enabled=True,
                params={"grace_days": 30},
                citation="某市督办办法",
            )
        ]
    )
    before = judge(D(2026, 1, 20), D(2026, 2, 7), book=book)  # 18 days late, 7 days' grace
    after = judge(D(2026, 2, 20), D(2026, 3, 10), book=book)  # 18 days late, 30 days' grace
    assert len(before) == 2 and before[0].params == {"grace_days": 7}
    assert len(after) == 1 and after[0].citation == "某市督办办法" and after[0].params == {"grace_days": 30}


def test_message_is_chinese_and_names_the_task():
    f = judge(D(2026, 1, 1), D(2026, 1, 20))
    assert "开展主题党日" in f[0].message and "逾期19天" in f[0].message
    assert "请督办" in f[1].message and "和平社区党支部" in f[1].message


@pytest.mark.django_db
def test_engine_finds_the_open_assignments_on_the_branch_and_escalates(world):
    task = theme_task(world, deadline=today())
    Assignment.objects.filter(task=task).update(deadline=today() - dt.timedelta(days=10))
    a = task.assignments.get(org=world.branch_a)
    m = theme_day(world)
    from jiceng.tasks import services

    services.confirm_record(actor=world.alice, assignment=a, record_id=m.pk)
    found = [f for f in evaluate(world.root, today().isoformat()) if f.rule == "task.overdue"]
    assert sorted((f.org_code, f.subject.endswith("escalated")) for f in found) == [
        ("01", True),  # 0102 escalated to the street
        ("0102", False),
        ("0103", True),  # 010301 escalated to its general branch
        ("010301", False),
    ]
    # Seen from the branch alone, the next level is outside the subtree: no escalation there.
    own = [f for f in evaluate(world.branch_b, today().isoformat()) if f.rule == "task.overdue"]
    assert [f.org_code for f in own] == ["0102"]
    # On a day before the deadline passed, nothing.
    past = today() - dt.timedelta(days=10)
    assert not [f for f in evaluate(world.root, past.isoformat()) if f.rule == "task.overdue"]
