"""A consultation carried to a decision answers a task (任务督办): registered with core's
``task_record_kinds`` from ``ready()``.

The record is a topic of the assigned organization's subtree that reached "decided" (the meeting
recorded its decision) within the task's window, by default from the day issued to the deadline; the
issuer's keyword, when given, must be in the topic's title or the meeting's decision. The branch
confirms the link once, like every record kind."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy

from jiceng.core import registry

from . import selectors
from .models import Topic

KEY = "consultation"


def fitting(org: Any, task: Any) -> QuerySet[Topic]:
    qs = selectors.decided_topics_between(org, task.window_start, task.window_end)
    if task.topic_keyword:
        qs = qs.filter(
            Q(title__icontains=task.topic_keyword) | Q(meeting__decision__icontains=task.topic_keyword)
        )
    return qs.order_by("-decided_on", "-id")


def describe(record: Topic) -> str:
    return f"{record.decided_on:%Y-%m-%d} {record.title}"[:300]


def clean(spec: dict[str, Any]) -> dict[str, str]:
    spec["topic_keyword"] = " ".join(str(spec.get("topic_keyword") or "").split())[:50]
    return {}


def register() -> None:
    registry.task_record_kinds.register(
        registry.TaskRecordKind(
            key=KEY,
            label=gettext_lazy("一次议事协商（形成决定）"),
            find=fitting,
            describe=describe,
            day=lambda r: r.decided_on,
            url=lambda org, record_id: reverse("consultation:topic", kwargs={"pk": record_id}),
            new_url=lambda org, task: reverse("consultation:topic_new"),
            new_label=gettext_lazy("发起议事协商"),
            fields=("topic_keyword",),
            clean=clean,
            order=40,
        )
    )
