"""The change record: who did what to which object, with field-level before and after."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .context import current
from .models import ObjectChange

Action = ObjectChange.Action


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """Concrete field values, minus what the model lists in ``audit_exclude`` (secrets, ciphertext)."""
    exclude = set(getattr(obj, "audit_exclude", ()))
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        # Bookkeeping timestamps change on every save and say nothing about the change itself.
        if (
            field.name in exclude
            or getattr(field, "auto_now", False)
            or getattr(field, "auto_now_add", False)
        ):
            continue
        data[field.name] = _plain(field.value_from_object(obj))
    return data


def org_path_of(obj: models.Model | None) -> str:
    if obj is None:
        return ""
    getter = getattr(obj, "audit_org_path", None)
    return getter() if callable(getter) else ""


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    org_path: str | None = None,
    message: str = "",
    object_repr: str | None = None,
) -> ObjectChange:
    ctx = current()
    user = actor if getattr(actor, "pk", None) else None
    return ObjectChange.objects.create(
        user=user,
        user_name=(getattr(actor, "username", "") or "")[:150] if actor else "",
        request_id=ctx.request_id,
        source=ctx.source,
        ip_address=ctx.ip_address,
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=obj.pk if obj is not None else None,
        object_repr=(object_repr if object_repr is not None else str(obj) if obj is not None else "")[:200],
        org_path=org_path if org_path is not None else org_path_of(obj),
        prechange_data=before,
        postchange_data=after,
        message=message[:255],
    )


def created(*, actor: Any, obj: models.Model, message: str = "") -> ObjectChange:
    return record(actor=actor, action=Action.CREATE, obj=obj, after=snapshot(obj), message=message)


def updated(
    *, actor: Any, obj: models.Model, before: dict[str, Any], message: str = ""
) -> ObjectChange | None:
    """Record an update; nothing is written when no audited field changed."""
    after = snapshot(obj)
    changed = {k for k in after if before.get(k) != after.get(k)}
    if not changed:
        return None
    return record(
        actor=actor,
        action=Action.UPDATE,
        obj=obj,
        before={k: before.get(k) for k in changed},
        after={k: after[k] for k in changed},
        message=message,
    )


def deleted(*, actor: Any, obj: models.Model, message: str = "") -> ObjectChange:
    return record(actor=actor, action=Action.DELETE, obj=obj, before=snapshot(obj), message=message)


def history(obj: models.Model) -> models.QuerySet[ObjectChange]:
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("user")
