"""A meeting answers a task (任务督办): registered with core's ``task_record_kinds`` from ``ready()``."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import registry

from .models import Meeting, MeetingKind

KEY = "meeting"


def fitting(org: Any, task: Any) -> QuerySet[Meeting]:
    """The branch's meetings that answer ``task``: its kind, held in the window, the keyword in the topic
    or the minutes."""
    qs = Meeting.objects.filter(
        org_id=getattr(org, "pk", org),
        kind=task.meeting_kind,
        held_on__gte=task.window_start,
        held_on__lte=task.window_end,
    )
    if task.topic_keyword:
        qs = qs.filter(Q(topic__icontains=task.topic_keyword) | Q(minutes__icontains=task.topic_keyword))
    return qs.order_by("-held_on", "-id")


def describe(record: Meeting) -> str:
    return f"{record.held_on:%Y-%m-%d} {record.get_kind_display()}：{record.topic}"[:300]


def clean(spec: dict[str, Any]) -> dict[str, str]:
    spec["topic_keyword"] = " ".join(str(spec.get("topic_keyword") or "").split())[:50]
    if spec.get("meeting_kind") not in MeetingKind.values:
        return {"meeting_kind": _("请选择会议类型")}
    return {}


def register() -> None:
    registry.task_record_kinds.register(
        registry.TaskRecordKind(
            key=KEY,
            label=gettext_lazy("一次组织生活记录"),
            find=fitting,
            describe=describe,
            day=lambda r: r.held_on,
            url=lambda org, record_id: reverse("life:detail", kwargs={"pk": record_id}),
            new_url=lambda org, task: f"{reverse('life:create')}?org={org.code}&kind={task.meeting_kind}",
            new_label=gettext_lazy("录入组织生活"),
            fields=("meeting_kind", "topic_keyword"),
            clean=clean,
            order=10,
        )
    )
