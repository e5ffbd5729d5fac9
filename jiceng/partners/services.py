"""Every write of partner units (共建单位): register, edit, deactivate or reactivate.

Who may: the change right (organization administrators and secretaries) on the organization that
registers the unit, over its subtree. A unit is never deleted (its requests and routes keep pointing at
it); a deactivated one is offered for no new route or hand-over, and routing skips it.

Agreements (共建协议) and their three lists: the change right on the signing organization writes
everything; a contact (liaison) of the unit records the progress of the projects the unit owns (a
milestone done, the project's status) and nothing else.

Contacts are existing accounts named by user name (accounts are made on the accounts page); a contact
sees only the requests assigned to the unit (``services.ServiceRequest.restrict``). Each write is one
transaction with its change record; the contacts go into the record as user names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, concurrency, scope
from jiceng.core.models import User
from jiceng.orgs.models import Organization

from .models import (
    Agreement,
    AgreementNeed,
    AgreementProject,
    AgreementResource,
    PartnerKind,
    PartnerUnit,
    ProjectMilestone,
    ProjectStatus,
    ResourceKind,
)

MAX_NAME = 200
MAX_PHONE = 40
MAX_CONTACTS = 20


def contacts_of(unit: PartnerUnit) -> list[str]:
    return sorted(unit.contacts.values_list("username", flat=True))


def _snapshot(unit: PartnerUnit) -> dict[str, Any]:
    data = audit.snapshot(unit)
    data["contacts"] = contacts_of(unit) if unit.pk else []
    return data


def resolve_contacts(names: Iterable[str]) -> list[User]:
    """The active accounts named, or a ValidationError on ``contacts`` naming the unknown ones."""
    wanted = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
    if len(wanted) > MAX_CONTACTS:
        raise ValidationError(
            {"contacts": ValidationError(_("联系人不能超过%(n)d个") % {"n": MAX_CONTACTS}, code="max")}
        )
    if any(len(n) > 150 for n in wanted):
        raise ValidationError({"contacts": ValidationError(_("用户名过长"), code="invalid")})
    found = {u.username: u for u in User.objects.filter(username__in=wanted, is_active=True)}
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise ValidationError(
            {
                "contacts": ValidationError(
                    _("没有这些账号（或已停用）：%(names)s") % {"names": "、".join(unknown)}, code="unknown"
                )
            }
        )
    return [found[n] for n in wanted]


def _clean(name: str, kind: str, phone: str) -> tuple[str, str, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ValidationError(_("请填写此项"), code="required")})
    if len(name) > MAX_NAME:
        raise ValidationError(
            {"name": ValidationError(_("不能超过%(n)d个字") % {"n": MAX_NAME}, code="max_length")}
        )
    if kind not in PartnerKind.values:
        raise ValidationError({"kind": ValidationError(_("请选择单位类型"), code="invalid")})
    phone = (phone or "").strip()
    if len(phone) > MAX_PHONE:
        raise ValidationError(
            {"phone": ValidationError(_("不能超过%(n)d个字") % {"n": MAX_PHONE}, code="max_length")}
        )
    return name, kind, phone


def _unique(org: Organization, name: str, exclude: int | None = None) -> None:
    qs = PartnerUnit.objects.filter(org=org, name=name)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise ValidationError({"name": ValidationError(_("该党组织已登记同名的共建单位"), code="duplicate")})


@transaction.atomic
def register_unit(
    *,
    actor: Any,
    org: Organization,
    name: str,
    kind: str,
    phone: str = "",
    contacts: Iterable[str] = (),
) -> PartnerUnit:
    """Register a partner unit under ``org`` (the change right there)."""
    scope.ensure(actor, scope.CHANGE, org.path)
    name, kind, phone = _clean(name, kind, phone)
    users = resolve_contacts(contacts)
    _unique(org, name)
    unit = PartnerUnit.objects.create(org=org, name=name, kind=kind, phone=phone)
    unit.contacts.set(users)
    audit.record(
        actor=actor, action=audit.Action.CREATE, obj=unit, after=_snapshot(unit), message=_("登记共建单位")
    )
    return unit


@transaction.atomic
def update_unit(
    *,
    actor: Any,
    unit: PartnerUnit,
    name: str,
    kind: str,
    phone: str = "",
    contacts: Iterable[str] = (),
    org: Organization | None = None,
    version: Any = None,
) -> PartnerUnit:
    """Edit a unit; moving it to another organization needs the change right on both."""
    scope.ensure(actor, scope.CHANGE, unit.org_path)
    unit = PartnerUnit.objects.select_for_update().select_related("org").get(pk=unit.pk)
    concurrency.ensure_current(unit, version)
    if org is not None and org.pk != unit.org_id:
        scope.ensure(actor, scope.CHANGE, org.path)
    target = org or unit.org
    name, kind, phone = _clean(name, kind, phone)
    users = resolve_contacts(contacts)
    _unique(target, name, exclude=unit.pk)
    before = _snapshot(unit)
    unit.org, unit.name, unit.kind, unit.phone = target, name, kind, phone
    unit.save()
    unit.contacts.set(users)
    _record_update(actor, unit, before, _("修改共建单位"))
    return unit


def _record_update(actor: Any, unit: PartnerUnit, before: dict[str, Any], message: str) -> None:
    after = _snapshot(unit)
    changed = [k for k in after if before.get(k) != after.get(k)]
    if changed:
        audit.record(
            actor=actor,
            action=audit.Action.UPDATE,
            obj=unit,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
            message=message,
        )


@transaction.atomic
def set_active(*, actor: Any, unit: PartnerUnit, active: bool) -> PartnerUnit:
    """Deactivate (or reactivate) a unit. Its requests stay assigned to it; routes to it stop
    routing (new requests go to the community) until it is reactivated."""
    scope.ensure(actor, scope.CHANGE, unit.org_path)
    unit = PartnerUnit.objects.select_for_update().get(pk=unit.pk)
    before = _snapshot(unit)
    unit.active = active
    unit.save()
    _record_update(actor, unit, before, _("启用共建单位") if active else _("停用共建单位"))
    return unit


# 共建协议 and the three lists ----------------------------------------------------------------------

MAX_TEXT = 300
MIN_YEAR, MAX_YEAR = 2000, 2100


def _required(field: str, value: str, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: ValidationError(_("请填写此项"), code="required")})
    if len(value) > limit:
        raise ValidationError(
            {field: ValidationError(_("不能超过%(n)d个字") % {"n": limit}, code="max_length")}
        )
    return value


def unit_may_sign(unit: PartnerUnit, org: Organization) -> bool:
    """A unit signs with the organization that registered it, one below it (a community under the
    street that registered a property company) or one above it."""
    return org.path.startswith(unit.org_path) or unit.org_path.startswith(org.path)


def _agreement_snapshot(agreement: Agreement) -> dict[str, Any]:
    return audit.snapshot(agreement)


@transaction.atomic
def create_agreement(
    *,
    actor: Any,
    unit: PartnerUnit,
    org: Organization,
    year: int,
    signed_on: Any = None,
    notes: str = "",
) -> Agreement:
    """Record the year's 共建协议 of ``unit`` with ``org`` (a community or a street; the change right there)."""
    scope.ensure(actor, scope.CHANGE, org.path)
    if not unit_may_sign(unit, org):
        raise ValidationError(
            {"unit": ValidationError(_("该共建单位不在本组织或其上级、下级组织登记"), code="elsewhere")}
        )
    if not unit.active:
        raise ValidationError({"unit": ValidationError(_("该共建单位已停用"), code="inactive")})
    if not (MIN_YEAR <= int(year) <= MAX_YEAR):
        raise ValidationError({"year": ValidationError(_("年度不正确"), code="invalid")})
    if signed_on is not None and signed_on.year not in (int(year) - 1, int(year)):
        raise ValidationError(
            {"signed_on": ValidationError(_("签订日期应在协议年度或其上一年"), code="invalid")}
        )
    if Agreement.objects.filter(unit=unit, org=org, year=year).exists():
        raise ValidationError(
            {"year": ValidationError(_("该单位本年度已有与本组织的共建协议"), code="duplicate")}
        )
    agreement = Agreement.objects.create(
        unit=unit, org=org, year=int(year), signed_on=signed_on, notes=(notes or "").strip()
    )
    audit.record(
        actor=actor,
        action=audit.Action.CREATE,
        obj=agreement,
        after=_agreement_snapshot(agreement),
        message=_("签订共建协议"),
    )
    return agreement


