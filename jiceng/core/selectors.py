"""Reads of the audit trail, restricted to the user's scope."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, QuerySet

from . import scope
from .models import ObjectChange, User


def history_for(user: User, obj: models.Model) -> QuerySet[ObjectChange]:
    """The change records of one object. Callers have already checked that ``user`` may view ``obj``."""
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).order_by("-time", "-id")


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
