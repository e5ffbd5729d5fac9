"""Lost updates: a write based on what someone saw is refused when the record changed since.

Two people open the same member's edit form; without a check the second save silently reverts the
first one's change. Every edit form and API update therefore carries the **version** of the record it
was based on, and the service refuses the write (``StaleWrite``, "此记录已被他人修改") when the record
has changed since, naming who changed what.

The version is the id of the record's latest change record (``ObjectChange``): every write of a
domain record is audited in the same transaction (the project's invariant), so the latest id changes
exactly when the record's audited data changes, and the change records after it are precisely the
changes the person did not see. A record with no change record of its own (created in bulk by an
import, which records per branch) has version ``"0"``. The service reads the version after locking
the row (``select_for_update``), so of two simultaneous saves based on one version, the second waits
for the first and is then refused.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ObjectChange

MAX_VERSION_LENGTH = 20


def version_of(obj: models.Model) -> str:
    """The version of ``obj`` as a form or an API client carries it (an opaque string)."""
    latest = (
        ObjectChange.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return str(latest or 0)


def parse_version(value: Any) -> int | None:
    """The change-record id a submitted version names; None for anything that is not one."""
    text = str(value if value is not None else "").strip()
    if not text or len(text) > MAX_VERSION_LENGTH or not text.isascii() or not text.isdigit():
        return None
    return int(text)


class StaleWrite(ValidationError):
    """The record changed after the version the write was based on. ``changes`` lists those changes
    (who, when, which fields, the value now), for the page and the API's 409 answer."""

    def __init__(self, message: str, changes: list[dict[str, Any]]) -> None:
        super().__init__(message, code="stale")
        self.changes = changes


def changes_since(obj: models.Model, version: int) -> list[ObjectChange]:
    return list(
        ObjectChange.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, id__gt=version
        ).order_by("id")
    )


def _describe(change: ObjectChange, model: type[models.Model]) -> dict[str, Any]:
    fields = []
    for name, _before, after in change.diff():
        try:
            label = str(model._meta.get_field(name).verbose_name)
        except Exception:  # noqa: BLE001 (a field since removed: show its name)
            label = name
        fields.append({"field": name, "label": label, "value": after})
    return {
        "id": change.pk,
        "user": change.user_name,
        "time": timezone.localtime(change.time).isoformat(timespec="seconds"),
        "action": change.action,
        "fields": fields,
    }


def ensure_current(obj: models.Model, version: Any) -> None:
    """Refuse the write when ``obj`` (locked by the caller) changed after ``version``.

    ``version`` None means the caller sent none (an API client that does not use versions): no check.
    A version that is not one of ours is refused as stale too, never ignored.
    """
    if version is None:
        return
    seen = parse_version(version)
    if seen is None:
        raise StaleWrite(_("此记录已被他人修改。您的修改未保存，请查看最新内容后重新填写。"), [])
    later = changes_since(obj, seen)
    if not later:
        return
    described = [_describe(c, type(obj)) for c in later]
    last = described[-1]
    labels = "、".join(dict.fromkeys(f["label"] for d in described for f in d["fields"])) or _("记录")
    raise StaleWrite(
        _(
            "此记录已被他人修改：%(user)s于%(time)s修改了%(fields)s。您的修改未保存，请查看最新内容后重新填写。"
        )
        % {"user": last["user"] or _("系统"), "time": last["time"].replace("T", " ")[:16], "fields": labels},
        described,
    )
