"""The rules of member development (RULES.md §4) as pure functions of a person's timeline.

``check_step`` judges one proposed step against the steps already recorded and the rule parameters in
force on the step's date: it returns the refusals (empty: the step may be recorded). Each refusal names
its rule code, the citation it was judged by, a sentence that says what is missing and, when waiting
helps, the earliest date the step becomes possible. The hard rules of §4 refuse; the lateness rules
(``dev.talk_within_month``, ``dev.review_half_yearly``, ``dev.approval_within``) never refuse a step:
the compliance engine reports them as findings (``talk_overdue``, ``review_overdue``,
``approval_overdue`` below).

Boundary days (each tested on both sides):

- ``dev.min_age``: allowed on the 18th birthday (年满十八周岁 is reached on the birthday; 29 February
  birthdays have theirs on 28 February in common years, as ``orgs.rules.add_years`` counts).
- ``dev.activist_min_period``: allowed on the first anniversary of the activist decision. 细则 Art. 13
  asks for "一年以上" of training, and in Chinese legal usage "以上" includes the number itself.
- ``dev.probation_min_period``: allowed on the day the probation ends (the first anniversary of the
  admitting meeting, or the extended end); 党龄 then counts from that day (党章 Art. 7).
- ``dev.public_notice``: the notice counts its working days (Monday to Friday; public holidays are not
  known to the system and count as working days) from its first to its last day, both included, and
  must have ended before the day the person becomes a candidate: the candidacy is possible from the
  day after the notice's last day.
- ``dev.extension_bounds``: 6 and 12 months are both allowed; the extension is decided on or after the
  day the probation ends and before the extended end; no later step of the probation is dated before it.
- ``dev.admission_vote`` / ``dev.conversion_vote``: "半数以上到会" and "赞成超过半数" are both strict:
  exactly half is not enough.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from jiceng.core.compliance import Finding, OrgRef, fmt_day, make_finding
from jiceng.core.rulebook import RuleParams, citation_text
from jiceng.members.models import whole_years
from jiceng.orgs.rules import add_months, add_years

from .models import Stage, StepKind

BookOn = Callable[[str, dt.date], RuleParams]

# Which stage a step may be recorded at (the application opens the file and has no stage before it).
ALLOWED_AT: dict[str, frozenset[str]] = {
    StepKind.TALK: frozenset({Stage.APPLICANT, Stage.ACTIVIST}),
    StepKind.ACTIVIST: frozenset({Stage.APPLICANT}),
    StepKind.MENTORS: frozenset({Stage.ACTIVIST, Stage.CANDIDATE}),
    StepKind.REVIEW: frozenset({Stage.ACTIVIST, Stage.CANDIDATE}),
    StepKind.NOTICE: frozenset({Stage.ACTIVIST}),
    StepKind.CANDIDATE: frozenset({Stage.ACTIVIST}),
    StepKind.SPONSORS: frozenset({Stage.CANDIDATE}),
    StepKind.POLITICAL_REVIEW: frozenset({Stage.CANDIDATE}),
    StepKind.TRAINING: frozenset({Stage.CANDIDATE}),
    StepKind.PRE_REVIEW: frozenset({Stage.CANDIDATE}),
    StepKind.ADMISSION: frozenset({Stage.CANDIDATE}),
    StepKind.NOT_ADMITTED: frozenset({Stage.CANDIDATE}),
    StepKind.APPROVAL: frozenset({Stage.PROBATIONARY}),
    StepKind.OATH: frozenset({Stage.PROBATIONARY}),
    StepKind.CONVERSION_APPLICATION: frozenset({Stage.PROBATIONARY}),
    StepKind.CONVERSION: frozenset({Stage.PROBATIONARY}),
    StepKind.EXTENSION: frozenset({Stage.PROBATIONARY}),
    StepKind.REVOCATION: frozenset({Stage.PROBATIONARY}),
    StepKind.CONVERSION_APPROVAL: frozenset({Stage.FULL}),
    StepKind.WITHDRAWAL: frozenset({Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE}),
}

# The stage a step moves the file to.
STAGE_AFTER: dict[str, str] = {
    StepKind.APPLICATION: Stage.APPLICANT,
    StepKind.ACTIVIST: Stage.ACTIVIST,
    StepKind.CANDIDATE: Stage.CANDIDATE,
    StepKind.ADMISSION: Stage.PROBATIONARY,
    StepKind.CONVERSION: Stage.FULL,
    StepKind.REVOCATION: Stage.REVOKED,
    StepKind.WITHDRAWAL: Stage.WITHDRAWN,
    StepKind.NOT_ADMITTED: Stage.NOT_ADMITTED,
}

# Steps recorded once per file (a second one is refused as out of sequence).
ONCE = frozenset(
    {
        StepKind.APPLICATION,
        StepKind.TALK,
        StepKind.ACTIVIST,
        StepKind.CANDIDATE,
        StepKind.SPONSORS,
        StepKind.POLITICAL_REVIEW,
        StepKind.PRE_REVIEW,
        StepKind.ADMISSION,
        StepKind.APPROVAL,
        StepKind.OATH,
        StepKind.CONVERSION_APPLICATION,
        StepKind.CONVERSION,
        StepKind.CONVERSION_APPROVAL,
    }
)

# The evidence each step records beside its date: required fields, then optional ones.
STEP_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    StepKind.APPLICATION: ((), ("note",)),
    StepKind.TALK: (("person_name",), ("note",)),
    StepKind.ACTIVIST: (("recommendation", "filed_on"), ("meeting", "note")),
    StepKind.MENTORS: (("people",), ("note",)),
    StepKind.REVIEW: ((), ("note",)),
    StepKind.NOTICE: (("ends_on",), ("note",)),
    StepKind.CANDIDATE: ((), ("filed_on", "meeting", "note")),
    StepKind.SPONSORS: (("people",), ("note",)),
    StepKind.POLITICAL_REVIEW: ((), ("note",)),
    StepKind.TRAINING: ((), ("ends_on", "days", "hours", "note")),
    StepKind.PRE_REVIEW: ((), ("note",)),
    StepKind.ADMISSION: (("voting_members", "voters_present", "votes_yes"), ("meeting", "special", "note")),
    StepKind.NOT_ADMITTED: ((), ("meeting", "voting_members", "voters_present", "votes_yes", "note")),
    StepKind.APPROVAL: ((), ("note",)),
    StepKind.OATH: ((), ("note",)),
    StepKind.CONVERSION_APPLICATION: ((), ("note",)),
    StepKind.CONVERSION: (("voting_members", "voters_present", "votes_yes"), ("meeting", "special", "note")),
    StepKind.CONVERSION_APPROVAL: ((), ("note",)),
    StepKind.EXTENSION: (("months",), ("meeting", "note")),
    StepKind.REVOCATION: ((), ("meeting", "note")),
    StepKind.WITHDRAWAL: ((), ("note",)),
}

# The meeting a step may link (its record in organizational life): the branch committee decides on
# activists and candidates (细则 Art. 8, 13), the general meeting of the branch on the rest.
MEETING_KIND: dict[str, str] = {
    StepKind.ACTIVIST: "committee_meeting",
    StepKind.CANDIDATE: "committee_meeting",
}
DEFAULT_MEETING_KIND = "general_meeting"


def meeting_kind(kind: str) -> str:
    return MEETING_KIND.get(kind, DEFAULT_MEETING_KIND)


# The citation of refusals that are about order, not about a rule of §4.
SEQUENCE = "dev.sequence"
SEQUENCE_CITATION = gettext_noop("中国共产党发展党员工作细则")


@dataclass(frozen=True)
class Person:
    """A mentor or a sponsor as the rules see them on the step's day."""

    member_id: int
    name: str
    full_on: dt.date | None  # the day they became a full member (转正日期); None: not full
    closed_on: dt.date | None = None
    party_probation_from: dt.date | None = None
    party_probation_until: dt.date | None = None

    def full_member_on(self, day: dt.date) -> bool:
        return (
            self.full_on is not None
            and self.full_on <= day
            and (self.closed_on is None or self.closed_on > day)
        )

    def under_party_probation(self, day: dt.date) -> bool:
        if self.party_probation_from is None or self.party_probation_from > day:
            return False
        return self.party_probation_until is None or self.party_probation_until > day


