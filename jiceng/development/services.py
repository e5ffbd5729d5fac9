"""Every write to development files: atomic, scoped, judged by ``development.rules`` and audited.

A refused step raises ``StepRefused`` (the API answers 422 with its rule, message and earliest date;
the pages show the same sentence). Bad input that is not a rule's business (a blank name, an unknown
member) raises Django's ``ValidationError`` with field keys, as everywhere else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, concurrency, crypto, dates, idnumber, normalize, probes
from jiceng.core.models import User
from jiceng.core.rulebook import RuleBook
from jiceng.core.scope import ensure_change
from jiceng.members import services as member_services
from jiceng.members.models import Member, Membership
from jiceng.orgs.models import Organization, OrgKind

from . import rules
from .models import OPEN_STAGES, Development, Stage, Step, StepKind

PERSON_FIELDS = ("name", "gender", "ethnicity", "birth_date", "education", "category", "work_unit", "phone")
EVIDENCE_FIELDS = (
    "ends_on",
    "filed_on",
    "person_name",
    "recommendation",
    "days",
    "hours",
    "voting_members",
    "voters_present",
    "votes_yes",
    "months",
    "special",
    "note",
)


# Fields the service sets itself (never from input): left out of the model's validation.
DERIVED_FIELDS = [
    "org_path",
    "id_number_cipher",
    "id_number_digest",
    "id_number_masked",
    "name_pinyin",
    "name_initials",
    "member",
    "user",
]


class StepRefused(Exception):
    """A step a rule of RULES.md §4 (or the order of the steps) does not allow, with the reasons."""

    def __init__(self, refusals: Sequence[rules.Refusal]) -> None:
        self.refusals = list(refusals)
        super().__init__(refusals[0].message)

    @property
    def first(self) -> rules.Refusal:
        return self.refusals[0]


# Facts for the rules ---------------------------------------------------------------------------------


def person_of(member: Member) -> rules.Person:
    return rules.Person(
        member_id=member.pk,
        name=member.name,
        full_on=member.full_member_on if member.status == "full" or member.full_member_on else None,
        closed_on=member.closed_on,
        party_probation_from=member.party_probation_from,
        party_probation_until=member.party_probation_until,
    )


def facts_of(step: Step, people: Iterable[Member] | None = None) -> rules.StepFacts:
    members = list(people) if people is not None else list(step.people.all())
    return rules.StepFacts(
        kind=step.kind,
        on=step.on,
        ends_on=step.ends_on,
        filed_on=step.filed_on,
        person_name=step.person_name,
        recommendation=step.recommendation,
        days=step.days,
        hours=step.hours,
        voting_members=step.voting_members,
        voters_present=step.voters_present,
        votes_yes=step.votes_yes,
        months=step.months,
        special=step.special,
        people=tuple(person_of(m) for m in members),
    )


def timeline_of(development: Development) -> rules.Timeline:
    steps = development.steps.prefetch_related("people").order_by("on", "id")
    return rules.Timeline(development.birth_date, [facts_of(s) for s in steps])


def book_on(book: RuleBook | None = None) -> rules.BookOn:
    book = book or RuleBook()
    return book.on


# Writes ------------------------------------------------------------------------------------------------


def _ensure_branch(org: Organization) -> None:
    if org.kind != OrgKind.BRANCH:
        raise ValidationError({"org": ValidationError(_("发展党员由党支部进行"), code="not_branch")})


def _check_person(*, id_number: str, birth_date: dt.date | None, fields: dict[str, Any]) -> str:
    """The normalized identity number, or a ValidationError naming every bad field."""
    errors: dict[str, list[ValidationError]] = {}
    number = idnumber.normalize(id_number or "")
    try:
        idnumber.validate(number, birth_date=birth_date)
    except ValidationError as e:
        errors.setdefault("id_number", []).append(ValidationError(e.messages[0], code=e.code or "id_invalid"))
    else:
        # 性别 must agree with the number's sex digit (17th: odd male, even female), as on the roster.
        mismatch = idnumber.gender_mismatch(number, fields.get("gender"))
        if mismatch is not None:
            errors.setdefault("gender", []).append(ValidationError(mismatch.messages[0], code=mismatch.code))
    for name in ("name", "gender", "education", "category"):
        if not fields.get(name):
            errors.setdefault(name, []).append(ValidationError(_("此项为必填项"), code="required"))
    if errors:
        raise ValidationError(errors)
    return number


def _ensure_not_member_or_open(number: str, *, org_path: str, exclude: int | None = None) -> None:
    digest = crypto.digest(number)
    if Member.objects.filter(id_number_digest=digest, closed_on__isnull=True).exists():
        raise probes.IdRefused(
            _("此人已是党员，不能再提出入党申请"), code="already_member", digest=digest, org_path=org_path
        )
    clash = Development.objects.filter(id_number_digest=digest, stage__in=OPEN_STAGES)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        # Never name the branch: it may lie outside the user's scope.
        raise probes.IdRefused(
            _("此人已有正在进行的发展党员档案"), code="development_open", digest=digest, org_path=org_path
        )


def _check_dates(
    *, on: dt.date, birth_date: dt.date | None = None, evidence: dict[str, Any] | None = None
) -> None:
    """Bounds from the dates' meaning (core.dates), before the rules judge the order of the steps: a
    step is a Party event (not before 1921-07-01; the rules refuse a future one); a birth not before 1900; a filing
    or an end date not before the step's own day (and not after today for a filing)."""
    dates.check_date(
        birth_date,
        field="birth_date",
        label=_("出生日期"),
        not_before=[dates.earliest_birth()],
        not_after=[dates.today()],
    )
    # Not after today: the rules say so themselves, with their code (dev.sequence).
    dates.check_date(on, field="on", label=_("日期"), not_before=[dates.founded()])
    evidence = evidence or {}
    step_day = dates.Bound(on, _("本环节日期"))
    dates.check_date(
        evidence.get("filed_on"),
        field="filed_on",
        label=_("备案日期"),
        not_before=[step_day],
        not_after=[dates.today()],
    )
    dates.check_date(
        evidence.get("ends_on"),
        field="ends_on",
        label=_("结束日期"),
        not_before=[step_day],
        not_after=[dates.latest()],
    )


