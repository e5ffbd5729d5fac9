"""Reads for the health-check (体检) pages, the ranking of children, the export and the due list.

Scope: every entry point looks the organization up through ``orgs.selectors.get_org`` (404 outside the
user's subtrees). A visible organization's whole subtree is visible (scope is by subtree), so its
findings, counts and children can be shown whole.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, compliance, periods, scope
from jiceng.core.models import User
from jiceng.core.periods import Period
from jiceng.core.rulebook import BY_CODE, SPECS, RuleSpec
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization, OrgKind

from . import store
from .models import ComplianceRefresh, ComplianceRun, StoredFinding

# Periods -----------------------------------------------------------------------------------------------


def default_period(today: dt.date) -> Period:
    """The last quarter that has ended: a health check judges a finished period (the due list shows the
    running one)."""
    current = periods.containing("quarter", today)
    return periods.containing("quarter", current.start - dt.timedelta(days=1))


def period_choices(today: dt.date) -> list[tuple[str, str]]:
    """Recent periods for the selector: the running and last 4 quarters, 12 months, 2 years."""
    out: list[Period] = []
    q = periods.containing("quarter", today)
    for _i in range(5):
        out.append(q)
        q = periods.containing("quarter", q.start - dt.timedelta(days=1))
    m = periods.containing("month", today)
    for _i in range(12):
        out.append(m)
        m = periods.containing("month", m.start - dt.timedelta(days=1))
    out += [periods.year(today.year), periods.year(today.year - 1)]
    return [(p.label, compliance.fmt_period(p.label)) for p in out]


def parse_period(text: str | None, today: dt.date) -> tuple[Period, str]:
    """The period asked for, or the default with an error message when the text is not a period."""
    if not text:
        return default_period(today), ""
    try:
        return compliance.parse_period(text), ""
    except periods.PeriodError as e:
        return default_period(today), str(e)


ORG_CODE = re.compile(r"[0-9A-Za-z_-]{1,32}")


def get_org(user: User, code: str) -> Organization:
    """The organization (404 outside the user's scope, or when the code cannot be one)."""
    if not ORG_CODE.fullmatch(code or ""):
        raise Http404
    return org_selectors.get_org(user, code=code)


# Status (due / overdue) in SQL, the same as Finding.status ---------------------------------------------


def overdue_q(today: dt.date) -> Q:
    # Findings without a deadline are about a day (state rules, meetings): their label is that day.
    return Q(due_on__lt=today) | Q(due_on__isnull=True, period__lte=today.isoformat())


# The health check ---------------------------------------------------------------------------------------


@dataclass
class RuleCount:
    spec: RuleSpec
    count: int


@dataclass
class ChildCount:
    org: Organization
    count: int
    branches: int = 0

    @property
    def per_branch(self) -> float | None:
        return round(self.count / self.branches, 2) if self.branches else None


@dataclass
class HealthCheck:
    org: Organization
    period: Period
    served: store.Served
    findings: QuerySet[StoredFinding]
    total: int
    overdue: int
    orgs_with_findings: int
    by_rule: list[RuleCount] = field(default_factory=list)
    by_child: list[ChildCount] = field(default_factory=list)
    own: int = 0  # findings about the organization itself (a committee's term, say)

    @property
    def due(self) -> int:
        return self.total - self.overdue

    @property
    def run(self) -> ComplianceRun | None:
        return self.served.run


def _children_counts(org: Organization, qs: QuerySet) -> dict[str, int]:
    length = len(org.path) + Organization.steplen
    rows = (
        qs.filter(org_path__prefix=org.path)
        .exclude(org_path=org.path)
        .order_by()
        .annotate(child=Substr("org_path", 1, length))
        .values("child")
        .annotate(n=Count("id"))
        .values_list("child", "n")
    )
    return dict(rows)


def health_check(user: User, *, code: str, period: Period, today: dt.date | None = None) -> HealthCheck:
    today = today or timezone.localdate()
    org = get_org(user, code)
    served = store.serve(org, period)
    qs = store.findings_of(served.run, org) if served.run else StoredFinding.objects.none()
    agg = qs.aggregate(
        total=Count("id"),
        overdue=Count("id", filter=overdue_q(today)),
        own=Count("id", filter=Q(org_path=org.path)),
    )
    by_rule_counts = dict(qs.order_by().values("rule").annotate(n=Count("id")).values_list("rule", "n"))
    by_rule = [RuleCount(s, by_rule_counts[s.code]) for s in SPECS if by_rule_counts.get(s.code)]
    child_counts = _children_counts(org, qs)
    by_child = [ChildCount(c, child_counts.get(c.path, 0)) for c in org_selectors.children(user, org)]
    orgs_with = qs.order_by().values("org_path").distinct().count()
    return HealthCheck(
        org=org,
        period=period,
        served=served,
        findings=qs,
        total=agg["total"],
        overdue=agg["overdue"],
        orgs_with_findings=orgs_with,
        by_rule=by_rule,
        by_child=by_child,
        own=agg["own"],
    )


def filter_findings(
    qs: QuerySet[StoredFinding], *, rule: str = "", status: str = "", today: dt.date | None = None
) -> QuerySet[StoredFinding]:
    today = today or timezone.localdate()
    if rule:
        qs = qs.filter(rule=rule)
    if status == "overdue":
        qs = qs.filter(overdue_q(today))
    elif status == "due":
        qs = qs.exclude(overdue_q(today))
    return qs.order_by("org_path", "rule", "period", "member", "subject", "id")


def ranking(user: User, *, code: str, period: Period) -> tuple[Organization, store.Served, list[ChildCount]]:
    """The children of ``code`` ranked by findings in their subtrees (organizations, never people)."""
    org = get_org(user, code)
    served = store.serve(org, period)
    counts = _children_counts(org, store.findings_of(served.run, org)) if served.run else {}
    length = len(org.path) + Organization.steplen
    branches = dict(
        Organization.objects.filter(path__prefix=org.path, kind=OrgKind.BRANCH)
        .exclude(path=org.path)
        .order_by()
        .annotate(child=Substr("path", 1, length))
        .values("child")
        .annotate(n=Count("id"))
        .values_list("child", "n")
    )
    rows = [
        ChildCount(c, counts.get(c.path, 0), branches.get(c.path, 1 if c.kind == OrgKind.BRANCH else 0))
        for c in org_selectors.children(user, org)
    ]
    rows.sort(key=lambda r: (-r.count, -(r.per_branch or 0), r.org.code))
    return org, served, rows


def served_findings(org: Organization, period: Period) -> tuple[QuerySet[StoredFinding], dict[str, object]]:
    """For the findings API: the stored findings of ``org``'s subtree (the caller checked the scope) and
    how current they are: ``state`` (``fresh``, ``stale`` while a refresh runs, ``computing`` when
    nothing is stored yet), ``as_of`` (ISO time of the evaluation, or None) and ``refreshing``."""
    served = store.serve(org, period)
    qs = store.findings_of(served.run, org) if served.run else StoredFinding.objects.none()
    return qs, {
        "state": served.state,
        "as_of": served.as_of.isoformat() if served.as_of else None,
        "refreshing": served.refresh is not None and not served.fresh,
    }


def unchanged(user: User, *, code: str, period: Period, shown: int) -> bool:
    """For the pages' polling: the refresh of ``code``'s results is still under way and the run shown
    (``shown``: its key, 0 for none) is still the one stored. Two small queries; 404 out of scope."""
    org = get_org(user, code)
    if not ComplianceRefresh.objects.filter(org=org, period=period.label).exists():
        return False
    current = ComplianceRun.objects.filter(org=org, period=period.label).values_list("pk", flat=True).first()
    return (current or 0) == shown


def one_finding(
    user: User, *, code: str, period: Period, rule: str, about: str, member: int | None, subject: str
) -> tuple[Organization, compliance.Finding]:
    """A single finding of organization ``code`` (404 when out of scope or not found)."""
    org = get_org(user, code)
    if rule not in BY_CODE:
        raise Http404
    run = store.serve(org, period).run
    if run is None:  # links to a finding come from pages that showed results; none stored yet here
        raise Http404
    row = (
        store.findings_of(run, org)
        .filter(org_path=org.path, rule=rule, period=about, member=member, subject=subject)
        .first()
    )
    if row is None:
        raise Http404
    return org, row.as_finding()


# Export ------------------------------------------------------------------------------------------------


def export_xlsx(
    user: User, *, code: str, period: Period, today: dt.date | None = None
) -> tuple[str, bytes] | None:
    """The health check as an xlsx workbook (findings, by rule, by child); the export is audited.

    The stored results as shown on the page (the workbook's first sheet would say the same as the page);
    None while nothing is stored yet (being computed)."""
    from openpyxl import Workbook

    today = today or timezone.localdate()
    check = health_check(user, code=code, period=period, today=today)
    if check.run is None:
        return None
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("问题清单"))
    ws.append(
        [
            _("组织编码"),
            _("组织名称"),
            _("规则编码"),
            _("规则"),
            _("期间"),
            _("党员"),
            _("说明"),
            _("参数"),
            _("依据"),
            _("状态"),
        ]
    )
    status_names = {"overdue": _("已逾期"), "due": _("未到期")}
    for row in filter_findings(check.findings, today=today).iterator(chunk_size=2000):
        f = row.as_finding()
        ws.append(
            [
                f.org_code,
                f.org_name,
                f.rule,
                f.title,
                f.period,
                f.member_name,
                f.message,
                ", ".join(f"{k}={v}" for k, v in f.params.items()),
                f.citation_text,
                status_names[f.status(today)],
            ]
        )
    ws = wb.create_sheet(_("按规则汇总"))
    ws.append([_("规则编码"), _("规则"), _("问题数")])
    for rc in check.by_rule:
        ws.append([rc.spec.code, str(rc.spec.title), rc.count])
    ws = wb.create_sheet(_("按下级组织汇总"))
    ws.append([_("组织编码"), _("组织名称"), _("问题数")])
    for cc in check.by_child:
        ws.append([cc.org.code, cc.org.name, cc.count])
    buffer = io.BytesIO()
    wb.save(buffer)
    audit.record(
        actor=user,
        action=audit.Action.EXPORT,
        obj=check.org,
        message=_("导出合规体检结果（%(period)s，%(n)s项）") % {"period": period.label, "n": check.total},
    )
    return f"compliance-{check.org.code}-{period.label}.xlsx", buffer.getvalue()


