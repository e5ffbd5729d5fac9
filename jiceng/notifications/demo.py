"""The notifications' part of ``jiceng demo``: the town's daily job run once, so the secretaries find
the development steps coming due in their inbox (delivered when the demo's transaction commits)."""

from __future__ import annotations

from jiceng.core.registry import DemoTown

from .models import Notification


def present() -> bool:
    return Notification.objects.exists()


def load(town: DemoTown) -> None:
    from jiceng.development.notices import announce_due_steps

    n = announce_due_steps(town.today)
    town.summary.append(f"通知：{n}条发展党员到期提醒")