@probes.guard(lambda kwargs: kwargs["org"].path)
@transaction.atomic
def apply(
    *,
    actor: User,
    org: Organization,
    id_number: str,
    on: dt.date,
    note: str = "",
    book: RuleBook | None = None,
    **person: Any,
) -> Development:
    """A person applies to join (提出入党申请): opens their file in the branch."""
    ensure_change(actor, org.path)
    _ensure_branch(org)
    unknown = set(person) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    if "phone" in person:
        person["phone"] = normalize.phone(person["phone"])
    number = _check_person(id_number=id_number, birth_date=person.get("birth_date"), fields=person)
    if not person.get("birth_date"):
        person["birth_date"] = idnumber.birth_date_of(number)
    _check_dates(on=on, birth_date=person["birth_date"])
    today = timezone.localdate()
    step = rules.StepFacts(kind=StepKind.APPLICATION, on=on)
    refusals = rules.check_step(rules.Timeline(person["birth_date"]), step, book_on(book), today)
    if refusals:
        raise StepRefused(refusals)
    _ensure_not_member_or_open(number, org_path=org.path)
    development = Development(org=org, org_path=org.path, applied_on=on, stage_since=on, **person)
    development.set_id_number(number)
    # A person who applies again keeps the account they opened for an earlier file (their own 我的).
    development.user_id = (
        Development.objects.filter(id_number_digest=development.id_number_digest, user__isnull=False)
        .order_by("-applied_on", "-id")
        .values_list("user_id", flat=True)
        .first()
    )
    development.refresh_pinyin()
    development.full_clean(exclude=DERIVED_FIELDS)
    development.save()
    created = Step.objects.create(
        development=development, kind=StepKind.APPLICATION, on=on, note=note, recorded_by=actor
    )
    audit.created(actor=actor, obj=development, message=_("提出入党申请"))
    audit.created(actor=actor, obj=created)
    return development


