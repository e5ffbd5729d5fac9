"""书记抓基层党建述职评议考核: the secretaries' yearly report and its review. Writes and scoped reads.

A committee (manage right) opens a ``ReviewRound`` for a year: every organization of the chosen kind
under it gets a ``SecretaryReport`` naming its secretary on that day, with the year's facts prefilled
from the records (each registered assessment indicator's sentence for that organization, and the
meetings held by kind). The secretary (change right on the organization) writes the report; the higher
committee (change right on the owner) grades it and comments; each member of the organization grades it
once. The combined result: ``committee_weight`` % of the mean points of the committee's grades plus the
rest of the members' mean (either alone when the other has none), and the grade whose points are the
highest not above it.

Who sees what: the report and its facts, whoever may view the organization; the evaluations and the
result, the higher committee (view right on the owner) and the secretary whose report it is, nobody
else (a viewer of the branch, its members, another secretary: not).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, scope
from jiceng.orgs.models import Organization, OrgKind

from . import indicators, scoring
from .indicators import Context, Target
from .models import (
    EvaluationSource,
    ReviewEvaluation,
    ReviewPaperTally,
    ReviewRound,
    SecretaryReport,
    default_review_grades,
)

if TYPE_CHECKING:
    from jiceng.core.models import User

REPORT_MAX = 20_000


def ensure_may(actor: Any, path: str) -> None:
    """The change right on ``path``, for a write on a report the actor can see (found through
    ``get_report``): refused with 403, not 404 (the report is visible, the action is not allowed)."""
    if actor is not None and not scope.can(actor, scope.CHANGE, path):
        raise PermissionDenied(_("您没有执行此操作的权限"))


def check_grades(grades: Any) -> list[dict[str, Any]]:
    if not isinstance(grades, list) or not 2 <= len(grades) <= 6:
        raise ValidationError({"grades": [_("评议等次应有2至6个")]})
    clean, previous = [], None
    for i, g in enumerate(grades, start=1):
        label = str((g or {}).get("label") or "").strip() if isinstance(g, dict) else ""
        try:
            points = int(str(g.get("points")).strip()) if isinstance(g, dict) else -1
        except ValueError:
            points = -1
        if (
            not label
            or len(label) > 20
            or not 0 <= points <= 100
            or (previous is not None and points >= previous)
        ):
            raise ValidationError(
                {"grades": [_("第%(i)d个等次：名称1至20个字，分值0至100且低于上一等次") % {"i": i}]}
            )
        previous = points
        clean.append({"label": label, "points": points})
    return clean


def _secretary(org: Organization, on: dt.date) -> Any:
    from jiceng.orgs.models import CommitteePost

    post = (
        CommitteePost.objects.filter(
            committee__org=org,
            committee__ended_on__isnull=True,
            committee__elected_on__lte=on,
            post="secretary",
        )
        .select_related("member")
        .first()
    )
    return post.member if post is not None else org.secretary


def facts(
    orgs: list[Organization], *, owner_path: str, year: int, end: dt.date
) -> dict[int, list[dict[str, str]]]:
    """The year's records of each organization's subtree, as sentences: every registered indicator's
    (computed once for all of them, as a run does), then the meetings held by kind (so the report form
    starts from the records, not from a blank page)."""
    from jiceng.life.models import Meeting, MeetingKind

    ctx = Context(
        year=year,
        start=dt.date(year, 1, 1),
        end=end,
        owner_path=owner_path,
        targets=[Target(o.id, o.code, o.name, o.path, o.kind) for o in orgs],
    )
    out: dict[int, list[dict[str, str]]] = {o.id: [] for o in orgs}
    for spec in indicators.all_indicators():
        values = spec.compute(ctx, spec.resolved_params({}))
        for o in orgs:
            value = values.get(o.id)
            out[o.id].append(
                {"title": str(spec.title), "text": value.note if value is not None else _("暂无数据")}
            )
    labels = dict(MeetingKind.choices)
    rows = (
        Meeting.objects.filter(org_path__startswith=owner_path, held_on__gte=ctx.start, held_on__lte=end)
        .values_list("org_path", "kind")
        .annotate(n=Count("id"))
        .order_by("org_path", "kind")
    )
    held: dict[int, dict[str, int]] = {o.id: {} for o in orgs}
    for path, kind, n in rows:
        for t in indicators.targets_of(ctx.targets, path, Organization.steplen):
            held[t.id][kind] = held[t.id].get(kind, 0) + n
    for o in orgs:
        text = "；".join(f"{labels.get(k, k)}{n}次" for k, n in sorted(held[o.id].items())) or _("无记录")
        out[o.id].append({"title": _("组织生活记录"), "text": text})
    return out


@transaction.atomic
def open_round(
    *,
    actor: User | None,
    owner: Organization,
    year: int,
    org_kind: str = OrgKind.BRANCH,
    grades: Any = None,
    committee_weight: int = 60,
) -> ReviewRound:
    """Open the year's review: a report for every organization of ``org_kind`` under ``owner``."""
    if actor is not None:
        scope.ensure(actor, scope.MANAGE, owner.path)
    errors: dict[str, list[str]] = {}
    if owner.kind == OrgKind.BRANCH:
        errors["owner"] = [_("述职评议由上级党组织组织")]
    if not 2000 <= int(year) <= 2100:
        errors["year"] = [_("年度应在2000至2100之间")]
    if not 0 <= int(committee_weight) <= 100:
        errors["committee_weight"] = [_("权重应为0至100")]
    if org_kind not in OrgKind.values:
        errors["org_kind"] = [_("述职对象应为一种组织类别")]
    if ReviewRound.objects.filter(owner=owner, year=year, org_kind=org_kind).exists():
        errors["year"] = [_("该年度的述职评议已经开始")]
    if errors:
        raise ValidationError(errors)
    clean = check_grades(grades if grades is not None else default_review_grades())
    rnd = ReviewRound.objects.create(
        owner=owner,
        owner_path=owner.path,
        year=int(year),
        org_kind=org_kind,
        grades=clean,
        committee_weight=int(committee_weight),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    end = min(timezone.localdate(), dt.date(int(year), 12, 31))
    orgs = list(Organization.objects.filter(path__startswith=owner.path, kind=org_kind).exclude(pk=owner.pk))
    prefilled = facts(orgs, owner_path=owner.path, year=int(year), end=end)
    for org in orgs:
        member = _secretary(org, end)
        SecretaryReport.objects.create(
            round=rnd,
            org=org,
            org_path=org.path,
            secretary=member,
            secretary_name=member.name if member is not None else "",
            secretary_user=getattr(member, "user", None),
            facts=prefilled[org.id],
        )
    audit.created(actor=actor, obj=rnd)
    return rnd


def may_write(actor: Any, report: SecretaryReport) -> bool:
    """The report belongs to the secretary named when the round opened (the secretary of that year):
    only their account writes it, even after a new secretary took over (who sees the report as a
    viewer of the organization, not its result). A secretary without an account: whoever may change
    the organization enters it for them (from paper). The system (no actor) may."""
    if actor is None:
        return True
    if report.secretary_user_id is not None:
        return report.secretary_user_id == getattr(actor, "pk", None)
    return scope.can(actor, scope.CHANGE, report.org_path)


@transaction.atomic
def write_report(
    *, actor: User | None, report: SecretaryReport, text: str, submit: bool = False
) -> SecretaryReport:
    if not may_write(actor, report):
        raise PermissionDenied(_("述职报告由本年度述职的书记本人撰写"))
    text = (text or "").strip()
    if len(text) > REPORT_MAX:
        raise ValidationError({"text": [_("述职报告不能超过%(n)d个字") % {"n": REPORT_MAX}]})
    if submit and len(text) < 10:
        raise ValidationError({"text": [_("提交前请写好述职报告（至少10个字）")]})
    before = audit.snapshot(report)
    report.text = text
    if submit:
        report.submitted_at = timezone.now()
    report.save(update_fields=["text", "submitted_at"])
    audit.updated(actor=actor, obj=report, before=before)
    return report


def is_member_of(user: Any, org: Organization) -> bool:
    from jiceng.members.models import Member

    return Member.objects.filter(user=user, org=org, closed_on__isnull=True).exists()


@transaction.atomic
def evaluate(
    *, actor: User, report: SecretaryReport, source: str, grade: str, comment: str = ""
) -> ReviewEvaluation:
    """A grade by the higher committee (change right on the owner) or by a member of the organization
    (once each; a second one replaces the first). The combined result is computed again."""
    rnd = report.round
    if source == EvaluationSource.COMMITTEE:
        ensure_may(actor, rnd.owner_path)
    elif source == EvaluationSource.MEMBER:
        if not is_member_of(actor, report.org):
            raise PermissionDenied(_("只有本组织的党员可以参加党员评议"))
        if report.secretary_user_id == actor.pk:
            raise ValidationError({"source": [_("书记本人不参加对自己的评议")]})
    else:
        raise ValidationError({"source": [_("评议方不正确")]})
    labels = [g["label"] for g in rnd.grades]
    if grade not in labels:
        raise ValidationError({"grade": [_("评议等次应为：%(l)s") % {"l": "、".join(labels)}]})
    if len(comment or "") > 500:
        raise ValidationError({"comment": [_("意见不能超过500个字")]})
    if report.submitted_at is None:
        raise ValidationError({"grade": [_("书记尚未提交述职报告")]})
    ev, _created = ReviewEvaluation.objects.update_or_create(
        report=report,
        source=source,
        evaluator=actor,
        defaults={"grade": grade, "comment": (comment or "").strip()},
    )
    audit.record(actor=actor, action="update", obj=report, message=f"evaluation {source}: {grade}")
    combine(report)
    return ev


def may_enter_paper(actor: Any, report: SecretaryReport) -> bool:
    """Paper forms are entered by whoever may change the organization or the committee above, except
    the secretary whose report it is (no one counts the votes on themselves)."""
    if actor is None:
        return True
    if report.secretary_user_id is not None and report.secretary_user_id == getattr(actor, "pk", None):
        return False
    return scope.can(actor, scope.CHANGE, report.org_path) or scope.can(
        actor, scope.CHANGE, report.round.owner_path
    )


def paper_voters(report: SecretaryReport) -> int:
    """How many paper forms there can be: the organization's members without an account (the
    secretary named by the report excluded): a member with an account evaluates online."""
    from jiceng.members.models import Member

    qs = Member.objects.filter(org=report.org, closed_on__isnull=True, user__isnull=True)
    if report.secretary_id is not None:
        qs = qs.exclude(pk=report.secretary_id)
    return qs.count()


@transaction.atomic
def enter_paper(*, actor: User | None, report: SecretaryReport, counts: Any) -> list[ReviewPaperTally]:
    """The paper evaluation forms of members without an account, as a count per grade (``{grade: n}``).
    Replaces the counts entered before (the latest entry is the tally; who entered it is kept and the
    change log has the earlier one); the combined result is computed again."""
    if actor is not None and not may_enter_paper(actor, report):
        raise PermissionDenied(_("纸质评议票由组织委员或上级党组织录入，述职书记本人不能录入"))
    if report.submitted_at is None:
        raise ValidationError({"counts": [_("书记尚未提交述职报告")]})
    labels = [g["label"] for g in report.round.grades]
    if not isinstance(counts, dict):
        raise ValidationError({"counts": [_("请按等次填写票数")]})
    clean: dict[str, int] = {}
    for grade, value in counts.items():
        if grade not in labels:
            raise ValidationError({"counts": [_("评议等次应为：%(l)s") % {"l": "、".join(labels)}]})
        try:
            n = int(str(value if value not in (None, "") else 0).strip())
        except ValueError:
            n = -1
        if n < 0:
            raise ValidationError({"counts": [_("票数应为0或正整数")]})
        if n:
            clean[grade] = n
    most = paper_voters(report)
    if sum(clean.values()) > most:
        raise ValidationError(
            {
                "counts": [
                    _("纸质评议票共%(n)d张，多于本组织没有账号的党员人数（%(most)d人）")
                    % {"n": sum(clean.values()), "most": most}
                ]
            }
        )
    before = ", ".join(f"{t.grade}×{t.count}" for t in report.paper_tallies.all()) or "-"
    report.paper_tallies.all().delete()
    user = actor if getattr(actor, "pk", None) else None
    rows = ReviewPaperTally.objects.bulk_create(
        [
            ReviewPaperTally(report=report, grade=g, count=clean[g], entered_by=user)
            for g in labels
            if g in clean
        ]
    )
    after = ", ".join(f"{t.grade}×{t.count}" for t in rows) or "-"
    audit.record(actor=actor, action="update", obj=report, message=f"paper evaluations: {before} → {after}")
    combine(report)
    return rows


@transaction.atomic
def comment(*, actor: User, report: SecretaryReport, text: str) -> SecretaryReport:
    ensure_may(actor, report.round.owner_path)
    if len(text or "") > 2000:
        raise ValidationError({"comment": [_("意见不能超过2000个字")]})
    before = audit.snapshot(report)
    report.comment = (text or "").strip()
    report.save(update_fields=["comment"])
    audit.updated(actor=actor, obj=report, before=before)
    return report


def combined_points(committee: list[int], members: list[int], committee_weight: int) -> Fraction | None:
    """Pure: ``committee_weight`` % of the committee's mean points plus the rest of the members' mean;
    one side alone when the other has no grade; None when neither has."""
    if not committee and not members:
        return None
    if not members:
        return Fraction(sum(committee), len(committee))
    if not committee:
        return Fraction(sum(members), len(members))
    w = Fraction(committee_weight, 100)
    return w * Fraction(sum(committee), len(committee)) + (1 - w) * Fraction(sum(members), len(members))


def grade_of(points: Decimal, grades: list[dict[str, Any]]) -> str:
    """The grade whose points are the highest not above ``points`` (the last one otherwise)."""
    for g in grades:
        if points >= g["points"]:
            return g["label"]
    return grades[-1]["label"]


def combine(report: SecretaryReport) -> None:
    rnd = report.round
    points = {g["label"]: g["points"] for g in rnd.grades}
    sides: dict[str, list[int]] = {EvaluationSource.COMMITTEE: [], EvaluationSource.MEMBER: []}
    for source, grade in report.evaluations.values_list("source", "grade"):
        if grade in points:
            sides[source].append(points[grade])
    for grade, count in report.paper_tallies.values_list("grade", "count"):
        if grade in points:
            sides[EvaluationSource.MEMBER].extend([points[grade]] * count)
    value = combined_points(
        sides[EvaluationSource.COMMITTEE], sides[EvaluationSource.MEMBER], rnd.committee_weight
    )
    report.combined = None if value is None else scoring.round_cent(value)
    report.combined_grade = "" if report.combined is None else grade_of(report.combined, rnd.grades)
    report.save(update_fields=["combined", "combined_grade"])


# Reads -------------------------------------------------------------------------------------------------


def rounds(user: Any) -> QuerySet[ReviewRound]:
    from .selectors import _owner_q

    return ReviewRound.objects.filter(_owner_q(user)).select_related("owner")


def get_round(user: Any, pk: Any) -> ReviewRound:
    found = rounds(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise Http404
    return found


def reports(user: Any, rnd: ReviewRound | None = None) -> QuerySet[SecretaryReport]:
    """The reports of a round the user may see: by scope, plus their own as a secretary, plus the
    report of the branch they belong to as a member (to evaluate it)."""
    from django.db.models import Q

    from jiceng.members.models import Member

    q = SecretaryReport.objects.all().scope_q(user, scope.VIEW)
    if getattr(user, "is_authenticated", False):
        own_orgs = Member.objects.filter(user=user, closed_on__isnull=True).values("org_id")
        q |= Q(secretary_user_id=user.pk) | Q(org_id__in=own_orgs)
    qs = SecretaryReport.objects.filter(q).select_related("org", "round")
    return qs if rnd is None else qs.filter(round=rnd)


def get_report(user: Any, pk: Any) -> SecretaryReport:
    report = (
        SecretaryReport.objects.filter(pk=pk).select_related("round", "org", "round__owner").first()
        if str(pk).isdigit()
        else None
    )
    if report is None or not reports(user, report.round).filter(pk=report.pk).exists():
        raise Http404
    return report


def sees_result(user: Any, report: SecretaryReport) -> bool:
    """The evaluations and the combined result: the higher committee and the secretary alone."""
    return scope.can(user, scope.VIEW, report.round.owner_path) or (
        report.secretary_user_id is not None and report.secretary_user_id == getattr(user, "pk", None)
    )
