"""Property: whatever sequence of step calls reaches the API, a file that ends at stage ``full`` (or a
member record that became full through it) has a recorded timeline that keeps every hard rule of
RULES.md §4.

Each generated script follows the legal path of ``helpers.plan`` with disturbances: an extra attempt
of a random kind before a planned step, a planned step replaced by a random attempt, left out, or
removed again (the latest step) and recorded anew. Random attempts carry random dates (2023–2026) and random
evidence: votes without a majority, too few or too many mentors, probationary, sanctioned, closed,
invisible or unknown people, short notices and trainings, extensions of any length. The timeline
recorded at the end is judged by ``violations`` below, written from RULES.md §4 without
``development.rules``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from conftest import make_id
from jiceng.core import idnumber
from jiceng.development import rules
from jiceng.development.api import STEP_KINDS
from jiceng.development.models import Development, Stage, Step, StepKind
from jiceng.development.tests.helpers import BIRTH, START, person, plan, walk
from jiceng.members import services as member_services
from jiceng.members.models import Member

D = dt.date
URL = "/api/v1/development/"

# The independent checker -----------------------------------------------------------------------------


def _years_later(day: dt.date, years: int) -> dt.date:
    if day.month == 2 and day.day == 29 and not calendar.isleap(day.year + years):
        return D(day.year + years, 2, 28)
    return D(day.year + years, day.month, day.day)


def _months_later(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return D(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _weekdays(first: dt.date, last: dt.date) -> int:
    return sum(1 for i in range((last - first).days + 1) if (first + dt.timedelta(days=i)).weekday() < 5)


def _full_on(member: Member, day: dt.date) -> bool:
    return (
        member.full_member_on is not None
        and member.full_member_on <= day
        and (member.closed_on is None or member.closed_on > day)
    )


def _sanctioned_on(member: Member, day: dt.date) -> bool:
    start, end = member.party_probation_from, member.party_probation_until
    return start is not None and start <= day and (end is None or end > day)


def _majority(step: Step) -> bool:
    voting, present, yes = step.voting_members, step.voters_present, step.votes_yes
    if voting is None or present is None or yes is None:
        return False
    return present <= voting and yes <= present and 2 * present > voting and 2 * yes > voting


def violations(development: Development) -> list[str]:
    """Every hard rule of RULES.md §4 the recorded timeline of a full member's file breaks."""
    steps = list(development.steps.prefetch_related("people").order_by("on", "id"))

    def of(kind: str) -> list[Step]:
        return [s for s in steps if s.kind == kind]

    out: list[str] = []
    singles = {}
    for kind in (StepKind.APPLICATION, StepKind.ACTIVIST, StepKind.CANDIDATE, StepKind.ADMISSION):
        found = of(kind)
        if len(found) != 1:
            out.append(f"{len(found)} steps {kind}")
        else:
            singles[kind] = found[0]
    conversions = of(StepKind.CONVERSION)
    if len(conversions) != 1:
        out.append(f"{len(conversions)} conversions")
    if out:
        return out
    application, activist = singles[StepKind.APPLICATION], singles[StepKind.ACTIVIST]
    candidate, admission = singles[StepKind.CANDIDATE], singles[StepKind.ADMISSION]
    conversion = conversions[0]
    if not application.on <= activist.on <= candidate.on <= admission.on <= conversion.on:
        out.append("the stages are out of order")
    for step in (application, admission):
        if _years_later(development.birth_date, 18) > step.on:
            out.append(f"under 18 at {step.kind}")
    # dev.activist_recorded
    if not activist.recommendation or activist.filed_on is None or activist.filed_on < activist.on:
        out.append("activist without recommendation or filing")
    # dev.activist_min_period
    if candidate.on < _years_later(activist.on, 1):
        out.append("candidate less than a year after becoming an activist")
    # dev.mentors: every mentors step names 1 or 2 full members, and one came before the candidacy
    for step in of(StepKind.MENTORS):
        people = list(step.people.all())
        if not 1 <= len(people) <= 2 or not all(_full_on(p, step.on) for p in people):
            out.append(f"mentors {[p.name for p in people]} on {step.on}")
    if not [s for s in of(StepKind.MENTORS) if s.on <= candidate.on]:
        out.append("no mentors before the candidacy")
    # dev.public_notice: 5 working days, ended before the candidacy
    if not [
        n
        for n in of(StepKind.NOTICE)
        if n.ends_on is not None and n.ends_on < candidate.on and _weekdays(n.on, n.ends_on) >= 5
    ]:
        out.append("no notice of 5 working days ended before the candidacy")
    # dev.sponsors: two full members, none under 留党察看, before the admission
    for step in of(StepKind.SPONSORS):
        people = list(step.people.all())
        if len(people) != 2 or not all(
            _full_on(p, step.on) and not _sanctioned_on(p, step.on) for p in people
        ):
            out.append(f"sponsors {[p.name for p in people]} on {step.on}")
    if not [s for s in of(StepKind.SPONSORS) if s.on <= admission.on]:
        out.append("no sponsors before the admission")
    # dev.political_review, dev.training, dev.pre_review: before the admitting meeting
    if not [s for s in of(StepKind.POLITICAL_REVIEW) if s.on <= admission.on]:
        out.append("no political review before the admission")
    if not [
        t
        for t in of(StepKind.TRAINING)
        if ((t.days or 0) >= 3 or (t.hours or 0) >= 24) and (t.ends_on or t.on) <= admission.on
    ]:
        out.append("no training of 3 days or 24 hours ended before the admission")
    if not [s for s in of(StepKind.PRE_REVIEW) if s.on <= admission.on]:
        out.append("no pre-review before the admission")
    # dev.admission_vote, dev.conversion_vote
    if not _majority(admission):
        out.append("admission without a quorum and majority")
    if not _majority(conversion):
        out.append("conversion without a quorum and majority")
    # dev.extension_bounds, dev.probation_min_period
    ends = _years_later(admission.on, 1)
    extensions = of(StepKind.EXTENSION)
    if len(extensions) > 1:
        out.append("more than one extension")
    for extension in extensions:
        if extension.months is None or not 6 <= extension.months <= 12:
            out.append(f"an extension of {extension.months} months")
        if extension.on < ends:
            out.append("an extension before the probation ended")
    if extensions and extensions[-1].months:
        ends = _months_later(ends, extensions[-1].months)
    if conversion.on < ends:
        out.append(f"converted on {conversion.on}, before the probation ended on {ends}")
    member = development.member
    if member is None or member.status != "full" or member.joined_on != admission.on:
        out.append("no full member record joined on the admission day")
    return out


