"""The handler's pages: the queue (filtered, sorted by time left), one request with its steps, the
figures per community, and the desks (public pages and posters) of the user's communities.

Scope: a request is seen from where it was made, by whoever handles it, and by the contacts of a
partner unit it is assigned to (``ServiceRequest.restrict``); anything else answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import concurrency, periods, scope
from jiceng.core.forms import add_service_errors
from jiceng.core.generic.views import ObjectDetailView, ObjectExportView, ObjectView, ScopedView
from jiceng.orgs.models import Organization
from jiceng.orgs.views import OrgListView
from jiceng.partners.models import PartnerUnit

from . import hotline, selectors, services
from .filters import RequestFilter
from .forms import CoHandlerForm, HandlerIntakeForm, HandOverForm, ModerateForm, ModerateWordsForm, StepForm
from .models import TRANSITIONS, Category, Route, ServiceRequest, StateType

STEPS = (
    StateType.ACCEPTED,
    StateType.IN_PROGRESS,
    StateType.ANSWERED,
    StateType.CLOSED,
    StateType.REFERRED,
    StateType.MERGED,
)


class HandlerIntakeView(ScopedView):
    """A request taken by phone, at a visit or from the hotline, entered by someone who may change the
    community's records; the tracking link is shown once, to pass on to the resident."""

    http_method_names: ClassVar[list[str]] = ["get", "post"]

    def desks(self) -> Any:
        orgs = Organization.objects.restrict(self.user, scope.CHANGE)
        opened = orgs.filter(Q(unit_kind__in=services.COMMUNITY_KINDS) | Q(request_desk__open=True))
        return opened.exclude(request_desk__open=False).order_by("path")

    def get(self, request: HttpRequest) -> HttpResponse:
        if not scope.paths_for(self.user, scope.CHANGE):
            raise PermissionDenied(_("您没有执行此操作的权限"))
        posted = request.method == "POST"
        form = HandlerIntakeForm(request.POST if posted else None, orgs=self.desks())
        if posted and form.is_valid():
            d = form.cleaned_data
            try:
                req, token = services.submit_request(
                    actor=self.user,
                    org=d["org"],
                    category=d["category"],
                    text=d["text"],
                    address=d["address"],
                    name=d["name"],
                    phone=d["phone"],
                    channel=d["channel"],
                    sms_consent=bool(d.get("sms_consent")),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                link = request.build_absolute_uri(reverse("requests:track", kwargs={"token": token}))
                messages.success(
                    request,
                    _("已登记，受理编号%(code)s。请把查询链接告诉居民（只显示这一次）：%(link)s")
                    % {"code": req.code, "link": link},
                )
                return redirect("services:detail", code=req.code)
        return render(request, "services/create.html", {"form": form})

    post = get


def sees_requests(user: Any) -> bool:
    """The navigation's link: anyone with a view of the tree, or a partner unit's contact."""
    return bool(scope.paths_for(user, scope.VIEW)) or user.partner_units.exists()


def partner_landing(user: Any) -> str | None:
    return reverse("partners:mine") if user.partner_units.exists() else None


def home_block(user: Any) -> dict[str, int] | None:
    """Open and late requests the user sees, for the home page (nothing when there are none)."""
    counts = selectors.home_counts(user)
    return counts if counts["open"] else None


class RequestListView(OrgListView):
    filterset_class = RequestFilter
    template_name = "services/list.html"
    label_any_choice = True
    list_url = "services:list"
    list_id = "request"
    list_title = gettext_lazy("群众诉求")
    list_crumb = gettext_lazy("群众诉求")

    def get_queryset(self) -> Any:
        return selectors.request_list(self.user, org=self.org)

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return super().get_context_data(
            now=timezone.now(), is_contact=self.user.partner_units.exists(), **extra
        )


class RequestView(ObjectView):
    def lookup(self, code: str) -> ServiceRequest:
        return selectors.get_request(self.user, code)

    def get_object(self) -> ServiceRequest:
        # Visible is enough to open; the steps check the handler's right themselves (403 when not).
        return self.lookup(**self.kwargs)


def unit_choices(user: Any, req: ServiceRequest) -> list[tuple[str, str]]:
    """Who a request may be handed over to, or co-handled by: organizations the user sees, the
    community it was made in, and the partner units registered in the user's subtrees."""
    orgs = Organization.objects.restrict(user).filter(
        Q(kind__in=("branch", "general_branch", "committee", "working_committee"))
    )
    choices = [(f"org:{o.pk}", o.name) for o in orgs.order_by("path")[:200]]
    if f"org:{req.org_id}" not in dict(choices):
        choices.insert(0, (f"org:{req.org_id}", req.org.name))
    # Partner units registered in the user's subtrees or above the request's community (a street's
    # property companies serve its communities).
    above = [a.path for a in Organization.objects.get_ancestors(req.org)] + [req.org.path]
    units = PartnerUnit.objects.filter(Q(pk__in=PartnerUnit.objects.restrict(user)) | Q(org_path__in=above))
    choices += [(f"partner:{p.pk}", p.name) for p in units.filter(active=True).order_by("name")[:200]]
    return choices


def resolve_unit(
    user: Any, req: ServiceRequest, value: str
) -> tuple[Organization | None, PartnerUnit | None]:
    if value not in dict(unit_choices(user, req)):
        raise ValidationError({"handler": ValidationError(_("请选择一个承办单位"), code="invalid")})
    kind, _sep, pk = value.partition(":")
    if kind == "org":
        return Organization.objects.get(pk=int(pk)), None
    return None, PartnerUnit.objects.get(pk=int(pk))


class RequestDetailView(RequestView, ObjectDetailView):
    template_name = "services/detail.html"
    history = True
    contact: ClassVar[dict[str, str] | None] = None

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        req = self.object
        can = services.can_handle(self.user, req)
        version = concurrency.version_of(req)
        steps = []
        if can:
            for step in STEPS:
                if step in TRANSITIONS[req.state_type]:
                    form = extra.pop(f"step_{step}", None) or StepForm(step=step, prefix=step)
                    steps.append(form)
        # A refused step stays on the page with its reason, offered or not.
        steps[:0] = [extra.pop(k) for k in [k for k in extra if k.startswith("step_")]]
        context = super().get_context_data(
            req=req,
            can_handle=can,
            version=version,
            steps=steps,
            events=selectors.events(req),
            cohandlers=list(req.cohandlers.select_related("org", "partner")),
            similar=selectors.similar_open(req, req.category_id, exclude=req.pk) if req.is_open else [],
            now=timezone.now(),
            contact=self.contact,
            **extra,
        )
        if can_moderate(self.user, req):
            context["moderate_words"] = True
            context.setdefault(
                "moderate",
                ModerateForm(
                    initial={"public_text": req.public_description, "public_address": req.public_place},
                    prefix="mod",
                ),
            )
        if can and req.state_type not in ("closed", "merged", "referred", "withdrawn", "resolved"):
            context.setdefault("hand_over", HandOverForm(choices=unit_choices(self.user, req), prefix="ho"))
            context.setdefault("cohandler", CoHandlerForm(choices=unit_choices(self.user, req), prefix="co"))
        return context


class RequestStepView(RequestDetailView):
    """POST one step (``step`` in the form): the service refuses a step the state does not allow."""

    http_method_names: ClassVar[list[str]] = ["post"]

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        req = self.object
        step = request.POST.get("step", "")
        services.ensure_handler(self.user, req)  # 403 before the form is read
        if step not in STEPS:
            return HttpResponse(status=400)
        form = StepForm(request.POST, step=step, prefix=step)
        if form.is_valid():
            d = form.cleaned_data
            duplicate = None
            code = (d.get("duplicate_of") or "").strip().upper()
            if code:
                duplicate = selectors.visible_requests(self.user).filter(code=code).first()
            try:
                services.move(
                    actor=self.user,
                    request=req,
                    to_type=step,
                    public_text=d["public_text"],
                    note=d["note"],
                    state_code=d["state"].code if d.get("state") else None,
                    duplicate_of=duplicate,
                    urgency=d.get("urgency") or None,
                    version=request.POST.get("version") or None,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已%(step)s") % {"step": form.step_label})
                return redirect("services:detail", code=req.code)
        self.object = selectors.get_request(self.user, req.code)
        return render(
            request, self.template_name, self.get_context_data(**{f"step_{step}": form}), status=400
        )


class HandOverView(RequestDetailView):
    http_method_names: ClassVar[list[str]] = ["post"]

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        req = self.object
        services.ensure_handler(self.user, req)
        form = HandOverForm(request.POST, choices=unit_choices(self.user, req), prefix="ho")
        if form.is_valid():
            try:
                org, partner = resolve_unit(self.user, req, form.cleaned_data["handler"])
                services.hand_over(
                    actor=self.user,
                    request=req,
                    reason=form.cleaned_data["reason"],
                    handler_org=org,
                    handler_partner=partner,
                    version=request.POST.get("version") or None,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已转交"))
                if selectors.visible_requests(self.user).filter(pk=req.pk).exists():
                    return redirect("services:detail", code=req.code)
                return redirect("services:list")
        return render(request, self.template_name, self.get_context_data(hand_over=form), status=400)


class CoHandlerView(RequestDetailView):
    http_method_names: ClassVar[list[str]] = ["post"]

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        req = self.object
        choices = unit_choices(self.user, req)
        form = CoHandlerForm(request.POST, choices=choices, prefix="co")
        services.ensure_handler(self.user, req)
        if form.is_valid():
            try:
                org, partner = resolve_unit(self.user, req, form.cleaned_data["cohandler"])
                services.add_cohandler(actor=self.user, request=req, org=org, partner=partner)
            except ValidationError as error:
                add_service_errors(form, error, {"handler": "cohandler"})
            else:
                messages.success(request, _("已增加协办单位"))
                return redirect("services:detail", code=req.code)
        return render(request, self.template_name, self.get_context_data(cohandler=form), status=400)


def can_moderate(user: Any, req: ServiceRequest) -> bool:
    return scope.can(user, scope.CHANGE, req.org_path)


class ModerateView(RequestDetailView):
    """POST: the public version of the text and place, with the reason (the original is kept)."""

    http_method_names: ClassVar[list[str]] = ["post"]

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        req = self.object
        if not can_moderate(self.user, req):
            raise PermissionDenied(_("只有受理社区的管理员或书记可以处理公开内容"))
        form = ModerateForm(request.POST, prefix="mod")
        if form.is_valid():
            try:
                services.moderate(
                    actor=self.user,
                    request=req,
                    version=request.POST.get("version") or None,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("公开内容已处理，原文保留"))
                return redirect("services:detail", code=req.code)
        return render(request, self.template_name, self.get_context_data(moderate=form), status=400)


class ModerateWordsView(RequestDetailView):
    """POST: the public version of one of the resident's later words, with the reason (kept as written)."""

    http_method_names: ClassVar[list[str]] = ["post"]

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        req = self.object
        if not can_moderate(self.user, req):
            raise PermissionDenied(_("只有受理社区的管理员或书记可以处理公开内容"))
        form = ModerateWordsForm(request.POST, prefix="words")
        if form.is_valid():
            try:
                services.moderate_words(
                    actor=self.user,
                    request=req,
                    version=request.POST.get("version") or None,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("居民补充内容的公开版本已处理，原文保留"))
                return redirect("services:detail", code=req.code)
        messages.error(request, "；".join(str(m) for errors in form.errors.values() for m in errors))
        return redirect("services:detail", code=req.code)


class PhotoView(RequestView):
    """The resident's photo, to those who see the request (never public)."""

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        req = self.object
        if not req.photo:
            raise Http404
        try:
            handle = req.photo.open("rb")
        except (FileNotFoundError, OSError) as error:
            raise Http404 from error
        response = FileResponse(handle, content_type=req.photo_type)
        response["Cache-Control"] = "private, no-store"
        return response


class RevealView(RequestDetailView):
    """POST: the resident's full name and phone on the page, for a call back (audited)."""

    http_method_names: ClassVar[list[str]] = ["post"]

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self.contact = services.reveal_contact(actor=self.user, request=self.object)
        response = render(request, self.template_name, self.get_context_data())
        response["Cache-Control"] = "private, no-store"
        return response


FIRST_YEAR = 2000
PARTS = ["Q1", "Q2", "Q3", "Q4", *[f"{m:02d}" for m in range(1, 13)]]


def figures_period(params: Any) -> periods.Period:
    """The period of the figures: ``period`` (``YYYY``, ``YYYY-Qn``, ``YYYY-MM``), or ``year`` with an
    optional ``part`` (``Q1``…``Q4``, ``01``…``12``); the current year by default. From 2000 to this
    year; anything else raises ``PeriodError`` naming what was wrong."""
    today = timezone.localdate()
    text = str(params.get("period", "") or "").strip()[:16]
    if not text:
        year = str(params.get("year", "") or today.year).strip()[:8]
        part = str(params.get("part", "") or "").strip().upper()[:4]
        if part and part not in PARTS:
            raise periods.PeriodError(_("无法识别的期间：%(text)s") % {"text": part})
        text = f"{year}-{part}" if part else year
    period = periods.parse(text)
    if period.kind == "day":
        raise periods.PeriodError(_("期间应为年、季度或月：%(text)s") % {"text": text})
    if not FIRST_YEAR <= period.start.year <= today.year:
        raise periods.PeriodError(
            _("期间超出范围：%(text)s（年份应在%(first)s至%(last)s之间）")
            % {"text": text, "first": FIRST_YEAR, "last": today.year}
        )
    return period


def rates_chart(year: int, months: list[tuple[dt.date, Any]]) -> dict[str, Any]:
    """The ECharts option of the three rates month by month (a gap where a month has no base)."""
    series = [
        (_("响应率"), "response_rate"),
        (_("解决率"), "resolution_rate"),
        (_("满意率"), "satisfaction_rate"),
    ]
    return {
        "title": {
            "text": _("%(year)s年各月三率") % {"year": year},
            "left": "center",
            "textStyle": {"fontSize": 14},
        },
        "color": ["#b3121b", "#0d6efd", "#198754"],
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 8, "right": 16, "top": 36, "bottom": 36, "containLabel": True},
        "xAxis": {"type": "category", "data": [_("%(m)d月") % {"m": d.month} for d, _f in months]},
        "yAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {"name": str(name), "type": "line", "data": [getattr(f, attr) for _d, f in months]}
            for name, attr in series
        ],
    }


class FiguresView(ScopedView):
    """响应率, 解决率, 满意率 per community the user sees, in tree order (never a ranking of people), for a
    year, a quarter or a month; ``?org=<code>`` narrows to one node's subtree (404 outside the scope);
    a chart of the rates month by month over the period's year."""

    def get(self, request: HttpRequest) -> HttpResponse:
        from jiceng.orgs import selectors as org_selectors

        code = request.GET.get("org", "").strip()[:32]
        org = org_selectors.get_org(self.user, code=code) if code else None
        try:
            period = figures_period(request.GET)
        except periods.PeriodError as error:
            messages.warning(request, str(error))
            period = periods.year(timezone.localdate().year)
        start, end = period.start, period.end
        rows = selectors.figures_by_community(self.user, start=start, end=end, org=org)
        partners = selectors.figures_by_partner(self.user, start=start, end=end, org=org)
        total = selectors.total_figures(self.user, start=start, end=end, org=org)
        months = selectors.monthly_figures(self.user, year=start.year, org=org)
        part = "" if period.kind == "year" else period.label.split("-", 1)[1]
        context = {
            "rows": rows,
            "partners": partners,
            "total": total,
            "org": org,
            "period": period,
            "year": start.year,
            "part": part,
            "years": list(range(timezone.localdate().year, 2019, -1)),
            "parts": [
                ("Q1", _("第一季度")),
                ("Q2", _("第二季度")),
                ("Q3", _("第三季度")),
                ("Q4", _("第四季度")),
            ]
            + [(f"{m:02d}", _("%(m)d月") % {"m": m}) for m in range(1, 13)],
            "months": months,
            "chart": rates_chart(start.year, months) if any(f.received for _d, f in months) else None,
        }
        return render(request, "services/figures.html", context)


class HotlineExportView(ObjectExportView):
    """The 12345 work orders the user sees, with their results, in the import's shape (CSV, UTF-8 with
    a BOM for spreadsheet programs, or ``encoding=gb18030``); the queue's filters and an optional
    ``period`` (of receipt) narrow it. Audited."""

    filterset_class = RequestFilter
    filename = "12345-results.csv"
    what = gettext_lazy("12345工单办理结果")

    def get_queryset(self) -> Any:
        qs = selectors.with_deadlines(hotline.hotline_requests(self.user))
        text = self.request.GET.get("period", "").strip()[:16]
        if text:
            try:
                period = figures_period({"period": text})
            except periods.PeriodError as error:
                raise Http404 from error
            tz = timezone.get_current_timezone()
            qs = qs.filter(
                received_at__gte=dt.datetime.combine(period.start, dt.time.min, tzinfo=tz),
                received_at__lt=dt.datetime.combine(
                    period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz
                ),
            )
        return qs

    def rows(self, qs: Any) -> Any:
        return hotline.export_rows(qs)

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = super().get(request, **kwargs)
        if request.GET.get("encoding", "").lower() == "gb18030":
            # No BOM; the spreadsheet programs of Chinese Windows read GB18030 as the local code page.
            body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
            plain = HttpResponse(
                body.encode("gb18030", errors="replace"), content_type="text/csv; charset=gb18030"
            )
            for header in ("Content-Disposition", "Cache-Control"):
                plain[header] = response[header]
            return plain
        return response


class DesksView(ScopedView):
    """The organizations of the user's scope that take requests: their public page and poster."""

    def get(self, request: HttpRequest) -> HttpResponse:
        orgs = Organization.objects.restrict(self.user).order_by("path")
        desks = [
            o
            for o in orgs.filter(Q(unit_kind__in=services.COMMUNITY_KINDS) | Q(request_desk__open=True))[:500]
        ]
        desks = [o for o in desks if services.desk_open(o)]
        managed = Organization.objects.restrict(self.user, scope.MANAGE).order_by("path")
        others = [o for o in managed.exclude(pk__in=[d.pk for d in desks])[:50]]
        context = {
            "desks": desks,
            "managed": set(managed.values_list("pk", flat=True)),
            "others": others,
            "limits": selectors.category_limits(),
        }
        return render(request, "services/desks.html", context)


class RoutesView(ObjectView):
    """An organization administrator's routing of one community: for each top-level category, who
    handles its requests; and whether the community's public page is open."""

    http_method_names: ClassVar[list[str]] = ["get", "post"]
    action = scope.MANAGE
    template_name = "services/routes.html"

    def lookup(self, code: str) -> Organization:
        from jiceng.orgs import selectors as org_selectors

        return org_selectors.get_org(self.user, code=code)

    def get_object(self) -> Organization:
        org = self.lookup(**self.kwargs)
        scope.ensure(self.user, scope.MANAGE, org.path)
        return org

    def choices(self) -> list[tuple[str, str]]:
        org = self.object
        orgs = Organization.objects.restrict(self.user).order_by("path")[:300]
        above = [a.path for a in Organization.objects.get_ancestors(org)] + [org.path]
        units = PartnerUnit.objects.filter(
            Q(pk__in=PartnerUnit.objects.restrict(self.user)) | Q(org_path__in=above), active=True
        ).order_by("name")[:300]
        return [
            ("", _("本社区自行办理")),
            *[(f"org:{o.pk}", o.name) for o in orgs if o.pk != org.pk],
            *[(f"partner:{p.pk}", p.name) for p in units],
        ]

    def rows(self) -> list[dict[str, Any]]:
        routes = {r.category_id: r for r in Route.objects.filter(org=self.object)}
        out = []
        for cat in Category.objects.filter(parent__isnull=True, active=True).order_by("order", "id"):
            r = routes.get(cat.pk)
            value = ""
            if r is not None:
                value = f"org:{r.handler_org_id}" if r.handler_org_id else f"partner:{r.handler_partner_id}"
            out.append({"category": cat, "value": value, "field": f"cat-{cat.pk}"})
        return out

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        choices = self.choices()
        rows = self.rows()
        error = ""
        if request.method == "POST":
            allowed = dict(choices)
            picked = {row["field"]: request.POST.get(row["field"], "") for row in rows}
            if any(v not in allowed for v in picked.values()):
                error = _("请选择一个承办单位")
            else:
                for row in rows:
                    value = picked[row["field"]]
                    handler_org = handler_partner = None
                    if value:
                        kind, _sep, pk = value.partition(":")
                        if kind == "org":
                            handler_org = Organization.objects.get(pk=int(pk))
                        else:
                            handler_partner = PartnerUnit.objects.get(pk=int(pk))
                    services.set_route(
                        actor=self.user,
                        org=self.object,
                        category=row["category"],
                        handler_org=handler_org,
                        handler_partner=handler_partner,
                    )
                services.set_desk(actor=self.user, org=self.object, open=request.POST.get("open") == "on")
                messages.success(request, _("派单规则已保存"))
                return redirect("services:routes", code=self.object.code)
        return render(
            request,
            self.template_name,
            {
                "org": self.object,
                "rows": rows,
                "choices": choices,
                "open": services.desk_open(self.object),
                "error": error,
            },
            status=400 if error else 200,
        )

    post = get
