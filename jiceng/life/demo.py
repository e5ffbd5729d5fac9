"""A past year of organizational life for ``jiceng demo``: every branch's meetings since its
记录起始日期, with who attended.

Each branch holds its 支委会 (where it has a committee) and 主题党日 every month, its 支部党员大会 and
党课 every quarter, its 党小组会 every month where it has party groups, and its 组织生活会 and 民主评议党员
early in the year; most members attend, a few are excused or absent, and nobody misses more than two
主题党日 in a row (a member with no organizational life for six months would be a finding the demo does
not mean). A few meetings were skipped (seeded), so the health check of past quarters is mostly clean
with a handful of realistic findings. The meetings of the running month are not held yet: they are the
secretary's pending items on the home page.

Written in bulk (a few queries per branch), after the members and the development files are in, so
that every member of the town, the new probationary member included, has their record of attendance.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils.translation import gettext

from jiceng.core import periods
from jiceng.core.compliance import fmt_day
from jiceng.core.registry import DemoTown
from jiceng.members.demo import records_start
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, OrgKind, PartyGroup

from . import selectors
from .models import Attendance, Meeting, MeetingKind, Presence
from .services import meetings_changed

TOPICS = {
    MeetingKind.COMMITTEE_MEETING: (
        "研究本月支部工作安排",
        "研究党员教育管理工作",
        "研究发展党员工作",
        "研究党费收缴和使用情况",
        "研究为民办实事项目",
    ),
    MeetingKind.THEME_DAY: (
        "重温入党誓词",
        "走访慰问困难群众",
        "社区环境整治志愿服务",
        "参观革命传统教育基地",
        "学习党章党规",
        "政策宣讲进小区",
    ),
    MeetingKind.GENERAL_MEETING: (
        "通报支部工作，讨论季度工作计划",
        "学习贯彻上级会议精神",
        "讨论支部年度工作要点",
    ),
    MeetingKind.PARTY_LECTURE: (
        "书记讲党课：坚定理想信念",
        "党课：学习党的光辉历史",
        "党课：发扬优良作风",
    ),
    MeetingKind.GROUP_MEETING: ("党小组学习讨论",),
    MeetingKind.ORGANIZATIONAL_LIFE_MEETING: ("年度组织生活会：开展批评和自我批评",),
    MeetingKind.MEMBER_REVIEW: ("年度民主评议党员",),
}
PLACES = ("党员活动室", "会议室", "党群服务中心")
# The chance that a branch skipped one month's or one quarter's meeting of a kind.
SKIP = {
    MeetingKind.COMMITTEE_MEETING: 0.02,
    MeetingKind.THEME_DAY: 0.01,
    MeetingKind.GENERAL_MEETING: 0.03,
    MeetingKind.PARTY_LECTURE: 0.04,
    MeetingKind.GROUP_MEETING: 0.01,
}


def _day_in(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


class _Branch:
    """One branch's members and the meetings being built for it."""

    def __init__(self, org: Organization, members: list[Member], rng: random.Random) -> None:
        self.org = org
        self.members = members
        self.rng = rng
        self.missed: dict[int, int] = {}  # member → 主题党日 missed in a row
        self.meetings: list[tuple[Meeting, list[tuple[int, str]]]] = []

    def on(self, day: dt.date) -> list[Member]:
        return [m for m in self.members if m.joined_on <= day and (m.closed_on is None or m.closed_on > day)]

    def hold(
        self, kind: str, day: dt.date, people: list[Member], *, streak: bool = False, group: Any = None
    ) -> None:
        if not people:
            return
        rows = []
        for m in people:
            roll = self.rng.random()
            presence = Presence.PRESENT if roll < 0.88 else Presence.LEAVE if roll < 0.96 else Presence.ABSENT
            if streak:
                # Nobody misses three 主题党日 running: six months without a meeting is not meant here.
                if presence != Presence.PRESENT and self.missed.get(m.pk, 0) >= 2:
                    presence = Presence.PRESENT
                self.missed[m.pk] = 0 if presence == Presence.PRESENT else self.missed.get(m.pk, 0) + 1
            rows.append((m.pk, presence))
        present = [pk for pk, p in rows if p == Presence.PRESENT]
        host = self.org.secretary_id if self.org.secretary_id in present else (present or [None])[0]
        meeting = Meeting(
            org=self.org,
            org_path=self.org.path,
            group=group,
            kind=kind,
            held_on=day,
            place=self.rng.choice(PLACES),
            topic=self.rng.choice(TOPICS[kind]),
            host_id=host,
            recorder_id=present[-1] if present else None,
            expected=len(rows),
            present=len(present),
            source=Meeting.Source.RECORDED,
        )
        self.meetings.append((meeting, rows))

    def skip(self, kind: str) -> bool:
        return self.rng.random() < SKIP.get(kind, 0)


