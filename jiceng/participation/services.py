"""Every write of 双报到 and volunteer service: keyword-only, atomic, scoped, validated, audited.

Who may do what:

- a member reports themselves (their own account), or their home branch's secretary/admin reports
  them (change right on the member's branch); the community (change right on it) accepts or declines,
  dated; either side may end a registration (moved away);
- a unit reports to a community: recorded by the community or by the reporting organization of the
  tree; the community accepts;
- a community publishes service tasks; a member whose registration there is accepted takes one and
  records what they did (their own account only);
- an organization publishes a volunteer activity; members sign up from their account, the organizer
  signs up residents (name and phone, encrypted at rest, masked on screen) and records the attendance
  once, after the start: the present are credited the activity's hours. Nobody checks themselves in.

Refusals are a ``ValidationError`` keyed by field, with Chinese messages; nothing partial is saved.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, crypto, scope
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, UnitKind
from jiceng.partners.models import AgreementProject, PartnerUnit, ProjectStatus

from .models import (
    ACTIVE_STATUSES,
    Activity,
    MemberRegistration,
    RegistrationStatus,
    ServiceTask,
    TaskClaim,
    TaskKind,
    UnitRegistration,
    Volunteer,
)

COMMUNITY_KINDS = (UnitKind.COMMUNITY, UnitKind.VILLAGE)
FIRST_DAY = dt.date(2000, 1, 1)
MAX_SHORT = 200
MAX_LONG = 2000
MAX_REPORT = 500
PHONE = re.compile(r"^1[3-9][0-9]{9}$|^0[0-9]{2,3}-?[0-9]{7,8}$")


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _short(value: Any, limit: int = MAX_SHORT) -> str:
    return " ".join(str(value or "").split())[:limit]


def _required(value: Any, field: str, limit: int = MAX_SHORT) -> str:
    text = _short(value, limit + 1)
    if not text:
        raise ValidationError({field: ValidationError(_("此项为必填项"), code="required")})
    if len(text) > limit:
        raise ValidationError(
            {field: ValidationError(_("不能超过%(n)d个字") % {"n": limit}, code="too_long")}
        )
    return text


def _day(value: dt.date | None, field: str, today: dt.date) -> dt.date:
    day = value or today
    if day > today:
        raise ValidationError({field: ValidationError(_("日期不能晚于今天"), code="future")})
    if day < FIRST_DAY:
        raise ValidationError({field: ValidationError(_("日期不能早于2000年"), code="too_early")})
    return day


def is_community(org: Organization) -> bool:
    return org.unit_kind in COMMUNITY_KINDS


def _ensure_community(org: Organization, field: str = "community") -> None:
    if not is_community(org):
        raise ValidationError(
            {field: ValidationError(_("只能向社区（村）的党组织报到"), code="not_community")}
        )


def own_member(user: Any) -> Member | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.filter(user=user, closed_on__isnull=True).select_related("org").first()


def require_change(user: Any, path: str) -> None:
    """For an object the user is known to see (a selector found it): 403 without the change right."""
    if not scope.can(user, scope.CHANGE, path):
        raise PermissionDenied(_("您没有执行此操作的权限"))


def may_report_for(user: Any, member: Member) -> bool:
    """The member themselves, or whoever may change their home branch."""
    return (member.user_id is not None and member.user_id == getattr(user, "pk", None)) or scope.can(
        user, scope.CHANGE, member.org_path
    )


# 个人报到 ------------------------------------------------------------------------------------------------


@transaction.atomic
def register_member(
    *,
    actor: Any,
    member: Member,
    community: Organization,
    reported_on: dt.date | None = None,
    residence: str = "",
    skills: str = "",
    today: dt.date | None = None,
) -> MemberRegistration:
    """Record where a member lives (个人报到); the community then accepts or declines."""
    if not may_report_for(actor, member):
        raise PermissionDenied(_("只有党员本人或其所在党支部可以登记报到"))
    today = _today(today)
    _ensure_community(community)
    if member.closed_on is not None:
        raise ValidationError({"member": ValidationError(_("该党员的党籍已终止"), code="closed")})
    reported_on = _day(reported_on, "reported_on", today)
    member = Member.objects.select_for_update().get(pk=member.pk)
    current = MemberRegistration.objects.filter(member=member, status__in=ACTIVE_STATUSES).first()
    if current is not None:
        raise ValidationError(
            {
                "community": ValidationError(
                    _("该党员已向%(org)s报到（%(status)s），请先结束原报到")
                    % {"org": current.community.name, "status": current.get_status_display()},
                    code="duplicate",
                )
            }
        )
    reg = MemberRegistration.objects.create(
        member=member,
        community=community,
        community_path=community.path,
        reported_on=reported_on,
        residence=_short(residence),
        skills=_short(skills, 300),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.created(actor=actor, obj=reg, message=_("个人报到"))
    return reg


@transaction.atomic
def decide_member_registration(
    *,
    actor: Any,
    registration: MemberRegistration,
    accept: bool,
    reason: str = "",
    on: dt.date | None = None,
    today: dt.date | None = None,
) -> MemberRegistration:
    """The community accepts or declines a member's registration, dated."""
    scope.ensure(actor, scope.CHANGE, registration.community_path)
    reg = MemberRegistration.objects.select_for_update().get(pk=registration.pk)
    if reg.status != RegistrationStatus.PENDING:
        raise ValidationError(
            _("该报到已处理（%(status)s）") % {"status": reg.get_status_display()}, code="decided"
        )
    today = _today(today)
    on = _day(on, "decided_on", today)
    if on < reg.reported_on:
        raise ValidationError({"decided_on": ValidationError(_("确认日期不能早于报到日期"), code="order")})
    before = audit.snapshot(reg)
    reg.status = RegistrationStatus.ACCEPTED if accept else RegistrationStatus.DECLINED
    reg.decided_on = on
    reg.decided_by = actor if getattr(actor, "pk", None) else None
    reg.decline_reason = "" if accept else _required(reason, "reason")
    reg.save()
    audit.updated(actor=actor, obj=reg, before=before, message=_("接收报到") if accept else _("不予接收报到"))
    return reg


