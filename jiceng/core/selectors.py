"""Reads of the audit trail, restricted to the user's scope."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from . import scope
from .models import ObjectChange, User


def history_for(user: User, obj: models.Model) -> QuerySet[ObjectChange]:
    """The change records of one object. Callers have already checked that ``user`` may view ``obj``."""
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).order_by("-time", "-id")


def history_page(user: User, obj: models.Model, *, limit: int | None = None) -> list[ObjectChange]:
    """The change records of one object as its history tab shows them: the people and organizations
    they point to by name (see ``name_references``)."""
    changes = list(history_for(user, obj)[:limit])
    name_references(user, changes)
    return changes


def _fk_fields(model: type[models.Model] | None) -> dict[str, type[models.Model]]:
    """A model's foreign keys by the name a change record stores them under (``org`` and ``org_id``)."""
    if model is None:
        return {}
    out: dict[str, type[models.Model]] = {}
    for f in model._meta.concrete_fields:
        if f.is_relation and f.many_to_one and f.related_model is not None:
            out[f.name] = out[f.attname] = f.related_model
    return out


def _scope_of(qs: QuerySet, user: User) -> QuerySet | None:
    """``qs`` annotated with whether ``user`` may see each row, or None when its model has no scope."""
    if isinstance(qs, scope.ScopedQuerySet):
        visible = qs.scope_q(user, scope.VIEW)
    elif any(f.name == "org" for f in qs.model._meta.concrete_fields):
        # A row of a branch without a path column of its own (party group, committee): its branch's.
        visible = scope.path_q("org__path", scope.paths_for(user, scope.VIEW))
    else:
        return None
    return qs.annotate(
        jc_visible=Case(When(visible, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def name_references(user: User, changes: list[ObjectChange]) -> None:
    """Give each change the names of what its foreign keys point to and of its author: one query per
    related model for the whole list. A name ``user`` may not see reads "（无权查看）"; a row gone since
    keeps its number. Users are named by their full name where they have one."""
    models_of: dict[int, dict[str, type[models.Model]]] = {}
    wanted: dict[type[models.Model], set[str]] = defaultdict(set)
    user_model = get_user_model()
    for change in changes:
        if change.content_type_id not in models_of:
            model = (
                ContentType.objects.get_for_id(change.content_type_id).model_class()
                if change.content_type_id
                else None
            )
            models_of[change.content_type_id] = _fk_fields(model)
        fks = models_of[change.content_type_id]
        for name, before, after in change.diff():
            if name in fks:
                wanted[fks[name]].update(str(v) for v in (before, after) if v not in (None, ""))
        if change.user_id:
            wanted[user_model].add(str(change.user_id))
    names: dict[tuple[type[models.Model], str], str] = {}
    hidden = _("（无权查看）")
    for related, keys in wanted.items():
        ids = [k for k in keys if k.isdigit()]
        qs = related._default_manager.filter(pk__in=ids)
        if related is user_model:
            for u in qs.only("pk", "username", "full_name"):
                names[(related, str(u.pk))] = str(u)
            continue
        scoped = _scope_of(qs, user)
        if scoped is None:
            for key in keys:
                names[(related, key)] = hidden
            continue
        for row in scoped:
            names[(related, str(row.pk))] = str(row) if row.jc_visible else hidden
    by_model: dict[type[models.Model], dict[str, str]] = defaultdict(dict)
    for (model, key), label in names.items():
        by_model[model][key] = label
    for change in changes:
        fks = models_of[change.content_type_id]
        change.reference_names = {name: by_model[related] for name, related in fks.items()}
        if change.user_id:
            change.user_display = names.get((user_model, str(change.user_id)), change.user_name)


def audit_search(
    user: User,
    *,
    text: str = "",
    action: str = "",
    user_name: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[ObjectChange]:
    """Change records within the subtrees where ``user`` holds the audit right (organization admins)."""
    qs = ObjectChange.objects.restrict(user, scope.AUDIT)
    if text:
        qs = qs.filter(Q(object_repr__icontains=text) | Q(message__icontains=text))
    if action:
        qs = qs.filter(action=action)
    if user_name:
        qs = qs.filter(user_name__iexact=user_name)
    if since:
        qs = qs.filter(time__date__gte=since)
    if until:
        qs = qs.filter(time__date__lte=until)
    return qs.order_by("-time", "-id")
