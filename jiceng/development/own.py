"""A person's own development file (发展党员) on their home page (我的) and in
``/api/v1/me/sections/development.own/``: the stage, the dated steps taken, and what comes next and from
when. What the branch and the higher committee judge stays with them: the assessments (培养考察), the
political review, the higher committee's pre-review, the notes, the votes and the people named are
never shown here (RULES.md §4; issue 12 reverses only the choice of hiding the timeline itself).

The file is found through the account linked to it (an applicant, activist or candidate who opened
their account with an activation code from the branch, ``Development.user``) or through the user's own
member record (a probationary member's file, which stays open until conversion). An open file is shown;
without one, the latest file the account is linked to that ended without a member record (withdrawn,
not admitted), so that the person sees how it ended rather than an empty page.

Each next step says from when it can be taken (``earliest``) and, where the regulations set a time
limit the branch or the higher committee must keep, by when (``due``): the talk within a month of the
application, the conversion when the probation ends, the higher committee's approvals within their
months.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Q
from django.utils import timezone

from jiceng.core.compliance import OrgRef
from jiceng.core.rulebook import RuleBook

from . import rules, selectors
from .models import OPEN_STAGES, Development, Stage, StepKind

MAX_FILES = 20

# Steps that record the branch's or the committee's judgement of the person, not what the person did.
PRIVATE_STEPS = frozenset({StepKind.REVIEW, StepKind.POLITICAL_REVIEW, StepKind.PRE_REVIEW})


def own_file(user: Any) -> Development | None:
    if not user.is_authenticated:
        return None
    # One query: a person has a handful of files at most (a new one after each side exit).
    files = list(
        Development.objects.filter(Q(user=user) | Q(member__user=user))
        .select_related("org")
        .order_by("-applied_on", "-id")[:MAX_FILES]
    )
    found = next((f for f in files if f.stage in OPEN_STAGES), None)
    if found is None:
        found = next((f for f in files if f.user_id == user.pk and f.member_id is None), None)
    return found


# A day far enough ahead that every time limit still open has passed: the lateness judges then name it.
_FAR = dt.date(9999, 1, 1)


def _due(development: Development, state: selectors.FileState, today: dt.date) -> dict[str, dt.date]:
    """By when the next steps that have a time limit are to be taken, by step kind."""
    book = RuleBook()
    ref = OrgRef(development.org.code, development.org_path, development.org.name)
    common = {"org": ref, "file_id": development.pk, "name": development.name, "day": _FAR}
    due: dict[str, dt.date] = {}
    talk = rules.talk_overdue(
        timeline=state.timeline, params=book.on("dev.talk_within_month", today), **common
    )
    if talk is not None and talk.due_on:
        due[StepKind.TALK] = talk.due_on
    for finding in rules.approval_overdue(
        timeline=state.timeline, params=book.on("dev.approval_within", today), **common
    ):
        kind = (
            StepKind.APPROVAL
            if finding.subject.endswith(StepKind.ADMISSION)
            else StepKind.CONVERSION_APPROVAL
        )
        if finding.due_on:
            due[kind] = finding.due_on
    if state.probation_ends and development.stage == Stage.PROBATIONARY:
        due[StepKind.CONVERSION] = state.probation_ends
    return due


def _own(user: Any) -> dict[str, Any] | None:
    development = own_file(user)
    if development is None:
        return None
    today = timezone.localdate()
    state = selectors.file_state(development, today=today)
    due = _due(development, state, today)
    steps = [
        {"kind": s.kind, "label": rules.kind_label(s.kind), "on": s.on}
        for s in state.timeline.steps
        if s.kind not in PRIVATE_STEPS
    ]
    upcoming = [
        {
            "kind": n.kind,
            "label": n.label,
            "earliest": n.earliest,
            "due": due.get(n.kind),
            "late": bool(due.get(n.kind) and due[n.kind] < today),
            "waiting": bool(n.blockers),
        }
        for n in state.next_steps
        if n.kind not in PRIVATE_STEPS
    ]
    return {
        "development": development,
        "stage": development.stage,
        "stage_label": development.get_stage_display(),
        "stage_since": development.stage_since,
        "applied_on": development.applied_on,
        "probation_ends": state.probation_ends,
        "steps": steps,
        "upcoming": upcoming,
    }


def file_context(user: Any) -> Mapping[str, Any] | None:
    found = _own(user)
    return None if found is None else {"own_file": found}


def file_data(user: Any) -> Mapping[str, Any] | None:
    found = _own(user)
    if found is None:
        return None

    def day(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "stage": found["stage"],
        "stage_label": found["stage_label"],
        "stage_since": day(found["stage_since"]),
        "applied_on": day(found["applied_on"]),
        "probation_ends": day(found["probation_ends"]),
        "steps": [{"kind": s["kind"], "label": s["label"], "on": day(s["on"])} for s in found["steps"]],
        "next_steps": [
            {
                "kind": n["kind"],
                "label": n["label"],
                "earliest": day(n["earliest"]),
                "due": day(n["due"]),
                "past_due": n["late"],
                "after_earlier_steps": n["waiting"],
            }
            for n in found["upcoming"]
        ],
    }
