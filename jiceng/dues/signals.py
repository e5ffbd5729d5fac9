"""What keeps the maintained figures (``figures.py``) current, connected in ``DuesConfig.ready``.

Dues rows: every save or delete names its branch and the years it affects (``figures.touched``): the
dues services recompute them before returning, any other write marks them stale. Other apps' writes
that change amounts or who is counted where mark the branches' rows stale, without those apps importing
dues: a member's category, join or end date or branch (model signals on ``members.Member``), the roster
import's bulk writes (``roster.importer.imported``), a version of the rule ``dues.amount``
(``core.RuleVersion``). The subtree sums above a branch go with any of these, and with an
organization saved or deleted or a subtree moved (``core.moves.subtree_moved``)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save

from jiceng.core import moves
from jiceng.core.models import RuleVersion
from jiceng.members.models import Member
from jiceng.orgs.models import Organization

from . import figures, rules
from .models import BranchDuesSetting, ExtraPayment, FixedAmount, Hardship, IncomeBase, Payment

# What of a member the figures read: a change to any of them makes their branches' figures stale.
MEMBER_FIELDS = ("org_id", "category", "joined_on", "closed_on")
OPEN = 9999


def _org_of(instance: Any) -> int | None:
    member = instance._state.fields_cache.get("member")
    if member is not None:
        return member.org_id
    return Member.objects.filter(pk=instance.member_id).values_list("org_id", flat=True).first()


def _years(instance: Any) -> tuple[int, int]:
    if isinstance(instance, Payment):
        return instance.month.year, instance.month.year
    if isinstance(instance, IncomeBase):
        return instance.applies_from.year, OPEN  # in force until the next base
    if isinstance(instance, FixedAmount):
        return instance.year, instance.year
    if isinstance(instance, Hardship):
        return instance.from_month.year, instance.until_month.year
    return instance.paid_on.year, instance.paid_on.year  # ExtraPayment


def _dues_row(sender: Any, instance: Any, **kwargs: Any) -> None:
    figures.touched(_org_of(instance), _years(instance))


def _setting(sender: Any, instance: BranchDuesSetting, **kwargs: Any) -> None:
    figures.touched(instance.org_id, figures.ALL_YEARS)


def _member_before(sender: Any, instance: Member, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.pk is None or kwargs.get("raw"):
        return
    if update_fields is not None and not {"org", "org_id", "category", "joined_on", "closed_on"} & set(
        update_fields
    ):
        return
    instance._dues_before = Member.objects.filter(pk=instance.pk).values_list(*MEMBER_FIELDS).first()


def _member_after(sender: Any, instance: Member, created: bool = False, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    before = instance.__dict__.pop("_dues_before", None)
    after = tuple(getattr(instance, f) for f in MEMBER_FIELDS)
    if created:
        figures.mark_stale(org_ids=[instance.org_id])
    elif before is not None and before != after:
        figures.mark_stale(org_ids={before[0], instance.org_id})


def _member_deleted(sender: Any, instance: Member, **kwargs: Any) -> None:
    figures.mark_stale(org_ids=[instance.org_id])


def _rule_version(sender: Any, instance: RuleVersion, **kwargs: Any) -> None:
    if instance.code == rules.AMOUNT:
        figures.mark_stale(years=(instance.effective_from.year, OPEN))


def _imported(sender: Any, org_paths: Any = (), **kwargs: Any) -> None:
    figures.mark_stale(paths=list(org_paths))


def _org_saved(sender: Any, instance: Organization, **kwargs: Any) -> None:
    # A branch created, removed or no longer a branch: the sums above it no longer hold.
    if not kwargs.get("raw") and instance.path:
        figures.drop_sums(branch_paths=[instance.path])


def _moved(sender: Any, old_prefix: str = "", new_prefix: str = "", **kwargs: Any) -> None:
    # The branch rows followed (repath); the sums of the old and the new ancestors no longer hold.
    figures.drop_sums(paths=[old_prefix, new_prefix])


def connect() -> None:
    for model in (Payment, IncomeBase, FixedAmount, Hardship, ExtraPayment):
        post_save.connect(_dues_row, sender=model, dispatch_uid=f"dues.figures.save.{model.__name__}")
        post_delete.connect(_dues_row, sender=model, dispatch_uid=f"dues.figures.delete.{model.__name__}")
    post_save.connect(_setting, sender=BranchDuesSetting, dispatch_uid="dues.figures.setting")
    pre_save.connect(_member_before, sender=Member, dispatch_uid="dues.figures.member_before")
    post_save.connect(_member_after, sender=Member, dispatch_uid="dues.figures.member_after")
    post_delete.connect(_member_deleted, sender=Member, dispatch_uid="dues.figures.member_deleted")
    post_save.connect(_rule_version, sender=RuleVersion, dispatch_uid="dues.figures.rule_saved")
    post_delete.connect(_rule_version, sender=RuleVersion, dispatch_uid="dues.figures.rule_deleted")
    post_save.connect(_org_saved, sender=Organization, dispatch_uid="dues.figures.org_saved")
    post_delete.connect(_org_saved, sender=Organization, dispatch_uid="dues.figures.org_deleted")
    moves.subtree_moved.connect(_moved, dispatch_uid="dues.figures.moved")
    from jiceng.roster.importer import imported

    imported.connect(_imported, dispatch_uid="dues.figures.imported")
