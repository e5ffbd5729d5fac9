"""A person's own development file (发展党员) on their home page (我的) and in
``/api/v1/me/sections/development.own/``: the stage, the dated steps taken, and what comes next and from
when. What the branch and the higher committee judge stays with them: the assessments (培养考察), the
political review, the higher committee's pre-review, the notes, the votes and the people named are
never shown here (RULES.md §4; issue 12 reverses only the choice of hiding the timeline itself).

The file is found through the user's own member record (a probationary member's file, which stays open
until conversion); a file is shown while it is open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from . import rules, selectors
from .models import OPEN_STAGES, Development, StepKind

# Steps that record the branch's or the committee's judgement of the person, not what the person did.
PRIVATE_STEPS = frozenset({StepKind.REVIEW, StepKind.POLITICAL_REVIEW, StepKind.PRE_REVIEW})


def own_file(user: Any) -> Development | None:
    if not user.is_authenticated:
        return None
    return (
        Development.objects.filter(member__user=user, stage__in=OPEN_STAGES)
        .select_related("org")
        .order_by("-applied_on", "-id")
        .first()
    )


def _own(user: Any) -> dict[str, Any] | None:
    development = own_file(user)
    if development is None:
        return None
    state = selectors.file_state(development, today=timezone.localdate())
    steps = [
        {"kind": s.kind, "label": rules.kind_label(s.kind), "on": s.on}
        for s in state.timeline.steps
        if s.kind not in PRIVATE_STEPS
    ]
    upcoming = [
        {"kind": n.kind, "label": n.label, "earliest": n.earliest, "waiting": bool(n.blockers)}
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
                "after_earlier_steps": n["waiting"],
            }
            for n in found["upcoming"]
        ],
    }
