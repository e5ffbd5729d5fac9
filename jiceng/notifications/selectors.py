"""Every read of the notifications app: always the signed-in user's own rows, nobody else's."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from jiceng.core import events
from jiceng.core.models import User

from . import channels
from .models import Notification
from .services import choices_of, wants


def inbox(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user, inbox=True)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def get_notification(user: User, pk: int) -> Notification:
    """One of the user's own notifications; anyone else's answers 404."""
    return get_object_or_404(Notification, pk=pk, user=user, inbox=True)


@dataclass
class Row:
    event_type: events.EventType
    cells: list[tuple[str, bool]]  # (channel, on) for each available channel


def preferences(user: User) -> list[Row]:
    """The user's effective choice for every event type and each channel this installation offers."""
    available = channels.available()
    types = list(events.event_types)
    rows = []
    for t in types:
        choices = choices_of([user.pk], t.key)
        rows.append(Row(t, [(c, wants(choices, t, user.pk, c)) for c in available]))
    return rows
