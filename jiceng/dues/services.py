"""Every write of the dues ledger: keyword-only, atomic, scoped to the actor's change right on the
member's branch, validated, audited in the same transaction.

Refusals are a ``ValidationError`` keyed by field, with Chinese messages. Deliberately absent (党费规定
Art. 14): paying on a member's behalf from branch funds, deducting from pay, levying "special dues".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, scope
from jiceng.core.models import User
from jiceng.core.rulebook import RuleBook
from jiceng.members.models import Member
from jiceng.orgs.models import Organization

from . import figures, ledger, rules
from .models import (
    BranchDuesSetting,
    DuesUse,
    ExtraPayment,
    FixedAmount,
    Hardship,
    IncomeBase,
    Method,
    Payment,
    PaymentConsent,
)

MAX_TEXT = 200


def _err(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _ensure(actor: User | None, member: Member) -> None:
    scope.ensure_change(actor, member.org_path)


def _month(value: dt.date, field: str = "month") -> dt.date:
    if value.year < 1921 or value.year > 2999:
        raise _err(field, _("月份超出范围"), "month_out_of_range")
    return rules.month_start(value)


def _text(value: str, field: str, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise _err(field, _("不能超过%(n)d个字") % {"n": limit}, "too_long")
    return value


# Income bases --------------------------------------------------------------------------------------------


@transaction.atomic
@figures.kept
def record_income_base(
    *,
    actor: User | None,
    member: Member,
    amount: Decimal,
    applies_from: dt.date,
    note: str = "",
    by_member: bool = False,
    source: str = IncomeBase.Source.BRANCH,
) -> IncomeBase:
    """A member's monthly income base from ``applies_from``'s month (the month the new pay is first
    received). Entered by the branch (confirmed at once) or by the member for their own record
    (``by_member``: counts once the branch confirms it). A base for a month already recorded replaces
    it. If amounts are fixed for that year, the member's amount is refixed from that month."""
    if by_member:
        if actor is None or member.user_id != actor.pk:
            raise PermissionDenied(_("只能填报本人的月收入基数"))
        source = IncomeBase.Source.MEMBER
    else:
        _ensure(actor, member)
    month = _month(applies_from, "applies_from")
    if not isinstance(amount, Decimal) or amount < 0 or amount > Decimal("10000000"):
        raise _err("amount", _("月收入基数应在0至10000000元之间"), "amount_out_of_range")
    if amount != rules.money(amount):
        raise _err("amount", _("金额最多保留两位小数（到分）"), "amount_precision")
    note = _text(note, "note")
    existing = IncomeBase.objects.select_for_update().filter(member=member, applies_from=month).first()
    if existing is not None:
        before = audit.snapshot(existing)
        existing.amount, existing.note, existing.source = amount, note, source
        existing.confirmed = not by_member
        existing.recorded_by = actor
        existing.save()
        audit.updated(actor=actor, obj=existing, before=before)
        base = existing
    else:
        base = IncomeBase.objects.create(
            member=member,
            amount=amount,
            applies_from=month,
            note=note,
            source=source,
            confirmed=not by_member,
            recorded_by=actor,
        )
        audit.created(actor=actor, obj=base)
    if base.confirmed:
        _refix(actor, member, month)
    return base


@transaction.atomic
@figures.kept
def confirm_income_base(*, actor: User, base: IncomeBase) -> IncomeBase:
    """The branch confirms a base the member entered themselves."""
    _ensure(actor, base.member)
    if base.confirmed:
        return base
    before = audit.snapshot(base)
    base.confirmed = True
    base.save(update_fields=["confirmed", "updated_at"])
    audit.updated(actor=actor, obj=base, before=before, message=_("确认本人填报的月收入基数"))
    _refix(actor, base.member, base.applies_from)
    return base


# Fixing the year's amounts (年初核定) --------------------------------------------------------------------


