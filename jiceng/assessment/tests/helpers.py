"""Small helpers shared by this app's tests."""

from __future__ import annotations

from typing import Any

from jiceng.assessment import definition, services
from jiceng.assessment.models import Scheme

TREE = """\
组织生活 | 40
  三会一课按月落实 | 30 | life.months_complete
  组织生活质量 | 10 | 评议
任务落实 | 30 | tasks.on_time
服务群众 | 20 | services.response_rate
党费 | 10 | dues.collection_rate"""


def scheme(world: Any, *, year: int = 2025, text: str = TREE, **kw: Any) -> Scheme:
    return services.create_scheme(
        actor=world.county_admin,
        owner=world.root,
        name="党支部星级评定",
        year=year,
        tree=definition.parse_text(text),
        **kw,
    )