@dataclass(frozen=True)
class StepFacts:
    """One step, recorded or proposed, as plain values."""

    kind: str
    on: dt.date
    ends_on: dt.date | None = None
    filed_on: dt.date | None = None
    person_name: str = ""
    recommendation: str = ""
    days: int | None = None
    hours: int | None = None
    voting_members: int | None = None
    voters_present: int | None = None
    votes_yes: int | None = None
    months: int | None = None
    special: bool = False
    people: tuple[Person, ...] = ()


@dataclass(frozen=True)
class Refusal:
    rule: str
    message: str
    earliest: dt.date | None = None
    citation: str = ""
    field: str = "on"

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "message": self.message,
            "earliest": self.earliest.isoformat() if self.earliest else None,
            "citation": self.citation,
            "field": self.field,
        }


@dataclass
class Timeline:
    """A file's recorded steps in order, with what the rules ask of them."""

    birth_date: dt.date
    steps: list[StepFacts] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.steps = sorted(self.steps, key=lambda s: s.on)

    def of(self, kind: str) -> list[StepFacts]:
        return [s for s in self.steps if s.kind == kind]

    def first(self, kind: str) -> StepFacts | None:
        found = self.of(kind)
        return found[0] if found else None

    def last(self, kind: str) -> StepFacts | None:
        found = self.of(kind)
        return found[-1] if found else None

    @property
    def stage(self) -> str | None:
        stage = None
        for s in self.steps:
            stage = STAGE_AFTER.get(s.kind, stage)
        return stage

    @property
    def stage_since(self) -> dt.date | None:
        since = None
        for s in self.steps:
            if s.kind in STAGE_AFTER:
                since = s.on
        return since

    def until(self, day: dt.date) -> Timeline:
        """The timeline as it stood at the end of ``day``."""
        return Timeline(self.birth_date, [s for s in self.steps if s.on <= day])

    def probation_end(self, years: int) -> dt.date | None:
        """When the probation ends: ``years`` after the admitting meeting, or the extended end."""
        admission = self.first(StepKind.ADMISSION)
        if admission is None:
            return None
        regular = add_years(admission.on, years)
        extension = self.last(StepKind.EXTENSION)
        if extension is not None and extension.months:
            return add_months(regular, extension.months)
        return regular