# The checker itself: silent on the legal path, loud on each broken rule --------------------------------


def test_the_checker_accepts_the_legal_path(world):
    development = walk(world)
    assert development.stage == Stage.FULL
    assert violations(development) == []


def _sanctioned(world) -> Member:  # noqa: ANN001
    member = world.members_a[3]
    member.party_probation_from, member.party_probation_until = D(2020, 1, 1), None
    member.save(update_fields=["party_probation_from", "party_probation_until"])
    return member


BREAKS = {
    "activist year": lambda w, s: Step.objects.filter(pk=s(StepKind.CANDIDATE).pk).update(
        on=s(StepKind.ACTIVIST).on + dt.timedelta(days=300)
    ),
    "one mentor too many": lambda w, s: s(StepKind.MENTORS).people.add(w.members_a[2], w.members_a[3]),
    "a probationary mentor": lambda w, s: s(StepKind.MENTORS).people.set([Member.objects.get(name="赵敏")]),
    "short notice": lambda w, s: Step.objects.filter(pk=s(StepKind.NOTICE).pk).update(
        ends_on=s(StepKind.NOTICE).on + dt.timedelta(days=2)
    ),
    "a sanctioned sponsor": lambda w, s: s(StepKind.SPONSORS).people.set([w.members_a[1], _sanctioned(w)]),
    "one sponsor": lambda w, s: s(StepKind.SPONSORS).people.set([w.members_a[1]]),
    "no political review": lambda w, s: s(StepKind.POLITICAL_REVIEW).delete(),
    "short training": lambda w, s: Step.objects.filter(pk=s(StepKind.TRAINING).pk).update(days=2, hours=23),
    "training after the meeting": lambda w, s: Step.objects.filter(pk=s(StepKind.TRAINING).pk).update(
        ends_on=s(StepKind.ADMISSION).on + dt.timedelta(days=1)
    ),
    "no pre-review": lambda w, s: s(StepKind.PRE_REVIEW).delete(),
    "half the votes": lambda w, s: Step.objects.filter(pk=s(StepKind.ADMISSION).pk).update(
        voting_members=6, votes_yes=3
    ),
    "half present at conversion": lambda w, s: Step.objects.filter(pk=s(StepKind.CONVERSION).pk).update(
        voting_members=10
    ),
    "early conversion": lambda w, s: Step.objects.filter(pk=s(StepKind.CONVERSION).pk).update(
        on=s(StepKind.CONVERSION).on - dt.timedelta(days=1)
    ),
    "a long extension": lambda w, s: Step.objects.create(
        development=s(StepKind.ADMISSION).development,
        kind=StepKind.EXTENSION,
        on=s(StepKind.CONVERSION).on,
        months=13,
    ),
    "conversion before the extended end": lambda w, s: Step.objects.create(
        development=s(StepKind.ADMISSION).development,
        kind=StepKind.EXTENSION,
        on=s(StepKind.CONVERSION).on,
        months=6,
    ),
}