# The secretary's due list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueItem:
    """A finding of the due list with its wording (pending: what to do and by when, "12月31日前召开支委会";
    late: the rule's late sentence, else the finding's message) and the form that clears it, if any."""

    finding: compliance.Finding
    text: str
    fix_url: str | None = None


@dataclass
class DueBlock:
    org: Organization
    overdue: list[compliance.Finding]
    due: list[compliance.Finding]
    today: dt.date = field(default_factory=timezone.localdate)
    can_fix: bool = False  # the user may change the branch's records: the items link to their forms

    def _fix(self, f: compliance.Finding) -> str | None:
        """The form that clears the finding, returning to the home page once saved (``next``)."""
        url = compliance.fix_url(f, self.today) if self.can_fix else None
        if url is None:
            return None
        return url + ("&" if "?" in url else "?") + urlencode({"next": reverse("home")})

    @property
    def due_items(self) -> list[DueItem]:
        return [DueItem(f, pending_text(f, today=self.today), self._fix(f)) for f in self.due]

    @property
    def overdue_items(self) -> list[DueItem]:
        return [DueItem(f, late_text(f, today=self.today), self._fix(f)) for f in self.overdue]


def _previous(kind: str, period: Period) -> Period:
    return periods.containing(kind, period.start - dt.timedelta(days=1))