def working_days(start: dt.date, end: dt.date) -> int:
    """Monday to Friday from ``start`` to ``end``, both included (holidays are not known)."""
    if end < start:
        return 0
    whole_weeks, rest = divmod((end - start).days + 1, 7)
    count = whole_weeks * 5
    for i in range(rest):
        if (start + dt.timedelta(days=whole_weeks * 7 + i)).weekday() < 5:
            count += 1
    return count


def nth_working_day(start: dt.date, n: int) -> dt.date:
    """The day on which ``n`` working days counted from ``start`` (included) are complete."""
    day = start
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    counted = 1
    while counted < n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return day


def _day(d: dt.date) -> str:
    return d.isoformat()


def _names(people: Iterable[Person]) -> str:
    return "、".join(p.name for p in people)


def _refuse(params: RuleParams, message: str, earliest: dt.date | None = None, field: str = "on") -> Refusal:
    # The citation in the reader's language, as the message (a refusal is shown, never stored).
    return Refusal(params.code, message, earliest, citation_text(params.citation), field)


def _sequence(message: str, earliest: dt.date | None = None, field: str = "on") -> Refusal:
    return Refusal(SEQUENCE, message, earliest, citation_text(SEQUENCE_CITATION), field)


def kind_label(kind: str) -> str:
    return str(StepKind(kind).label)


def stage_label(stage: str) -> str:
    return str(Stage(stage).label)


# Vote rules shared by admission and conversion ----------------------------------------------------


def vote_problem(voting: int | None, present: int | None, yes: int | None) -> str | None:
    """What is wrong with a meeting's figures for admission or conversion, or None."""
    if voting is None or present is None or yes is None:
        return _("须填写应到会和实到会有表决权的正式党员数以及赞成票数")
    if present > voting:
        return _("实到会人数（%(present)s）不能多于应到会人数（%(voting)s）") % {
            "present": present,
            "voting": voting,
        }
    if yes > present:
        return _("赞成票数（%(yes)s）不能多于实到会人数（%(present)s）") % {"yes": yes, "present": present}
    if present * 2 <= voting:
        return _("到会有表决权的党员%(present)s人，未超过应到会%(voting)s人的半数") % {
            "present": present,
            "voting": voting,
        }
    if yes * 2 <= voting:
        return _("赞成%(yes)s票，未超过应到会有表决权的正式党员%(voting)s人的半数") % {
            "yes": yes,
            "voting": voting,
        }
    return None


