"""This app's part of ``jiceng demo``: a responsibility list for the year and the street committee's
tasks to its branches: a theme day answered by the meeting records (some late, the late ones reminded,
the showcase branch with a fitting meeting waiting for its one-click confirmation), a number to report,
and, when the town has a general branch, a task one level down to pass on."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext

from jiceng.core.registry import DemoTown
from jiceng.life import services as life
from jiceng.orgs.models import Organization, OrgKind

from . import services
from .models import Assignment, Task


def present() -> bool:
    return Task.objects.exists()


def load(town: DemoTown) -> None:
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        return
    actor, today = town.actor, town.today
    # The tasks were issued a month ago: "today" of the service is that day.
    issued = today - dt.timedelta(days=30)
    theme = services.issue_task(
        actor=actor,
        issuer=root,
        title=gettext("开展“学习贯彻党的创新理论”主题党日"),
        instructions=gettext(
            "各党支部本月内开展一次主题党日，录入组织生活记录后在本任务中确认即可，无需另报材料。"
        ),
        deadline=today - dt.timedelta(days=10),
        target="all_branches",
        answer_kind="meeting",
        meeting_kind="theme_day",
        window_start=issued - dt.timedelta(days=15),
        today=issued,
    )
    count = services.issue_task(
        actor=actor,
        issuer=root,
        title=gettext("报送党员冬训参训人数"),
        instructions=gettext("请报送本支部参加今冬明春党员集中轮训的人数。"),
        deadline=today + dt.timedelta(days=10),
        target="all_branches",
        answer_kind="number",
        number_label=gettext("参训人数"),
        today=issued,
    )
    # Two branches in three held the theme day and recorded it; most confirmed it as the answer (some
    # after the deadline). The showcase branch recorded it and has not confirmed yet: its task page
    # proposes the meeting, one click away.
    showcase = town.shared.get("showcase", (None, []))[0]
    rows = list(Assignment.objects.filter(task=theme).select_related("task", "root", "org"))
    answered = 0
    for i, a in enumerate(rows):
        if i % 3 == 0 and a.org_id != getattr(showcase, "pk", None):
            continue
        meeting = life.record_meeting(
            actor=actor,
            org=a.org,
            kind="theme_day",
            held_on=issued + dt.timedelta(days=2 + i % 15),
            topic=gettext("学习贯彻党的创新理论主题党日"),
            expected=10,
            present=8 + i % 3,
        )
        if a.org_id == getattr(showcase, "pk", None):
            continue
        services.confirm_record(
            actor=actor, assignment=a, record_id=meeting.pk, today=today - dt.timedelta(days=5 + i % 10)
        )
        answered += 1
    for i, a in enumerate(Assignment.objects.filter(task=count).select_related("task", "root")):
        if i % 2 == 0:
            services.answer(actor=actor, assignment=a, number=10 + i, today=today - dt.timedelta(days=i % 7))
    services.remind(
        actor=actor, task=theme, node=root, note=gettext("请抓紧开展并录入主题党日记录。"), today=today
    )
    general = Organization.objects.get_children(root).exclude(kind=OrgKind.BRANCH).first()
    if (
        general is not None
        and Organization.objects.get_children(general).filter(kind=OrgKind.BRANCH).exists()
    ):
        services.issue_task(
            actor=actor,
            issuer=root,
            title=gettext("报送年度组织生活会召开情况"),
            deadline=today + dt.timedelta(days=20),
            target="next_level",
            answer_kind="text",
            today=issued,
        )
    year = today.year
    for content, post in (
        (gettext("履行党建工作主体责任，每年专题研究党建工作不少于2次"), "secretary"),
        (gettext("督促各党支部按期开展“三会一课”和主题党日"), "organization_member"),
        (gettext("做好发展党员工作，严格执行发展程序"), "organization_member"),
        (gettext("抓好党员教育培训，组织年度集中轮训"), "publicity_member"),
        (gettext("落实全面从严治党监督责任"), "discipline_member"),
    ):
        services.add_responsibility(actor=actor, org=root, year=year, content=content, post=post)
    town.summary.append(
        gettext("已加载任务督办演示数据：%(tasks)d项任务，%(n)d个党支部已以组织生活记录完成主题党日任务。")
        % {"tasks": Task.objects.filter(parent__isnull=True).count(), "n": answered}
    )