@transaction.atomic
def update_agreement(
    *, actor: Any, agreement: Agreement, signed_on: Any = None, notes: str = "", version: Any = None
) -> Agreement:
    scope.ensure(actor, scope.CHANGE, agreement.org_path)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    concurrency.ensure_current(agreement, version)
    if signed_on is not None and signed_on.year not in (agreement.year - 1, agreement.year):
        raise ValidationError(
            {"signed_on": ValidationError(_("签订日期应在协议年度或其上一年"), code="invalid")}
        )
    before = _agreement_snapshot(agreement)
    agreement.signed_on, agreement.notes = signed_on, (notes or "").strip()
    agreement.save()
    after = _agreement_snapshot(agreement)
    changed = [k for k in after if before.get(k) != after.get(k)]
    if changed:
        audit.record(
            actor=actor,
            action=audit.Action.UPDATE,
            obj=agreement,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
            message=_("修改共建协议"),
        )
    return agreement


def _item_created(actor: Any, obj: Any, message: str) -> None:
    audit.record(actor=actor, action=audit.Action.CREATE, obj=obj, after=audit.snapshot(obj), message=message)


@transaction.atomic
def add_resource(
    *,
    actor: Any,
    agreement: Agreement,
    kind: str,
    description: str,
    quantity: Any = None,
    measure: str = "",
) -> AgreementResource:
    """资源清单: one thing the unit offers (a room, a service, expertise, funds, volunteer hours)."""
    scope.ensure(actor, scope.CHANGE, agreement.org_path)
    if kind not in ResourceKind.values:
        raise ValidationError({"kind": ValidationError(_("请选择资源类型"), code="invalid")})
    if quantity is not None and quantity < 0:
        raise ValidationError({"quantity": ValidationError(_("数量不能为负数"), code="invalid")})
    resource = AgreementResource.objects.create(
        agreement=agreement,
        kind=kind,
        description=_required("description", description),
        quantity=quantity,
        measure=(measure or "").strip()[:20],
    )
    _item_created(actor, resource, _("增加资源清单项"))
    return resource