@pytest.mark.parametrize("name", BREAKS)
def test_the_checker_finds_each_broken_rule(world, name):
    development = walk(world)

    def step(kind: str) -> Step:
        return development.steps.get(kind=kind)

    BREAKS[name](world, step)
    development.refresh_from_db()
    assert violations(development) != []


# The property ------------------------------------------------------------------------------------------

_STUB = SimpleNamespace(members_a=[SimpleNamespace(pk=0)] * 3)
PLAN_KINDS = [kind for kind, _, _ in plan(_STUB)]
POOL_SIZE = 10  # see ``pool`` below

VALUES: dict[str, st.SearchStrategy[Any]] = {
    "people": st.lists(st.integers(0, POOL_SIZE - 1), max_size=3),  # indices into the pool
    "voting_members": st.integers(0, 8),
    "voters_present": st.integers(0, 8),
    "votes_yes": st.integers(0, 8),
    "months": st.integers(0, 15),
    "days": st.integers(0, 5),
    "hours": st.integers(0, 40),
    "ends_on": st.integers(-10, 20),  # days after the step's date
    "filed_on": st.integers(-5, 20),
    "person_name": st.just("李娜"),
    "recommendation": st.sampled_from(["party_members", "mass_organization"]),
    "special": st.booleans(),
    "note": st.just("随机"),
}