def due_plan(today: dt.date) -> compliance.Plan:
    """This and the previous month, quarter and year; the state today and at the end of this month."""
    month = periods.containing("month", today)
    quarter = periods.containing("quarter", today)
    year = periods.year(today.year)
    return compliance.Plan(
        months=(_previous("month", month), month),
        quarters=(_previous("quarter", quarter), quarter),
        years=(_previous("year", year), year),
        state_days=tuple(sorted({today, month.end})),
        meetings=(periods.Period(_previous("month", month).start, today, "day"),),
    )


def _state_day(f: compliance.Finding) -> dt.date | None:
    """The day a state finding is judged as of (its period is a day), else None."""
    period = periods.parse(f.period)
    return period.start if period.kind == "day" else None


def _deadline(f: compliance.Finding) -> dt.date:
    return f.due_on or periods.parse(f.period).end


# "本月未召开支委会" → "召开支委会": a rule's title names the missed duty; the pending item names the duty.
_MISSED = re.compile(r"^[^未]*未(?P<duty>.+)$")


def pending_text(f: compliance.Finding, *, today: dt.date) -> str:
    """A pending finding as a duty with its due date, never as something already missed: the rule's own
    pending sentence (``RuleSpec.pending``), else one made from its title."""
    own = compliance.duty_text(f, today=today)
    if own is not None:
        if f.member_name and "%(name)s" not in str(BY_CODE[f.rule].pending):
            own = _("%(name)s：%(text)s") % {"name": f.member_name, "text": own}
        return own
    day = _deadline(f)
    shape = _("n月j日") if day.year == today.year else _("Y年n月j日")
    title = str(BY_CODE[f.rule].title)
    match = _MISSED.match(title)
    # What precedes 未 says who or when ("党小组", "收到入党申请书后一个月内"): only a group is kept.
    duty = str(f.facts.get("group") or "") + match["duty"] if match else title
    text = _("%(day)s前%(duty)s") % {"day": dateformat.format(day, shape), "duty": duty}
    if f.member_name:
        text = _("%(name)s：%(text)s") % {"name": f.member_name, "text": text}
    return text