def _fix_row(member: Member, month: dt.date, book: RuleBook, farmer: Decimal | None) -> FixedAmount:
    bases = list(
        IncomeBase.objects.filter(member=member, applies_from__lte=month).order_by("applies_from", "id")
    )
    base = ledger.base_in_force(bases, month)
    computed = ledger.compute(member, month, base, farmer, book)
    return FixedAmount(
        member=member,
        year=month.year,
        applies_from=month,
        amount=computed.amount,
        category=member.category,
        base=computed.base,
        rate=computed.rate,
        way=computed.way,
        bracket=computed.bracket,
        explanation=computed.explain()[:300],
    )


def _farmer(org_id: int) -> Decimal | None:
    return BranchDuesSetting.objects.filter(org_id=org_id).values_list("farmer_amount", flat=True).first()


def _refix(actor: User | None, member: Member, month: dt.date) -> None:
    """Refix from ``month`` when the member's amounts of that year are fixed (a base changed)."""
    if not FixedAmount.objects.filter(member=member, year=month.year).exists():
        return
    row = _fix_row(member, month, RuleBook(), _farmer(member.org_id))
    old = FixedAmount.objects.filter(member=member, applies_from=month).first()
    if old is not None:
        before = audit.snapshot(old)
        for f in ("amount", "category", "base", "rate", "way", "bracket", "explanation"):
            setattr(old, f, getattr(row, f))
        old.recorded_by = actor
        old.save()
        audit.updated(actor=actor, obj=old, before=before, message=_("基数变化，重新核定"))
    else:
        row.recorded_by = actor
        row.save()
        audit.created(actor=actor, obj=row, message=_("基数变化，重新核定"))


@dataclass
class FixResult:
    created: int
    updated: int


@transaction.atomic
@figures.kept
def fix_year(*, actor: User | None, branch: Organization, year: int) -> FixResult:
    """年初核定: every current member's monthly amount for ``year`` from January (or the month they
    start paying), then a refix from each later month in which a new base applies."""
    scope.ensure_change(actor, branch.path)
    if not 1921 <= year <= 2999:
        raise _err("year", _("年度超出范围"), "year_out_of_range")
    book = RuleBook()
    farmer = _farmer(branch.pk)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 1)
    members = list(
        Member.objects.filter(org=branch, closed_on__isnull=True, joined_on__lt=dt.date(year + 1, 1, 1))
    )
    start_records(branch.pk, first)
    starts: dict[int, set[dt.date]] = {}
    for mid, month in IncomeBase.objects.filter(
        member__in=members, applies_from__gt=first, applies_from__lte=last, confirmed=True
    ).values_list("member_id", "applies_from"):
        starts.setdefault(mid, set()).add(month)
    existing = {
        (f.member_id, f.applies_from): f for f in FixedAmount.objects.filter(member__in=members, year=year)
    }
    created = updated = 0
    for m in members:
        begin = max(first, rules.first_due_month(m.joined_on))
        for month in sorted({begin, *(s for s in starts.get(m.pk, ()) if s > begin)}):
            row = _fix_row(m, month, book, farmer)
            old = existing.get((m.pk, month))
            if old is None:
                row.recorded_by = actor
                row.save()
                audit.created(actor=actor, obj=row, message=_("年初核定"))
                created += 1
            elif (old.amount, old.explanation) != (row.amount, row.explanation[:300]):
                before = audit.snapshot(old)
                for f in ("amount", "category", "base", "rate", "way", "bracket", "explanation"):
                    setattr(old, f, getattr(row, f))
                old.recorded_by = actor
                old.save()
                audit.updated(actor=actor, obj=old, before=before, message=_("年初核定"))
                updated += 1
    return FixResult(created, updated)


@transaction.atomic
@figures.kept
def set_farmer_amount(
    *,
    actor: User,
    branch: Organization,
    amount: Decimal,
    decided_on: dt.date | None = None,
    records_since: dt.date | None = None,
) -> BranchDuesSetting:
    """The branch's fixed monthly amount for farmer members (0.2–1 yuan, RULES.md §5), and the month
    from which it keeps its dues in jiceng (left as it is when not given)."""
    scope.ensure(actor, scope.CHANGE, branch.path)
    params = RuleBook().on(rules.AMOUNT, timezone.localdate()).values
    low, high = Decimal(str(params["farmer_min"])), Decimal(str(params["farmer_max"]))
    if not low <= amount <= high or amount != rules.money(amount):
        raise _err(
            "farmer_amount",
            _("农牧渔民党员每月交纳%(low)s至%(high)s元") % {"low": low, "high": high},
            "out_of_range",
        )
    setting, made = BranchDuesSetting.objects.get_or_create(org=branch)
    before = audit.snapshot(setting)
    setting.farmer_amount, setting.decided_on = amount, decided_on
    if records_since is not None:
        setting.records_since = _month(records_since, "records_since")
    setting.save()
    if made:
        audit.created(actor=actor, obj=setting)
    else:
        audit.updated(actor=actor, obj=setting, before=before)
    return setting


