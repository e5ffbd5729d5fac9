"""The indicators jiceng ships, with the records each value came from (the trace of a score's page).

Each reads only the subtree of the context's owner, in a fixed number of queries, and returns per
organization a share with its numerator, denominator and the records it came from (links). A run
computes the same figures set-based (``setbased.py``: no records, a ``TraceKey`` per value); the
functions here are each indicator's ``trace``, called for one organization when its score's page is
opened. docs/assessment.md describes what each counts.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from django.apps import apps
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import compliance, periods
from jiceng.orgs.models import Organization, OrgKind

from . import setbased
from .indicators import Context, Indicator, Param, RecordRef, TraceKey, Value, register

log = logging.getLogger(__name__)
STEP = Organization.steplen


class _Owner:
    def __init__(self, path: str) -> None:
        self.path = path


def _url(name: str, kwarg: str = "pk") -> Any:
    """``value -> reverse(name, kwargs={kwarg: value})`` with the URL reversed once (a run builds tens
    of thousands of record links: reversing each costs more than the rest of the indicator)."""
    sentinel = "987654321"
    head, _sep, tail = reverse(name, kwargs={kwarg: sentinel}).partition(sentinel)
    return lambda value: f"{head}{value}{tail}"


def _distribute(ctx: Context, path: str) -> list[int]:
    """The ids of the targets whose subtree holds ``path`` (the targets by path built once per run, not
    once per record: a county's year is tens of thousands of records over hundreds of targets)."""
    by_path = ctx.cached("targets.by_path", lambda: {t.path: t.id for t in ctx.targets})
    return [by_path[path[:end]] for end in range(STEP, len(path) + 1, STEP) if path[:end] in by_path]


# 三会一课: the share of months with every required meeting held ---------------------------------------


def _life_findings(ctx: Context) -> list[compliance.Finding]:
    months = [periods.month(ctx.year, first.month) for first, _last in ctx.months()]
    quarters = [q for q in periods.year(ctx.year).quarters() if q.end <= ctx.end]
    plan = compliance.Plan(months=tuple(months), quarters=tuple(quarters), only=("life.",))
    found = compliance.evaluate_plan(_Owner(ctx.owner_path), plan)
    return [f for f in found if f.rule.startswith("life.")]


def _branches(ctx: Context) -> list[dict[str, Any]]:
    return list(
        Organization.objects.filter(path__startswith=ctx.owner_path, kind=OrgKind.BRANCH)
        .order_by("path")
        .values("id", "code", "name", "path", "records_since", "founded_on")
    )


def months_complete(ctx: Context, params: Mapping[str, int]) -> dict[int, Value]:
    """A branch's month counts when every monthly meeting it had to hold was held in it (no finding of
    a monthly rule of RULES.md §2 for that month) and, in the last month of a quarter, every quarterly
    one too. Months before the branch's records_since, before it was founded or not yet over are not
    counted. An organization above branches: the months of all its branches, pooled."""
    findings = ctx.cached("life.findings", lambda: _life_findings(ctx))
    branches = ctx.cached("orgs.branches", lambda: _branches(ctx))
    missing: dict[str, dict[str, list[compliance.Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in findings:
        p = periods.parse(f.period)
        if p.kind == "month":
            missing[f.org_code][p.label].append(f)
        elif p.kind == "quarter":
            missing[f.org_code][periods.month(p.end.year, p.end.month).label].append(f)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    records: dict[int, list[RecordRef]] = defaultdict(list)
    life_list, not_held, held = reverse("life:list"), _("未按期召开"), _("已召开")
    meeting_url = _url("life:detail")
    for b in branches:
        for first, last in ctx.months():
            if b["records_since"] and first < b["records_since"]:
                continue
            if b["founded_on"] and b["founded_on"] > last:
                continue
            label = periods.month(first.year, first.month).label
            gaps = missing.get(b["code"], {}).get(label, [])
            for tid in _distribute(ctx, b["path"]):
                counts[tid][1] += 1
                if not gaps:
                    counts[tid][0] += 1
                else:  # one line per month missed, naming every rule it broke
                    records[tid].append(
                        RecordRef(
                            kind="finding",
                            label=f"{b['name']} {label}：{'；'.join(f.title for f in gaps)}",
                            org_path=b["path"],
                            url=f"{life_list}?org={b['code']}",
                            day=last.isoformat(),
                            status=not_held,
                        )
                    )
    meetings = ctx.cached("life.meetings", lambda: _meetings(ctx))
    for m in meetings:
        for tid in _distribute(ctx, m["org_path"]):
            records[tid].append(
                RecordRef(
                    kind="meeting",
                    label=f"{m['org__name']} {m['held_on']:%Y-%m-%d} {m['kind_label']}：{m['topic']}",
                    org_path=m["org_path"],
                    url=meeting_url(m["id"]),
                    day=m["held_on"].isoformat(),
                    status=held,
                    id=m["id"],
                )
            )
    return {
        t.id: Value.ratio(
            *counts[t.id],
            note=_("%(n)d个月中%(done)d个月按要求召开了全部规定会议")
            % {"n": counts[t.id][1], "done": counts[t.id][0]}
            if counts[t.id][1]
            else _("暂无数据：没有可计的月份（记录起始日期之后已结束的月份）"),
            records=records[t.id],
        )
        for t in ctx.targets
    }


def _meetings(ctx: Context) -> list[dict[str, Any]]:
    from jiceng.life.models import Meeting, MeetingKind

    labels = {k: str(v) for k, v in MeetingKind.choices}
    rows = list(
        Meeting.objects.filter(
            org_path__startswith=ctx.owner_path, held_on__gte=ctx.start, held_on__lte=ctx.end
        )
        .order_by("org_path", "held_on", "id")
        .values("id", "org_path", "org__name", "held_on", "kind", "topic")
    )
    for r in rows:
        r["kind_label"] = labels.get(r["kind"], r["kind"])
    return rows


# 任务: answered on time ----------------------------------------------------------------------------------


def tasks_on_time(ctx: Context, params: Mapping[str, int]) -> dict[int, Value]:
    """Tasks (assignments) due in the year by the last day counted: answered (or passed on) by the
    deadline (plus ``grace_days``, default 0), over all due. An organization above branches: its whole
    subtree's assignments."""
    from jiceng.tasks.models import Assignment

    rows = (
        Assignment.objects.filter(
            org_path__startswith=ctx.owner_path, deadline__gte=ctx.start, deadline__lte=ctx.end
        )
        .order_by("org_path", "deadline", "id")
        .values("id", "org_path", "org__name", "deadline", "answered_on", "late", "task__title")
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    records: dict[int, list[RecordRef]] = defaultdict(list)
    grace = dt.timedelta(days=params.get("grace_days", 0))
    open_, in_time, late, deadline_word = _("未完成"), _("按时完成"), _("逾期完成"), _("期限")
    assignment_url = _url("tasks:assignment")
    for r in rows:
        on_time = r["answered_on"] is not None and r["answered_on"] <= r["deadline"] + grace
        if r["answered_on"] is None:
            status = open_
        elif on_time:
            status = in_time
        else:
            status = late
        for tid in _distribute(ctx, r["org_path"]):
            counts[tid][1] += 1
            counts[tid][0] += on_time
            records[tid].append(
                RecordRef(
                    kind="assignment",
                    label=f"{r['org__name']}：{r['task__title']}（{deadline_word} {r['deadline']:%Y-%m-%d}）",
                    org_path=r["org_path"],
                    url=assignment_url(r["id"]),
                    day=r["deadline"].isoformat(),
                    status=status,
                    id=r["id"],
                )
            )
    return {
        t.id: Value.ratio(
            *counts[t.id],
            note=_("到期任务%(n)d项，按时完成%(done)d项") % {"n": counts[t.id][1], "done": counts[t.id][0]}
            if counts[t.id][1]
            else _("暂无数据：本年度没有到期的任务"),
            records=records[t.id],
        )
        for t in ctx.targets
    }


# 接诉即办: 响应率 / 解决率 / 满意率 ------------------------------------------------------------------------


def _request_figures(ctx: Context) -> dict[int, Any]:
    """Each target's figures: the counts of every organization under the owner in one query
    (``figures_by_path``), added up for each target's subtree (the same counts as ``figures`` of the
    target's subtree: counts add)."""
    from jiceng.services import selectors
    from jiceng.services.models import ServiceRequest

    by_path = selectors.figures_by_path(
        ServiceRequest.objects.filter(org_path__startswith=ctx.owner_path), start=ctx.start, end=ctx.end
    )
    sums: dict[int, list[int]] = {t.id: [0] * 6 for t in ctx.targets}
    names = ("received", "responded_in_time", "answered", "solved", "rated", "satisfied")
    for path, f in by_path.items():
        for tid in _distribute(ctx, path):
            row = sums[tid]
            for i, name in enumerate(names):
                row[i] += getattr(f, name)
    return {tid: selectors.Figures(*row) for tid, row in sums.items()}


def _request_records(ctx: Context) -> dict[int, list[RecordRef]]:
    from django.utils import timezone

    from jiceng.services.models import ServiceRequest

    tz = timezone.get_current_timezone()
    rows = (
        ServiceRequest.objects.filter(
            org_path__startswith=ctx.owner_path,
            received_at__gte=dt.datetime.combine(ctx.start, dt.time.min, tzinfo=tz),
            received_at__lt=dt.datetime.combine(ctx.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
        )
        .exclude(state_type__in=("merged", "withdrawn", "referred"))
        .order_by("org_path", "received_at", "id")
        .values(
            "id",
            "code",
            "org_path",
            "org__name",
            "received_at",
            "category__name",
            "satisfaction",
            "resolution",
        )
    )
    out: dict[int, list[RecordRef]] = defaultdict(list)
    for r in rows:
        for tid in _distribute(ctx, r["org_path"]):
            out[tid].append(
                RecordRef(
                    kind="request",
                    label=f"{r['code']} {r['org__name']} {r['category__name']}",
                    org_path=r["org_path"],
                    url=reverse("services:detail", kwargs={"code": r["code"]}),
                    day=timezone.localtime(r["received_at"]).date().isoformat(),
                    status=(_("满意度%(n)s") % {"n": r["satisfaction"]}) if r["satisfaction"] else "",
                    id=r["id"],
                )
            )
    return out


def _rate(attr: str, num: str, den: str, what: Any, *, traced: bool) -> Any:
    """One of the requests' rates: ``traced`` lists each request (a score's page), else only their
    count and the sum of their ids (a run)."""

    def compute(ctx: Context, params: Mapping[str, int]) -> dict[int, Value]:
        figures = ctx.cached("services.figures", lambda: _request_figures(ctx))
        if traced:
            records = ctx.cached("services.records", lambda: _request_records(ctx))
        else:
            keys = ctx.cached("services.keys", lambda: setbased.request_keys(ctx))
        some, none = _("%(what)s：%(n)d / %(d)d"), _("暂无数据：本年度没有可计的群众诉求")
        what_text = str(what)
        out = {}
        for t in ctx.targets:
            f = figures[t.id]
            n, d = getattr(f, num), getattr(f, den)
            note = some % {"what": what_text, "n": n, "d": d} if d else none
            if traced:
                out[t.id] = Value.ratio(n, d, note=note, records=records.get(t.id, []))
            else:
                out[t.id] = Value.ratio(n, d, note=note, key=keys[t.id])
        return out

    compute.__name__ = attr
    return compute


# 发展党员: findings resolved ------------------------------------------------------------------------------


def state_days(ctx: Context) -> list[dt.date]:
    days = [last for _first, last in ctx.months()]
    if not days or days[-1] != ctx.end:
        days.append(ctx.end)
    return days


def _state_findings(ctx: Context, only: tuple[str, ...]) -> dict[dt.date, list[compliance.Finding]]:
    """The engine's state findings of the rules ``only`` names on each month-end (and the last day
    counted). Development's findings come from development files only: a subtree without any has none,
    and the engine is not asked (a county's run spent most of this indicator loading it for nothing)."""
    days = state_days(ctx)
    out: dict[dt.date, list[compliance.Finding]] = {d: [] for d in days}
    if only == ("dev.",):
        from jiceng.development.models import Development

        if not Development.objects.filter(org_path__startswith=ctx.owner_path).exists():
            return out
    plan = compliance.Plan(state_days=tuple(days), only=only)
    found = compliance.evaluate_plan(_Owner(ctx.owner_path), plan)
    for f in found:
        try:
            day = dt.date.fromisoformat(f.period)
        except ValueError:
            continue
        if day in out:
            out[day].append(f)
    return out


def development_resolved(ctx: Context, params: Mapping[str, int]) -> dict[int, Value]:
    """The findings of member development (RULES.md §4) present on any month's last day of the year
    (and on the last day counted): the share no longer present on the last day counted. An
    organization with no such finding all year scores in full (nothing was left to put right)."""
    by_day = ctx.cached("engine.dev", lambda: _state_findings(ctx, ("dev.",)))
    days = sorted(by_day)
    last = days[-1] if days else ctx.end
    first_seen: dict[tuple, tuple[dt.date, compliance.Finding]] = {}
    for day in days:
        for f in by_day[day]:
            if f.rule.startswith("dev."):
                first_seen.setdefault(f.key, (day, f))
    open_at_end = {f.key for f in by_day.get(last, []) if f.rule.startswith("dev.")}
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    records: dict[int, list[RecordRef]] = defaultdict(list)
    dev_url, done, undone = _url("development:detail"), _("已整改"), _("未整改")
    for key, (day, f) in sorted(first_seen.items(), key=lambda kv: (kv[1][1].org_path, kv[1][0])):
        resolved = key not in open_at_end
        dev_id = f.development_id
        for tid in _distribute(ctx, f.org_path):
            counts[tid][1] += 1
            counts[tid][0] += resolved
            records[tid].append(
                RecordRef(
                    kind="finding",
                    label=f"{f.org_name} {f.member_name}：{f.title}",
                    org_path=f.org_path,
                    url=dev_url(dev_id) if dev_id else "",
                    day=day.isoformat(),
                    status=done if resolved else undone,
                )
            )
    some, none = _("发现问题%(d)d个，已整改%(n)d个"), _("全年未发现发展党员工作问题")
    out = {}
    for t in ctx.targets:
        n, d = counts[t.id]
        if d:
            out[t.id] = Value.ratio(n, d, note=some % {"d": d, "n": n}, records=records[t.id])
        else:
            out[t.id] = Value(Fraction(1), 0, 0, none, [])
    return out


# 班子: committee in term ------------------------------------------------------------------------------


def committee_in_term(ctx: Context, params: Mapping[str, int]) -> dict[int, Value]:
    """On each month's last day of the year (and the last day counted), each organization of the
    subtree that existed and kept records: its committee was in term (no finding
    ``org.committee_term_expired``). The share of such (organization, day) pairs."""
    by_day = ctx.cached("engine.terms", lambda: _state_findings(ctx, ("org.committee_term_expired",)))
    orgs = ctx.cached(
        "orgs.all",
        lambda: list(
            Organization.objects.filter(path__startswith=ctx.owner_path)
            .order_by("path")
            .values("id", "code", "name", "path", "records_since", "founded_on")
        ),
    )
    expired = {
        (f.org_code, day) for day, fs in by_day.items() for f in fs if f.rule == "org.committee_term_expired"
    }
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    records: dict[int, list[RecordRef]] = defaultdict(list)
    org_url, expired_status = _url("orgs:detail", "code"), _("届满未换届")
    for o in orgs:
        for day in sorted(by_day):
            if (o["records_since"] and day < o["records_since"]) or (
                o["founded_on"] and o["founded_on"] > day
            ):
                continue
            late = (o["code"], day) in expired
            for tid in _distribute(ctx, o["path"]):
                counts[tid][1] += 1
                counts[tid][0] += not late
                if late:
                    records[tid].append(
                        RecordRef(
                            kind="finding",
                            label=_("%(org)s 委员会任期已满未换届") % {"org": o["name"]},
                            org_path=o["path"],
                            url=org_url(o["code"]),
                            day=day.isoformat(),
                            status=expired_status,
                        )
                    )
    return {
        t.id: Value.ratio(
            *counts[t.id],
            note=_("%(d)d个组织·月末中%(n)d个班子在任期内") % {"d": counts[t.id][1], "n": counts[t.id][0]}
            if counts[t.id][1]
            else _("暂无数据"),
            records=records[t.id],
        )
        for t in ctx.targets
    }


# 党费: collection rate, from the dues app when it is installed ------------------------------------------


def dues_collected(ctx: Context, params: Mapping[str, int]) -> dict[int, Value]:
    """Dues collected over dues owed in the year, as the dues app reports it through
    ``jiceng.dues.selectors.collection_by_org(paths=[…], start=…, end=…) -> {path: (collected, owed)}``.
    Without the dues app, or without that function, or when it fails: 暂无数据, never an error."""
    none = {t.id: Value.no_data(_("暂无数据：党费模块尚未启用")) for t in ctx.targets}
    if not apps.is_installed("jiceng.dues"):
        return none
    try:
        from importlib import import_module

        reader = getattr(import_module("jiceng.dues.selectors"), "collection_by_org", None)
        if reader is None:
            return {t.id: Value.no_data(_("暂无数据：党费模块未提供收缴数据")) for t in ctx.targets}
        figures = reader(paths=[t.path for t in ctx.targets], start=ctx.start, end=ctx.end)
    except Exception:  # noqa: BLE001 (an indicator of another module never fails the run)
        log.exception("dues collection figures unavailable")
        return {t.id: Value.no_data(_("暂无数据：党费数据读取失败")) for t in ctx.targets}
    some, none = _("实收%(c)s元 / 应收%(o)s元"), _("暂无数据：本年度没有应交党费记录")
    out = {}
    for t in ctx.targets:
        collected, owed = figures.get(t.path, (0, 0))
        if not owed:
            out[t.id] = Value.no_data(none)
            continue
        share = min(Fraction(str(collected)) / Fraction(str(owed)), Fraction(1))
        out[t.id] = Value(share, None, None, some % {"c": collected, "o": owed})
    return out


def _keyed(compute: Any) -> Any:
    """An indicator whose run keeps only the count of its records (a handful: development findings)."""

    def keyed(ctx: Context, params: Mapping[str, int]) -> dict[int, Value]:
        out = dict(compute(ctx, params))
        for value in out.values():
            value.key = TraceKey(len(value.records))
            value.records = []
        return out

    keyed.__name__ = compute.__name__
    return keyed


def register_builtin() -> None:
    register(
        Indicator(
            "life.months_complete",
            gettext_lazy("三会一课按月落实率"),
            gettext_lazy("按要求召开全部规定会议的月份占比（依据合规引擎的组织生活检查结果）"),
            setbased.months_complete,
            order=10,
            trace=months_complete,
        )
    )
    register(
        Indicator(
            "tasks.on_time",
            gettext_lazy("任务按时完成率"),
            gettext_lazy("本年度到期的上级交办任务中按期完成（或转办）的占比"),
            setbased.tasks_on_time,
            params={"grace_days": Param(0, 0, 30, gettext_lazy("宽限天数"))},
            order=20,
            trace=tasks_on_time,
        )
    )
    for key, attr, num, den, title, what in (
        (
            "services.response_rate",
            "response_rate",
            "responded_in_time",
            "received",
            gettext_lazy("群众诉求响应率"),
            gettext_lazy("按时响应 / 受理"),
        ),
        (
            "services.resolution_rate",
            "resolution_rate",
            "solved",
            "answered",
            gettext_lazy("群众诉求解决率"),
            gettext_lazy("居民确认解决 / 已答复"),
        ),
        (
            "services.satisfaction_rate",
            "satisfaction_rate",
            "satisfied",
            "rated",
            gettext_lazy("群众诉求满意率"),
            gettext_lazy("满意（4、5分） / 已评价"),
        ),
    ):
        register(
            Indicator(
                key,
                title,
                gettext_lazy("本组织范围内居民诉求（接诉即办）的比率，口径同“群众诉求”统计页"),
                _rate(attr, num, den, what, traced=False),
                order=30,
                trace=_rate(attr, num, den, what, traced=True),
            )
        )
    register(
        Indicator(
            "development.findings_resolved",
            gettext_lazy("发展党员问题整改率"),
            gettext_lazy("年内各月末发现的发展党员工作问题中，到统计截止日已不再存在的占比"),
            _keyed(development_resolved),
            order=40,
            trace=development_resolved,
        )
    )
    register(
        Indicator(
            "orgs.committee_in_term",
            gettext_lazy("班子按期换届"),
            gettext_lazy("各月末委员会在任期内（无“任期届满未换届”问题）的组织占比"),
            setbased.committee_in_term,
            order=50,
            trace=committee_in_term,
        )
    )
    register(
        Indicator(
            "dues.collection_rate",
            gettext_lazy("党费收缴率"),
            gettext_lazy("实收党费 / 应收党费；党费模块未启用时为“暂无数据”"),
            dues_collected,
            order=60,
        )
    )
