"""The rules of RULES.md §4 as pure functions: each boundary day on both sides, and properties.

No database: timelines are plain values and the rule book holds only the shipped defaults (or the
versions a test gives it).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core.compliance import OrgRef
from jiceng.core.rulebook import BY_CODE, RuleBook
from jiceng.development import rules
from jiceng.development.models import Stage, StepKind
from jiceng.development.rules import Person, StepFacts, Timeline, check_step

D = dt.date
TODAY = D(2026, 11, 29)
BOOK = RuleBook(versions=[])
ON = BOOK.on
BIRTH = D(2000, 6, 15)
ORG = OrgRef("0101", "00010001", "和平社区党支部")

FULL_A = Person(1, "王芳", D(2011, 7, 1))
FULL_B = Person(2, "李娜", D(2011, 7, 1))
FULL_C = Person(3, "刘洋", D(2011, 7, 1))
PROBATIONARY = Person(4, "赵敏", None)


def version(code: str, on: dt.date, enabled: bool = True, **params: Any) -> SimpleNamespace:
    return SimpleNamespace(code=code, effective_from=on, enabled=enabled, params=params, citation="")


def codes(refusals: list[rules.Refusal]) -> list[str]:
    return [r.rule for r in refusals]


def step(kind: str, on: dt.date, **kw: Any) -> StepFacts:
    return StepFacts(kind=kind, on=on, **kw)


VOTES = {"voting_members": 5, "voters_present": 5, "votes_yes": 5}
APPLIED = D(2023, 3, 1)
ACTIVIST = D(2023, 4, 10)
CANDIDATE = D(2024, 4, 10)
ADMITTED = D(2024, 6, 10)

# The legal path of tests/helpers.py, as plain facts.
PATH = [
    step(StepKind.APPLICATION, APPLIED),
    step(StepKind.TALK, D(2023, 3, 20), person_name="张伟"),
    step(StepKind.ACTIVIST, ACTIVIST, recommendation="party_members", filed_on=D(2023, 4, 12)),
    step(StepKind.MENTORS, D(2023, 4, 11), people=(FULL_A,)),
    step(StepKind.REVIEW, D(2023, 10, 1)),
    step(StepKind.REVIEW, D(2024, 3, 20)),
    step(StepKind.NOTICE, D(2024, 3, 25), ends_on=D(2024, 3, 29)),  # Monday to Friday
    step(StepKind.CANDIDATE, CANDIDATE),
    step(StepKind.SPONSORS, D(2024, 4, 15), people=(FULL_A, FULL_B)),
    step(StepKind.POLITICAL_REVIEW, D(2024, 5, 1)),
    step(StepKind.TRAINING, D(2024, 5, 6), days=3, ends_on=D(2024, 5, 8)),
    step(StepKind.PRE_REVIEW, D(2024, 5, 20)),
    step(StepKind.ADMISSION, ADMITTED, **VOTES),
    step(StepKind.APPROVAL, D(2024, 7, 10)),
    step(StepKind.OATH, D(2024, 7, 15)),
    step(StepKind.CONVERSION_APPLICATION, D(2025, 6, 1)),
    step(StepKind.CONVERSION, D(2025, 6, 10), **VOTES),
    step(StepKind.CONVERSION_APPROVAL, D(2025, 7, 10)),
]


def upto(kind: str) -> Timeline:
    """The legal path up to (not including) the first step of ``kind``."""
    index = next(i for i, s in enumerate(PATH) if s.kind == kind)
    return Timeline(BIRTH, PATH[:index])


def test_the_legal_path_is_accepted_step_by_step() -> None:
    timeline = Timeline(BIRTH)
    for s in PATH:
        assert check_step(timeline, s, ON, TODAY) == [], s
        timeline = Timeline(BIRTH, [*timeline.steps, s])
    assert timeline.stage == Stage.FULL


# dev.min_age: allowed on the 18th birthday ----------------------------------------------------------


def test_min_age_on_the_birthday_and_the_day_before() -> None:
    birthday = D(2018 + 0, 6, 15).replace(year=BIRTH.year + 18)
    assert check_step(Timeline(BIRTH), step(StepKind.APPLICATION, birthday), ON, TODAY) == []
    [r] = check_step(Timeline(BIRTH), step(StepKind.APPLICATION, birthday - dt.timedelta(days=1)), ON, TODAY)
    assert (r.rule, r.earliest) == ("dev.min_age", birthday)
    assert "2018-06-15" in r.message and r.citation == BY_CODE["dev.min_age"].citation


def test_min_age_of_a_29_february_birth() -> None:
    born = D(2004, 2, 29)
    assert check_step(Timeline(born), step(StepKind.APPLICATION, D(2022, 2, 28)), ON, TODAY) == []
    [r] = check_step(Timeline(born), step(StepKind.APPLICATION, D(2022, 2, 27)), ON, TODAY)
    assert r.earliest == D(2022, 2, 28)


# dev.activist_recorded -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("evidence", "field"),
    [
        ({"filed_on": D(2023, 4, 12)}, "recommendation"),
        ({"recommendation": "party_members"}, "filed_on"),
        ({"recommendation": "party_members", "filed_on": D(2023, 4, 9)}, "filed_on"),
    ],
)
def test_activist_needs_recommendation_and_filing(evidence: dict, field: str) -> None:
    [r] = check_step(upto(StepKind.ACTIVIST), step(StepKind.ACTIVIST, ACTIVIST, **evidence), ON, TODAY)
    assert (r.rule, r.field, r.earliest) == ("dev.activist_recorded", field, None)


def test_activist_filed_on_the_decision_day_is_allowed() -> None:
    s = step(StepKind.ACTIVIST, ACTIVIST, recommendation="mass_organization", filed_on=ACTIVIST)
    assert check_step(upto(StepKind.ACTIVIST), s, ON, TODAY) == []


# dev.mentors: 1 or 2 full members ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("people", "ok"),
    [
        ((), False),
        ((FULL_A,), True),
        ((FULL_A, FULL_B), True),
        ((FULL_A, FULL_B, FULL_C), False),
        ((PROBATIONARY,), False),
        ((Person(5, "新转正", D(2023, 4, 11)),), True),  # full on the very day
        ((Person(5, "明天转正", D(2023, 4, 12)),), False),
        ((Person(6, "已终止", D(2011, 7, 1), closed_on=D(2023, 4, 11)),), False),
    ],
)
def test_mentors(people: tuple, ok: bool) -> None:
    out = check_step(upto(StepKind.MENTORS), step(StepKind.MENTORS, D(2023, 4, 11), people=people), ON, TODAY)
    assert codes(out) == ([] if ok else ["dev.mentors"])


def test_candidate_needs_mentors() -> None:
    timeline = Timeline(BIRTH, [s for s in upto(StepKind.CANDIDATE).steps if s.kind != StepKind.MENTORS])
    assert codes(check_step(timeline, step(StepKind.CANDIDATE, CANDIDATE), ON, TODAY)) == ["dev.mentors"]


# dev.activist_min_period: allowed on the first anniversary -------------------------------------------


def test_activist_min_period_boundary() -> None:
    timeline = upto(StepKind.CANDIDATE)
    assert check_step(timeline, step(StepKind.CANDIDATE, D(2024, 4, 10)), ON, TODAY) == []
    [r] = check_step(timeline, step(StepKind.CANDIDATE, D(2024, 4, 9)), ON, TODAY)
    assert (r.rule, r.earliest) == ("dev.activist_min_period", D(2024, 4, 10))
    assert r.message == "成为入党积极分子未满1年，最早可于2024-04-10列为发展对象"


# dev.public_notice: 5 working days, ended before the candidacy ----------------------------------------


def test_notice_of_five_working_days() -> None:
    timeline = upto(StepKind.NOTICE)
    monday = D(2024, 3, 25)
    assert check_step(timeline, step(StepKind.NOTICE, monday, ends_on=D(2024, 3, 29)), ON, TODAY) == []
    [r] = check_step(timeline, step(StepKind.NOTICE, monday, ends_on=D(2024, 3, 28)), ON, TODAY)
    assert (r.rule, r.earliest, r.field) == ("dev.public_notice", D(2024, 3, 29), "ends_on")
    # A weekend does not count: Wednesday to the next Tuesday is five working days.
    assert check_step(timeline, step(StepKind.NOTICE, D(2024, 3, 27), ends_on=D(2024, 4, 2)), ON, TODAY) == []
    [r] = check_step(timeline, step(StepKind.NOTICE, D(2024, 3, 27), ends_on=D(2024, 4, 1)), ON, TODAY)
    assert r.earliest == D(2024, 4, 2)


def test_candidacy_from_the_day_after_the_notice() -> None:
    base = [s for s in upto(StepKind.CANDIDATE).steps if s.kind != StepKind.NOTICE]
    notice = step(StepKind.NOTICE, D(2024, 4, 8), ends_on=D(2024, 4, 12))
    timeline = Timeline(BIRTH, [*base, notice])
    assert check_step(timeline, step(StepKind.CANDIDATE, D(2024, 4, 13)), ON, TODAY) == []
    [r] = check_step(timeline, step(StepKind.CANDIDATE, D(2024, 4, 12)), ON, TODAY)
    assert (r.rule, r.earliest) == ("dev.public_notice", D(2024, 4, 13))
    assert codes(check_step(Timeline(BIRTH, base), step(StepKind.CANDIDATE, CANDIDATE), ON, TODAY)) == [
        "dev.public_notice"
    ]


def test_public_notice_can_be_switched_off() -> None:
    book = RuleBook([version("dev.public_notice", D(2020, 1, 1), enabled=False)])
    base = [s for s in upto(StepKind.CANDIDATE).steps if s.kind != StepKind.NOTICE]
    assert check_step(Timeline(BIRTH, base), step(StepKind.CANDIDATE, CANDIDATE), book.on, TODAY) == []


# dev.sponsors: two full members, none under 留党察看 ------------------------------------------------------


def test_sponsors() -> None:
    timeline = upto(StepKind.SPONSORS)
    day = D(2024, 4, 15)
    ok = check_step(timeline, step(StepKind.SPONSORS, day, people=(FULL_A, FULL_B)), ON, TODAY)
    assert ok == []
    for people in ((FULL_A,), (FULL_A, FULL_B, FULL_C), (FULL_A, FULL_A), (FULL_A, PROBATIONARY)):
        assert codes(check_step(timeline, step(StepKind.SPONSORS, day, people=people), ON, TODAY)) == [
            "dev.sponsors"
        ]


def test_sponsor_under_party_probation_until_the_day_it_ends() -> None:
    timeline = upto(StepKind.SPONSORS)
    sanctioned = Person(
        7, "受处分", D(2011, 7, 1), party_probation_from=D(2023, 5, 1), party_probation_until=D(2024, 5, 1)
    )
    [r] = check_step(
        timeline, step(StepKind.SPONSORS, D(2024, 4, 30), people=(FULL_A, sanctioned)), ON, TODAY
    )
    assert r.rule == "dev.sponsors" and "留党察看" in r.message
    assert (
        check_step(timeline, step(StepKind.SPONSORS, D(2024, 5, 1), people=(FULL_A, sanctioned)), ON, TODAY)
        == []
    )


# dev.training: 3 days or 24 class hours ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "hours", "ok"),
    [(3, None, True), (2, 23, False), (None, 24, True), (None, None, False), (2, None, False)],
)
def test_training(days: int | None, hours: int | None, ok: bool) -> None:
    s = step(StepKind.TRAINING, D(2024, 5, 6), days=days, hours=hours)
    assert codes(check_step(upto(StepKind.TRAINING), s, ON, TODAY)) == ([] if ok else ["dev.training"])


# Admission: every prerequisite recorded on or before the meeting, and the vote ------------------------


@pytest.mark.parametrize(
    ("missing", "code"),
    [
        (StepKind.SPONSORS, "dev.sponsors"),
        (StepKind.POLITICAL_REVIEW, "dev.political_review"),
        (StepKind.TRAINING, "dev.training"),
        (StepKind.PRE_REVIEW, "dev.pre_review"),
    ],
)
def test_admission_needs_every_prerequisite(missing: str, code: str) -> None:
    timeline = Timeline(BIRTH, [s for s in upto(StepKind.ADMISSION).steps if s.kind != missing])
    assert codes(check_step(timeline, step(StepKind.ADMISSION, ADMITTED, **VOTES), ON, TODAY)) == [code]


def test_a_prerequisite_on_the_meeting_day_counts() -> None:
    base = [s for s in upto(StepKind.ADMISSION).steps if s.kind != StepKind.PRE_REVIEW]
    timeline = Timeline(BIRTH, [*base, step(StepKind.PRE_REVIEW, ADMITTED)])
    assert check_step(timeline, step(StepKind.ADMISSION, ADMITTED, **VOTES), ON, TODAY) == []


def test_admission_waits_for_the_end_of_training() -> None:
    base = [s for s in upto(StepKind.ADMISSION).steps if s.kind != StepKind.TRAINING]
    timeline = Timeline(
        BIRTH, [*base, step(StepKind.TRAINING, D(2024, 6, 8), days=3, ends_on=D(2024, 6, 12))]
    )
    [r] = check_step(timeline, step(StepKind.ADMISSION, ADMITTED, **VOTES), ON, TODAY)
    assert (r.rule, r.earliest) == ("dev.training", D(2024, 6, 12))


@pytest.mark.parametrize(
    ("voting", "present", "yes", "ok"),
    [
        (10, 6, 6, True),
        (10, 5, 5, False),  # exactly half present is not "more than half"
        (10, 6, 5, False),  # exactly half yes is not "more than half"
        (9, 5, 5, True),
        (9, 4, 4, False),
        (5, 6, 5, False),  # more present than should attend
        (5, 3, 4, False),  # more yes than present
        (None, 3, 3, False),
    ],
)
@pytest.mark.parametrize("kind", [StepKind.ADMISSION, StepKind.CONVERSION])
def test_votes(kind: str, voting: int | None, present: int, yes: int, ok: bool) -> None:
    code = "dev.admission_vote" if kind == StepKind.ADMISSION else "dev.conversion_vote"
    on = ADMITTED if kind == StepKind.ADMISSION else D(2025, 6, 10)
    s = step(kind, on, voting_members=voting, voters_present=present, votes_yes=yes)
    assert codes(check_step(upto(kind), s, ON, TODAY)) == ([] if ok else [code])


# dev.probation_min_period and dev.extension_bounds ----------------------------------------------------


def test_conversion_on_the_day_probation_ends() -> None:
    timeline = upto(StepKind.CONVERSION)
    assert check_step(timeline, step(StepKind.CONVERSION, D(2025, 6, 10), **VOTES), ON, TODAY) == []
    [r] = check_step(timeline, step(StepKind.CONVERSION, D(2025, 6, 9), **VOTES), ON, TODAY)
    assert (r.rule, r.earliest) == ("dev.probation_min_period", D(2025, 6, 10))


def test_extension_bounds_and_the_extended_end() -> None:
    timeline = upto(StepKind.CONVERSION)
    for months, ok in ((5, False), (6, True), (12, True), (13, False), (None, False)):
        s = step(StepKind.EXTENSION, D(2025, 6, 10), months=months)
        assert codes(check_step(timeline, s, ON, TODAY)) == ([] if ok else ["dev.extension_bounds"]), months
    [r] = check_step(timeline, step(StepKind.EXTENSION, D(2025, 6, 9), months=6), ON, TODAY)
    assert (r.rule, r.earliest) == ("dev.extension_bounds", D(2025, 6, 10))
    extended = Timeline(BIRTH, [*timeline.steps, step(StepKind.EXTENSION, D(2025, 6, 10), months=6)])
    assert extended.probation_end(1) == D(2025, 12, 10)
    [r] = check_step(extended, step(StepKind.CONVERSION, D(2025, 12, 9), **VOTES), ON, TODAY)
    assert (r.rule, r.earliest) == ("dev.probation_min_period", D(2025, 12, 10))
    assert check_step(extended, step(StepKind.CONVERSION, D(2025, 12, 10), **VOTES), ON, TODAY) == []
    # only one extension
    [r] = check_step(extended, step(StepKind.EXTENSION, D(2025, 12, 10), months=6), ON, TODAY)
    assert r.rule == "dev.extension_bounds"


def test_extension_is_decided_before_the_end_it_sets_and_nothing_predates_it() -> None:
    timeline = upto(StepKind.CONVERSION)  # probation ends 2025-06-10
    assert check_step(timeline, step(StepKind.EXTENSION, D(2025, 12, 9), months=6), ON, TODAY) == []
    [r] = check_step(timeline, step(StepKind.EXTENSION, D(2025, 12, 10), months=6), ON, TODAY)
    assert r.rule == "dev.extension_bounds" and "2025-12-10" in r.message
    extended = Timeline(BIRTH, [*timeline.steps, step(StepKind.EXTENSION, D(2025, 9, 1), months=12)])
    for kind, extra in ((StepKind.CONVERSION, VOTES), (StepKind.REVOCATION, {})):
        [r] = check_step(extended, step(kind, D(2025, 8, 31), **extra), ON, TODAY)
        assert (r.rule, r.earliest) == ("dev.sequence", D(2025, 9, 1))


# Order -------------------------------------------------------------------------------------------------------


def test_order_of_steps() -> None:
    assert codes(check_step(Timeline(BIRTH), step(StepKind.TALK, APPLIED), ON, TODAY)) == ["dev.sequence"]
    # a stage's steps only at that stage
    assert codes(check_step(upto(StepKind.ACTIVIST), step(StepKind.SPONSORS, ACTIVIST), ON, TODAY)) == [
        "dev.sequence"
    ]
    # not before the stage began, not in the future, not twice
    [r] = check_step(
        upto(StepKind.SPONSORS), step(StepKind.SPONSORS, D(2024, 4, 9), people=(FULL_A, FULL_B)), ON, TODAY
    )
    assert (r.rule, r.earliest) == ("dev.sequence", CANDIDATE)
    assert codes(
        check_step(
            upto(StepKind.TALK), step(StepKind.TALK, TODAY + dt.timedelta(days=1), person_name="x"), ON, TODAY
        )
    ) == ["dev.sequence"]
    timeline = upto(StepKind.ACTIVIST)
    assert codes(check_step(timeline, step(StepKind.TALK, D(2023, 3, 21), person_name="x"), ON, TODAY)) == [
        "dev.sequence"
    ]
    # the oath follows the approval
    without_approval = Timeline(BIRTH, [s for s in upto(StepKind.OATH).steps if s.kind != StepKind.APPROVAL])
    assert codes(check_step(without_approval, step(StepKind.OATH, D(2024, 7, 15)), ON, TODAY)) == [
        "dev.sequence"
    ]


def test_a_rule_version_applies_from_its_effective_date() -> None:
    """The 2026 revision entered as data: a two-year activist period from 2026-06-01 (hypothetical)."""
    book = RuleBook([version("dev.activist_min_period", D(2026, 6, 1), years=2)])
    activist = D(2025, 5, 1)
    base = [
        s
        for s in upto(StepKind.CANDIDATE).steps
        if s.kind not in (StepKind.ACTIVIST, StepKind.MENTORS, StepKind.REVIEW, StepKind.NOTICE)
    ]
    steps = [
        *base,
        step(StepKind.ACTIVIST, activist, recommendation="party_members", filed_on=activist),
        step(StepKind.MENTORS, activist, people=(FULL_A,)),
        step(StepKind.NOTICE, D(2026, 5, 11), ends_on=D(2026, 5, 15)),
    ]
    timeline = Timeline(BIRTH, steps)
    assert check_step(timeline, step(StepKind.CANDIDATE, D(2026, 5, 31)), book.on, TODAY) == []
    [r] = check_step(timeline, step(StepKind.CANDIDATE, D(2026, 6, 1)), book.on, TODAY)
    assert (r.rule, r.earliest) == ("dev.activist_min_period", D(2027, 5, 1))


# Next steps ---------------------------------------------------------------------------------------------------


def test_next_steps_name_the_earliest_day_and_what_is_missing() -> None:
    timeline = Timeline(BIRTH, PATH[:3])  # just became an activist on 2023-04-10
    nxt = {n.kind: n for n in rules.next_steps(timeline, ON, D(2023, 5, 1))}
    assert set(nxt) == {StepKind.MENTORS, StepKind.REVIEW, StepKind.NOTICE, StepKind.CANDIDATE}
    candidate = nxt[StepKind.CANDIDATE]
    assert candidate.earliest == D(2024, 4, 10)
    assert {b.rule for b in candidate.blockers} == {"dev.mentors", "dev.public_notice"}
    assert nxt[StepKind.MENTORS].earliest is None and nxt[StepKind.MENTORS].blockers == ()


# Lateness: findings, never refusals ---------------------------------------------------------------------


def _talk_finding(timeline: Timeline, day: dt.date) -> Any:
    return rules.talk_overdue(
        org=ORG, file_id=1, name="x", day=day, timeline=timeline, params=ON("dev.talk_within_month", day)
    )


def test_talk_within_a_month() -> None:
    applied = Timeline(BIRTH, PATH[:1])  # 2023-03-01
    assert _talk_finding(applied, D(2023, 4, 1)) is None  # the deadline day is still in time
    f = _talk_finding(applied, D(2023, 4, 2))
    assert f.rule == "dev.talk_within_month" and f.due_on == D(2023, 4, 1) and f.period == "2023-04-02"
    late_talk = Timeline(BIRTH, [*PATH[:1], step(StepKind.TALK, D(2023, 4, 20), person_name="x")])
    assert _talk_finding(late_talk, D(2023, 4, 19)) is not None
    assert _talk_finding(late_talk, D(2023, 4, 20)) is None
    # a late talk is never refused
    assert (
        check_step(Timeline(BIRTH, PATH[:1]), step(StepKind.TALK, D(2023, 6, 1), person_name="x"), ON, TODAY)
        == []
    )


def test_review_every_six_months() -> None:
    timeline = Timeline(BIRTH, PATH[:4])  # activist 2023-04-10, no review yet
    judge = rules.review_overdue
    p = ON("dev.review_half_yearly", TODAY)
    assert judge(org=ORG, file_id=1, name="x", day=D(2023, 10, 10), timeline=timeline, params=p) is None
    assert judge(org=ORG, file_id=1, name="x", day=D(2023, 10, 11), timeline=timeline, params=p) is not None
    reviewed = Timeline(BIRTH, PATH[:5])  # reviewed 2023-10-01
    assert judge(org=ORG, file_id=1, name="x", day=D(2023, 10, 11), timeline=reviewed, params=p) is None
    assert judge(org=ORG, file_id=1, name="x", day=D(2024, 4, 2), timeline=reviewed, params=p) is not None
    # candidates are no longer activists
    assert (
        judge(org=ORG, file_id=1, name="x", day=D(2025, 1, 1), timeline=upto(StepKind.SPONSORS), params=p)
        is None
    )


def test_approval_within_three_months_or_six_in_a_special_case() -> None:
    judge = rules.approval_overdue
    p = ON("dev.approval_within", TODAY)
    admitted = upto(StepKind.APPROVAL)  # admission 2024-06-10
    assert judge(org=ORG, file_id=1, name="x", day=D(2024, 9, 10), timeline=admitted, params=p) == []
    [f] = judge(org=ORG, file_id=1, name="x", day=D(2024, 9, 11), timeline=admitted, params=p)
    assert f.rule == "dev.approval_within" and f.due_on == D(2024, 9, 10)
    special = Timeline(
        BIRTH,
        [
            *[s for s in admitted.steps if s.kind != StepKind.ADMISSION],
            step(StepKind.ADMISSION, ADMITTED, special=True, **VOTES),
        ],
    )
    assert judge(org=ORG, file_id=1, name="x", day=D(2024, 12, 10), timeline=special, params=p) == []
    assert len(judge(org=ORG, file_id=1, name="x", day=D(2024, 12, 11), timeline=special, params=p)) == 1
    # the conversion's approval too
    converted = upto(StepKind.CONVERSION_APPROVAL)  # conversion 2025-06-10
    assert judge(org=ORG, file_id=1, name="x", day=D(2025, 9, 10), timeline=converted, params=p) == []
    [f] = judge(org=ORG, file_id=1, name="x", day=D(2025, 9, 11), timeline=converted, params=p)
    assert f.facts["what"] == "conversion"


# Properties ------------------------------------------------------------------------------------------------


def test_working_days_match_a_day_by_day_count() -> None:
    start = D(2024, 1, 1)
    for offset in range(0, 40):
        for length in range(0, 20):
            a = start + dt.timedelta(days=offset)
            b = a + dt.timedelta(days=length)
            expected = sum(1 for i in range(length + 1) if (a + dt.timedelta(days=i)).weekday() < 5)
            assert rules.working_days(a, b) == expected
            if expected:
                n = rules.nth_working_day(a, expected)
                assert rules.working_days(a, n) == expected and n <= b


KINDS = [k for k in StepKind.values if k != StepKind.APPLICATION]
PEOPLE = st.lists(st.sampled_from([FULL_A, FULL_B, FULL_C, PROBATIONARY]), max_size=3).map(tuple)


EXITS = {StepKind.WITHDRAWAL, StepKind.REVOCATION, StepKind.NOT_ADMITTED}


MUTABLE = ["ends_on", "filed_on", "recommendation", "days", "hours", "voting_members", "voters_present"]
MUTABLE += ["votes_yes", "months", "people"]


def mutated(draw: Any, template: StepFacts, shift: tuple[int, int]) -> StepFacts:
    """``template`` moved in time, with up to two of its evidence values changed at random."""
    maybe_int = st.one_of(st.none(), st.integers(0, 30))
    values = dict(template.__dict__)
    values["on"] = template.on + dt.timedelta(days=draw(st.integers(*shift)))
    for name in draw(st.sets(st.sampled_from(MUTABLE), max_size=2)):
        if name in ("ends_on", "filed_on"):
            values[name] = values["on"] + dt.timedelta(days=draw(st.integers(-2, 12)))
        elif name == "recommendation":
            values[name] = draw(st.sampled_from(["", "party_members"]))
        elif name == "people":
            values[name] = draw(PEOPLE)
        elif name == "months":
            values[name] = draw(st.one_of(st.none(), st.integers(0, 15)))
        else:
            values[name] = draw(maybe_int)
    return StepFacts(**values)


def any_step(draw: Any) -> StepFacts:
    """Any kind, any day, any evidence (side exits rarely, or no path would ever finish)."""
    maybe_int = st.one_of(st.none(), st.integers(0, 30))
    kind = draw(st.sampled_from([k for k in KINDS if k not in EXITS] * 4 + sorted(EXITS)))
    on = APPLIED + dt.timedelta(days=draw(st.integers(0, 1300)))
    return StepFacts(
        kind=kind,
        on=on,
        ends_on=draw(st.one_of(st.none(), st.just(on + dt.timedelta(days=draw(st.integers(-2, 12)))))),
        filed_on=draw(st.one_of(st.none(), st.just(on + dt.timedelta(days=draw(st.integers(-2, 5)))))),
        recommendation=draw(st.sampled_from(["", "party_members"])),
        days=draw(maybe_int),
        hours=draw(maybe_int),
        voting_members=draw(maybe_int),
        voters_present=draw(maybe_int),
        votes_yes=draw(maybe_int),
        months=draw(st.one_of(st.none(), st.integers(0, 15))),
        special=draw(st.booleans()),
        people=draw(PEOPLE),
    )


EXITS = {StepKind.WITHDRAWAL, StepKind.REVOCATION, StepKind.NOT_ADMITTED}
# Extensions are not on the legal path: offer one now and then as a template.
EXTENSION = step(StepKind.EXTENSION, D(2025, 6, 10), months=6)


def independent_check(timeline: Timeline) -> list[str]:
    """The hard rules of RULES.md §4 restated over a whole timeline, without the module's helpers."""
    problems = []

    def first(kind: str) -> StepFacts | None:
        found = [s for s in timeline.steps if s.kind == kind]
        return found[0] if found else None

    app, act, cand, adm, conv = (
        first(k) for k in ("application", "activist", "candidate", "admission", "conversion")
    )
    assert app and act and cand and adm and conv
    if (app.on - BIRTH).days < 365 * 18 + 4:
        problems.append("age")
    if not (act.recommendation and act.filed_on and act.filed_on >= act.on):
        problems.append("activist")
    if cand.on < act.on.replace(year=act.on.year + 1):
        problems.append("period")
    mentors = [s for s in timeline.steps if s.kind == "mentors" and s.on <= cand.on]
    if not mentors or not all(
        1 <= len(m.people) <= 2 and all(p.full_on and p.full_on <= m.on for p in m.people) for m in mentors
    ):
        problems.append("mentors")
    notices = [s for s in timeline.steps if s.kind == "notice" and s.ends_on and s.ends_on < cand.on]
    if not any(
        sum((n.on + dt.timedelta(days=i)).weekday() < 5 for i in range((n.ends_on - n.on).days + 1)) >= 5
        for n in notices
    ):
        problems.append("notice")
    sponsors = [s for s in timeline.steps if s.kind == "sponsors" and s.on <= adm.on]
    if not sponsors or not all(
        len({p.member_id for p in s.people}) == 2 and all(p.full_on and p.full_on <= s.on for p in s.people)
        for s in sponsors
    ):
        problems.append("sponsors")
    for kind in ("political_review", "pre_review", "training"):
        if not [s for s in timeline.steps if s.kind == kind and s.on <= adm.on]:
            problems.append(kind)
    for s in timeline.steps:
        if s.kind == "training" and not ((s.days or 0) >= 3 or (s.hours or 0) >= 24):
            problems.append("training hours")
    for meeting in (adm, conv):
        v, p, y = meeting.voting_members, meeting.voters_present, meeting.votes_yes
        if v is None or p is None or y is None or not (2 * p > v and 2 * y > v and p <= v and y <= p):
            problems.append("votes")
    extensions = [s for s in timeline.steps if s.kind == "extension"]
    end = (
        adm.on.replace(year=adm.on.year + 1)
        if (adm.on.month, adm.on.day) != (2, 29)
        else D(adm.on.year + 1, 2, 28)
    )
    if len(extensions) > 1 or any(not 6 <= (e.months or 0) <= 12 for e in extensions):
        problems.append("extension")
    if extensions:
        from jiceng.orgs.rules import add_months

        end = add_months(end, extensions[0].months or 0)
    if conv.on < end:
        problems.append("probation")
    return problems


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_no_sequence_of_attempts_makes_a_full_member_who_broke_a_rule(data: Any) -> None:
    """Random attempts mixed into the legal path: whatever gets accepted, a full member obeyed every rule.

    Each round, someone attempts a step (most often the next step of the legal path, moved in time and
    with some evidence changed; else any step of the path so changed; else anything), then a careful
    secretary takes the next legal step, and when it is refused with an earliest day only, tries it
    again on that day (so the accepted paths vary in time and in evidence).
    """
    draw = data.draw
    timeline = Timeline(BIRTH, [PATH[0]])
    pending = list(PATH[1:])
    for _round in range(len(PATH) * 3):
        if not pending:
            break
        roll = draw(st.integers(0, 9))
        if roll < 5:
            # before the conversion, an extension is as likely a next step as the conversion itself
            template = pending[0]
            if template.kind == StepKind.CONVERSION:
                template = draw(st.sampled_from([template, EXTENSION, EXTENSION]))
            attempt = mutated(draw, template, (-60, 60))
        elif roll < 8:
            attempt = mutated(draw, draw(st.sampled_from([*PATH[1:], EXTENSION])), (-300, 200))
        else:
            attempt = any_step(draw)
        if not check_step(timeline, attempt, ON, TODAY):
            timeline = Timeline(BIRTH, [*timeline.steps, attempt])
        legal = pending[0]
        refusals = check_step(timeline, legal, ON, TODAY)
        if refusals and all(r.earliest and r.field == "on" for r in refusals):
            legal = StepFacts(**{**legal.__dict__, "on": max(r.earliest for r in refusals)})
            if legal.ends_on:
                legal = StepFacts(
                    **{**legal.__dict__, "ends_on": legal.on + (pending[0].ends_on - pending[0].on)}
                )
            refusals = check_step(timeline, legal, ON, TODAY)
        if not refusals:
            timeline = Timeline(BIRTH, [*timeline.steps, legal])
            pending.pop(0)
        elif all(r.rule == "dev.sequence" for r in refusals):
            pending.pop(0)  # the file moved past this step (or it was recorded already): skip it
    if timeline.stage == Stage.FULL:
        assert independent_check(timeline) == []


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATH[1:]), st.integers(-800, 0))
def test_the_earliest_date_of_a_refusal_is_exact(target: StepFacts, shift: int) -> None:
    """Moved earlier, a legal step is refused with an earliest day; on that day the same rule allows it,
    and on the day before it refuses."""
    index = PATH.index(target)
    timeline = Timeline(BIRTH, PATH[:index])
    moved = StepFacts(**{**target.__dict__, "on": target.on + dt.timedelta(days=shift)})
    for r in check_step(timeline, moved, ON, TODAY):
        if r.earliest is None or r.rule == "dev.sequence" or r.field != "on":
            continue
        on_day = StepFacts(**{**moved.__dict__, "on": r.earliest})
        assert r.rule not in codes(check_step(timeline, on_day, ON, TODAY))
        before = StepFacts(**{**moved.__dict__, "on": r.earliest - dt.timedelta(days=1)})
        assert r.rule in codes(check_step(timeline, before, ON, TODAY))