# The check ----------------------------------------------------------------------------------------------


def check_step(
    timeline: Timeline, step: StepFacts, book_on: BookOn, today: dt.date, *, probe: bool = False
) -> list[Refusal]:
    """Every reason ``step`` may not follow ``timeline``; an empty list means it may be recorded.

    With ``probe``, only the order, the dates and the prerequisites recorded before are judged, not
    the step's own evidence (which a person has not entered yet): the timeline page uses it to show
    the next steps and their earliest dates.
    """
    out: list[Refusal] = []
    kind = step.kind
    on = step.on
    stage = timeline.stage
    label = kind_label(kind)

    # Order: the stage the file is at, steps recorded once, dates not before the stage began.
    if on > today:
        return [_sequence(_("日期不能晚于今天（%(today)s）") % {"today": _day(today)})]
    if kind == StepKind.APPLICATION:
        if timeline.steps:
            return [_sequence(_("已有入党申请记录"))]
    else:
        if stage is None:
            return [_sequence(_("尚无入党申请记录"))]
        if stage not in ALLOWED_AT[kind]:
            return [
                _sequence(
                    _("当前阶段为“%(stage)s”，不能记录“%(step)s”")
                    % {"stage": stage_label(stage), "step": label}
                )
            ]
        if kind in ONCE and timeline.of(kind):
            return [_sequence(_("“%(step)s”已有记录") % {"step": label})]
        since = timeline.stage_since
        extension = timeline.last(StepKind.EXTENSION)
        if stage == Stage.PROBATIONARY and extension is not None and (since is None or extension.on > since):
            since = extension.on  # nothing of the probation is dated before its extension was decided
        if kind == StepKind.TALK:
            since = timeline.first(StepKind.APPLICATION).on  # type: ignore[union-attr]
        if since is not None and on < since:
            return [
                _sequence(
                    _("“%(step)s”的日期不能早于%(since)s") % {"step": label, "since": _day(since)},
                    since,
                )
            ]
        if kind == StepKind.OATH and timeline.first(StepKind.APPROVAL) is None:
            return [_sequence(_("上级党委审批后才能进行入党宣誓"))]

    handler = _CHECKS.get(kind)
    if handler is not None:
        out.extend(handler(timeline, step, book_on, probe))
    return out


def _min_age(timeline: Timeline, step: StepFacts, book_on: BookOn, probe: bool) -> list[Refusal]:
    params = book_on("dev.min_age", step.on)
    if not params.enabled:
        return []
    years = params["min_age"]
    if whole_years(timeline.birth_date, step.on) >= years:
        return []
    earliest = add_years(timeline.birth_date, years)
    return [
        _refuse(
            params,
            _("未满%(years)s周岁，最早可于%(day)s提出入党申请") % {"years": years, "day": _day(earliest)}
            if step.kind == StepKind.APPLICATION
            else _("未满%(years)s周岁，最早可于%(day)s接收为预备党员")
            % {"years": years, "day": _day(earliest)},
            earliest,
        )
    ]


def _activist(timeline: Timeline, step: StepFacts, book_on: BookOn, probe: bool) -> list[Refusal]:
    params = book_on("dev.activist_recorded", step.on)
    if not params.enabled or probe:
        return []
    missing = []
    if not step.recommendation:
        missing.append(_("推荐方式"))
    if step.filed_on is None:
        missing.append(_("报上级党委备案日期"))
    if missing:
        return [
            _refuse(
                params,
                _("确定入党积极分子须经推荐、支部委员会研究决定并报上级党委备案，缺少：%(missing)s")
                % {"missing": "、".join(missing)},
                field="recommendation" if not step.recommendation else "filed_on",
            )
        ]
    if step.filed_on < step.on:  # type: ignore[operator]
        return [
            _refuse(
                params,
                _("报上级党委备案日期不能早于支部委员会决定的日期（%(day)s）") % {"day": _day(step.on)},
                field="filed_on",
            )
        ]
    return []