def build(org: Organization, members: list[Member], *, since: dt.date, today: dt.date, seed: int) -> _Branch:
    """The meetings of ``org`` from ``since`` to the end of the month before today's (not saved)."""
    b = _Branch(org, members, random.Random(f"life:{seed}:{org.code}"))
    groups = list(PartyGroup.objects.filter(org=org).order_by("name", "id"))
    this_month = periods.containing("month", today)
    month = periods.containing("month", since)
    while month.start < this_month.start:
        early = dt.date(month.start.year, month.start.month, 10)
        committee_day = _day_in(b.rng, month.start, early)
        committee = (
            selectors.committee_in_office(org, committee_day)
            if org.committees.filter(elected_on__lte=month.start).exists()
            else set()
        )
        if committee and not b.skip(MeetingKind.COMMITTEE_MEETING):
            b.hold(MeetingKind.COMMITTEE_MEETING, committee_day, [m for m in b.members if m.pk in committee])
        for group in groups:
            if not b.skip(MeetingKind.GROUP_MEETING):
                day = _day_in(b.rng, early, month.end)
                people = [m for m in b.on(day) if m.group_id == group.pk]
                b.hold(MeetingKind.GROUP_MEETING, day, people, group=group)
        if not b.skip(MeetingKind.THEME_DAY):
            day = _day_in(b.rng, early, month.end)
            b.hold(MeetingKind.THEME_DAY, day, b.on(day), streak=True)
        quarter = periods.containing("quarter", month.start)
        if month.start.month == quarter.start.month + 1:  # the second month of each quarter
            for kind in (MeetingKind.GENERAL_MEETING, MeetingKind.PARTY_LECTURE):
                if not b.skip(kind):
                    day = _day_in(b.rng, month.start, month.end)
                    b.hold(kind, day, b.on(day))
        if month.start.month == 1:
            for kind in (MeetingKind.ORGANIZATIONAL_LIFE_MEETING, MeetingKind.MEMBER_REVIEW):
                day = _day_in(b.rng, dt.date(month.start.year, 1, 15), month.end)
                b.hold(kind, day, b.on(day))
        month = periods.containing("month", month.end + dt.timedelta(days=1))
    return b


def save(branches: list[_Branch]) -> int:
    """Write the meetings and their attendance in bulk; the number of meetings."""
    meetings = [m for b in branches for m, _rows in b.meetings]
    Meeting.objects.bulk_create(meetings, batch_size=500)
    Attendance.objects.bulk_create(
        [
            Attendance(meeting=meeting, member_id=pk, presence=presence)
            for b in branches
            for meeting, rows in b.meetings
            for pk, presence in rows
        ],
        batch_size=2000,
    )
    return len(meetings)


def load_demo(town: DemoTown) -> None:
    """This app's part of ``jiceng demo``: a year of meetings in every branch of the town."""
    since = town.shared.get("records_since") or records_start(town.today)
    by_org: dict[int, list[Member]] = {}
    for m in Member.objects.filter(closed_on__isnull=True).order_by("name_pinyin", "id"):
        by_org.setdefault(m.org_id, []).append(m)
    branches = [
        build(org, by_org.get(org.pk, []), since=since, today=town.today, seed=town.seed)
        for org in Organization.objects.filter(kind=OrgKind.BRANCH).order_by("path")
    ]
    count = save(branches)
    meetings_changed.send(
        sender=Meeting,
        org_paths=frozenset(b.org.path for b in branches),
        first_day=since,
        last_day=town.today,
    )
    town.summary.append(
        gettext("组织生活记录：%(count)d次会议（%(since)s以来）。")
        % {"count": count, "since": fmt_day(since)}
    )