@transaction.atomic
def end_member_registration(
    *, actor: Any, registration: MemberRegistration, on: dt.date | None = None, today: dt.date | None = None
) -> MemberRegistration:
    """End a registration in force (the member moved away): the member, their branch or the community."""
    if not (
        may_report_for(actor, registration.member)
        or scope.can(actor, scope.CHANGE, registration.community_path)
    ):
        raise PermissionDenied(_("您没有执行此操作的权限"))
    reg = MemberRegistration.objects.select_for_update().get(pk=registration.pk)
    if reg.status not in ACTIVE_STATUSES:
        raise ValidationError(_("该报到已不在有效期内"), code="ended")
    on = _day(on, "ended_on", _today(today))
    if on < reg.reported_on:
        raise ValidationError({"ended_on": ValidationError(_("结束日期不能早于报到日期"), code="order")})
    before = audit.snapshot(reg)
    reg.status = RegistrationStatus.ENDED
    reg.ended_on = on
    reg.save()
    audit.updated(actor=actor, obj=reg, before=before, message=_("结束报到"))
    return reg


# 单位报到 ------------------------------------------------------------------------------------------------


@transaction.atomic
def register_unit(
    *,
    actor: Any,
    community: Organization,
    partner: PartnerUnit | None = None,
    unit_org: Organization | None = None,
    reported_on: dt.date | None = None,
    offer: str = "",
    today: dt.date | None = None,
) -> UnitRegistration:
    """A unit reports to the community where it sits: recorded by the community, or by the reporting
    organization of the tree (change right on it); a partner unit must be one the actor can see."""
    _ensure_community(community)
    if (partner is None) == (unit_org is None):
        raise ValidationError({"unit": ValidationError(_("请选择一个共建单位或一个党组织"), code="required")})
    if partner is not None:
        visible = PartnerUnit.objects.restrict(actor, scope.VIEW).filter(pk=partner.pk).exists()
        if not (visible or partner.contacts.filter(pk=getattr(actor, "pk", None)).exists()):
            raise ValidationError({"unit": ValidationError(_("找不到该共建单位"), code="not_found")})
        if (
            not scope.can(actor, scope.CHANGE, community.path)
            and not partner.contacts.filter(pk=getattr(actor, "pk", None)).exists()
        ):
            raise PermissionDenied(_("您没有执行此操作的权限"))
    else:
        if unit_org.pk == community.pk:
            raise ValidationError({"unit": ValidationError(_("社区党组织不能向自身报到"), code="self")})
        if not (
            scope.can(actor, scope.CHANGE, community.path) or scope.can(actor, scope.CHANGE, unit_org.path)
        ):
            raise PermissionDenied(_("您没有执行此操作的权限"))
    active = UnitRegistration.objects.filter(
        community=community, partner=partner, unit_org=unit_org, status__in=ACTIVE_STATUSES
    )
    if active.exists():
        raise ValidationError({"unit": ValidationError(_("该单位已向此社区报到"), code="duplicate")})
    reg = UnitRegistration.objects.create(
        community=community,
        community_path=community.path,
        partner=partner,
        unit_org=unit_org,
        reported_on=_day(reported_on, "reported_on", _today(today)),
        offer=_short(offer, 500),
    )
    audit.created(actor=actor, obj=reg, message=_("单位报到"))
    return reg