def start_records(org_id: int, month: dt.date) -> None:
    """The branch keeps its dues in jiceng from ``month`` on, unless it already does from earlier or
    later (a back payment does not move the start: only the branch does, on its settings)."""
    setting, _made = BranchDuesSetting.objects.get_or_create(org_id=org_id)
    if setting.records_since is None:
        setting.records_since = rules.month_start(month)
        setting.save(update_fields=["records_since", "updated_at"])


# Payments ---------------------------------------------------------------------------------------------------


def _consent_on(member: Member, day: dt.date) -> str | None:
    found = (
        PaymentConsent.objects.filter(member=member, decided_on__lte=day)
        .exclude(valid_until__lt=day)
        .order_by("-decided_on", "-id")
        .values_list("kind", flat=True)
        .first()
    )
    return found


@transaction.atomic
@figures.kept
def record_payment(
    *,
    actor: User | None,
    member: Member,
    month: dt.date,
    paid_on: dt.date,
    amount: Decimal | None = None,
    method: str = Method.CASH,
    receipt_number: str = "",
    back_payment_reason: str = "",
    book: RuleBook | None = None,
) -> Payment:
    """A member's dues for one month, as the branch received them (cash or transfer, a receipt number).

    ``amount`` defaults to the amount due. Refused: a month before the member owes dues, a month already
    paid, a payment dated in the future, a month more than 6 months back without a reason (Art. 12),
    a month ahead without the branch's consent to quarterly or advance payment."""
    _ensure(actor, member)
    book = book or RuleBook()
    month = _month(month)
    today = timezone.localdate()
    if paid_on > today:
        raise _err("paid_on", _("交纳日期不能晚于今天"), "date_in_future")
    if not rules.owes(month=month, joined_on=member.joined_on, closed_on=member.closed_on):
        raise _err(
            "month",
            _("%(name)s在该月不需要交纳党费（预备党员自支部大会通过之月起交纳）") % {"name": member.name},
            "not_owed",
        )
    if method not in Method.values:
        raise _err("method", _("交纳方式应为现金或转账"), "choice_invalid")
    receipt_number = _text(receipt_number, "receipt_number", 40)
    reason = _text(back_payment_reason, "back_payment_reason")
    if (
        rules.back_payment_needs_reason(
            month=month, paid_on=paid_on, params=book.on(rules.BACK_PAYMENT, paid_on).values
        )
        and not reason
    ):
        raise _err(
            "back_payment_reason",
            _("补交超过6个月的党费（%(month)s）须登记补交原因") % {"month": f"{month:%Y-%m}"},
            "back_payment_reason_required",
        )
    if not rules.advance_allowed(month=month, paid_on=paid_on, consent=_consent_on(member, paid_on)):
        raise _err("month", _("按季度交纳或预交党费须经党支部同意，请先登记支部的同意"), "consent_required")
    if Payment.objects.select_for_update().filter(member=member, month=month).exists():
        raise _err(
            "month",
            _("%(name)s %(month)s的党费已登记") % {"name": member.name, "month": f"{month:%Y-%m}"},
            "already_paid",
        )
    if amount is None:
        line = ledger.load([member], month, month, book=book).of(member.pk)[0]
        amount = line.due
    if amount < 0 or amount > Decimal("1000000") or amount != rules.money(amount):
        raise _err("amount", _("金额应为不小于0的数，最多两位小数"), "amount_invalid")
    start_records(member.org_id, month)
    payment = Payment.objects.create(
        member=member,
        month=month,
        amount=amount,
        paid_on=paid_on,
        method=method,
        receipt_number=receipt_number,
        back_payment_reason=reason,
        recorded_by=actor,
    )
    audit.created(actor=actor, obj=payment)
    return payment