@transaction.atomic
def update_person(
    *, actor: User, development: Development, version: object = None, **changes: Any
) -> Development:
    """Correct the person's details on their file (not the identity number: a new file if wrong)."""
    development = Development.objects.select_for_update().get(pk=development.pk)
    ensure_change(actor, development.org_path)
    concurrency.ensure_current(development, version)
    unknown = set(changes) - set(PERSON_FIELDS) - {"birth_date"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    before = audit.snapshot(development)
    if "phone" in changes:
        changes["phone"] = normalize.phone(changes["phone"])
    for k, v in changes.items():
        setattr(development, k, v)
    _check_person(
        id_number=development.reveal_id_number(),
        birth_date=development.birth_date,
        fields=changes | {f: getattr(development, f) for f in ("name", "gender", "education", "category")},
    )
    if "name" in changes:
        development.refresh_pinyin()
    development.full_clean(exclude=DERIVED_FIELDS)
    development.save()
    audit.updated(actor=actor, obj=development, before=before)
    return development


def _resolve_people(development: Development, people: Iterable[Member | int] | None) -> list[Member]:
    """Mentors and sponsors: members of any branch (a sponsor may belong elsewhere), by record or id."""
    if not people:
        return []
    ids = [p.pk if isinstance(p, Member) else int(p) for p in people]
    found = {m.pk: m for m in Member.objects.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError(
            {
                "people": ValidationError(
                    _("找不到编号为%(ids)s的党员") % {"ids": "、".join(map(str, missing))},
                    code="unknown_member",
                )
            }
        )
    if development.member_id and development.member_id in found:
        raise ValidationError(
            {"people": ValidationError(_("本人不能作自己的培养联系人或入党介绍人"), code="self")}
        )
    return [found[i] for i in ids]


def _meeting_figures(
    development: Development, kind: str, meeting: Any, on: dt.date, evidence: dict[str, Any]
) -> None:
    """A linked meeting record (the branch committee's for activists and candidates, the general
    meeting's for the rest) supplies the date and the vote figures; entered ones must agree."""
    from jiceng.life.models import MeetingKind

    expected = rules.meeting_kind(kind)
    if meeting.org_id != development.org_id or meeting.kind != expected:
        raise ValidationError(
            {
                "meeting": ValidationError(
                    _("须为本支部的%(kind)s记录") % {"kind": MeetingKind(expected).label},
                    code="meeting_invalid",
                )
            }
        )
    if meeting.held_on != on:
        raise ValidationError(
            {
                "meeting": ValidationError(
                    _("会议日期（%(day)s）与本环节日期不一致") % {"day": meeting.held_on.isoformat()},
                    code="meeting_date",
                )
            }
        )
    required, optional = rules.STEP_FIELDS[kind]
    for name in ("voting_members", "voters_present", "votes_yes"):
        value = getattr(meeting, name)
        if value is None or name not in (*required, *optional):
            continue
        if evidence.get(name) is None:
            evidence[name] = value
        elif evidence[name] != value:
            raise ValidationError(
                {
                    name: ValidationError(
                        _("与会议记录中的数字（%(n)s）不一致") % {"n": value}, code="meeting_mismatch"
                    )
                }
            )


@transaction.atomic
def record_step(
    *,
    actor: User,
    development: Development,
    kind: str,
    on: dt.date,
    people: Iterable[Member | int] | None = None,
    meeting: Any = None,
    book: RuleBook | None = None,
    **evidence: Any,
) -> Step:
    """Record one step of the file; refused with ``StepRefused`` when a rule does not allow it."""
    development = Development.objects.select_for_update().get(pk=development.pk)
    ensure_change(actor, development.org_path)
    if kind == StepKind.APPLICATION or kind not in rules.STEP_FIELDS:
        raise ValidationError(
            {"kind": ValidationError(_("未知的环节：%(kind)s") % {"kind": kind}, code="invalid")}
        )
    unknown = set(evidence) - set(EVIDENCE_FIELDS)
    if unknown:
        raise ValueError(f"unknown evidence {sorted(unknown)}")
    required, optional = rules.STEP_FIELDS[kind]
    allowed = set(required) | set(optional)
    evidence = {k: v for k, v in evidence.items() if v not in (None, "")}
    stray = [k for k in evidence if k not in allowed and not (k == "special" and evidence[k] is False)]
    if stray or (people and "people" not in allowed) or (meeting is not None and "meeting" not in allowed):
        names = (
            stray
            + (["people"] if people and "people" not in allowed else [])
            + (["meeting"] if meeting is not None and "meeting" not in allowed else [])
        )
        raise ValidationError(
            {
                n: ValidationError(
                    _("“%(step)s”不记录此项") % {"step": rules.kind_label(kind)}, code="not_used"
                )
                for n in names
            }
        )
    if meeting is not None:
        _meeting_figures(development, kind, meeting, on, evidence)
    members = _resolve_people(development, people)
    missing = [f for f in required if f != "people" and evidence.get(f) in (None, "")]
    if "people" in required and not members:
        missing.append("people")
    # The hard rules judge their own evidence (with their codes); other required fields are plain input.
    judged = {
        "recommendation",
        "filed_on",
        "people",
        "voting_members",
        "voters_present",
        "votes_yes",
        "months",
        "ends_on",
    }
    plain = [f for f in missing if f not in judged]
    if plain:
        raise ValidationError({f: ValidationError(_("此项为必填项"), code="required") for f in plain})
    _check_dates(on=on, evidence=evidence)
    timeline = timeline_of(development)
    proposed = rules.StepFacts(
        kind=kind,
        on=on,
        people=tuple(person_of(m) for m in members),
        **{k: evidence[k] for k in EVIDENCE_FIELDS if k in evidence and k != "note"},
    )
    refusals = rules.check_step(timeline, proposed, book_on(book), timezone.localdate())
    if refusals:
        raise StepRefused(refusals)
    step = Step(development=development, kind=kind, on=on, meeting=meeting, recorded_by=actor, **evidence)
    step.full_clean(exclude=["development", "meeting", "recorded_by"])
    step.save()
    if members:
        step.people.set(members)
    audit.created(actor=actor, obj=step)
    _apply_effects(actor, development, step, timeline, book)
    return step


def _apply_effects(
    actor: User, development: Development, step: Step, timeline: rules.Timeline, book: RuleBook | None
) -> None:
    before = audit.snapshot(development)
    kind = step.kind
    new_stage = rules.STAGE_AFTER.get(kind)
    if new_stage is not None:
        development.stage, development.stage_since = new_stage, step.on
    if kind == StepKind.ADMISSION:
        member = member_services.create_member(
            actor=actor,
            org=development.org,
            id_number=development.reveal_id_number(),
            reason=Membership.Reason.JOINED,
            started_on=step.on,
            message=_("支部大会接收为预备党员"),
            status="probationary",
            joined_on=step.on,
            **{f: getattr(development, f) for f in PERSON_FIELDS},
        )
        development.member = member
    elif kind == StepKind.EXTENSION:
        years = (book or RuleBook()).on("dev.probation_min_period", step.on).values.get("years", 1)
        development.extended_to = rules.Timeline(
            development.birth_date, [*timeline.steps, facts_of(step)]
        ).probation_end(years)
    elif kind == StepKind.CONVERSION:
        years = (book or RuleBook()).on("dev.probation_min_period", step.on).values.get("years", 1)
        ends = timeline.probation_end(years)
        assert development.member is not None
        # 党龄 counts from the day the probation ended (党章 Art. 7), not from the meeting's date.
        member_services.update_member(
            actor=actor,
            member=development.member,
            status="full",
            full_member_on=min(ends or step.on, step.on),
        )
    elif kind == StepKind.REVOCATION:
        assert development.member is not None
        member_services.close_member(
            actor=actor,
            member=development.member,
            on=step.on,
            reason="取消预备党员资格",  # data, the same in every language (the page translates it)
            message=_("取消预备党员资格"),
        )
    development.save()
    audit.updated(actor=actor, obj=development, before=before)


# Steps whose undoing would have to undo a member record: corrected by a new step, not removed.
NOT_REMOVABLE = frozenset(
    {StepKind.APPLICATION, StepKind.ADMISSION, StepKind.CONVERSION, StepKind.REVOCATION, StepKind.EXTENSION}
)


@transaction.atomic
def remove_step(*, actor: User, step: Step) -> None:
    """Remove a step recorded in error: only the file's latest, and not one that changed a member record."""
    development = Development.objects.select_for_update().get(pk=step.development_id)
    ensure_change(actor, development.org_path)
    latest = development.steps.order_by("-on", "-id").first()
    if latest is None or latest.pk != step.pk:
        raise ValidationError({"step": ValidationError(_("只能删除最近记录的一个环节"), code="not_latest")})
    if step.kind in NOT_REMOVABLE:
        raise ValidationError(
            {
                "step": ValidationError(
                    _("“%(step)s”已改变档案或党员记录，不能删除") % {"step": step.get_kind_display()},
                    code="not_removable",
                )
            }
        )
    before = audit.snapshot(development)
    audit.deleted(actor=actor, obj=step)
    step.delete()
    if step.kind in rules.STAGE_AFTER:  # withdrawal, not admitted: the file reopens at its former stage
        timeline = timeline_of(development)
        development.stage = timeline.stage or Stage.APPLICANT
        development.stage_since = timeline.stage_since or development.applied_on
        _ensure_not_member_or_open(
            development.reveal_id_number(), org_path=development.org_path, exclude=development.pk
        )
        development.save()
        audit.updated(actor=actor, obj=development, before=before)


@transaction.atomic
def reveal_id_number(*, actor: User, development: Development) -> str:
    ensure_change(actor, development.org_path)
    audit.record(actor=actor, action=audit.Action.REVEAL, obj=development, message=_("查看完整公民身份号码"))
    return development.reveal_id_number()
