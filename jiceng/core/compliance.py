"""The compliance engine: evaluates the registered rules over a subtree and a period.

The rules are not listed here: each app registers its own (spec, bulk loaders of facts, pure judge,
sentence, explanation) with ``core.rulebook`` from its ``AppConfig.ready()``, and this module iterates
the registry. It imports no domain app.

What an evaluation does, in three steps (see docs/compliance.md):

1. **Load** the subtree's facts in bulk through the registered loaders (``Evaluation.fact``), each a
   fixed number of queries whatever the size of the subtree, each loaded once per evaluation (and per
   state day where the facts are of a day), and only when a rule switched on asks for them. Nothing is
   written: evaluation is read-only and repeatable.
2. **Judge** with each rule's judge, which receives the ``RuleParams`` in force on the day it judges
   and names its code and citation through them.
3. **Return** ``Finding`` objects, sorted by organization, rule and period.

Period semantics (RULES.md §2, also the command line's contract): evaluating a period P judges every
monthly rule for each month inside P, every quarterly rule for each quarter inside P, every annual rule
only when P is a year, every state rule as of the last day of P, and every meeting rule (``life.quorum``)
for the meetings held in P. A rule is judged with the parameters in force on the last day of the
period it judges (a meeting: the day it was held; a state rule: the state day).

A finding's ``member`` is the member's primary key (``Member.pk``, the roster key of the API); the
name travels beside it in ``member_name`` for display.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from django.db import connection
from django.utils import dateformat
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import periods
from .periods import Period
from .rulebook import (
    BY_CODE,
    MEETING,
    MONTH,
    QUARTER,
    SPECS,
    STATE,
    YEAR,
    RegistryError,
    RuleBook,
    RuleParams,
    citation_text,
    fact_loader,
    tree_loader,
)


class Subtree(Protocol):
    """What an evaluation needs of the organization evaluated (an ``Organization``)."""

    path: str


# Bump when a change of this module or of a rule function changes what an evaluation returns: stored
# results of an older engine are then never shown as current.
ENGINE_VERSION = "10"  # 2: member development (RULES.md §4); 3: secretaries of branches without a committee;
# 4: rules registered by their apps, no findings before an organization's records_since, 党工委 have no term;
# 5: a past day judged with the membership of that day (moves, merges, splits, transfers); 6: task.overdue;
# 7: partner.member_not_reported (双报到, RULES.md §10; switched off unless a rule version enables it);
# 8: dues (RULES.md §5): member.dues_unpaid_6_months and dues.unpaid_month;
# 9: agreement.project_overdue (off); 10: consultation.notice_short and consultation.item_overdue (议事协商)

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
            "citation": citation_text(self.citation),
            "message": self.message,
        }

    def status(self, today: dt.date) -> str:
        """``overdue`` when the deadline (or the state day of a present fault) has passed, else ``due``."""
        if self.due_on is not None:
            return "overdue" if self.due_on < today else "due"
        return "overdue" if periods.parse(self.period).end <= today else "due"

    @property
    def citation_text(self) -> str:
        """The citation in the reader's language."""
        return citation_text(self.citation)

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


# Messages and explanations: each rule's own, as its app registered it --------------------------------


def render_message(rule: str, facts: Mapping[str, Any]) -> str:
    message = BY_CODE[rule].message
    return message(facts) if message is not None else ""


def explanation(rule: str) -> str:
    """What the rule checks and why, for the finding's page and the rule catalogue."""
    return str(BY_CODE[rule].explanation)


def fix_url(f: Finding, today: dt.date) -> str | None:
    """The URL of the form that clears the finding, as its rule declares it (``RuleSpec.fix``), or None."""
    spec = BY_CODE.get(f.rule)
    if spec is None or spec.fix is None:
        return None
    return spec.fix(f, today)


def duty_text(f: Finding, *, today: dt.date, late: bool = False) -> str | None:
    """The duty of a finding as the rule words it: pending ("12月31日前召开支委会") or late; None when
    the rule declares no such sentence. A due date in another year than today's shows its year."""
    spec = BY_CODE.get(f.rule)
    template = (spec.late if late else spec.pending) if spec is not None else ""
    if not template:
        return None
    due = f.due_on or periods.parse(f.period).end
    shape = _("n月j日") if due.year == today.year else _("Y年n月j日")
    values = {
        **f.facts,
        "day": dateformat.format(due, shape),
        "period": fmt_period(f.period),
        "name": f.member_name,
    }
    return str(template) % values


# Dates as people read them ----------------------------------------------------------------------------


