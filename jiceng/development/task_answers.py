"""A development step answers a task (任务督办): registered with core's ``task_record_kinds``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import registry

from .models import Step, StepKind

KEY = "development_step"


def fitting(org: Any, task: Any) -> QuerySet[Step]:
    """The branch's development steps of the task's kind, dated in the window."""
    return (
        Step.objects.filter(
            development__org_id=getattr(org, "pk", org),
            kind=task.step_kind,
            on__gte=task.window_start,
            on__lte=task.window_end,
        )
        .select_related("development")
        .order_by("-on", "-id")
    )


def describe(record: Step) -> str:
    return f"{record.on:%Y-%m-%d} {record.get_kind_display()}：{record.development.name}"[:300]


def clean(spec: dict[str, Any]) -> dict[str, str]:
    if spec.get("step_kind") not in StepKind.values:
        return {"step_kind": _("请选择发展党员环节")}
    return {}


def register() -> None:
    registry.task_record_kinds.register(
        registry.TaskRecordKind(
            key=KEY,
            label=gettext_lazy("一个发展党员环节记录"),
            find=fitting,
            describe=describe,
            day=lambda r: r.on,
            new_url=lambda org, task: reverse("development:index"),
            new_label=gettext_lazy("去发展党员"),
            fields=("step_kind",),
            clean=clean,
            order=20,
        )
    )
