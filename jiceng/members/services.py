"""Every write to the roster: atomic, scoped, validated and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, concurrency, dates, idnumber, normalize, probes, scope
from jiceng.core.models import User
from jiceng.core.scope import ensure_change
from jiceng.orgs import tallies
from jiceng.orgs.models import Organization, OrgKind, PartyGroup

from . import rules
from .models import RECORD_FIELDS, Member, Membership

EDITABLE = (*RECORD_FIELDS, "party_probation_from", "party_probation_until", "group")


def _ensure_branch(org: Organization) -> None:
    if org.kind != OrgKind.BRANCH:
        raise ValidationError({"org": ValidationError(_("党员只能编入党支部"), code="not_branch")})


def _ensure_unique_id(member: Member, actor: User) -> None:
    clash = Member.objects.filter(id_number_digest=member.id_number_digest).exclude(pk=member.pk).first()
    if clash is None:
        return
    if actor is None or scope.can(actor, scope.VIEW, clash.org_path):
        msg = _("该公民身份号码已登记在%(org)s（%(name)s），一名党员只能在一个党支部") % {
            "org": clash.org.name,
            "name": clash.name,
        }
    else:
        # Never name an organization the user cannot see.
        msg = _("该公民身份号码已登记在其他党组织，一名党员只能在一个党支部；如需转入，请办理组织关系转接")
    raise probes.IdRefused(msg, code="id_duplicate", digest=member.id_number_digest, org_path=member.org_path)


def _validate(member: Member, *, id_number: str | None, actor: User) -> None:
    problems = rules.check_record(
        id_number=id_number,
        gender=member.gender or None,
        birth_date=member.birth_date,
        status=member.status,
        joined_on=member.joined_on,
        full_member_on=member.full_member_on,
        today=timezone.localdate(),
    )
    if problems:
        raise rules.as_validation_error(problems)
    if member.party_probation_until and not member.party_probation_from:
        raise ValidationError(
            {"party_probation_from": ValidationError(_("请填写留党察看开始日期"), code="required")}
        )
    if (
        member.party_probation_from
        and member.party_probation_until
        and member.party_probation_until <= member.party_probation_from
    ):
        raise ValidationError(
            {"party_probation_until": ValidationError(_("留党察看期满日期须晚于开始日期"), code="date_order")}
        )
    if member.group_id and member.group.org_id != member.org_id:
        raise ValidationError(
            {"group": ValidationError(_("党小组不属于该党员所在党支部"), code="group_elsewhere")}
        )
    member.full_clean(
        exclude=[
            "org_path",
            "id_number_cipher",
            "id_number_digest",
            "id_number_masked",
            "name_pinyin",
            "name_initials",
            "user",
        ]
    )


def _check_after_membership(
    member: Member, on: dt.date, *, field: str, label: str, period: bool = True
) -> None:
    """A day that ends the member's current membership period (a transfer, the end of membership):
    not before the Party's founding, the member's joining, or the period's own start (a transfer
    dated 0001-01-01 left a period that ended before it began)."""
    current = (
        Membership.objects.filter(member=member, ended_on__isnull=True).order_by("-started_on").first()
        if period
        else None
    )
    dates.check_date(
        on,
        field=field,
        label=label,
        not_before=[
            dates.founded(),
            dates.Bound(member.joined_on, _("入党日期")) if member.joined_on else None,
            dates.Bound(current.started_on, _("在本支部的组织关系起始日期")) if current else None,
        ],
    )


@probes.guard(lambda kwargs: kwargs["org"].path)
@transaction.atomic
def create_member(
    *,
    actor: User,
    org: Organization,
    id_number: str,
    reason: str = Membership.Reason.REGISTERED,
    started_on: dt.date | None = None,
    message: str = "",
    **fields: Any,
) -> Member:
    """Register a member in a branch, opening their membership record (from ``started_on``, today by
    default; member development opens it on the admitting meeting's date with reason ``joined``)."""
    ensure_change(actor, org.path)
    _ensure_branch(org)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"unknown member fields {sorted(unknown)}")
    if "phone" in fields:
        fields["phone"] = normalize.phone(fields["phone"])
    dates.party_event(started_on, field="started_on", label=_("组织关系起始日期"))
    member = Member(org=org, org_path=org.path, **fields)
    if id_number:
        # 出生日期 and 性别 left blank are read from the identity number (a mismatch is refused below).
        number = idnumber.normalize(id_number)
        if not member.birth_date:
            member.birth_date = idnumber.birth_date_of(number)
        if not member.gender and len(number) == 18:
            member.gender = idnumber.gender_of(number) or ""
    _validate(member, id_number=id_number, actor=actor)
    member.set_id_number(id_number)
    member.refresh_pinyin()
    _ensure_unique_id(member, actor)
    member.save()
    tallies.apply(member.org_path, tallies.keys_of_member(member))
    Membership.objects.create(
        member=member,
        org=org,
        org_code=org.code,
        org_name=org.name,
        started_on=started_on or timezone.localdate(),
        start_reason=reason,
    )
    audit.created(actor=actor, obj=member, message=message)
    return member


