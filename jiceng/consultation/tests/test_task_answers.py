"""A consultation carried to a decision answers a task that asks for one (record kind ``consultation``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from jiceng.tasks import selectors as task_selectors
from jiceng.tasks import services as task_services
from jiceng.tasks.models import answer_kinds

from .conftest import decided_topic, today

pytestmark = pytest.mark.django_db


def consultation_task(world, **kw):  # noqa: ANN001, ANN201
    return task_services.issue_task(
        actor=world.county_admin,
        issuer=world.root,
        title="就停车问题开展一次议事协商",
        deadline=today() + dt.timedelta(days=20),
        target="all_branches",
        answer_kind="consultation",
        **kw,
    )


def test_a_topic_decided_after_the_task_answers_it_and_an_older_one_does_not(world):
    assert "consultation" in [code for code, _label in answer_kinds()]
    old = decided_topic(world, days_ago=30)  # decided before the task: not an answer
    task = consultation_task(world)
    a = task.assignments.get(org=world.branch_a)
    assert task.by_record and task_selectors.proposals(a) == []
    with pytest.raises(ValidationError):
        task_services.confirm_record(actor=world.alice, assignment=a, record_id=old.pk)
    new = decided_topic(world, days_ago=0)
    [proposal] = task_selectors.proposals(a)
    assert proposal.pk == new.pk and proposal.day == today() and "楼前停车整治" in proposal.label
    # Another branch's assignment is not answered by 和平社区's topic.
    assert task_selectors.proposals(task.assignments.get(org=world.branch_b)) == []
    a = task_services.confirm_record(actor=world.alice, assignment=a, record_id=new.pk)
    assert (a.record_kind, a.record_id, a.answered_on) == ("consultation", new.pk, today())


def test_the_issuers_keyword_must_be_in_the_title_or_the_decision(world):
    task = consultation_task(world, topic_keyword="  加装  电梯 ")
    assert task.topic_keyword == "加装 电梯"
    decided_topic(world, days_ago=0)  # 楼前停车整治: neither title nor decision says 加装 电梯
    assert task_selectors.proposals(task.assignments.get(org=world.branch_a)) == []
    task = consultation_task(world, topic_keyword="物业夜间巡查")  # in the decision
    assert len(task_selectors.proposals(task.assignments.get(org=world.branch_a))) == 1