@transaction.atomic
def decide_unit_registration(
    *,
    actor: Any,
    registration: UnitRegistration,
    accept: bool,
    reason: str = "",
    on: dt.date | None = None,
    today: dt.date | None = None,
) -> UnitRegistration:
    scope.ensure(actor, scope.CHANGE, registration.community_path)
    reg = UnitRegistration.objects.select_for_update().get(pk=registration.pk)
    if reg.status != RegistrationStatus.PENDING:
        raise ValidationError(
            _("该报到已处理（%(status)s）") % {"status": reg.get_status_display()}, code="decided"
        )
    on = _day(on, "decided_on", _today(today))
    if on < reg.reported_on:
        raise ValidationError({"decided_on": ValidationError(_("确认日期不能早于报到日期"), code="order")})
    before = audit.snapshot(reg)
    reg.status = RegistrationStatus.ACCEPTED if accept else RegistrationStatus.DECLINED
    reg.decided_on = on
    reg.decided_by = actor if getattr(actor, "pk", None) else None
    reg.decline_reason = "" if accept else _required(reason, "reason")
    reg.save()
    audit.updated(
        actor=actor, obj=reg, before=before, message=_("接收单位报到") if accept else _("不予接收单位报到")
    )
    return reg


# Service tasks (微心愿, volunteer shifts) -------------------------------------------------------------------