def _mentor_problem(params: RuleParams, people: Sequence[Person], day: dt.date) -> Refusal | None:
    low, high = params["min_mentors"], params["max_mentors"]
    if not low <= len(people) <= high:
        return _refuse(
            params,
            _("培养联系人应为%(low)s至%(high)s名正式党员，现为%(n)s名")
            % {"low": low, "high": high, "n": len(people)},
            field="people",
        )
    not_full = [p for p in people if not p.full_member_on(day)]
    if not_full:
        return _refuse(
            params,
            _("培养联系人须为正式党员：%(names)s在%(day)s不是正式党员")
            % {"names": _names(not_full), "day": _day(day)},
            field="people",
        )
    return None


def _mentors(timeline: Timeline, step: StepFacts, book_on: BookOn, probe: bool) -> list[Refusal]:
    params = book_on("dev.mentors", step.on)
    if not params.enabled or probe:
        return []
    problem = _mentor_problem(params, step.people, step.on)
    return [problem] if problem else []


def _notice(timeline: Timeline, step: StepFacts, book_on: BookOn, probe: bool) -> list[Refusal]:
    params = book_on("dev.public_notice", step.on)
    if not params.enabled or probe:
        return []
    if step.ends_on is None:
        return [_refuse(params, _("须填写公示结束日期"), field="ends_on")]
    need = params["working_days"]
    have = working_days(step.on, step.ends_on)
    if have < need:
        return [
            _refuse(
                params,
                _("公示期为%(have)s个工作日，不少于%(need)s个工作日，最早可于%(day)s结束")
                % {"have": have, "need": need, "day": _day(nth_working_day(step.on, need))},
                nth_working_day(step.on, need),
                field="ends_on",
            )
        ]
    return []


def _candidate(timeline: Timeline, step: StepFacts, book_on: BookOn, probe: bool) -> list[Refusal]:
    out: list[Refusal] = []
    on = step.on
    params = book_on("dev.activist_min_period", on)
    activist = timeline.first(StepKind.ACTIVIST)
    if params.enabled and activist is not None:
        earliest = add_years(activist.on, params["years"])
        if on < earliest:
            out.append(
                _refuse(
                    params,
                    _("成为入党积极分子未满%(years)s年，最早可于%(day)s列为发展对象")
                    % {"years": params["years"], "day": _day(earliest)},
                    earliest,
                )
            )
    params = book_on("dev.mentors", on)
    if params.enabled:
        mentors = [s for s in timeline.of(StepKind.MENTORS) if s.on <= on]
        if not mentors:
            out.append(_refuse(params, _("尚未指定培养联系人")))
    params = book_on("dev.public_notice", on)
    if params.enabled:
        notices = [s for s in timeline.of(StepKind.NOTICE) if s.ends_on is not None]
        done = [
            s for s in notices if s.ends_on < on and working_days(s.on, s.ends_on) >= params["working_days"]
        ]  # type: ignore[operator]
        if not done:
            if notices:
                last = max(s.ends_on for s in notices)  # type: ignore[type-var]
                earliest = last + dt.timedelta(days=1)
                out.append(
                    _refuse(
                        params,
                        _("公示于%(end)s结束，最早可于%(day)s列为发展对象")
                        % {"end": _day(last), "day": _day(earliest)},
                        earliest,
                    )
                )
            else:
                out.append(
                    _refuse(
                        params,
                        _("尚未公示：列为发展对象前须公示不少于%(n)s个工作日")
                        % {"n": params["working_days"]},
                    )
                )
    return out


def _sponsors(timeline: Timeline, step: StepFacts, book_on: BookOn, probe: bool) -> list[Refusal]:
    params = book_on("dev.sponsors", step.on)
    if not params.enabled or probe:
        return []
    need = params["sponsors"]
    people = step.people
    if len(people) != need or len({p.member_id for p in people}) != len(people):
        return [
            _refuse(
                params,
                _("入党介绍人须为%(need)s名正式党员，现为%(n)s名") % {"need": need, "n": len(people)},
                field="people",
            )
        ]
    not_full = [p for p in people if not p.full_member_on(step.on)]
    if not_full:
        return [
            _refuse(
                params,
                _("入党介绍人须为正式党员：%(names)s在%(day)s不是正式党员")
                % {"names": _names(not_full), "day": _day(step.on)},
                field="people",
            )
        ]
    sanctioned = [p for p in people if p.under_party_probation(step.on)]
    if sanctioned:
        return [
            _refuse(
                params,
                _("%(names)s受留党察看处分，尚未恢复党员权利，不能作入党介绍人")
                % {"names": _names(sanctioned)},
                field="people",
            )
        ]
    return []