def fmt_day(value: dt.date | str) -> str:
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    # A date format (Django's letters), translated: 2026年6月5日 in Chinese, 2026-06-05 in English.
    return date_format(day, pgettext("date format of one day", "Y年n月j日"))


def fmt_period(label: str) -> str:
    """``2026-03`` → 2026年3月, ``2026-Q1`` → 2026年第一季度, ``2026`` → 2026年, a day → 2026年3月31日."""
    period = periods.parse(label)
    if period.kind == "month":
        return date_format(period.start, pgettext("date format of a month", "Y年n月"))
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
    # Judge only the rules whose code starts with one of these (empty: every rule). A caller that reads
    # a few rules' findings (an assessment indicator) skips the other judges and the facts they load.
    only: tuple[str, ...] = ()

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


def evaluate(org: Subtree, period: Period | str, *, rulebook: RuleBook | None = None) -> list[Finding]:
    """All findings for ``org``'s subtree and ``period``, exactly per RULES.md "Period semantics"."""
    return evaluate_plan(org, Plan.for_period(as_period(period)), rulebook=rulebook)


# The evaluation: the organizations of the subtree and the facts the judges ask for ---------------------


class OrgNode(NamedTuple):
    """An organization of the subtree as the judges see it (the tree's app loads these).

    ``records_since`` (记录起始日期): the day from which jiceng keeps this organization's records; no
    period starting before it and no state day before it is judged (None: records of all time).
    """

    id: int
    ref: OrgRef
    kind: str
    founded_on: dt.date | None
    records_since: dt.date | None = None

    def has_records(self, first_day: dt.date) -> bool:
        return self.records_since is None or self.records_since <= first_day

    def exists_on(self, day: dt.date) -> bool:
        return self.founded_on is None or self.founded_on <= day


_MISSING: Any = object()


class Evaluation:
    """One evaluation of a plan over a subtree: what every judge receives.

    ``fact(name, *args)`` runs the loader an app registered under ``name`` once per evaluation and
    arguments (a state day, say) and keeps its result; ``default`` answers when no installed app
    provides the facts.
    """

    def __init__(self, prefix: str, plan: Plan, book: RuleBook) -> None:
        self.prefix = prefix
        self.plan = plan
        self.book = book
        self.enabled = _enabled_codes(book, plan)
        self.orgs: list[OrgNode] = tree_loader()(prefix)
        self.by_id: dict[int, OrgNode] = {o.id: o for o in self.orgs}
        self.by_code: dict[str, OrgNode] = {o.ref.code: o for o in self.orgs}
        self._facts: dict[tuple[Any, ...], Any] = {}
        self._kinds: dict[str, list[OrgNode]] = {}
        self._existing: dict[dt.date, dict[int, OrgNode]] = {}

    def fact(self, name: str, *args: Any, default: Any = _MISSING) -> Any:
        key = (name, *args)
        if key not in self._facts:
            loader = fact_loader(name)
            if loader is None:
                if default is _MISSING:
                    raise RegistryError(f"no installed app provides the facts {name!r}")
                return default
            self._facts[key] = loader(self, *args)
        return self._facts[key]

    def of_kind(self, kind: str) -> list[OrgNode]:
        """The subtree's organizations of one kind (``branch`` …), in path order."""
        if kind not in self._kinds:
            self._kinds[kind] = [o for o in self.orgs if o.kind == kind]
        return self._kinds[kind]

    def existing_on(self, day: dt.date) -> dict[int, OrgNode]:
        """The subtree's organizations founded by ``day`` (all, where no founding date is recorded)."""
        if day not in self._existing:
            self._existing[day] = {o.id: o for o in self.orgs if o.exists_on(day)}
        return self._existing[day]

    def window(self) -> tuple[dt.date, dt.date] | None:
        """The first and last day the plan's months, quarters and years cover (None: no such period)."""
        windows = [*self.plan.months, *self.plan.quarters, *self.plan.years]
        if not windows:
            return None
        return min(p.start for p in windows), max(p.end for p in windows)


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
        if spec.judge is None:
            continue
        judged = days.get(spec.period, [])
        # A version can switch a meeting rule on or off inside the window: load if any day might need it.
        if (spec.period == MEETING and judged) or any(book.on(spec.code, d).enabled for d in judged):
            enabled.add(spec.code)
    return enabled