@transaction.atomic
@figures.kept
def mark_paid(
    *,
    actor: User,
    branch: Organization,
    members: Sequence[Member],
    month: dt.date,
    paid_on: dt.date,
    method: str = Method.CASH,
    receipt_number: str = "",
) -> list[Payment]:
    """Mark many members of one branch paid for a month at the amount due (the month sheet's fast
    path). All or nothing: one refusal refuses the whole action, naming the member."""
    scope.ensure(actor, scope.CHANGE, branch.path)
    if len(members) > 2000:
        raise _err("members", _("一次最多登记2000人"), "too_many")
    book = RuleBook()
    out = []
    for m in members:
        if m.org_id != branch.pk:
            raise _err("members", _("%(name)s不是本支部党员") % {"name": m.name}, "not_in_branch")
        try:
            out.append(
                record_payment(
                    actor=actor,
                    member=m,
                    month=month,
                    paid_on=paid_on,
                    method=method,
                    receipt_number=receipt_number,
                    book=book,
                )
            )
        except ValidationError as e:
            messages = "；".join(str(msg) for msgs in e.message_dict.values() for msg in msgs)
            raise _err("members", f"{m.name}：{messages}", "member_refused") from e
    return out


@transaction.atomic
@figures.kept
def cancel_payment(*, actor: User, payment: Payment) -> None:
    """Remove a payment recorded by mistake (audited with its contents)."""
    _ensure(actor, payment.member)
    audit.deleted(actor=actor, obj=payment, message=_("撤销党费交纳记录"))
    payment.delete()


@transaction.atomic
@figures.kept
def record_extra_payment(
    *,
    actor: User | None,
    member: Member,
    amount: Decimal,
    paid_on: dt.date,
    method: str = Method.CASH,
    receipt_number: str = "",
) -> ExtraPayment:
    """A voluntary extra payment (no limit); one of 1,000 yuan or more is remitted whole to the Centre."""
    _ensure(actor, member)
    if amount <= 0 or amount > Decimal("10000000") or amount != rules.money(amount):
        raise _err("amount", _("金额应大于0，最多两位小数"), "amount_invalid")
    if paid_on > timezone.localdate():
        raise _err("paid_on", _("交纳日期不能晚于今天"), "date_in_future")
    if method not in Method.values:
        raise _err("method", _("交纳方式应为现金或转账"), "choice_invalid")
    extra = ExtraPayment.objects.create(
        member=member,
        amount=amount,
        paid_on=paid_on,
        method=method,
        receipt_number=_text(receipt_number, "receipt_number", 40),
        remitted_to_centre=rules.remitted_to_centre(
            amount=amount, params=RuleBook().on(rules.REMIT, paid_on).values
        ),
        recorded_by=actor,
    )
    audit.created(actor=actor, obj=extra)
    return extra


@transaction.atomic
@figures.kept
def record_consent(
    *,
    actor: User,
    member: Member,
    kind: str,
    decided_on: dt.date,
    valid_until: dt.date | None = None,
    note: str = "",
) -> PaymentConsent:
    """The branch's consent to a member paying quarterly or in advance (Art. 12)."""
    _ensure(actor, member)
    if kind not in PaymentConsent.Kind.values:
        raise _err("kind", _("方式应为按季度交纳或预交"), "choice_invalid")
    if valid_until is not None and valid_until < decided_on:
        raise _err("valid_until", _("有效期不能早于同意日期"), "date_order")
    consent = PaymentConsent.objects.create(
        member=member,
        kind=kind,
        decided_on=decided_on,
        valid_until=valid_until,
        note=_text(note, "note"),
        recorded_by=actor,
    )
    audit.created(actor=actor, obj=consent)
    return consent


