"""A generated year (2025) in the fixture tree whose assessment is computed by hand in the tests.

- 和平社区 (0101, no committee: theme day monthly, general meeting and Party lecture quarterly):
  every required meeting January to October, none in November and December: 10 of 12 months.
- 新华村 (0102): every required meeting all year: 12 of 12.
- 财政所 (010301): none: 0 of 12.
- One task due 2025-06-30 to every branch: 0101 answers on 2025-06-20 (on time), 0102 on
  2025-07-05 (late), 010301 never.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jiceng.life import services as life
from jiceng.tasks import services as tasks
from jiceng.tasks.models import Assignment

YEAR = 2025


def meetings(world: Any, org: Any, months: range) -> None:
    for m in months:
        day = dt.date(YEAR, m, 10)
        life.record_meeting(
            actor=world.county_admin,
            org=org,
            kind="theme_day",
            held_on=day,
            topic="主题党日",
            expected=5,
            present=5,
        )
        if m % 3 == 0:
            for kind in ("general_meeting", "party_lecture"):
                life.record_meeting(
                    actor=world.county_admin,
                    org=org,
                    kind=kind,
                    held_on=day + dt.timedelta(days=1),
                    topic="季度学习",
                    expected=5,
                    present=5,
                )


def task_year(world: Any) -> None:
    task = tasks.issue_task(
        actor=world.county_admin,
        issuer=world.root,
        title="报送半年工作总结",
        deadline=dt.date(YEAR, 6, 30),
        target="all_branches",
        answer_kind="text",
        today=dt.date(YEAR, 6, 1),
    )
    by_code = {
        a.org.code: a for a in Assignment.objects.filter(task=task).select_related("org", "task", "root")
    }
    tasks.answer(
        actor=world.county_admin, assignment=by_code["0101"], text="已报送", today=dt.date(YEAR, 6, 20)
    )
    tasks.answer(
        actor=world.county_admin, assignment=by_code["0102"], text="已报送", today=dt.date(YEAR, 7, 5)
    )


def generate(world: Any) -> None:
    meetings(world, world.branch_a, range(1, 11))
    meetings(world, world.branch_b, range(1, 13))
    task_year(world)
