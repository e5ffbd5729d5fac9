"""``task.overdue`` as this app declares it to the compliance engine: the spec, the bulk loader of the
assignments open on a day, and the judge handing them to ``rules.overdue``. ``TasksConfig.ready()``
registers them with ``core.rulebook``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from jiceng.core.compliance import Evaluation, Finding, raw_rows
from jiceng.core.rulebook import STATE, RuleParams, RuleSpec, register_facts, register_rules
from jiceng.orgs.models import Organization

from . import rules
from .models import Assignment


def load_open(ev: Evaluation, day: dt.date) -> list[tuple]:
    """Assignments of the subtree past their deadline and not answered on ``day`` (one query):
    (id, org id, title, deadline, answered_on)."""
    return raw_rows(
        Assignment.objects.filter(org_path__prefix=ev.prefix, issued_on__lte=day, deadline__lt=day)
        .filter(Q(answered_on__isnull=True) | Q(answered_on__gt=day))
        .order_by("org_path", "id")
        .values_list("id", "org_id", "task__title", "deadline", "answered_on")
    )


def judge_overdue(ev: Evaluation, day: dt.date, params: RuleParams) -> Iterator[Finding]:
    existing = ev.existing_on(day)
    by_path = {o.ref.path: o for o in ev.orgs}
    step = Organization.steplen
    for aid, org_id, title, deadline, answered_on in ev.fact("tasks.open", day):
        o = existing.get(org_id)
        if o is None:
            continue
        parent = by_path.get(o.ref.path[:-step]) if len(o.ref.path) > step else None
        yield from rules.overdue(
            org=o.ref,
            parent=parent.ref if parent is not None else None,
            assignment_id=aid,
            title=title,
            deadline=deadline,
            answered_on=answered_on,
            day=day,
            params=params,
        )


SPEC = RuleSpec(
    rules.CODE,
    _("上级下达的任务逾期未完成"),
    STATE,
    gettext_noop("上级党组织下达任务时规定的完成期限（督办做法，非中央文件条款）"),
    {"grace_days": 7},
    confidence="U",
    # RULES.md has no entry for tasks: catalogued beside §7 (responsibility and assessment).
    section="7",
    explanation=rules.EXPLANATION,
    message=rules.message,
    judge=judge_overdue,
)


def register() -> None:
    register_facts("tasks.open", load_open)
    register_rules("tasks", SPEC)