@st.composite
def evidence(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    required, optional = rules.STEP_FIELDS[kind]
    out = {}
    for name in (*required, *optional):
        if name == "meeting":
            continue
        if name in required and draw(st.integers(0, 9)) == 0:
            continue  # a required field left out: 400
        if name not in required and not draw(st.booleans()):
            continue
        out[name] = draw(VALUES[name])
    return out


@st.composite
def attempt(draw: st.DrawFn, index: int) -> tuple[Any, ...]:
    kind = draw(st.sampled_from([PLAN_KINDS[index], PLAN_KINDS[index], *STEP_KINDS]))
    day = draw(
        st.one_of(
            st.integers(-400, 400).map(lambda shift: ("shift", shift)),
            st.dates(D(2023, 1, 1), D(2026, 12, 31)).map(lambda d: ("day", d)),
        )
    )
    return ("try", kind, index, day, draw(evidence(kind)))


@st.composite
def scripts(draw: st.DrawFn) -> tuple[int, list[tuple[Any, ...]]]:
    """The planned steps, up to 5 of them disturbed: an attempt before it, the step removed and
    recorded again, replaced by an attempt, or left out."""
    start_shift = draw(st.integers(0, 60))
    disturbed = draw(st.lists(st.integers(0, len(PLAN_KINDS) - 1), max_size=5, unique=True))
    actions: list[tuple[Any, ...]] = []
    for index in range(len(PLAN_KINDS)):
        mode = "plan"
        if index in disturbed:
            mode = draw(st.sampled_from(["try_then_plan", "try_then_plan", "redo", "replace", "skip"]))
        if mode in ("try_then_plan", "replace"):
            actions.append(draw(attempt(index)))
        if mode in ("plan", "try_then_plan", "redo"):
            actions.append(("plan", index))
        if mode == "redo":
            actions += [("remove",), ("plan", index)]
    return start_shift, actions


@pytest.fixture
def pool(world) -> list[int]:  # noqa: ANN001
    """Member ids a random body may name, as alice sees them: full members, a probationary one, one who
    became full in 2024, one under 留党察看 through 2025, one closed in 2024, one of 0102 (invisible to
    alice) and one that does not exist."""
    admin = world.county_admin

    def member(seq: int, name: str, **fields: Any) -> Member:
        birth = D(1985, 1, 1)
        return member_services.create_member(
            actor=admin,
            org=world.branch_a,
            id_number=make_id(birth, seq),
            name=name,
            gender=idnumber.gender_of(make_id(birth, seq)),
            birth_date=birth,
            education="bachelor",
            category="employed",
            **fields,
        )

    late = member(70, "晚转正", status="full", joined_on=D(2023, 6, 1), full_member_on=D(2024, 6, 1))
    sanctioned = member(
        71,
        "受处分",
        status="full",
        joined_on=D(2005, 7, 1),
        full_member_on=D(2006, 7, 1),
        party_probation_from=D(2023, 6, 1),
        party_probation_until=D(2025, 12, 31),
    )
    closed = member(72, "已出党", status="full", joined_on=D(2005, 7, 1), full_member_on=D(2006, 7, 1))
    member_services.close_member(actor=admin, member=closed, on=D(2024, 1, 1), reason="出党")
    dora = Member.objects.get(name="赵敏")
    ids = [
        world.members_a[1].pk,
        world.members_a[2].pk,
        world.members_a[3].pk,
        world.members_a[4].pk,
        dora.pk,
        late.pk,
        sanctioned.pk,
        closed.pk,
        world.members_b[0].pk,
        10**12,
    ]
    assert len(ids) == POOL_SIZE
    return ids


def _wire(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def test_no_script_of_step_calls_makes_a_full_member_against_the_rules(world, pool):
    client = APIClient()
    client.force_login(world.alice)
    numbers = itertools.count()
    reached_full: list[int] = []

    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,  # the same scripts on every run: a failure here is reproducible
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(script=scripts())
    def run(script: tuple[int, list[tuple[Any, ...]]]) -> None:
        start_shift, actions = script
        n = next(numbers)
        start = START + dt.timedelta(days=start_shift)
        body = {
            "org": world.branch_a.code,
            "on": start,
            **person(100 + n % 800, birth=BIRTH + dt.timedelta(days=n // 800)),
        }
        response = client.post(URL, {k: _wire(v) for k, v in body.items()}, format="json")
        assert response.status_code == 201, response.content
        pk = response.json()["id"]
        planned = plan(world, start)
        for action in actions:
            if action[0] == "plan":
                kind, on, ev = planned[action[1]]
                data = {"on": on, **ev}
            elif action[0] == "try":
                _, kind, index, (how, value), ev = action
                on = planned[index][1] + dt.timedelta(days=value) if how == "shift" else value
                data = {"on": on}
                for name, v in ev.items():
                    if name == "people":
                        data[name] = [pool[i] for i in v]
                    elif name in ("ends_on", "filed_on"):
                        data[name] = on + dt.timedelta(days=v)
                    else:
                        data[name] = v
            else:
                latest = Step.objects.filter(development_id=pk).order_by("-on", "-id").first()
                response = client.delete(f"{URL}steps/{latest.pk}/")
                assert response.status_code in (204, 400), response.content
                continue
            response = client.post(
                f"{URL}{pk}/steps/{kind}/", {k: _wire(v) for k, v in data.items()}, format="json"
            )
            assert response.status_code in (201, 400, 422), response.content
            if response.status_code == 422:
                assert response.json()["rule"].startswith("dev.")
        development = Development.objects.select_related("member").get(pk=pk)
        member = development.member
        if member is not None and member.status == "full":
            assert development.stage == Stage.FULL
        if development.stage == Stage.FULL:
            reached_full.append(pk)
            assert violations(development) == [], actions

    run()
    # The property was put to the test: some scripts made a full member despite their disturbances.
    assert len(reached_full) >= 3