@transaction.atomic
def add_need(
    *, actor: Any, agreement: Agreement, description: str = "", request: Any = None
) -> AgreementNeed:
    """需求清单: a need entered by the committee, or taken from a resident request made in the signing
    organization's subtree (its public wording when none is given)."""
    scope.ensure(actor, scope.CHANGE, agreement.org_path)
    if request is not None:
        if not request.org_path.startswith(agreement.org_path):
            raise ValidationError(
                {"request": ValidationError(_("该诉求不是在本组织范围内提出的"), code="elsewhere")}
            )
        description = (description or "").strip() or request.public_description[:MAX_TEXT]
    need = AgreementNeed.objects.create(
        agreement=agreement, description=_required("description", description), request=request
    )
    _item_created(actor, need, _("增加需求清单项"))
    return need


@transaction.atomic
def remove_item(*, actor: Any, item: AgreementResource | AgreementNeed) -> None:
    """Take a resource or a need off its list (a project naming the need keeps its other fields)."""
    scope.ensure(actor, scope.CHANGE, item.agreement.org_path)
    audit.record(
        actor=actor,
        action=audit.Action.DELETE,
        obj=item,
        before=audit.snapshot(item),
        message=_("删除清单项"),
    )
    item.delete()


@transaction.atomic
def add_project(
    *,
    actor: Any,
    agreement: Agreement,
    title: str,
    deadline: Any,
    description: str = "",
    owner_org: Organization | None = None,
    need: AgreementNeed | None = None,
) -> AgreementProject:
    """项目清单: an agreed project, owned by the unit (no ``owner_org``) or an organization of the signing
    organization's subtree."""
    scope.ensure(actor, scope.CHANGE, agreement.org_path)
    if owner_org is not None and not owner_org.path.startswith(agreement.org_path):
        raise ValidationError(
            {"owner_org": ValidationError(_("牵头党组织应为签订组织或其下级组织"), code="elsewhere")}
        )
    if need is not None and need.agreement_id != agreement.pk:
        raise ValidationError({"need": ValidationError(_("该需求不属于本协议"), code="elsewhere")})
    if deadline is None:
        raise ValidationError({"deadline": ValidationError(_("请填写此项"), code="required")})
    project = AgreementProject.objects.create(
        agreement=agreement,
        title=_required("title", title, 200),
        description=(description or "").strip(),
        owner_org=owner_org,
        need=need,
        deadline=deadline,
    )
    _item_created(actor, project, _("增加共建项目"))
    return project


