"""Small helpers shared by this app's tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from jiceng.life import services as life
from jiceng.tasks import services
from jiceng.tasks.models import Task

TODAY = dt.date(2026, 6, 1)


def today() -> dt.date:
    return timezone.localdate()


def theme_task(
    world: Any, *, deadline: dt.date | None = None, target: str = "all_branches", **kw: Any
) -> Task:
    """The street's task to its branches: a theme day, answered by the meeting record."""
    return services.issue_task(
        actor=world.county_admin,
        issuer=world.root,
        title="开展主题党日",
        deadline=deadline or today() + dt.timedelta(days=10),
        target=target,
        answer_kind="meeting",
        meeting_kind="theme_day",
        **kw,
    )


def theme_day(
    world: Any, org: Any = None, *, held_on: dt.date | None = None, topic: str = "学习贯彻主题党日"
) -> Any:
    return life.record_meeting(
        actor=world.county_admin,
        org=org or world.branch_a,
        kind="theme_day",
        held_on=held_on or today(),
        topic=topic,
        expected=5,
        present=5,
    )
