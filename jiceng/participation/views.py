"""Pages of 双报到 and volunteer service: thin views over selectors and services.

Scope: objects are found through the selectors (404 outside the user's view); writes need the change
right where the services say (403 when visible without it). A member reaches their own registration,
the tasks of the community that accepted them and the activities open to them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import scope
from jiceng.core.forms import add_service_errors
from jiceng.core.generic.views import ScopedView
from jiceng.members.models import Member
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization
from jiceng.partners.models import PartnerUnit

from . import selectors, services
from .forms import (
    ActivityForm,
    AttendanceForm,
    DecideForm,
    EndForm,
    RegistrationForm,
    ReportForm,
    ResidentForm,
    TaskForm,
    UnitRegistrationForm,
)
from .services import COMMUNITY_KINDS, own_member


def _refusal(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _year(request: HttpRequest) -> int:
    text = request.GET.get("year", "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else timezone.localdate().year


def _node(request: HttpRequest) -> Organization | None:
    code = request.GET.get("org", "").strip()[:32]
    if code:
        return org_selectors.get_org(request.user, code=code)
    return org_selectors.scope_roots(request.user).first()


def changeable_communities(user: Any) -> Any:
    return Organization.objects.restrict(user, scope.CHANGE).filter(unit_kind__in=COMMUNITY_KINDS)


def _form_page(
    request: HttpRequest,
    form: Any,
    *,
    write: Callable[[dict[str, Any]], str],
    done: str,
    title: str,
    fields: dict[str, str] | None = None,
) -> HttpResponse:
    """The four create pages: a valid form goes to its service, whose refusal lands on the form's
    fields (``fields`` maps a service's field name to the form's); success redirects to the URL
    ``write`` returns."""
    if request.method == "POST" and form.is_valid():
        try:
            to = write(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error, fields)
        else:
            messages.success(request, done)
            return redirect(to)
    return render(request, "participation/form.html", {"form": form, "title": title})


class Index(ScopedView):
    """双报到: who reported to the communities of the subtree, where the subtree's members serve, the
    units that reported; for a member without a scope, their own page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        node = _node(request)
        if node is None:
            return redirect("participation:me")
        side = request.GET.get("side", "community")
        side = side if side in ("community", "home") else "community"
        rows = (
            selectors.registrations_to(self.user, node)
            if side == "community"
            else selectors.registrations_of_branch(self.user, node)
        )
        status = request.GET.get("status", "")
        if status in ("pending", "accepted", "declined", "ended"):
            rows = rows.filter(status=status)
        page = Paginator(rows.order_by("status", "-reported_on", "-id"), 50).get_page(request.GET.get("page"))
        units = selectors.unit_registrations(self.user).filter(community_path__startswith=node.path)[:50]
        return render(
            request,
            "participation/index.html",
            {
                "node": node,
                "side": side,
                "status": status,
                "rows": page,
                "units": units,
                "can_change": scope.can(self.user, scope.CHANGE, node.path),
            },
        )


class RegistrationCreate(ScopedView):
    """个人报到: the member (their own account) or their branch records the residential community."""

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        member = own_member(self.user)
        members = selectors.members_reportable(self.user)
        if member is not None:
            members = Member.objects.filter(Q(pk__in=members.values("pk")) | Q(pk=member.pk))
        if member is None and not members.exists():
            raise PermissionDenied(_("只有党员本人或其所在党支部可以登记报到"))
        form = RegistrationForm(
            request.POST or None,
            members=members,
            communities=selectors.communities_for(self.user, member),
            initial={"member": member},
        )
        return _form_page(
            request,
            form,
            write=lambda d: reverse(
                "participation:registration", args=[services.register_member(actor=self.user, **d).pk]
            ),
            done=_("已登记报到，待社区确认"),
            title=_("个人报到"),
        )

    post = get


