"""The compliance engine: evaluates the rules of RULES.md §1, §2 and two of §3 over a subtree and a period.

What it does, in three steps (see docs/compliance.md):

1. **Load** the subtree's facts in bulk, with a number of queries that does not depend on the size of
   the subtree: one for the organizations, one for the meetings of the window (distinct branch, kind,
   party group and month), one each for party groups, committees, committee sizes, committees'
   secretaries, the secretaries of branches without a committee and voted meetings, and per state day one for member counts by branch, one for probationary members
   and one for attendance. Nothing is written: evaluation is read-only and repeatable.
2. **Judge** with pure rule functions over plain data (``jiceng.orgs.rules_compliance``,
   ``jiceng.life.rules``, ``jiceng.members.rules_compliance``). Each receives the ``RuleParams`` in
   force on the day it judges and names its code and citation through them.
3. **Return** ``Finding`` objects, sorted by organization, rule and period.

Period semantics (RULES.md §2, also the command line's contract): evaluating a period P judges every
monthly rule for each month inside P, every quarterly rule for each quarter inside P, every annual rule
only when P is a year, every state rule as of the last day of P, and the meeting rule (``life.quorum``)
for every meeting held in P. A rule is judged with the parameters in force on the last day of the
period it judges (a meeting: the day it was held; a state rule: the state day).

A finding's ``member`` is the member's primary key (``Member.pk``, the roster key of the API); the
name travels beside it in ``member_name`` for display.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils.translation import gettext as _

from . import periods
from .periods import Period
from .rulebook import BY_CODE, MEETING, MONTH, QUARTER, SPECS, STATE, YEAR, RuleBook, RuleParams

if TYPE_CHECKING:
    from jiceng.orgs.models import Organization

# Bump when a change of this module or of a rule function changes what an evaluation returns: stored
# results of an older engine are then never shown as current.
ENGINE_VERSION = "3"  # 2: member development (RULES.md §4); 3: secretaries of branches without a committee

# Actions of the change record that change no data the rules read (they never make findings stale).
NON_DATA_ACTIONS = frozenset({"login", "login_failed", "logout", "reveal", "export"})


# Findings -------------------------------------------------------------------------------------------


class OrgRef(NamedTuple):
    """The organization a finding is about, as the rule functions see it."""

    code: str
    path: str
    name: str


@dataclass(slots=True)
class Finding:
    """One breach (or, for ``org.committee_term_due``, one reminder) of a rule.

    The JSON contract (command line, API) is ``as_json()``: exactly ``org_code``, ``rule``, ``period``,
    ``member``, ``params``, ``citation``, ``message``. The other fields serve the pages.
    """

    org_code: str
    rule: str
    period: str  # YYYY-MM, YYYY-Qn, YYYY, or YYYY-MM-DD (state rules, meetings)
    member: int | None  # Member.pk when the finding is about a person
    params: dict[str, Any]  # the parameter values the judgement used (JSON values)
    citation: str
    facts: dict[str, Any] = field(default_factory=dict)  # the message's arguments (JSON values)
    org_path: str = ""
    org_name: str = ""
    member_name: str = ""
    subject: str = ""  # tells apart two findings of one rule, organization and period (group, meeting)
    due_on: dt.date | None = None  # the deadline, for rules of a period and reminders

    @property
    def message(self) -> str:
        """A plain Chinese sentence (in the active language), rendered from the rule and its facts."""
        return render_message(self.rule, self.facts)

    @property
    def key(self) -> tuple[str, str, str, int | None, str]:
        return (self.org_code, self.rule, self.period, self.member, self.subject)

    def sort_key(self) -> tuple[str, str, str, int, str]:
        return (self.org_path, self.rule, self.period, self.member or 0, self.subject)

    def as_json(self) -> dict[str, Any]:
        return {
            "org_code": self.org_code,
            "rule": self.rule,
            "period": self.period,
            "member": self.member,
            "params": self.params,
            "citation": self.citation,
            "message": self.message,
        }

    def status(self, today: dt.date) -> str:
        """``overdue`` when the deadline (or the state day of a present fault) has passed, else ``due``."""
        if self.due_on is not None:
            return "overdue" if self.due_on < today else "due"
        return "overdue" if periods.parse(self.period).end <= today else "due"

    @property
    def title(self) -> str:
        return str(BY_CODE[self.rule].title)

    @property
    def development_id(self) -> int | None:
        """The development file a finding of RULES.md §4 is about (its ``subject``), else None."""
        if not self.subject.startswith("development:"):
            return None
        return int(self.subject.split(":")[1])


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def make_finding(
    params: RuleParams,
    org: OrgRef,
    period: str,
    facts: Mapping[str, Any],
    *,
    used: Mapping[str, Any] | None = None,
    member: int | None = None,
    member_name: str = "",
    subject: str = "",
    due_on: dt.date | None = None,
) -> Finding:
    """A finding judged with ``params``: its code, citation and parameter values come from there."""
    values = params.values if used is None else used
    return Finding(
        org_code=org.code,
        rule=params.code,
        period=period,
        member=member,
        params={k: _plain(v) for k, v in values.items()},
        citation=params.citation,
        facts={k: _plain(v) for k, v in facts.items()},
        org_path=org.path,
        org_name=org.name,
        member_name=member_name,
        subject=subject,
        due_on=due_on,
    )


# Messages and explanations: each rule module keeps its own sentences ---------------------------------


def _registries() -> tuple[dict[str, Callable[[Mapping[str, Any]], str]], dict[str, Any]]:
    from jiceng.development import rules as development_rules
    from jiceng.life import rules as life_rules
    from jiceng.members import rules_compliance as member_rules
    from jiceng.orgs import rules_compliance as org_rules

    messages: dict[str, Callable[[Mapping[str, Any]], str]] = {}
    explanations: dict[str, Any] = {}
    for module in (org_rules, life_rules, member_rules, development_rules):
        messages.update(module.MESSAGES)
        explanations.update(module.EXPLANATIONS)
    return messages, explanations


def render_message(rule: str, facts: Mapping[str, Any]) -> str:
    messages, _explanations = _registries()
    return messages[rule](facts)


def explanation(rule: str) -> str:
    """What the rule checks and why, for the finding's page."""
    _messages, explanations = _registries()
    return str(explanations[rule])