def late_text(f: compliance.Finding, *, today: dt.date) -> str:
    """An overdue finding: the rule's late sentence (``RuleSpec.late``), else its message."""
    own = compliance.duty_text(f, today=today, late=True)
    if own is None:
        return f.message
    if f.member_name and "%(name)s" not in str(BY_CODE[f.rule].late):
        own = _("%(name)s：%(text)s") % {"name": f.member_name, "text": own}
    return own


def due_for_branch(org: Organization, *, today: dt.date, can_fix: bool = False) -> DueBlock:
    """What a branch has overdue now, and what falls due by the end of the running month, quarter, year.

    One item per finding: a state finding judged both today and at the month's end is listed once, as
    of today; one that holds only at the month's end is pending (its "as of" day is still ahead), never
    overdue."""
    findings = compliance.evaluate_plan(org, due_plan(today))
    same: dict[tuple[object, ...], compliance.Finding] = {}
    for f in sorted(findings, key=lambda f: _state_day(f) or dt.date.min):
        ident = (f.org_code, f.rule, f.member, f.subject)
        if _state_day(f) is not None:
            if (ident, "state") in same:
                continue
            same[(ident, "state")] = f
        else:
            same[(ident, f.period)] = f
    overdue: list[compliance.Finding] = []
    due: list[compliance.Finding] = []
    for f in same.values():
        as_of = _state_day(f)
        if f.status(today) == "overdue" and (as_of is None or as_of <= today):
            overdue.append(f)
        else:
            due.append(f)

    def deadline(f: compliance.Finding) -> tuple[dt.date, str, str]:
        return (_deadline(f), f.rule, f.subject)

    return DueBlock(
        org, sorted(overdue, key=deadline), sorted(due, key=deadline), today=today, can_fix=can_fix
    )


def due_list(user: User, *, today: dt.date | None = None) -> list[DueBlock]:
    """For the home page: one block per branch at the top of the user's scope (a secretary's branch)."""
    today = today or timezone.localdate()
    return [
        due_for_branch(org, today=today, can_fix=scope.can(user, scope.CHANGE, org.path))
        for org in org_selectors.scope_roots(user)
        if org.kind == OrgKind.BRANCH
    ]
