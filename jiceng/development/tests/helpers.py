"""A whole legal path from application to full member, for tests of every layer.

``walk(world, until=...)`` records, through the services, every step a careful secretary records,
each on the earliest legal day, starting from ``start``; it stops after the step named by ``until``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from conftest import make_id
from jiceng.core import idnumber
from jiceng.development import services
from jiceng.development.models import Development, StepKind

D = dt.date
BIRTH = D(2000, 6, 15)
START = D(2023, 3, 1)  # a Wednesday: the path ends (conversion) in 2025, approval in 2025


def person(seq: int = 1, birth: dt.date = BIRTH, **extra: Any) -> dict[str, Any]:
    number = make_id(birth, 500 + seq)
    return {
        "id_number": number,
        "name": extra.pop("name", f"申请人{seq}"),
        "gender": idnumber.gender_of(number),
        "birth_date": birth,
        "education": "bachelor",
        "category": "employed",
        **extra,
    }


VOTES = {"voting_members": 5, "voters_present": 5, "votes_yes": 5}


def plan(world: Any, start: dt.date = START) -> list[tuple[str, dt.date, dict[str, Any]]]:
    """The steps of a legal path after the application, each with its date and evidence."""
    mentors = [world.members_a[1].pk]
    sponsors = [world.members_a[1].pk, world.members_a[2].pk]
    activist_on = start + dt.timedelta(days=40)
    candidate_on = activist_on.replace(year=activist_on.year + 1)
    notice_start = candidate_on - dt.timedelta(days=14)
    admission_on = candidate_on + dt.timedelta(days=60)
    return [
        (StepKind.TALK, start + dt.timedelta(days=20), {"person_name": "张伟"}),
        (
            StepKind.ACTIVIST,
            activist_on,
            {"recommendation": "party_members", "filed_on": activist_on + dt.timedelta(days=3)},
        ),
        (StepKind.MENTORS, activist_on + dt.timedelta(days=1), {"people": mentors}),
        (StepKind.REVIEW, activist_on + dt.timedelta(days=170), {"note": "表现良好"}),
        (StepKind.REVIEW, activist_on + dt.timedelta(days=340), {}),
        (StepKind.NOTICE, notice_start, {"ends_on": notice_start + dt.timedelta(days=6)}),
        (StepKind.CANDIDATE, candidate_on, {}),
        (StepKind.SPONSORS, candidate_on + dt.timedelta(days=5), {"people": sponsors}),
        (StepKind.POLITICAL_REVIEW, candidate_on + dt.timedelta(days=20), {"note": "合格"}),
        (
            StepKind.TRAINING,
            candidate_on + dt.timedelta(days=25),
            {"days": 3, "hours": 24, "ends_on": candidate_on + dt.timedelta(days=27)},
        ),
        (StepKind.PRE_REVIEW, candidate_on + dt.timedelta(days=40), {}),
        (StepKind.ADMISSION, admission_on, dict(VOTES)),
        (StepKind.APPROVAL, admission_on + dt.timedelta(days=30), {}),
        (StepKind.OATH, admission_on + dt.timedelta(days=35), {}),
        (
            StepKind.CONVERSION_APPLICATION,
            admission_on.replace(year=admission_on.year + 1) - dt.timedelta(days=10),
            {},
        ),
        (StepKind.CONVERSION, admission_on.replace(year=admission_on.year + 1), dict(VOTES)),
        (
            StepKind.CONVERSION_APPROVAL,
            admission_on.replace(year=admission_on.year + 1) + dt.timedelta(days=30),
            {},
        ),
    ]


def walk(
    world: Any,
    *,
    until: str | None = None,
    actor: Any = None,
    seq: int = 1,
    start: dt.date = START,
    **person_extra: Any,
) -> Development:
    actor = actor or world.alice
    development = services.apply(actor=actor, org=world.branch_a, on=start, **person(seq, **person_extra))
    if until == StepKind.APPLICATION:
        return development
    for kind, on, evidence in plan(world, start):
        services.record_step(actor=actor, development=development, kind=kind, on=on, **evidence)
        if kind == until:
            break
    development.refresh_from_db()
    return development
