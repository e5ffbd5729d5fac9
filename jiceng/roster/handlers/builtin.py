"""The tables jiceng knows: organizations and members are imported here; dues bases and meetings are
recognized (so that a full export of the national system, or gen_roster.py's folder, imports without
complaint) and skipped with a notice until the dues and organizational-life apps register handlers.
"""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from .base import Column, TableHandler, register
from .members import MembersHandler
from .orgs import OrgsHandler


class DuesBasePlaceholder(TableHandler):
    table = "dues_base"
    title = _("党费基数")
    file_name = "dues_base.csv"
    sheet_name = "党费基数"
    order = 30
    placeholder = True
    columns: ClassVar[tuple[Column, ...]] = (
        Column("id_number", "公民身份号码", ("身份证号码", "身份证号")),
        Column("income_base", "月收入基数", ("党费基数",)),
    )
    signature = frozenset({"id_number", "income_base"})


class MeetingsPlaceholder(TableHandler):
    table = "meetings"
    title = _("组织生活")
    file_name = "meetings.csv"
    sheet_name = "组织生活"
    order = 40
    placeholder = True
    columns: ClassVar[tuple[Column, ...]] = (
        Column("org_code", "组织编码"),
        Column("kind", "会议类型"),
        Column("held_on", "日期"),
        Column("topic", "主题"),
        Column("expected", "应到人数"),
        Column("present", "实到人数"),
    )
    signature = frozenset({"org_code", "kind"})


def register_all() -> None:
    from .base import get

    for handler in (OrgsHandler, MembersHandler, DuesBasePlaceholder, MeetingsPlaceholder):
        existing = get(handler.table)
        if existing is None or existing.placeholder:  # never replace a real handler another app registered
            register(handler)