# Dates as people read them ----------------------------------------------------------------------------


def fmt_day(value: dt.date | str) -> str:
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return _("%(year)s年%(month)s月%(day)s日") % {"year": day.year, "month": day.month, "day": day.day}


def fmt_period(label: str) -> str:
    """``2026-03`` → 2026年3月, ``2026-Q1`` → 2026年第一季度, ``2026`` → 2026年, a day → 2026年3月31日."""
    period = periods.parse(label)
    if period.kind == "month":
        return _("%(year)s年%(month)s月") % {"year": period.start.year, "month": period.start.month}
    if period.kind == "quarter":
        names = (_("第一季度"), _("第二季度"), _("第三季度"), _("第四季度"))
        return _("%(year)s年%(quarter)s") % {
            "year": period.start.year,
            "quarter": names[(period.start.month - 1) // 3],
        }
    if period.kind == "year":
        return _("%(year)s年") % {"year": period.start.year}
    return fmt_day(period.start)


# The evaluation plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Which periods each kind of rule is judged for."""

    months: tuple[Period, ...] = ()
    quarters: tuple[Period, ...] = ()
    years: tuple[Period, ...] = ()
    state_days: tuple[dt.date, ...] = ()
    meetings: tuple[Period, ...] = ()  # life.quorum judges the meetings held in these

    @classmethod
    def for_period(cls, period: Period) -> Plan:
        """RULES.md §2 "Period semantics". A day (YYYY-MM-DD) contains no month, quarter or year."""
        if period.kind == "day":
            return cls(state_days=(period.end,), meetings=(period,))
        return cls(
            months=tuple(period.months()),
            quarters=tuple(period.quarters()),
            years=tuple(period.years()),
            state_days=(period.end,),
            meetings=(period,),
        )

    def days(self) -> list[dt.date]:
        out = [p.start for p in (*self.months, *self.quarters, *self.years)]
        out += [p.end for p in (*self.months, *self.quarters, *self.years, *self.meetings)]
        out += [p.start for p in self.meetings]
        return [*out, *self.state_days]


FIRST_YEAR, LAST_YEAR = 1900, 2999


def parse_period(text: str) -> Period:
    """A period to evaluate, or ``PeriodError`` with a message a person understands."""
    period = periods.parse(text)
    if not FIRST_YEAR <= period.start.year <= LAST_YEAR:
        raise periods.PeriodError(
            _("期间超出范围：%(text)s（年份应在%(first)s至%(last)s之间）")
            % {"text": text, "first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return period


def as_period(value: Period | str) -> Period:
    return value if isinstance(value, Period) else parse_period(value)


def evaluate(org: Organization, period: Period | str, *, rulebook: RuleBook | None = None) -> list[Finding]:
    """All findings for ``org``'s subtree and ``period``, exactly per RULES.md "Period semantics"."""
    return evaluate_plan(org, Plan.for_period(as_period(period)), rulebook=rulebook)


# Facts loaded in bulk -----------------------------------------------------------------------------------


class _Org(NamedTuple):
    id: int
    ref: OrgRef
    kind: str
    founded_on: dt.date | None

    def exists_on(self, day: dt.date) -> bool:
        return self.founded_on is None or self.founded_on <= day


class _Committee(NamedTuple):
    id: int
    org_id: int
    elected_on: dt.date
    term_years: int | None  # None: appointed (党工委), no term
    extended_to: dt.date | None
    ended_on: dt.date | None

    def in_force_on(self, day: dt.date) -> bool:
        return self.elected_on <= day and (self.ended_on is None or self.ended_on > day)


@dataclass
class _Facts:
    orgs: list[_Org]
    committees: dict[int, list[_Committee]] = field(default_factory=dict)  # by org id
    committee_sizes: dict[int, int] = field(default_factory=dict)  # by committee id
    secretaries: dict[int, tuple] = field(default_factory=dict)  # committee id → secretary row
    # A branch without a committee: its own secretary (Organization.secretary), org id → row.
    branch_secretaries: dict[int, tuple] = field(default_factory=dict)
    held: dict[tuple[int, str], tuple[dt.date, ...]] = field(
        default_factory=dict
    )  # (org, kind) → month starts
    group_held: dict[tuple[int, int | None], tuple[dt.date, ...]] = field(default_factory=dict)
    groups: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # org id → [(group id, name)]
    voted: list[tuple] = field(default_factory=list)
    _on: dict[dt.date, dict[int, _Committee]] = field(default_factory=dict)

    def committees_on(self, day: dt.date) -> dict[int, _Committee]:
        """The committee in force on ``day`` of each organization that has one (the latest elected)."""
        if day not in self._on:
            found: dict[int, _Committee] = {}
            for org_id, items in self.committees.items():
                current = [c for c in items if c.in_force_on(day)]
                if current:
                    found[org_id] = max(current, key=lambda c: c.elected_on)
            self._on[day] = found
        return self._on[day]


def _enabled_codes(book: RuleBook, plan: Plan) -> set[str]:
    """Rules switched on for at least one of the days the plan judges (to skip loading what none needs)."""
    days = {
        STATE: list(plan.state_days),
        MONTH: [p.end for p in plan.months],
        QUARTER: [p.end for p in plan.quarters],
        YEAR: [p.end for p in plan.years],
        MEETING: [d for p in plan.meetings for d in (p.start, p.end)],
    }
    enabled = set()
    for spec in SPECS:
        judged = days.get(spec.period, [])
        # A version can switch a meeting rule on or off inside the window: load if any day might need it.
        if (spec.period == MEETING and judged) or any(book.on(spec.code, d).enabled for d in judged):
            enabled.add(spec.code)
    return enabled


def _load(prefix: str, plan: Plan, enabled: set[str]) -> _Facts:
    from jiceng.life.models import Meeting
    from jiceng.orgs.models import Committee, CommitteePost, Organization, PartyGroup

    orgs = [
        _Org(pk, OrgRef(code, path, name), kind, founded)
        for pk, path, code, name, kind, founded in Organization.objects.filter(path__prefix=prefix)
        .order_by("path")
        .values_list("id", "path", "code", "name", "kind", "founded_on")
    ]
    facts = _Facts(orgs=orgs)
    days = plan.days()
    if not days:
        return facts

    period_rules = {c for c in enabled if BY_CODE[c].period in (MONTH, QUARTER, YEAR)}
    windows = [*plan.months, *plan.quarters, *plan.years]
    if period_rules and windows:
        start, end = min(p.start for p in windows), max(p.end for p in windows)
        months = periods.Period(start, end, "window").months()
        kinds = {_KIND_OF[c] for c in period_rules}
        # The month of each meeting as a plain CASE (portable, and no date conversions per row).
        month_of = Case(
            *[When(held_on__gte=m.start, held_on__lte=m.end, then=Value(i)) for i, m in enumerate(months)],
            output_field=IntegerField(),
        )
        rows = (
            Meeting.objects.filter(
                org_path__prefix=prefix, held_on__gte=start, held_on__lte=end, kind__in=kinds
            )
            .order_by()
            .annotate(month=month_of)
            .values_list("org_id", "kind", "group_id", "month")
            .distinct()
        )
        held: dict[tuple[int, str], set[dt.date]] = defaultdict(set)
        group_held: dict[tuple[int, int | None], set[dt.date]] = defaultdict(set)
        for org_id, kind, group_id, index in _raw(rows):
            month = months[index].start
            held[(org_id, kind)].add(month)
            if kind == "group_meeting":
                group_held[(org_id, group_id)].add(month)
        facts.held = {k: tuple(v) for k, v in held.items()}
        facts.group_held = {k: tuple(v) for k, v in group_held.items()}
        if "life.group_meeting_monthly" in period_rules:
            groups: dict[int, list[tuple[int, str]]] = defaultdict(list)
            for gid, org_id, name in (
                PartyGroup.objects.filter(org__path__prefix=prefix)
                .order_by("org_id", "name", "id")
                .values_list("id", "org_id", "name")
            ):
                groups[org_id].append((gid, name))
            facts.groups = dict(groups)

    committee_rules = {
        "life.committee_meeting_monthly",
        "org.committee_missing",
        "org.committee_size",
        "org.committee_term_expired",
        "org.committee_term_due",
        "org.secretary_missing",
        "org.secretary_standing_short",
    }
    if enabled & committee_rules:
        lo, hi = min(days), max(days)
        in_window = Q(elected_on__lte=hi) & (Q(ended_on__isnull=True) | Q(ended_on__gt=lo))
        committees: dict[int, list[_Committee]] = defaultdict(list)
        for row in (
            Committee.objects.filter(in_window, org__path__prefix=prefix)
            .order_by()
            .values_list("id", "org_id", "elected_on", "term_years", "extended_to", "ended_on")
        ):
            committees[row[1]].append(_Committee(*row))
        facts.committees = dict(committees)
        posts = CommitteePost.objects.filter(
            committee__org__path__prefix=prefix,
            committee__elected_on__lte=hi,
        ).filter(Q(committee__ended_on__isnull=True) | Q(committee__ended_on__gt=lo))
        if "org.committee_size" in enabled:
            facts.committee_sizes = dict(
                posts.order_by()
                .values("committee_id")
                .annotate(n=Count("id"))
                .values_list("committee_id", "n")
            )
        if enabled & {"org.secretary_missing", "org.secretary_standing_short"}:
            facts.secretaries = {
                row[0]: row
                for row in posts.filter(post="secretary")
                .order_by()
                .values_list(
                    "committee_id",
                    "member_id",
                    "member__name",
                    "member__full_member_on",
                    "member__standing_correction",
                    "member__joined_on",
                    "member__closed_on",
                )
            }
            # One query for the subtree: the secretaries of branches that have no committee (支部条例).
            facts.branch_secretaries = {
                row[0]: row
                for row in Organization.objects.filter(
                    path__prefix=prefix, kind="branch", secretary__isnull=False, secretary_since__lte=hi
                )
                .order_by()
                .values_list(
                    "id",
                    "secretary_since",
                    "secretary_id",
                    "secretary__org_id",
                    "secretary__name",
                    "secretary__full_member_on",
                    "secretary__standing_correction",
                    "secretary__joined_on",
                    "secretary__closed_on",
                )
            }

    if "life.quorum" in enabled and plan.meetings:
        q = Q(pk__in=[])
        for p in plan.meetings:
            q |= Q(held_on__gte=p.start, held_on__lte=p.end)
        facts.voted = list(
            Meeting.objects.filter(q, org_path__prefix=prefix, voted=True)
            .order_by("held_on", "id")
            .values_list("id", "org_id", "kind", "held_on", "voting_members", "voters_present")
        )
    return facts


def _raw(qs: Any) -> list[tuple]:
    """The rows of a ``values_list`` queryset without Django's per-row converters (plain columns only):
    the ORM writes the SQL for either database, the cursor returns the rows."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _member_counts(prefix: str, day: dt.date) -> dict[int, tuple[int, int]]:
    """(members, full members) of each branch on ``day``: joined by then, not yet closed, full by then."""
    from jiceng.members.models import Member

    full_by_then = Q(status="full") & (Q(full_member_on__isnull=True) | Q(full_member_on__lte=day))
    rows = (
        _members_on(Member.objects.filter(org_path__prefix=prefix), day)
        .order_by()
        .values("org_id")
        .annotate(total=Count("id"), full=Count("id", filter=full_by_then))
        .values_list("org_id", "total", "full")
    )
    return {org_id: (total, full) for org_id, total, full in _raw(rows)}


def _members_on(qs: Any, day: dt.date, prefix: str = "") -> Any:
    return qs.filter(Q(**{f"{prefix}joined_on__lte": day})).filter(
        Q(**{f"{prefix}closed_on__isnull": True}) | Q(**{f"{prefix}closed_on__gt": day})
    )


def _probationary(prefix: str, day: dt.date) -> list[tuple]:
    """Members who were probationary on ``day`` (not yet full members by then)."""
    from jiceng.members.models import Member

    return list(
        _members_on(Member.objects.filter(org_path__prefix=prefix), day)
        .filter(Q(status="probationary") | Q(full_member_on__gt=day))
        .order_by("id")
        .values_list("id", "org_id", "name", "joined_on", "full_member_on")
    )


def probation_decisions(member_ids: Iterable[int], day: dt.date) -> dict[int, Any]:
    """The decisions on probation recorded by ``day`` through member development (转正, 延长预备期,
    取消预备党员资格): ``{member id: members.rules_compliance.ProbationDecision}``."""
    from jiceng.development.selectors import probation_decisions as recorded

    return recorded(member_ids, day)


def _attendance(prefix: str, day: dt.date, months: int) -> list[tuple]:
    """Members without a single 'present' in the window before ``day``, with their absences by kind."""
    from jiceng.life.models import Attendance
    from jiceng.members import rules_compliance as member_rules

    after, until = member_rules.no_life_window(day, months)
    return list(
        _members_on(
            Attendance.objects.filter(
                member__org_path__prefix=prefix, meeting__held_on__gt=after, meeting__held_on__lte=until
            ),
            day,
            prefix="member__",
        )
        .order_by()
        .values("member_id", "member__org_id", "member__name", "member__joined_on")
        .annotate(
            present=Count("id", filter=Q(presence="present")),
            leave=Count("id", filter=Q(presence="leave")),
            absent=Count("id", filter=Q(presence="absent")),
        )
        .filter(present=0)
        .values_list(
            "member_id", "member__org_id", "member__name", "member__joined_on", "present", "leave", "absent"
        )
    )


# Which meeting kind each periodic rule looks for.
_KIND_OF = {
    "life.general_meeting_quarterly": "general_meeting",
    "life.committee_meeting_monthly": "committee_meeting",
    "life.group_meeting_monthly": "group_meeting",
    "life.party_lecture_quarterly": "party_lecture",
    "life.theme_day_monthly": "theme_day",
    "life.organizational_life_annual": "organizational_life_meeting",
    "life.member_review_annual": "member_review",
}


# Judging --------------------------------------------------------------------------------------------------


def evaluate_plan(org: Organization, plan: Plan, *, rulebook: RuleBook | None = None) -> list[Finding]:
    """The findings of ``plan`` over ``org``'s subtree (``evaluate`` builds the plan from a period)."""
    from jiceng.life import rules as life_rules
    from jiceng.members import rules_compliance as member_rules
    from jiceng.orgs import rules_compliance as org_rules

    book = rulebook if rulebook is not None else RuleBook()
    enabled = _enabled_codes(book, plan)
    prefix = org.path
    facts = _load(prefix, plan, enabled)
    out: list[Finding] = []
    branches = [o for o in facts.orgs if o.kind == "branch"]
    by_id = {o.id: o for o in facts.orgs}

    # §2: meetings per month, quarter, year (branches only; a branch founded during a period is not
    # judged for it).
    for code in ("life.committee_meeting_monthly", "life.theme_day_monthly", "life.group_meeting_monthly"):
        if code not in enabled:
            continue
        for month in plan.months:
            params = book.on(code, month.end)
            if not params.enabled:
                continue
            kind = _KIND_OF[code]
            with_committee = (
                facts.committees_on(month.start) if code == "life.committee_meeting_monthly" else {}
            )
            for b in branches:
                if not b.exists_on(month.start):
                    continue
                if code == "life.committee_meeting_monthly":
                    f = life_rules.committee_meeting_monthly(
                        org=b.ref,
                        month=month,
                        has_committee=b.id in with_committee,
                        held=facts.held.get((b.id, kind), ()),
                        params=params,
                    )
                    if f:
                        out.append(f)
                elif code == "life.theme_day_monthly":
                    f = life_rules.theme_day_monthly(
                        org=b.ref, month=month, held=facts.held.get((b.id, kind), ()), params=params
                    )
                    if f:
                        out.append(f)
                else:
                    joint = facts.group_held.get((b.id, None), ())
                    for gid, name in facts.groups.get(b.id, ()):
                        f = life_rules.group_meeting_monthly(
                            org=b.ref,
                            month=month,
                            group_id=gid,
                            group_name=name,
                            held=[*facts.group_held.get((b.id, gid), ()), *joint],
                            params=params,
                        )
                        if f:
                            out.append(f)
    for code, windows in (
        ("life.general_meeting_quarterly", plan.quarters),
        ("life.party_lecture_quarterly", plan.quarters),
        ("life.organizational_life_annual", plan.years),
        ("life.member_review_annual", plan.years),
    ):
        if code not in enabled:
            continue
        judge = getattr(life_rules, code.split(".", 1)[1])
        for window in windows:
            params = book.on(code, window.end)
            if not params.enabled:
                continue
            kind = _KIND_OF[code]
            for b in branches:
                if b.exists_on(window.start):
                    f = judge(org=b.ref, period=window, held=facts.held.get((b.id, kind), ()), params=params)
                    if f:
                        out.append(f)

    if "life.quorum" in enabled:
        for mid, org_id, kind, held_on, voting, present in facts.voted:
            o = by_id.get(org_id)
            if o is None:
                continue
            f = life_rules.quorum(
                org=o.ref,
                meeting_id=mid,
                kind=kind,
                held_on=held_on,
                voting_members=voting,
                voters_present=present,
                params=book.on("life.quorum", held_on),
            )
            if f:
                out.append(f)

    # §1 and §3: the state on each state day.
    for day in plan.state_days:
        out.extend(_judge_state(prefix, day, facts, book, enabled, org_rules, member_rules))

    out.sort(key=Finding.sort_key)
    return out


def _judge_state(
    prefix: str,
    day: dt.date,
    facts: _Facts,
    book: RuleBook,
    enabled: set[str],
    org_rules: Any,
    member_rules: Any,
) -> list[Finding]:
    params = {s.code: book.on(s.code, day) for s in SPECS if s.period == STATE and s.code in enabled}
    on = {code for code, p in params.items() if p.enabled}
    out: list[Finding] = []
    existing = [o for o in facts.orgs if o.exists_on(day)]
    by_id = {o.id: o for o in existing}
    count_rules = {
        "org.branch_too_small",
        "org.branch_too_large",
        "org.committee_missing",
        "org.committee_size",
    }
    counts = _member_counts(prefix, day) if on & count_rules else {}

    in_force = facts.committees_on(day)
    for o in existing:
        committee = in_force.get(o.id)
        if committee is not None and committee.term_years is not None:  # appointed (党工委): no term
            term = org_rules.TermFacts(committee.elected_on, committee.term_years, committee.extended_to)
            for code, judge in (
                ("org.committee_term_expired", org_rules.committee_term_expired),
                ("org.committee_term_due", org_rules.committee_term_due),
            ):
                if code in on:
                    f = judge(org=o.ref, day=day, term=term, params=params[code])
                    if f:
                        out.append(f)
        if o.kind != "branch":
            continue
        total, full = counts.get(o.id, (0, 0))
        if "org.branch_too_small" in on:
            f = org_rules.branch_too_small(
                org=o.ref, day=day, full_members=full, params=params["org.branch_too_small"]
            )
            if f:
                out.append(f)
        if "org.branch_too_large" in on:
            f = org_rules.branch_too_large(
                org=o.ref, day=day, members=total, params=params["org.branch_too_large"]
            )
            if f:
                out.append(f)
        if "org.committee_missing" in on:
            f = org_rules.committee_missing(
                org=o.ref,
                day=day,
                full_members=full,
                has_committee=committee is not None,
                params=params["org.committee_missing"],
            )
            if f:
                out.append(f)
        if "org.committee_size" in on and committee is not None:
            f = org_rules.committee_size(
                org=o.ref,
                day=day,
                size=facts.committee_sizes.get(committee.id, 0),
                committee_required=full >= book.on("org.committee_missing", day)["committee_threshold"],
                params=params["org.committee_size"],
            )
            if f:
                out.append(f)
        secretary = None
        if committee is not None:
            row = facts.secretaries.get(committee.id)
            if row is not None:
                _cid, mid, name, full_on, correction, joined, closed = row
                if joined <= day and (closed is None or closed > day):
                    secretary = org_rules.SecretaryFacts(mid, name, full_on, correction)
        else:
            # No committee in force: the branch's own secretary, from the day recorded, while still
            # an active member of this branch.
            row = facts.branch_secretaries.get(o.id)
            if row is not None:
                _oid, since, mid, member_org, name, full_on, correction, joined, closed = row
                if since <= day and member_org == o.id and joined <= day and (closed is None or closed > day):
                    secretary = org_rules.SecretaryFacts(mid, name, full_on, correction)
        if "org.secretary_missing" in on:
            f = org_rules.secretary_missing(
                org=o.ref,
                day=day,
                has_secretary=secretary is not None,
                params=params["org.secretary_missing"],
            )
            if f:
                out.append(f)
        if "org.secretary_standing_short" in on and secretary is not None:
            f = org_rules.secretary_standing_short(
                org=o.ref, day=day, secretary=secretary, params=params["org.secretary_standing_short"]
            )
            if f:
                out.append(f)

    if "member.probation_overdue" in on:
        rows = _probationary(prefix, day)
        decisions = probation_decisions([r[0] for r in rows], day)
        p = params["member.probation_overdue"]
        for mid, org_id, name, joined, full_on in rows:
            o = by_id.get(org_id)
            if o is None:
                continue
            f = member_rules.probation_overdue(
                org=o.ref,
                member_id=mid,
                name=name,
                day=day,
                joined_on=joined,
                full_member_on=full_on,
                decision=decisions.get(mid),
                params=p,
            )
            if f:
                out.append(f)

    dev_codes = {"dev.talk_within_month", "dev.review_half_yearly", "dev.approval_within"}
    if on & dev_codes:
        from jiceng.development import rules as dev_rules
        from jiceng.development.selectors import timelines_in

        for development, timeline in timelines_in(prefix):
            o = by_id.get(development.org_id)
            if o is None or development.applied_on > day:
                continue
            args = {
                "org": o.ref,
                "file_id": development.pk,
                "name": development.name,
                "day": day,
                "timeline": timeline,
            }
            if "dev.talk_within_month" in on:
                f = dev_rules.talk_overdue(**args, params=params["dev.talk_within_month"])
                if f:
                    out.append(f)
            if "dev.review_half_yearly" in on:
                f = dev_rules.review_overdue(**args, params=params["dev.review_half_yearly"])
                if f:
                    out.append(f)
            if "dev.approval_within" in on:
                out.extend(dev_rules.approval_overdue(**args, params=params["dev.approval_within"]))

    if "member.no_life_6_months" in on:
        p = params["member.no_life_6_months"]
        for mid, org_id, name, joined, present, leave, absent in _attendance(prefix, day, p["months"]):
            o = by_id.get(org_id)
            if o is None:
                continue
            f = member_rules.no_life_6_months(
                org=o.ref,
                member_id=mid,
                name=name,
                day=day,
                joined_on=joined,
                present=present,
                leave=leave,
                absent=absent,
                params=p,
            )
            if f:
                out.append(f)
    return out