@transaction.atomic
@figures.kept
def record_hardship(
    *,
    actor: User,
    member: Member,
    kind: str,
    from_month: dt.date,
    until_month: dt.date,
    reason: str,
    branch_decided_on: dt.date,
    committee_approved_on: dt.date | None = None,
    reduced_amount: Decimal | None = None,
) -> Hardship:
    """A hardship reduction or exemption: the branch decides (dated), the next committee approves
    (dated, now or later with ``approve_hardship``); it counts only once approved (Art. 7)."""
    _ensure(actor, member)
    if kind not in Hardship.Kind.values:
        raise _err("kind", _("类型应为减交或免交"), "choice_invalid")
    start, end = _month(from_month, "from_month"), _month(until_month, "until_month")
    if end < start:
        raise _err("until_month", _("截止月份不能早于起始月份"), "date_order")
    if rules.month_index(end) - rules.month_index(start) >= 120:
        raise _err("until_month", _("减免期限不能超过10年"), "too_long")
    reason = _text(reason, "reason")
    if not reason:
        raise _err("reason", _("请填写减免原因"), "required")
    if branch_decided_on is None:
        raise _err("branch_decided_on", _("须登记支部决定日期"), "required")
    if committee_approved_on is not None and committee_approved_on < branch_decided_on:
        raise _err("committee_approved_on", _("上级党委批准日期不能早于支部决定日期"), "date_order")
    if kind == Hardship.Kind.REDUCTION:
        if reduced_amount is None or reduced_amount < 0 or reduced_amount != rules.money(reduced_amount):
            raise _err("reduced_amount", _("减交须填写减交后的每月金额"), "required")
    else:
        reduced_amount = None
    h = Hardship.objects.create(
        member=member,
        kind=kind,
        from_month=start,
        until_month=end,
        reason=reason,
        branch_decided_on=branch_decided_on,
        committee_approved_on=committee_approved_on,
        reduced_amount=reduced_amount,
        recorded_by=actor,
    )
    audit.created(actor=actor, obj=h)
    return h


@transaction.atomic
@figures.kept
def approve_hardship(*, actor: User, hardship: Hardship, committee_approved_on: dt.date) -> Hardship:
    _ensure(actor, hardship.member)
    if committee_approved_on < hardship.branch_decided_on:
        raise _err("committee_approved_on", _("上级党委批准日期不能早于支部决定日期"), "date_order")
    before = audit.snapshot(hardship)
    hardship.committee_approved_on = committee_approved_on
    hardship.save()
    audit.updated(actor=actor, obj=hardship, before=before)
    return hardship


# The use of retained dues and remittances upward ------------------------------------------------------------


@transaction.atomic
@figures.kept
def record_use(
    *,
    actor: User | None,
    org: Organization,
    kind: str,
    used_on: dt.date,
    purpose: str,
    amount: Decimal,
    decision: str,
) -> DuesUse:
    """A use of the dues ``org`` keeps, or what it remitted to the next level up, with the committee's
    approving decision (meeting and date): the yearly publication lists them."""
    scope.ensure_change(actor, org.path)
    if kind not in DuesUse.Kind.values:
        raise _err("kind", _("类型应为使用或上缴上级党组织"), "choice_invalid")
    if used_on.year < 1921:
        raise _err("used_on", _("年度超出范围"), "date_out_of_range")
    if used_on > timezone.localdate():
        raise _err("used_on", _("日期不能晚于今天"), "date_in_future")
    if (
        not isinstance(amount, Decimal)
        or amount <= 0
        or amount > Decimal("10000000")
        or amount != rules.money(amount)
    ):
        raise _err("amount", _("金额应大于0，最多两位小数"), "amount_invalid")
    purpose, decision = _text(purpose, "purpose"), _text(decision, "decision")
    if not purpose:
        raise _err("purpose", _("请填写用途"), "required")
    if not decision:
        raise _err("decision", _("请填写批准使用的决定（会议及日期）"), "required")
    use = DuesUse.objects.create(
        org=org,
        kind=kind,
        used_on=used_on,
        purpose=purpose,
        amount=amount,
        decision=decision,
        recorded_by=actor,
    )
    audit.created(actor=actor, obj=use)
    return use


def members_of(branch: Organization, ids: Iterable[Any]) -> list[Member]:
    """The branch's members among ``ids`` (strings from a form), in roster order."""
    clean = [int(i) for i in ids if str(i).isdigit()][:2000]
    return list(Member.objects.filter(org=branch, pk__in=clean))
