"""Raise the change stamps in the same transaction as every audited change (see ``store.py``), and after
the transaction commits queue the background refresh of the stored runs it made stale."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from jiceng.core import compliance
from jiceng.core.models import ObjectChange

from . import store


def paths_touched(change: ObjectChange) -> set[str]:
    """The organization paths whose findings the recorded change can alter.

    The record's own path; for moves, merges and transfers also where the object was before (the
    previous ``path``/``org_path``, or the previous ``org``'s path); for meetings and attendance also
    the current branches of the members concerned (a member transferred since attended elsewhere).
    """
    paths = {change.org_path or store.GLOBAL}
    before = change.prechange_data or {}
    for key in ("path", "org_path"):
        if isinstance(before.get(key), str):
            paths.add(before[key])
    old_org = before.get("org")
    if isinstance(old_org, int):
        from jiceng.orgs.models import Organization

        old = Organization.objects.filter(pk=old_org).values_list("path", flat=True).first()
        paths.add(old if old is not None else store.GLOBAL)
    if change.content_type_id and change.object_id:
        from django.contrib.contenttypes.models import ContentType

        model = ContentType.objects.get_for_id(change.content_type_id).model_class()
        label = model._meta.label_lower if model is not None else ""
        if label in ("life.meeting", "life.attendance"):
            from jiceng.life.models import Attendance

            field = "meeting_id" if label == "life.meeting" else "pk"
            paths.update(
                Attendance.objects.filter(**{field: change.object_id})
                .order_by()
                .values_list("member__org_path", flat=True)
                .distinct()
            )
    return paths


@receiver(post_save, sender=ObjectChange, dispatch_uid="reports.change_stamp")
def _stamp(sender: Any, instance: ObjectChange, created: bool, **kwargs: Any) -> None:
    if created and instance.action not in compliance.NON_DATA_ACTIONS:
        paths = paths_touched(instance)
        store.bump(paths)
        # An import makes every run stale (see store.stamps): refresh all the runs viewed lately.
        store.stale_after_commit({store.GLOBAL} if instance.action == ObjectChange.Action.IMPORT else paths)


def _meetings_changed(sender: Any, org_paths: Any = (), **kwargs: Any) -> None:
    """The meetings service and importer announce changed branches after commit: raise them too.

    Redundant with the change records (which raise the stamps inside the writing transaction) and
    harmless: a stamp raised after the commit can only make a run stale, never fresh.
    """
    store.bump(org_paths)
    store.stale_after_commit(org_paths)


def connect() -> None:
    from jiceng.life.services import meetings_changed

    meetings_changed.connect(_meetings_changed, dispatch_uid="reports.meetings_changed")


connect()
