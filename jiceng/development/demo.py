"""Demo development files for ``jiceng demo``: one branch's pipeline at every stage, dated back from
today so that the board shows what is due and what is late (a talk overdue, a review overdue, a
probation ready to end)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from jiceng.core import idnumber
from jiceng.core.registry import DemoTown
from jiceng.members import demo as town_demo
from jiceng.orgs.rules import add_months, add_years

from . import services
from .models import StepKind

VOTES = {"voting_members": 9, "voters_present": 8, "votes_yes": 8}


def _steps(today: dt.date, applied: dt.date, mentors: list[int], sponsors: list[int], until: str) -> list:
    """A legal path from ``applied``, each step on a weekday-safe day; stops after ``until``."""
    activist = applied + dt.timedelta(days=45)
    notice_start = add_years(activist, 1) - dt.timedelta(days=21)
    while notice_start.weekday() != 0:  # a Monday: five working days end on the Friday
        notice_start -= dt.timedelta(days=1)
    candidate = add_years(activist, 1)
    admission = candidate + dt.timedelta(days=75)
    path = [
        (StepKind.TALK, applied + dt.timedelta(days=18), {"person_name": "支部书记"}),
        (
            StepKind.ACTIVIST,
            activist,
            {"recommendation": "party_members", "filed_on": activist + dt.timedelta(days=5)},
        ),
        (StepKind.MENTORS, activist + dt.timedelta(days=2), {"people": mentors}),
        (StepKind.REVIEW, add_months(activist, 5), {"note": "学习积极，表现良好"}),
        (StepKind.REVIEW, add_months(activist, 10), {"note": "参加志愿服务，群众评价好"}),
        (StepKind.NOTICE, notice_start, {"ends_on": notice_start + dt.timedelta(days=4)}),
        (StepKind.CANDIDATE, candidate, {"filed_on": candidate + dt.timedelta(days=3)}),
        (StepKind.SPONSORS, candidate + dt.timedelta(days=7), {"people": sponsors}),
        (StepKind.POLITICAL_REVIEW, candidate + dt.timedelta(days=30), {"note": "政治审查合格"}),
        (
            StepKind.TRAINING,
            candidate + dt.timedelta(days=40),
            {"days": 3, "hours": 24, "ends_on": candidate + dt.timedelta(days=42)},
        ),
        (StepKind.PRE_REVIEW, candidate + dt.timedelta(days=60), {}),
        (StepKind.ADMISSION, admission, dict(VOTES)),
        (StepKind.APPROVAL, admission + dt.timedelta(days=40), {}),
        (StepKind.OATH, admission + dt.timedelta(days=50), {}),
        (StepKind.CONVERSION_APPLICATION, add_years(admission, 1) - dt.timedelta(days=20), {}),
        (StepKind.CONVERSION, add_years(admission, 1), dict(VOTES)),
        (StepKind.CONVERSION_APPROVAL, add_years(admission, 1) + dt.timedelta(days=30), {}),
    ]
    out = []
    for kind, on, evidence in path:
        if on > today:
            break
        out.append((kind, on, evidence))
        if kind == until:
            break
    return out


# (days before today the person applied, the last step recorded)
STORIES = [
    (10, StepKind.APPLICATION),  # just applied
    (50, StepKind.APPLICATION),  # nobody has talked with them: dev.talk_within_month
    (300, StepKind.MENTORS),  # an activist not reviewed for more than six months: dev.review_half_yearly
    (420, StepKind.NOTICE),  # an activist whose year is almost over, notice published
    (600, StepKind.PRE_REVIEW),  # a candidate ready for the admitting meeting
    (900, StepKind.OATH),  # a probationary member; the probation ends soon
    (1300, StepKind.CONVERSION_APPROVAL),  # a full member
]


def load(*, actor: Any, org: Any, members: list[Any], today: dt.date, seed: int = 1) -> int:
    """Create the demo files in ``org``; ``members`` are the branch's members (mentors and sponsors
    come from its full members of long standing). Returns the number of files."""
    rng = random.Random(f"development:{seed}")
    veterans = [m.pk for m in members if m.full_member_on and m.full_member_on < add_years(today, -6)]
    used: set[str] = set()
    count = 0
    for days, until in STORIES:
        p = town_demo._person(rng, used)
        birth = dt.date(today.year - rng.randint(22, 35), rng.randint(1, 12), rng.randint(1, 28))
        body = p.id_number[:6] + f"{birth:%Y%m%d}" + p.id_number[14:17]
        number = body + idnumber.check_char(body)
        applied = today - dt.timedelta(days=days)
        development = services.apply(
            actor=actor,
            org=org,
            id_number=number,
            on=applied,
            name=p.name,
            gender=p.gender,
            ethnicity=p.ethnicity,
            birth_date=birth,
            education=p.education,
            category="employed" if p.category in ("retired", "student") else p.category,
            work_unit=p.work_unit
            if p.category not in ("retired", "student")
            else rng.choice(town_demo.JOBS["employed"]),
            phone=p.phone,
        )
        if until != StepKind.APPLICATION:
            for kind, on, evidence in _steps(today, applied, veterans[:1], veterans[1:3], until):
                services.record_step(actor=actor, development=development, kind=kind, on=on, **evidence)
        count += 1
    return count


# The demo's probationary member signs in to see their own development file on their home page (我的);
# so does its activist (积极分子), who has no member record: the account is linked to the file itself.
ACCOUNT = "yubei"
APPLICANT_ACCOUNT = "jiji"


def load_demo(town: DemoTown) -> None:
    """This app's part of ``jiceng demo``: the pipeline in the first secretary's branch, an account for
    its probationary member (a member role, linked to their member record), and one for its activist
    whose year is almost over (no role, linked to the development file, as an activation code makes it)."""
    from django.apps import apps

    from jiceng.core.models import RoleAssignment, User
    from jiceng.core.scope import Role

    from .models import Development, Stage

    org, members = town.shared["showcase"]
    load(actor=town.actor, org=org, members=members, today=town.today)
    file = (
        Development.objects.filter(org=org, stage=Stage.PROBATIONARY, member__user__isnull=True)
        .select_related("member")
        .order_by("applied_on")
        .first()
    )
    if file is not None:
        user = User.objects.create_user(ACCOUNT, password=town.password, full_name=file.member.name)
        RoleAssignment.objects.create(user=user, org=org, role=Role.MEMBER, granted_by=town.actor)
        file.member.user = user
        file.member.save(update_fields=["user"])
    activist = (
        Development.objects.filter(org=org, stage=Stage.ACTIVIST, user__isnull=True)
        .order_by("applied_on", "id")
        .first()
    )
    if activist is not None:
        user = User.objects.create_user(APPLICANT_ACCOUNT, password=town.password, full_name=activist.name)
        activist.user = user
        activist.save(update_fields=["user"])
        if apps.is_installed("jiceng.accounts"):  # visible to the branch's administrators, as if activated
            from jiceng.accounts.models import AccountState

            AccountState.objects.create(user=user, home_org=org)
