"""Every write of partner units (共建单位): register, edit, deactivate or reactivate.

Who may: the change right (organization administrators and secretaries) on the organization that
registers the unit, over its subtree. A unit is never deleted (its requests and routes keep pointing at
it); a deactivated one is offered for no new route or hand-over, and routing skips it.

Contacts are existing accounts named by user name (accounts are made on the accounts page); a contact
sees only the requests assigned to the unit (``services.ServiceRequest.restrict``). Each write is one
transaction with its change record; the contacts go into the record as user names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import audit, concurrency, scope
from jiceng.core.models import User
from jiceng.orgs.models import Organization

from .models import PartnerKind, PartnerUnit

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