@transaction.atomic
def publish_task(
    *,
    actor: Any,
    community: Organization,
    kind: str,
    title: str,
    description: str = "",
    due_on: dt.date | None = None,
    places: int = 1,
    project: AgreementProject | None = None,
    today: dt.date | None = None,
) -> ServiceTask:
    scope.ensure(actor, scope.CHANGE, community.path)
    _ensure_community(community)
    if kind not in TaskKind.values:
        raise ValidationError({"kind": ValidationError(_("请选择任务类型"), code="invalid")})
    _check_project(actor, community, kind, project)
    if due_on is not None and due_on < _today(today):
        raise ValidationError({"due_on": ValidationError(_("期限不能早于今天"), code="past")})
    if not 1 <= int(places) <= 500:
        raise ValidationError({"places": ValidationError(_("需要人数应在1至500之间"), code="range")})
    task = ServiceTask.objects.create(
        community=community,
        community_path=community.path,
        kind=kind,
        title=_required(title, "title"),
        description=str(description or "").strip()[:MAX_LONG],
        due_on=due_on,
        places=int(places),
        project=project,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.created(actor=actor, obj=task, message=_("发布服务任务"))
    return task


def _check_project(actor: Any, community: Organization, kind: str, project: AgreementProject | None) -> None:
    """A project role (共建项目岗位) names one project of a 共建协议 that the publisher may see, signed by
    the community or an organization above it, not done or cancelled; other kinds name none."""
    if kind != TaskKind.PROJECT_ROLE:
        if project is not None:
            raise ValidationError(
                {"project": ValidationError(_("只有共建项目岗位关联共建项目"), code="not_a_role")}
            )
        return
    if project is None:
        raise ValidationError(
            {"project": ValidationError(_("共建项目岗位须选择一个共建项目"), code="required")}
        )
    project = AgreementProject.objects.select_related("agreement").get(pk=project.pk)  # as it is now
    agreement = project.agreement
    if not scope.can(actor, scope.VIEW, agreement.org_path) or not community.path.startswith(
        agreement.org_path
    ):
        raise ValidationError(
            {"project": ValidationError(_("该项目不属于本社区或其上级签订的共建协议"), code="elsewhere")}
        )
    if project.status in (ProjectStatus.DONE, ProjectStatus.CANCELLED):
        raise ValidationError({"project": ValidationError(_("该项目已完成或已取消"), code="closed")})


@transaction.atomic
def close_task(*, actor: Any, task: ServiceTask) -> ServiceTask:
    scope.ensure(actor, scope.CHANGE, task.community_path)
    task = ServiceTask.objects.select_for_update().get(pk=task.pk)
    before = audit.snapshot(task)
    task.closed = True
    task.save(update_fields=["closed"])
    audit.updated(actor=actor, obj=task, before=before, message=_("关闭服务任务"))
    return task


def accepted_at(member: Member, community_id: int) -> bool:
    return MemberRegistration.objects.filter(
        member=member, community_id=community_id, status=RegistrationStatus.ACCEPTED
    ).exists()


@transaction.atomic
def claim_task(*, actor: Any, task: ServiceTask, today: dt.date | None = None) -> TaskClaim:
    """A member whose registration with the task's community is accepted takes the task."""
    member = own_member(actor)
    if member is None:
        raise PermissionDenied(_("只有党员本人可以认领服务任务"))
    task = ServiceTask.objects.select_for_update().get(pk=task.pk)
    if not accepted_at(member, task.community_id):
        raise ValidationError(_("您尚未向该社区报到（或社区尚未接收），不能认领其任务"), code="not_reported")
    today = _today(today)
    if task.closed or (task.due_on is not None and task.due_on < today):
        raise ValidationError(_("该任务已关闭或已过期限"), code="closed")
    if TaskClaim.objects.filter(task=task, member=member).exists():
        raise ValidationError(_("您已认领此任务"), code="duplicate")
    if task.claims.count() >= task.places:
        raise ValidationError(_("认领人数已满"), code="full")
    claim = TaskClaim.objects.create(task=task, member=member, claimed_on=today)
    audit.created(actor=actor, obj=claim, message=_("认领服务任务"))
    return claim


@transaction.atomic
def report_claim(
    *, actor: Any, claim: TaskClaim, report: str, done_on: dt.date | None = None, today: dt.date | None = None
) -> TaskClaim:
    """The member records what they did (once)."""
    if claim.member.user_id is None or claim.member.user_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("只有认领的党员本人可以填写完成情况"))
    claim = TaskClaim.objects.select_for_update().select_related("task").get(pk=claim.pk)
    if claim.done_on is not None:
        raise ValidationError(_("已填写过完成情况"), code="done")
    done_on = _day(done_on, "done_on", _today(today))
    if done_on < claim.claimed_on:
        raise ValidationError({"done_on": ValidationError(_("完成日期不能早于认领日期"), code="order")})
    before = audit.snapshot(claim)
    claim.report = _required(report, "report", MAX_REPORT)
    claim.done_on = done_on
    claim.save()
    audit.updated(actor=actor, obj=claim, before=before, message=_("服务任务已完成"))
    return claim