def _training(timeline: Timeline, step: StepFacts, book_on: BookOn, probe: bool) -> list[Refusal]:
    params = book_on("dev.training", step.on)
    if not params.enabled or probe:
        return []
    days, hours = step.days or 0, step.hours or 0
    if days >= params["min_days"] or hours >= params["min_hours"]:
        if step.ends_on is not None and step.ends_on < step.on:
            return [_sequence(_("培训结束日期不能早于开始日期"), field="ends_on")]
        return []
    return [
        _refuse(
            params,
            _("集中培训%(days)s天、%(hours)s学时，应不少于%(min_days)s天或%(min_hours)s学时")
            % {
                "days": days,
                "hours": hours,
                "min_days": params["min_days"],
                "min_hours": params["min_hours"],
            },
            field="days",
        )
    ]


def _admission(timeline: Timeline, step: StepFacts, book_on: BookOn, probe: bool) -> list[Refusal]:
    on = step.on
    out = _min_age(timeline, step, book_on, probe)
    params = book_on("dev.sponsors", on)
    if params.enabled and not [s for s in timeline.of(StepKind.SPONSORS) if s.on <= on]:
        out.append(_refuse(params, _("尚未确定入党介绍人")))
    params = book_on("dev.political_review", on)
    if params.enabled and not [s for s in timeline.of(StepKind.POLITICAL_REVIEW) if s.on <= on]:
        out.append(_refuse(params, _("尚未进行政治审查")))
    params = book_on("dev.training", on)
    if params.enabled:
        trainings = [s for s in timeline.of(StepKind.TRAINING) if s.on <= on]
        if not trainings:
            out.append(_refuse(params, _("尚未参加集中培训")))
        else:
            ends = min((s.ends_on or s.on) for s in trainings)
            if ends > on:
                out.append(
                    _refuse(params, _("集中培训于%(day)s结束，之后方可讨论接收") % {"day": _day(ends)}, ends)
                )
    params = book_on("dev.pre_review", on)
    if params.enabled and not [s for s in timeline.of(StepKind.PRE_REVIEW) if s.on <= on]:
        out.append(_refuse(params, _("尚未经上级党委预审")))
    params = book_on("dev.admission_vote", on)
    if params.enabled and not probe:
        problem = vote_problem(step.voting_members, step.voters_present, step.votes_yes)
        if problem:
            out.append(_refuse(params, problem, field="votes_yes"))
    return out


def _conversion(timeline: Timeline, step: StepFacts, book_on: BookOn, probe: bool) -> list[Refusal]:
    on = step.on
    out: list[Refusal] = []
    params = book_on("dev.probation_min_period", on)
    if params.enabled:
        ends = timeline.probation_end(params["years"])
        if ends is not None and on < ends:
            out.append(
                _refuse(
                    params,
                    _("预备期至%(day)s方满，最早可于%(day)s讨论转正") % {"day": _day(ends)},
                    ends,
                )
            )
    params = book_on("dev.conversion_vote", on)
    if params.enabled and not probe:
        problem = vote_problem(step.voting_members, step.voters_present, step.votes_yes)
        if problem:
            out.append(_refuse(params, problem, field="votes_yes"))
    return out


def _extension(timeline: Timeline, step: StepFacts, book_on: BookOn, probe: bool) -> list[Refusal]:
    params = book_on("dev.extension_bounds", step.on)
    if not params.enabled:
        return []
    out: list[Refusal] = []
    if len(timeline.of(StepKind.EXTENSION)) >= params["max_extensions"]:
        return [_refuse(params, _("预备期只能延长一次，已延长过"))]
    years = book_on("dev.probation_min_period", step.on).values.get("years", 1)
    ends = timeline.probation_end(years)
    if ends is not None and step.on < ends:
        out.append(
            _refuse(
                params,
                _("预备期至%(day)s方满，届时再讨论是否延长预备期") % {"day": _day(ends)},
                ends,
            )
        )
    if not probe:
        low, high = params["min_months"], params["max_months"]
        if step.months is None or not low <= step.months <= high:
            out.append(
                _refuse(
                    params,
                    _("延长预备期应为%(low)s至%(high)s个月") % {"low": low, "high": high},
                    field="months",
                )
            )
        elif ends is not None and step.on >= add_months(ends, step.months):
            out.append(
                _refuse(
                    params,
                    _("延长后的预备期已于%(day)s届满，不能在此之后才决定延长")
                    % {"day": _day(add_months(ends, step.months))},
                    field="on",
                )
            )
    return out


