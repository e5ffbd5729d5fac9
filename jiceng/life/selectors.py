"""Every read of organizational life, restricted to the user's scope.

``branch_calendar`` is a plain reading of RULES.md §2 for one branch and one month (what was held,
what is still due this month, quarter and year), leaving out what the rule sets switch off for the
period. It is deliberately simple: the compliance engine, with its versioned parameters, is the
authority for findings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.core import periods, scope
from jiceng.core.models import User
from jiceng.members.models import Member
from jiceng.orgs.models import CommitteePost, Organization, OrgKind, PartyGroup

from .models import Attendance, Meeting, MeetingAttachment, MeetingKind

ZHIBU = "中国共产党支部工作条例（试行）"


def visible_meetings(user: User, action: str = scope.VIEW) -> QuerySet[Meeting]:
    return Meeting.objects.restrict(user, action)


def meeting_list(user: User, *, org: Organization | None = None) -> QuerySet[Meeting]:
    """Meetings the user may see, optionally of one organization's subtree, newest first."""
    qs = visible_meetings(user).select_related("org", "group")
    if org is not None:
        qs = qs.filter(org_path__prefix=org.path)
    return qs.order_by("-held_on", "-id")


def get_meeting(user: User, pk: int, *, action: str = scope.VIEW) -> Meeting:
    """The meeting, or 404 when it does not exist or lies outside the user's scope."""
    return get_object_or_404(
        visible_meetings(user, action).select_related("org", "group", "host", "recorder"), pk=pk
    )


def meeting_detail(user: User, pk: int) -> Meeting:
    """One meeting with its attendance (by name) and attachments, in three queries."""
    attendance = Attendance.objects.select_related("member").order_by("member__name_pinyin", "member_id")
    return get_object_or_404(
        visible_meetings(user)
        .select_related("org", "group", "host", "recorder")
        .prefetch_related(
            Prefetch("attendance", queryset=attendance),
            Prefetch("attachments", queryset=MeetingAttachment.objects.order_by("uploaded_at", "id")),
        ),
        pk=pk,
    )


def get_attachment(user: User, pk: int) -> MeetingAttachment:
    return get_object_or_404(
        MeetingAttachment.objects.select_related("meeting").filter(
            scope.path_q("meeting__org_path", scope.paths_for(user, scope.VIEW))
        ),
        pk=pk,
    )


def roll_call(branch: Organization, meeting: Meeting | None = None) -> list[Member]:
    """Who the meeting form lists: the branch's current members, and anyone already on the meeting's
    list who has left since (so that editing an old meeting keeps its record)."""
    q = Q(org=branch, closed_on__isnull=True)
    if meeting is not None and meeting.pk:
        q |= Q(attendance__meeting=meeting)
    return list(Member.objects.filter(q).distinct().select_related("group").order_by("name_pinyin", "id"))


def committee_in_office(branch: Organization, on: dt.date) -> set[int]:
    """The members who sit on ``branch``'s committee on the day ``on`` (the committee then in force:
    elected on or before that day and not yet succeeded); a branch without one: its recorded secretary.
    A 支委会's roll call lists these, not the whole branch; an empty set means nobody is known (no
    posts recorded, no secretary), and the roll call then lists the whole branch to pick from."""
    posts = CommitteePost.objects.filter(committee__org=branch, committee__elected_on__lte=on).filter(
        Q(committee__ended_on__isnull=True) | Q(committee__ended_on__gt=on)
    )
    ids = set(posts.values_list("member_id", flat=True))
    if ids or branch.committees.filter(elected_on__lte=on).exists():
        return ids
    if branch.secretary_id and (branch.secretary_since is None or branch.secretary_since <= on):
        return {branch.secretary_id}
    return set()


def roll_call_for(
    branch: Organization,
    *,
    kind: str,
    on: dt.date,
    group: PartyGroup | None = None,
    meeting: Meeting | None = None,
) -> list[Member]:
    """Who a meeting of ``kind`` held ``on`` calls: a 支委会 the committee in office that day, a 党小组会
    its group's members, any other kind the whole branch (plus, editing, whoever is already on the
    meeting's list)."""
    people = roll_call(branch, meeting)
    recorded: set[int] = set()
    if meeting is not None and meeting.pk:
        recorded = set(meeting.attendance.values_list("member_id", flat=True))
    if kind == MeetingKind.COMMITTEE_MEETING:
        committee = committee_in_office(branch, on)
        if committee:
            return [m for m in people if m.pk in committee or m.pk in recorded]
    if kind == MeetingKind.GROUP_MEETING and group is not None:
        return [m for m in people if m.group_id == group.pk or m.pk in recorded]
    return people


def attendance_of(member: Member, *, since: dt.date | None = None) -> QuerySet[Attendance]:
    """A member's organizational life, newest first (callers have checked they may see the member)."""
    qs = Attendance.objects.filter(member=member).select_related("meeting", "meeting__org")
    if since is not None:
        qs = qs.filter(meeting__held_on__gte=since)
    return qs.order_by("-meeting__held_on")