# Volunteer activities ----------------------------------------------------------------------------------


@transaction.atomic
def publish_activity(
    *,
    actor: Any,
    org: Organization,
    title: str,
    place: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    needed: int,
    hours: Decimal | None = None,
    description: str = "",
    partner: PartnerUnit | None = None,
) -> Activity:
    """An organization (or one of its partner units, through it) publishes an activity."""
    scope.ensure(actor, scope.CHANGE, org.path)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": ValidationError(_("结束时间应晚于开始时间"), code="order")})
    if ends_at - starts_at > dt.timedelta(days=7):
        raise ValidationError({"ends_at": ValidationError(_("一次活动不能超过7天"), code="too_long")})
    if not 1 <= int(needed) <= 1000:
        raise ValidationError({"needed": ValidationError(_("需要人数应在1至1000之间"), code="range")})
    if hours is None:
        hours = Decimal(round((ends_at - starts_at).total_seconds() / 3600 * 2) / 2)
    hours = Decimal(hours).quantize(Decimal("0.1"))
    if not Decimal("0.5") <= hours <= Decimal("24"):
        raise ValidationError({"hours": ValidationError(_("服务时长应在0.5至24小时之间"), code="range")})
    if (
        partner is not None
        and not partner.org_path.startswith(org.path)
        and not org.path.startswith(partner.org_path)
    ):
        raise ValidationError({"partner": ValidationError(_("该共建单位不属于本组织"), code="outside")})
    activity = Activity.objects.create(
        org=org,
        org_path=org.path,
        partner=partner,
        title=_required(title, "title"),
        description=str(description or "").strip()[:MAX_LONG],
        place=_required(place, "place"),
        starts_at=starts_at,
        ends_at=ends_at,
        needed=int(needed),
        hours=hours,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.created(actor=actor, obj=activity, message=_("发布志愿服务活动"))
    return activity


def _open_for_sign_up(activity: Activity, now: dt.datetime) -> None:
    if activity.cancelled or activity.attendance_recorded or activity.starts_at <= now:
        raise ValidationError(_("该活动已开始或已结束，不能再报名"), code="closed")
    if activity.volunteers.count() >= activity.needed:
        raise ValidationError(_("报名人数已满"), code="full")


@transaction.atomic
def sign_up_member(*, actor: Any, activity: Activity, now: dt.datetime | None = None) -> Volunteer:
    """A member signs up from their own account (an activity they can see: see selectors)."""
    from . import selectors

    member = own_member(actor)
    if member is None:
        raise PermissionDenied(_("只有党员本人可以报名"))
    if not selectors.joinable(member).filter(pk=activity.pk).exists():
        raise PermissionDenied(_("您不能报名参加此活动"))
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _open_for_sign_up(activity, now or timezone.now())
    if Volunteer.objects.filter(activity=activity, member=member).exists():
        raise ValidationError(_("您已报名此活动"), code="duplicate")
    v = Volunteer.objects.create(activity=activity, member=member, signed_up_at=now or timezone.now())
    audit.created(actor=actor, obj=v, message=_("党员报名志愿服务"))
    return v


def mask_name(name: str) -> str:
    return name[:1] + "*" * min(len(name) - 1, 3) if name else ""


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


@transaction.atomic
def sign_up_resident(
    *, actor: Any, activity: Activity, name: str, phone: str, now: dt.datetime | None = None
) -> Volunteer:
    """The organizer signs up a resident: the name and phone are encrypted, shown masked."""
    scope.ensure(actor, scope.CHANGE, activity.org_path)
    name = _required(name, "name", 40)
    phone = "".join(str(phone or "").split())
    if not PHONE.match(phone):
        raise ValidationError({"phone": ValidationError(_("请填写正确的手机号码或固定电话"), code="invalid")})
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _open_for_sign_up(activity, now or timezone.now())
    v = Volunteer.objects.create(
        activity=activity,
        name_cipher=crypto.encrypt(name),
        name_masked=mask_name(name),
        phone_cipher=crypto.encrypt(phone),
        phone_masked=mask_phone(phone),
        signed_up_at=now or timezone.now(),
    )
    audit.created(actor=actor, obj=v, message=_("居民报名志愿服务"))
    return v


@transaction.atomic
def cancel_sign_up(*, actor: Any, volunteer: Volunteer, now: dt.datetime | None = None) -> None:
    """Before the start: the member themselves or the organizer takes a sign-up back."""
    own = volunteer.member_id is not None and volunteer.member.user_id == getattr(actor, "pk", None)
    if not own:
        scope.ensure(actor, scope.CHANGE, volunteer.activity.org_path)
    activity = Activity.objects.select_for_update().get(pk=volunteer.activity_id)
    if activity.attendance_recorded or activity.starts_at <= (now or timezone.now()):
        raise ValidationError(_("活动已开始，不能取消报名"), code="started")
    audit.deleted(actor=actor, obj=volunteer, message=_("取消报名"))
    volunteer.delete()


@transaction.atomic
def record_attendance(
    *, actor: Any, activity: Activity, present: Iterable[int], now: dt.datetime | None = None
) -> Activity:
    """The organizer records who came, once, after the start; the present are credited the hours."""
    scope.ensure(actor, scope.CHANGE, activity.org_path)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    now = now or timezone.now()
    if activity.attendance_recorded:
        raise ValidationError(_("此活动的考勤已记录，不能重复记录"), code="recorded")
    if activity.cancelled:
        raise ValidationError(_("活动已取消"), code="cancelled")
    if activity.starts_at > now:
        raise ValidationError(_("活动开始后才能记录考勤"), code="not_started")
    present = {int(p) for p in present}
    ids = set(activity.volunteers.values_list("pk", flat=True))
    unknown = present - ids
    if unknown:
        raise ValidationError(
            {
                "present": ValidationError(
                    _("这些人未报名此活动：%(ids)s") % {"ids": sorted(unknown)}, code="unknown"
                )
            }
        )
    Volunteer.objects.filter(activity=activity, pk__in=present).update(attended=True, hours=activity.hours)
    Volunteer.objects.filter(activity=activity).exclude(pk__in=present).update(attended=False, hours=0)
    before = audit.snapshot(activity)
    activity.attendance_recorded_at = now
    activity.attendance_recorded_by = actor if getattr(actor, "pk", None) else None
    activity.save(update_fields=["attendance_recorded_at", "attendance_recorded_by"])
    audit.updated(
        actor=actor,
        obj=activity,
        before=before,
        message=_("记录考勤：到场%(n)d人，共%(m)d人报名") % {"n": len(present), "m": len(ids)},
    )
    return activity


def reveal_contact(*, actor: Any, volunteer: Volunteer) -> dict[str, str]:
    """A resident volunteer's full name and phone for the organizer; audited."""
    scope.ensure(actor, scope.CHANGE, volunteer.activity.org_path)
    audit.record(actor=actor, action=audit.Action.REVEAL, obj=volunteer, message=_("查看志愿者联系方式"))
    return {
        "name": crypto.decrypt(volunteer.name_cipher) if volunteer.name_cipher else "",
        "phone": crypto.decrypt(volunteer.phone_cipher) if volunteer.phone_cipher else "",
    }