def can_progress(user: Any, project: AgreementProject) -> bool:
    """Who records a project's progress: the change right on the signing organization, or a contact
    of the unit when the unit owns the project."""
    if scope.can(user, scope.CHANGE, project.agreement.org_path):
        return True
    return (
        project.owner_org_id is None
        and getattr(user, "is_authenticated", False)
        and project.agreement.unit.contacts.filter(pk=user.pk).exists()
    )


def _ensure_progress(user: Any, project: AgreementProject) -> None:
    if not can_progress(user, project):
        raise PermissionDenied(_("您没有记录该项目进展的权限"))


def _not_future(field: str, day: Any, today: Any) -> None:
    if day is not None and day > today:
        raise ValidationError({field: ValidationError(_("日期不能晚于今天"), code="future")})


@transaction.atomic
def set_project_status(
    *, actor: Any, project: AgreementProject, status: str, done_on: Any = None, today: Any = None
) -> AgreementProject:
    """Move a project to a status; done needs the day it was done (not in the future)."""
    _ensure_progress(actor, project)
    today = today or timezone.localdate()
    if status not in ProjectStatus.values:
        raise ValidationError({"status": ValidationError(_("状态不正确"), code="invalid")})
    project = AgreementProject.objects.select_for_update().get(pk=project.pk)
    if status == ProjectStatus.DONE:
        if done_on is None:
            raise ValidationError({"done_on": ValidationError(_("请填写完成日期"), code="required")})
        _not_future("done_on", done_on, today)
    else:
        done_on = None
    before = audit.snapshot(project)
    project.status, project.done_on = status, done_on
    project.save()
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=project,
        before={k: before[k] for k in ("status", "done_on")},
        after={k: audit.snapshot(project)[k] for k in ("status", "done_on")},
        message=_("更新共建项目状态"),
    )
    return project


@transaction.atomic
def add_milestone(*, actor: Any, project: AgreementProject, title: str, due_on: Any) -> ProjectMilestone:
    scope.ensure(actor, scope.CHANGE, project.agreement.org_path)
    if due_on is None:
        raise ValidationError({"due_on": ValidationError(_("请填写此项"), code="required")})
    milestone = ProjectMilestone.objects.create(
        project=project, title=_required("title", title, 200), due_on=due_on
    )
    _item_created(actor, milestone, _("增加项目节点"))
    return milestone


@transaction.atomic
def record_milestone(
    *,
    actor: Any,
    milestone: ProjectMilestone,
    done_on: Any,
    note: str = "",
    today: Any = None,
) -> ProjectMilestone:
    """Record a milestone done on ``done_on`` (None: not done after all), with a short note. A project
    that was not started moves to 推进中."""
    project = milestone.project
    _ensure_progress(actor, project)
    _not_future("done_on", done_on, today or timezone.localdate())
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise ValidationError(
            {"note": ValidationError(_("不能超过%(n)d个字") % {"n": MAX_TEXT}, code="max_length")}
        )
    milestone = ProjectMilestone.objects.select_for_update().get(pk=milestone.pk)
    before = audit.snapshot(milestone)
    milestone.done_on, milestone.note = done_on, note
    milestone.save()
    after = audit.snapshot(milestone)
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=milestone,
        before={k: before[k] for k in ("done_on", "note")},
        after={k: after[k] for k in ("done_on", "note")},
        message=_("记录项目节点进展"),
    )
    if done_on is not None and project.status == ProjectStatus.PLANNED:
        AgreementProject.objects.filter(pk=project.pk).update(status=ProjectStatus.IN_PROGRESS)
    return milestone