# ---- The branch calendar ---------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One kind of meeting a branch owes in one period (RULES.md §2)."""

    code: str  # the rule code, as the compliance engine names it
    kind: str
    every: str  # month, quarter, year
    citation: str


SCHEDULE: tuple[Due, ...] = (
    Due("life.committee_meeting_monthly", MeetingKind.COMMITTEE_MEETING, "month", f"{ZHIBU}第十二条"),
    Due("life.group_meeting_monthly", MeetingKind.GROUP_MEETING, "month", f"{ZHIBU}第十三条"),
    Due("life.theme_day_monthly", MeetingKind.THEME_DAY, "month", f"{ZHIBU}第十六条"),
    Due("life.general_meeting_quarterly", MeetingKind.GENERAL_MEETING, "quarter", f"{ZHIBU}第十一条"),
    Due("life.party_lecture_quarterly", MeetingKind.PARTY_LECTURE, "quarter", _("各地通行做法")),
    Due(
        "life.organizational_life_annual",
        MeetingKind.ORGANIZATIONAL_LIFE_MEETING,
        "year",
        f"{ZHIBU}第十七条",
    ),
    Due("life.member_review_annual", MeetingKind.MEMBER_REVIEW, "year", ZHIBU),
)

HELD, DUE, MISSED = "held", "due", "missed"


@dataclass
class CalendarItem:
    due: Due
    period: periods.Period
    group: PartyGroup | None
    meetings: list[Meeting]
    status: str  # held, due (the period is not over), missed (it is over)

    @property
    def label(self) -> str:
        kind = MeetingKind(self.due.kind).label
        return f"{kind}（{self.group.name}）" if self.group is not None else str(kind)


@dataclass
class BranchCalendar:
    branch: Organization
    month: periods.Period
    quarter: periods.Period
    year: periods.Period
    today: dt.date
    months: list[CalendarItem] = field(default_factory=list)
    quarters: list[CalendarItem] = field(default_factory=list)
    years: list[CalendarItem] = field(default_factory=list)
    held_in_month: list[Meeting] = field(default_factory=list)
    held_in_quarter: list[Meeting] = field(default_factory=list)

    @property
    def outstanding(self) -> list[CalendarItem]:
        """Everything of this month, quarter and year not yet held."""
        return [i for i in (*self.months, *self.quarters, *self.years) if i.status != HELD]

    @property
    def previous_month(self) -> str:
        return periods.containing("month", self.month.start - dt.timedelta(days=1)).label

    @property
    def next_month(self) -> str:
        return periods.containing("month", self.month.end + dt.timedelta(days=1)).label


def _had_committee(branch: Organization, period: periods.Period) -> bool:
    """Whether a committee was in office on any day of ``period``."""
    return branch.committees.filter(elected_on__lte=period.end).exclude(ended_on__lt=period.start).exists()


def _item(
    due: Due, period: periods.Period, meetings: list[Meeting], today: dt.date, group=None
) -> CalendarItem:  # noqa: ANN001
    held = [
        m
        for m in meetings
        # A 党小组会 naming no group (imported history) counts for every group, as the engine counts it.
        if m.kind == due.kind and m.held_on in period and (group is None or m.group_id in (group.pk, None))
    ]
    status = HELD if held else (MISSED if period.end < today else DUE)
    return CalendarItem(due=due, period=period, group=group, meetings=held, status=status)


def branch_calendar(
    user: User, branch: Organization, *, month: periods.Period | None = None, today: dt.date | None = None
) -> BranchCalendar:
    """What a branch held and still owes in ``month`` (default: this month), its quarter and its year."""
    scope.ensure(user, scope.VIEW, branch.path)
    today = today or timezone.localdate()
    month = month or periods.containing("month", today)
    quarter = periods.containing("quarter", month.start)
    year = periods.containing("year", month.start)
    meetings = list(
        Meeting.objects.filter(org=branch, held_on__range=(year.start, year.end))
        .select_related("group")
        .order_by("held_on", "id")
    )
    calendar = BranchCalendar(branch=branch, month=month, quarter=quarter, year=year, today=today)
    if branch.kind != OrgKind.BRANCH:
        return calendar
    groups = list(PartyGroup.objects.filter(org=branch).order_by("name"))
    from jiceng.core.rulebook import RuleBook

    book = RuleBook()
    window = {"month": month, "quarter": quarter, "year": year}
    for due in SCHEDULE:
        if not book.on(due.code, window[due.every].end).enabled:
            continue  # switched off in the rule sets for this period: nothing is owed
        if due.every == "month":
            if due.kind == MeetingKind.COMMITTEE_MEETING and not _had_committee(branch, month):
                continue
            if due.kind == MeetingKind.GROUP_MEETING:
                calendar.months += [_item(due, month, meetings, today, group=g) for g in groups]
                continue
            calendar.months.append(_item(due, month, meetings, today))
        elif due.every == "quarter":
            calendar.quarters.append(_item(due, quarter, meetings, today))
        else:
            calendar.years.append(_item(due, year, meetings, today))
    calendar.held_in_month = [m for m in meetings if m.held_on in month]
    calendar.held_in_quarter = [m for m in meetings if m.held_on in quarter]
    return calendar