_CHECKS: dict[str, Callable[[Timeline, StepFacts, BookOn, bool], list[Refusal]]] = {
    StepKind.APPLICATION: _min_age,
    StepKind.ACTIVIST: _activist,
    StepKind.MENTORS: _mentors,
    StepKind.NOTICE: _notice,
    StepKind.CANDIDATE: _candidate,
    StepKind.SPONSORS: _sponsors,
    StepKind.TRAINING: _training,
    StepKind.ADMISSION: _admission,
    StepKind.CONVERSION: _conversion,
    StepKind.EXTENSION: _extension,
}


# The next steps, for the timeline page ------------------------------------------------------------------

# What a file at each stage should do next, in the order the regulations put it.
NEXT_AT: dict[str, tuple[str, ...]] = {
    Stage.APPLICANT: (StepKind.TALK, StepKind.ACTIVIST),
    Stage.ACTIVIST: (StepKind.TALK, StepKind.MENTORS, StepKind.REVIEW, StepKind.NOTICE, StepKind.CANDIDATE),
    Stage.CANDIDATE: (
        StepKind.SPONSORS,
        StepKind.POLITICAL_REVIEW,
        StepKind.TRAINING,
        StepKind.PRE_REVIEW,
        StepKind.ADMISSION,
    ),
    Stage.PROBATIONARY: (
        StepKind.APPROVAL,
        StepKind.OATH,
        StepKind.CONVERSION_APPLICATION,
        StepKind.CONVERSION,
    ),
    Stage.FULL: (StepKind.CONVERSION_APPROVAL,),
}


@dataclass(frozen=True)
class NextStep:
    kind: str
    earliest: dt.date | None  # None: possible now
    blockers: tuple[Refusal, ...]  # prerequisites not yet recorded (no waiting helps)

    @property
    def label(self) -> str:
        return kind_label(self.kind)


def next_steps(timeline: Timeline, book_on: BookOn, today: dt.date) -> list[NextStep]:
    """The steps still to take at the file's stage, each with its earliest date and what is missing."""
    stage = timeline.stage
    out: list[NextStep] = []
    for kind in NEXT_AT.get(stage or "", ()):
        if kind in ONCE and timeline.of(kind):
            continue
        if kind == StepKind.TALK and stage == Stage.ACTIVIST:
            continue  # only while still an applicant is the talk a next step
        if kind == StepKind.MENTORS and timeline.of(kind):
            continue  # mentors may be changed, but once named they are not a step still to take
        # Probe far enough in the future that only prerequisites and periods remain.
        probe_day = max(today, timeline.stage_since or today)
        refusals = check_step(timeline, StepFacts(kind=kind, on=probe_day), book_on, dt.date.max, probe=True)
        earliest = max((r.earliest for r in refusals if r.earliest), default=None)
        blockers = tuple(r for r in refusals if r.earliest is None)
        out.append(NextStep(kind, earliest if earliest and earliest > today else None, blockers))
    return out


# Lateness: findings of the compliance engine ---------------------------------------------------------


def talk_overdue(
    *, org: OrgRef, file_id: int, name: str, day: dt.date, timeline: Timeline, params: RuleParams
) -> Finding | None:
    """As of ``day``: the application is more than ``months`` old and nobody has talked with the person.

    The deadline day itself is still in time; the finding holds from the day after until a talk is
    recorded (or the file leaves the applicant and activist stages).
    """
    if not params.enabled:
        return None
    state = timeline.until(day)
    application = state.first(StepKind.APPLICATION)
    if (
        application is None
        or state.stage not in (Stage.APPLICANT, Stage.ACTIVIST)
        or state.first(StepKind.TALK)
    ):
        return None
    deadline = add_months(application.on, params["months"])
    if day <= deadline:
        return None
    return make_finding(
        params,
        org,
        day.isoformat(),
        {"day": day, "name": name, "applied_on": application.on, "deadline": deadline},
        member_name=name,
        subject=f"development:{file_id}",
        due_on=deadline,
    )


