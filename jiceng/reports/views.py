"""Health-check (体检) pages: counts by rule and by child, each finding explained, xlsx export, ranking.

Thin views over ``reports.selectors``. Every page looks the organization up through the scoped
selectors: an organization outside the user's subtrees answers 404 on every page here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from jiceng.core import compliance, periods, scope
from jiceng.core.rulebook import BY_CODE, RuleBook
from jiceng.orgs import selectors as org_selectors

from . import selectors

PAGE_SIZE = 50

CONFIDENCE = {
    "V": gettext_lazy("已核对原文及条款号"),
    "V-c": gettext_lazy("已核对原文，条款号未核对"),
    "U": gettext_lazy("未核对：地方做法或二手来源，可由系统管理员停用或调整"),
}


def _chart(title: str, rows: list[tuple[str, int]]) -> dict[str, Any]:
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "color": ["#b3121b"],
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 8, "right": 32, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        # A long rule title would squeeze the bars: labels are cut to one line (…), and the tooltip
        # of the hovered or tapped bar names the rule in full.
        "yAxis": {
            "type": "category",
            "inverse": True,
            "data": [label for label, _n in rows],
            "axisLabel": {"width": 120, "overflow": "truncate", "ellipsis": "…"},
        },
        "series": [
            {"type": "bar", "data": [n for _label, n in rows], "label": {"show": True, "position": "right"}}
        ],
    }


def finding_url(code: str, period: str, f: compliance.Finding) -> str:
    query = {"period": period, "rule": f.rule, "about": f.period}
    if f.member is not None:
        query["member"] = str(f.member)
    if f.subject:
        query["subject"] = f.subject
    return reverse("reports:finding", args=[code]) + "?" + urlencode(query)


def _polled(request: HttpRequest, code: str, period: periods.Period) -> HttpResponse | None:
    """The pages poll (htmx, ``?poll=<run shown>``) while their results are being refreshed: 204 (htmx
    swaps nothing) as long as the refresh is under way; otherwise None, and the caller renders the
    results fragment, which stops polling once current. The poll parameter is dropped from the request
    so that the fragment's links do not carry it."""
    if "poll" not in request.GET:
        return None
    try:
        shown = int(request.GET["poll"])
    except ValueError:
        shown = 0
    if selectors.unchanged(request.user, code=code, period=period, shown=shown):
        return HttpResponse(status=204)
    query = request.GET.copy()
    query.pop("poll")
    request.GET = query
    return None


def _poll_url(request: HttpRequest, served: Any) -> str:
    query: QueryDict = request.GET.copy()
    query["poll"] = str(served.run.pk if served.run else 0)
    return f"{request.path}?{query.urlencode()}"


def _template(request: HttpRequest, name: str) -> str:
    """The whole page, or its results fragment for a poll."""
    polled = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "jc-results"
    return f"{name}#results" if polled else name


@login_required
@require_GET
def health(request: HttpRequest, code: str) -> HttpResponse:
    """体检: the findings of an organization's subtree for a period."""
    today = timezone.localdate()
    period, period_error = selectors.parse_period(request.GET.get("period"), today)
    if (answer := _polled(request, code, period)) is not None:
        return answer
    check = selectors.health_check(request.user, code=code, period=period, today=today)
    rule = request.GET.get("rule", "")
    rule = rule if rule in BY_CODE else ""
    status = request.GET.get("status", "")
    status = status if status in ("overdue", "due") else ""
    page_obj = Paginator(
        selectors.filter_findings(check.findings, rule=rule, status=status, today=today), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = []
    for stored in page_obj:
        f = stored.as_finding()
        rows.append({"f": f, "status": f.status(today), "url": finding_url(f.org_code, period.label, f)})
    chart_rows = [(str(rc.spec.title), rc.count) for rc in check.by_rule]
    context = {
        "org": check.org,
        "check": check,
        "period": period,
        "period_name": compliance.fmt_period(period.label),
        "period_error": period_error,
        "choices": selectors.period_choices(today),
        "choices_values": [v for v, _label in selectors.period_choices(today)],
        "rule": rule,
        "rule_title": BY_CODE[rule].title if rule else "",
        "status": status,
        "rows": rows,
        "page_obj": page_obj,
        "ancestors": org_selectors.ancestors_in_scope(request.user, check.org),
        "chart": _chart(_("按规则统计"), chart_rows) if chart_rows else None,
        "has_children": bool(check.by_child),
        "no_records": len(compliance.no_records(check.org, period)),
        "served": check.served,
        "poll_url": _poll_url(request, check.served),
    }
    return render(request, _template(request, "reports/health.html"), context)


@login_required
@require_GET
def finding(request: HttpRequest, code: str) -> HttpResponse:
    """One finding: the sentence, what the rule checks, the parameters used and the citation."""
    today = timezone.localdate()
    period, _error = selectors.parse_period(request.GET.get("period"), today)
    member = request.GET.get("member")
    try:
        member_id = int(member) if member else None
    except ValueError as e:
        raise Http404 from e
    org, f = selectors.one_finding(
        request.user,
        code=code,
        period=period,
        rule=request.GET.get("rule", ""),
        about=request.GET.get("about", ""),
        member=member_id,
        subject=request.GET.get("subject", ""),
    )
    spec = BY_CODE[f.rule]
    about = periods.parse(f.period)
    in_force = RuleBook().on(f.rule, f.due_on or about.end)
    context = {
        "org": org,
        "f": f,
        "spec": spec,
        "period": period,
        "period_name": compliance.fmt_period(period.label),
        "about_name": compliance.fmt_period(f.period),
        "status": f.status(today),
        "explanation": compliance.explanation(f.rule),
        "confidence": CONFIDENCE[spec.confidence],
        "version_from": in_force.effective_from,
        "ancestors": org_selectors.ancestors_in_scope(request.user, org),
        # The form that clears it, for a user who may change the records it is about.
        "fix_url": compliance.fix_url(f, today)
        if scope.can(request.user, scope.CHANGE, f.org_path or org.path)
        else None,
    }
    return render(request, "reports/finding.html", context)


@login_required
@require_GET
def export(request: HttpRequest, code: str) -> HttpResponse:
    today = timezone.localdate()
    period, _error = selectors.parse_period(request.GET.get("period"), today)
    exported = selectors.export_xlsx(request.user, code=code, period=period, today=today)
    if exported is None:
        messages.info(request, _("体检结果正在计算，完成后即可导出。"))
        return redirect(reverse("reports:health", args=[code]) + "?" + urlencode({"period": period.label}))
    filename, content = exported
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def ranking(request: HttpRequest, code: str) -> HttpResponse:
    """A committee's children ranked by their findings."""
    today = timezone.localdate()
    period, period_error = selectors.parse_period(request.GET.get("period"), today)
    if (answer := _polled(request, code, period)) is not None:
        return answer
    org, served, rows = selectors.ranking(request.user, code=code, period=period)
    context = {
        "org": org,
        "served": served,
        "poll_url": _poll_url(request, served),
        "rows": rows,
        "period": period,
        "period_name": compliance.fmt_period(period.label),
        "period_error": period_error,
        "choices": selectors.period_choices(today),
        "choices_values": [v for v, _label in selectors.period_choices(today)],
        "ancestors": org_selectors.ancestors_in_scope(request.user, org),
        "chart": _chart(_("下级组织问题数"), [(r.org.name, r.count) for r in rows[:20]]) if rows else None,
    }
    return render(request, _template(request, "reports/ranking.html"), context)