class RegistrationDetail(ScopedView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        reg = selectors.get_registration(self.user, pk)
        community_change = scope.can(self.user, scope.CHANGE, reg.community_path)
        return render(
            request,
            "participation/registration.html",
            {
                "reg": reg,
                "can_decide": community_change and reg.status == "pending",
                "can_end": reg.is_active
                and (community_change or services.may_report_for(self.user, reg.member)),
                "decide_form": DecideForm(),
                "end_form": EndForm(),
            },
        )


class RegistrationDecide(ScopedView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        reg = selectors.get_registration(self.user, pk)
        services.require_change(self.user, reg.community_path)
        form = DecideForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择处理结果"))
            return redirect("participation:registration", pk=pk)
        try:
            services.decide_member_registration(
                actor=self.user,
                registration=reg,
                accept=form.cleaned_data["accept"],
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["decided_on"],
            )
        except ValidationError as error:
            _refusal(request, error)
        else:
            messages.success(request, _("已处理"))
        return redirect("participation:registration", pk=pk)


class RegistrationEnd(ScopedView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        reg = selectors.get_registration(self.user, pk)
        form = EndForm(request.POST)
        on = form.cleaned_data["ended_on"] if form.is_valid() else None
        try:
            services.end_member_registration(actor=self.user, registration=reg, on=on)
        except ValidationError as error:
            _refusal(request, error)
        else:
            messages.success(request, _("已结束报到"))
        return redirect("participation:registration", pk=pk)


class UnitCreate(ScopedView):
    """单位报到: recorded by the community or by the reporting organization."""

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        if not scope.paths_for(self.user, scope.CHANGE):
            raise PermissionDenied(_("您没有执行此操作的权限"))
        form = UnitRegistrationForm(
            request.POST or None,
            communities=selectors.communities_for(self.user, None),
            partners=PartnerUnit.objects.restrict(self.user, scope.VIEW).filter(active=True),
            orgs=Organization.objects.restrict(self.user, scope.CHANGE),
        )

        def write(d: dict[str, Any]) -> str:
            services.register_unit(actor=self.user, **d)
            return reverse("participation:index") + f"?org={d['community'].code}"

        return _form_page(
            request,
            form,
            write=write,
            done=_("已登记单位报到，待社区确认"),
            title=_("单位报到"),
            fields={"unit": "partner"},
        )

    post = get


class UnitDecide(ScopedView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        reg = selectors.get_unit_registration(self.user, pk)
        services.require_change(self.user, reg.community_path)
        form = DecideForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择处理结果"))
        else:
            try:
                services.decide_unit_registration(
                    actor=self.user,
                    registration=reg,
                    accept=form.cleaned_data["accept"],
                    reason=form.cleaned_data["reason"],
                    on=form.cleaned_data["decided_on"],
                )
            except ValidationError as error:
                _refusal(request, error)
            else:
                messages.success(request, _("已处理"))
        return redirect(reverse("participation:index") + f"?org={reg.community.code}")


# Service tasks ------------------------------------------------------------------------------------------


class Tasks(ScopedView):
    def get(self, request: HttpRequest) -> HttpResponse:
        rows = Paginator(selectors.tasks(self.user), 50).get_page(request.GET.get("page"))
        return render(
            request,
            "participation/tasks.html",
            {"rows": rows, "can_publish": changeable_communities(self.user).exists()},
        )


class TaskCreate(ScopedView):
    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        communities = changeable_communities(self.user)
        if not communities.exists():
            raise PermissionDenied(_("只有社区（村）党组织可以发布服务任务"))
        form = TaskForm(
            request.POST or None, communities=communities, projects=selectors.open_projects(self.user)
        )
        return _form_page(
            request,
            form,
            write=lambda d: reverse(
                "participation:task", args=[services.publish_task(actor=self.user, **d).pk]
            ),
            done=_("已发布服务任务"),
            title=_("发布服务任务"),
        )

    post = get


class TaskDetail(ScopedView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = selectors.get_task(self.user, pk)
        member = own_member(self.user)
        claims = list(task.claims.select_related("member"))
        mine = next((c for c in claims if member is not None and c.member_id == member.pk), None)
        return render(
            request,
            "participation/task.html",
            {
                "task": task,
                # The community sees who took the task; a member sees their own claim and the count.
                "claims": claims
                if scope.can(self.user, scope.VIEW, task.community_path)
                else [mine]
                if mine
                else [],
                "taken": len(claims),
                "mine": mine,
                "can_claim": member is not None
                and mine is None
                and not task.closed
                and services.accepted_at(member, task.community_id),
                "can_close": not task.closed and scope.can(self.user, scope.CHANGE, task.community_path),
                # The agreement's page, for those who see it (a member sees the project's title only).
                "project_url": reverse("partners:agreement", args=[task.project.agreement_id])
                if task.project is not None
                and scope.can(self.user, scope.VIEW, task.project.agreement.org_path)
                else "",
                "report_form": ReportForm(),
            },
        )


class TaskClaimView(ScopedView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = selectors.get_task(self.user, pk)
        try:
            services.claim_task(actor=self.user, task=task)
        except ValidationError as error:
            _refusal(request, error)
        else:
            messages.success(request, _("已认领"))
        return redirect("participation:task", pk=pk)


class TaskClose(ScopedView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = selectors.get_task(self.user, pk)
        services.require_change(self.user, task.community_path)
        services.close_task(actor=self.user, task=task)
        messages.success(request, _("已关闭"))
        return redirect("participation:task", pk=pk)


class ClaimReport(ScopedView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        claim = selectors.get_claim(self.user, pk)
        if claim.member.user_id != self.user.pk:
            raise PermissionDenied(_("只有认领的党员本人可以填写完成情况"))
        form = ReportForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写做了什么"))
        else:
            try:
                services.report_claim(
                    actor=self.user,
                    claim=claim,
                    report=form.cleaned_data["report"],
                    done_on=form.cleaned_data["done_on"],
                )
            except ValidationError as error:
                _refusal(request, error)
            else:
                messages.success(request, _("已记录完成情况"))
        return redirect("participation:task", pk=claim.task_id)


# Activities -------------------------------------------------------------------------------------------


class Activities(ScopedView):
    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        qs = selectors.activities(self.user)
        when = request.GET.get("when", "upcoming")
        qs = (
            qs.filter(starts_at__gt=now).order_by("starts_at")
            if when == "upcoming"
            else qs.filter(starts_at__lte=now)
        )
        return render(
            request,
            "participation/activities.html",
            {
                "rows": Paginator(qs, 30).get_page(request.GET.get("page")),
                "when": when,
                "can_publish": bool(scope.paths_for(self.user, scope.CHANGE)),
            },
        )


class ActivityCreate(ScopedView):
    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        if not scope.paths_for(self.user, scope.CHANGE):
            raise PermissionDenied(_("您没有执行此操作的权限"))
        form = ActivityForm(
            request.POST or None,
            orgs=Organization.objects.restrict(self.user, scope.CHANGE),
            partners=PartnerUnit.objects.restrict(self.user, scope.VIEW).filter(active=True),
        )
        return _form_page(
            request,
            form,
            write=lambda d: services.publish_activity(actor=self.user, **d).get_absolute_url(),
            done=_("已发布志愿服务活动"),
            title=_("发布志愿服务活动"),
        )

    post = get


class ActivityDetail(ScopedView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        activity = selectors.get_activity(self.user, pk)
        organizer = scope.can(self.user, scope.CHANGE, activity.org_path)
        member = own_member(self.user)
        vols = list(selectors.volunteers(activity))
        mine = next((v for v in vols if member is not None and v.member_id == member.pk), None)
        now = timezone.now()
        open_ = not activity.cancelled and not activity.attendance_recorded and activity.starts_at > now
        return render(
            request,
            "participation/activity.html",
            {
                "activity": activity,
                "organizer": organizer,
                # Others than the organizer see how many signed up, never who.
                "volunteers": vols if organizer else [],
                "count": len(vols),
                "mine": mine,
                "can_sign_up": member is not None and mine is None and open_ and len(vols) < activity.needed,
                "can_add_resident": organizer and open_,
                "can_record": organizer and not activity.attendance_recorded and activity.starts_at <= now,
                "resident_form": ResidentForm(),
                "attendance_form": AttendanceForm(volunteers=vols),
            },
        )


class ActivitySignUp(ScopedView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        activity = selectors.get_activity(self.user, pk)
        try:
            services.sign_up_member(actor=self.user, activity=activity)
        except ValidationError as error:
            _refusal(request, error)
        else:
            messages.success(request, _("报名成功"))
        return redirect(activity.get_absolute_url())


class ActivityResident(ScopedView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        activity = selectors.get_activity(self.user, pk)
        services.require_change(self.user, activity.org_path)
        form = ResidentForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写居民姓名和联系电话"))
        else:
            try:
                services.sign_up_resident(actor=self.user, activity=activity, **form.cleaned_data)
            except ValidationError as error:
                _refusal(request, error)
            else:
                messages.success(request, _("已为居民报名"))
        return redirect(activity.get_absolute_url())


class ActivityAttendance(ScopedView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        activity = selectors.get_activity(self.user, pk)
        services.require_change(self.user, activity.org_path)
        form = AttendanceForm(request.POST, volunteers=selectors.volunteers(activity))
        if not form.is_valid():
            messages.error(request, _("考勤数据有误"))
        else:
            try:
                services.record_attendance(
                    actor=self.user, activity=activity, present=[int(p) for p in form.cleaned_data["present"]]
                )
            except ValidationError as error:
                _refusal(request, error)
            else:
                messages.success(request, _("已记录考勤，服务时长已计入"))
        return redirect(activity.get_absolute_url())


class VolunteerReveal(ScopedView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        v = selectors.get_volunteer(self.user, pk)
        if v.member_id:
            raise Http404
        contact = services.reveal_contact(actor=self.user, volunteer=v)
        return render(request, "participation/_contact.html", {"contact": contact, "volunteer": v})


class Figures(ScopedView):
    """Totals of a year by organization and partner unit: never a list of people."""

    def get(self, request: HttpRequest) -> HttpResponse:
        node = _node(request)
        if node is None:
            raise PermissionDenied(_("您没有查看统计的权限"))
        return render(
            request, "participation/figures.html", selectors.figures(self.user, node, _year(request))
        )


# The member's own ---------------------------------------------------------------------------------------


class Me(ScopedView):
    def get(self, request: HttpRequest) -> HttpResponse:
        from .own import own_context

        context = own_context(self.user)
        return render(request, "participation/me.html", {"own": context})


class Certificate(ScopedView):
    """A printable (A4) certificate of the member's own volunteer hours of a year."""

    def get(self, request: HttpRequest) -> HttpResponse:
        member = own_member(self.user)
        if member is None:
            raise Http404
        year = _year(request)
        rows = list(selectors.own_service(member, year))
        return render(
            request,
            "participation/certificate.html",
            {
                "member": member,
                "year": year,
                "rows": rows,
                "hours": sum((v.hours for v in rows), start=selectors.Decimal("0")),
                "today": dt.date.today(),
            },
        )