def review_overdue(
    *, org: OrgRef, file_id: int, name: str, day: dt.date, timeline: Timeline, params: RuleParams
) -> Finding | None:
    """As of ``day``: an activist whose last review (or activist decision) is more than ``months`` old."""
    if not params.enabled:
        return None
    state = timeline.until(day)
    if state.stage != Stage.ACTIVIST:
        return None
    activist = state.first(StepKind.ACTIVIST)
    if activist is None:
        return None
    last = max([activist.on, *(s.on for s in state.of(StepKind.REVIEW))])
    deadline = add_months(last, params["months"])
    if day <= deadline:
        return None
    return make_finding(
        params,
        org,
        day.isoformat(),
        {"day": day, "name": name, "last": last, "deadline": deadline, "months": params["months"]},
        member_name=name,
        subject=f"development:{file_id}",
        due_on=deadline,
    )


def approval_overdue(
    *, org: OrgRef, file_id: int, name: str, day: dt.date, timeline: Timeline, params: RuleParams
) -> list[Finding]:
    """As of ``day``: an admission or a conversion the higher committee has not approved within
    ``months`` (``special_months`` when the meeting recorded a special case) of the branch meeting."""
    if not params.enabled:
        return []
    state = timeline.until(day)
    out = []
    for meeting_kind, approval_kind, stages in (
        (StepKind.ADMISSION, StepKind.APPROVAL, (Stage.PROBATIONARY, Stage.FULL)),
        (StepKind.CONVERSION, StepKind.CONVERSION_APPROVAL, (Stage.FULL,)),
    ):
        meeting = state.first(meeting_kind)
        if meeting is None or state.first(approval_kind) is not None or state.stage not in stages:
            continue
        months = params["special_months"] if meeting.special else params["months"]
        deadline = add_months(meeting.on, months)
        if day <= deadline:
            continue
        out.append(
            make_finding(
                params,
                org,
                day.isoformat(),
                {
                    "day": day,
                    "name": name,
                    "what": str(meeting_kind),
                    "meeting_on": meeting.on,
                    "deadline": deadline,
                    "months": months,
                },
                member_name=name,
                subject=f"development:{file_id}:{meeting_kind}",
                due_on=deadline,
            )
        )
    return out


def _what(kind: str) -> str:
    return _("接收预备党员") if kind == StepKind.ADMISSION else _("预备党员转正")


MESSAGES = {
    "dev.talk_within_month": lambda f: (
        _("%(name)s于%(applied)s提出入党申请，应于%(deadline)s前派人谈话，截至%(day)s尚无谈话记录")
        % {
            "name": f["name"],
            "applied": fmt_day(f["applied_on"]),
            "deadline": fmt_day(f["deadline"]),
            "day": fmt_day(f["day"]),
        }
    ),
    "dev.review_half_yearly": lambda f: (
        _(
            "入党积极分子%(name)s最近一次考察（或确定为积极分子）在%(last)s，超过%(months)s个月未考察（截至%(day)s）"
        )
        % {"name": f["name"], "last": fmt_day(f["last"]), "months": f["months"], "day": fmt_day(f["day"])}
    ),
    "dev.approval_within": lambda f: (
        _(
            "%(name)s的%(what)s于%(meeting)s经支部大会通过，上级党委应于%(deadline)s前审批，截至%(day)s尚无审批记录"
        )
        % {
            "name": f["name"],
            "what": _what(f["what"]),
            "meeting": fmt_day(f["meeting_on"]),
            "deadline": fmt_day(f["deadline"]),
            "day": fmt_day(f["day"]),
        }
    ),
}

EXPLANATIONS = {
    "dev.talk_within_month": gettext_lazy(
        "党组织收到入党申请书后，应当在一个月内派人同入党申请人谈话。期限的最后一天谈话仍属按时；"
        "逾期未谈话的，从次日起列出，直到记录谈话。"
    ),
    "dev.review_half_yearly": gettext_lazy(
        "党支部每半年对入党积极分子进行一次考察。从确定为入党积极分子或上一次考察之日起超过6个月没有考察记录的列出。"
    ),
    "dev.approval_within": gettext_lazy(
        "上级党委对支部大会通过接收的预备党员、通过转正的预备党员，应当在3个月内审批；遇特殊情况可适当延长审批时间，"
        "但不得超过6个月。支部大会记录为特殊情况的按6个月计算。"
    ),
}