@probes.guard(lambda kwargs: kwargs["member"].org_path)
@transaction.atomic
def update_member(
    *, actor: User, member: Member, id_number: str | None = None, version: object = None, **changes: Any
) -> Member:
    """Change a member's record; the identity number only when ``id_number`` is given."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    ensure_change(actor, member.org_path)
    concurrency.ensure_current(member, version)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"unknown member fields {sorted(unknown)}")
    before = audit.snapshot(member)
    keys_before = tallies.keys_of_member(member)
    if "phone" in changes:
        changes["phone"] = normalize.phone(changes["phone"])
    for field, value in changes.items():
        setattr(member, field, value)
    if id_number is not None and idnumber.normalize(id_number) == "":
        id_number = None
    check_id = id_number if id_number is not None else member.reveal_id_number()
    _validate(member, id_number=check_id, actor=actor)
    if id_number is not None:
        member.set_id_number(id_number)
        _ensure_unique_id(member, actor)
    if "name" in changes:
        member.refresh_pinyin()
    member.save()
    tallies.apply(member.org_path, tallies.diff(keys_before, tallies.keys_of_member(member)))
    audit.updated(actor=actor, obj=member, before=before)
    return member


@transaction.atomic
def transfer_member(
    *, actor: User, member: Member, to_org: Organization, on: dt.date | None = None
) -> Member:
    """组织关系转接 between two branches the actor may change."""
    from jiceng.orgs.services import _move_members

    member = Member.objects.select_for_update().get(pk=member.pk)
    ensure_change(actor, member.org_path)
    ensure_change(actor, to_org.path)
    _ensure_branch(to_org)
    if to_org.pk == member.org_id:
        raise ValidationError({"org": ValidationError(_("该党员已在此党支部"), code="same_branch")})
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"on": ValidationError(_("转接日期不能晚于今天"), code="date_in_future")})
    _check_after_membership(member, on, field="on", label=_("转接日期"))
    _move_members(actor=actor, members=[member], target=to_org, on=on, reason=Membership.Reason.TRANSFER)
    member.refresh_from_db()
    return member


@transaction.atomic
def close_member(*, actor: User, member: Member, on: dt.date, reason: str, message: str = "") -> Member:
    """End a membership (党籍终止): the record stays, closed, and leaves the branch's counts."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    ensure_change(actor, member.org_path)
    if member.closed_on is not None:
        raise ValidationError({"closed_on": ValidationError(_("该党员的党籍已终止"), code="closed")})
    if on > timezone.localdate():
        raise ValidationError(
            {"closed_on": ValidationError(_("终止日期不能晚于今天"), code="date_in_future")}
        )
    # Not bounded by the current period's start: a member registered in jiceng today may have left
    # the Party on an earlier day (the period's start is the day of registration, not history).
    _check_after_membership(member, on, field="closed_on", label=_("终止日期"), period=False)
    before = audit.snapshot(member)
    keys_before = tallies.keys_of_member(member)
    member.closed_on, member.closed_reason = on, reason
    member.save(update_fields=["closed_on", "closed_reason", "updated_at"])
    tallies.apply(member.org_path, tallies.diff(keys_before, tallies.keys_of_member(member)))
    Membership.objects.filter(member=member, ended_on__isnull=True).update(
        ended_on=on, end_reason=Membership.Reason.CLOSED
    )
    audit.updated(actor=actor, obj=member, before=before, message=message)
    return member


@transaction.atomic
def set_group(*, actor: User, member: Member, group: PartyGroup | None) -> Member:
    return update_member(actor=actor, member=member, group=group)


@transaction.atomic
def reveal_id_number(*, actor: User, member: Member) -> str:
    """The full identity number, for those who may change the record (or the member themselves); audited."""
    if member.user_id != actor.pk:
        ensure_change(actor, member.org_path)
    audit.record(actor=actor, action=audit.Action.REVEAL, obj=member, message=_("查看完整公民身份号码"))
    return member.reveal_id_number()