def raw_rows(qs: Any) -> list[tuple]:
    """The rows of a ``values_list`` queryset without Django's per-row converters (plain columns only):
    the ORM writes the SQL for either database, the cursor returns the rows. For the apps' loaders."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def probation_decisions(member_ids: Iterable[int], day: dt.date) -> dict[int, Any]:
    """The decisions on probation recorded by ``day`` (转正, 延长预备期, 取消预备党员资格), as the app
    that records them provides (member development: ``development.probation_decisions``); none without."""
    loader = fact_loader("development.probation_decisions")
    return loader(None, tuple(member_ids), day) if loader is not None else {}


# Judging --------------------------------------------------------------------------------------------------


class NoRecords(NamedTuple):
    """A period (or state day) of an organization before its ``records_since``: not judged.

    JSON (command line): ``{"org_code", "period", "status": "no_records", "message"}``.
    """

    org_code: str
    org_path: str
    org_name: str
    period: str
    records_since: dt.date

    @property
    def message(self) -> str:
        return _("%(period)s早于记录起始日期%(since)s，系统中没有该期间的记录，不作判断") % {
            "period": fmt_period(self.period),
            "since": fmt_day(self.records_since),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "org_code": self.org_code,
            "period": self.period,
            "status": "no_records",
            "message": self.message,
        }


@dataclass
class Assessment:
    """What an evaluation found, and what it could not judge for want of records."""

    findings: list[Finding]
    no_records: list[NoRecords]


def _first_day(spec: Any, when: Any, params: RuleParams | None, finding: Finding) -> dt.date:
    """The first day whose records a judgement read: a period's first day, a meeting's day, a state
    day, or for a state rule that looks back (``reaches_back``) the first day of its window."""
    if spec.period == MEETING:
        return dt.date.fromisoformat(finding.period)
    if isinstance(when, Period):
        return when.start
    if spec.reaches_back is not None and params is not None:
        return spec.reaches_back(params, when)
    return when


def _no_records(orgs: Iterable[OrgNode], plan: Plan) -> list[NoRecords]:
    """Each organization's periods and state days of the plan that start before its records_since."""
    out = []
    labelled = [(p.start, p.label) for p in (*plan.months, *plan.quarters, *plan.years)]
    labelled += [(day, day.isoformat()) for day in plan.state_days]
    for o in orgs:
        if o.records_since is None:
            continue
        for start, label in labelled:
            if start < o.records_since and o.exists_on(start):
                out.append(NoRecords(o.ref.code, o.ref.path, o.ref.name, label, o.records_since))
    out.sort(key=lambda n: (n.org_path, n.period))
    return out


def _judge(ev: Evaluation) -> list[Finding]:
    plan, book = ev.plan, ev.book
    out: list[Finding] = []

    def keep(spec: Any, when: Any, params: RuleParams | None, found: Iterable[Finding]) -> None:
        # Nothing is judged on days jiceng has no records of (before the organization's records_since).
        for f in found:
            org = ev.by_code.get(f.org_code)
            if org is None or org.has_records(_first_day(spec, when, params, f)):
                out.append(f)

    for spec in SPECS:
        if spec.code not in ev.enabled or spec.judge is None:
            continue
        if plan.only and not spec.code.startswith(plan.only):
            continue
        code, judge = spec.code, spec.judge
        if spec.period == MEETING:
            # Once for all the plan's windows (a meeting in two overlapping windows is judged once),
            # each meeting with the parameters in force on its day.
            keep(spec, None, None, judge(ev, plan.meetings, lambda day, code=code: book.on(code, day)))
            continue
        whens: Iterable[Period | dt.date] = {
            MONTH: plan.months,
            QUARTER: plan.quarters,
            YEAR: plan.years,
            STATE: plan.state_days,
        }.get(spec.period, ())
        for when in whens:
            params = book.on(code, when if isinstance(when, dt.date) else when.end)
            if params.enabled:
                keep(spec, when, params, judge(ev, when, params))
    out.sort(key=Finding.sort_key)
    return out


def evaluate_plan(org: Subtree, plan: Plan, *, rulebook: RuleBook | None = None) -> list[Finding]:
    """The findings of ``plan`` over ``org``'s subtree (``evaluate`` builds the plan from a period)."""
    return _judge(Evaluation(org.path, plan, rulebook if rulebook is not None else RuleBook()))


def assess(org: Subtree, period: Period | str, *, rulebook: RuleBook | None = None) -> Assessment:
    """``evaluate`` and the periods without records, from one load of the subtree."""
    ev = Evaluation(
        org.path, Plan.for_period(as_period(period)), rulebook if rulebook is not None else RuleBook()
    )
    return Assessment(_judge(ev), _no_records(ev.orgs, ev.plan))


def no_records(org: Subtree, period: Period | str) -> list[NoRecords]:
    """The periods and state days of ``period`` that ``org``'s subtree has no records of (one query, of
    the organizations whose records start after the period's first day only)."""
    plan = Plan.for_period(as_period(period))
    return _no_records(tree_loader()(org.path, records_after=min(plan.days())), plan)
