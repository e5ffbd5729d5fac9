"""The partner-unit registry's pages (共建单位), on core's generic scoped views.

- organization administrators and secretaries list, register, edit, deactivate and reactivate the units
  registered in their subtrees (the change right on the registering organization);
- a unit's contacts open ``/partners/mine/``: their units and what is dispatched to them (as
  responsible or co-handler), the queue's order, with counts of open and late requests.

Out of scope answers 404; a unit seen without the change right (a viewer, a contact) answers 403 to
its forms.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import scope
from jiceng.core.generic.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectFormView,
    ObjectView,
    ScopedView,
)
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.views import OrgListView

from . import forms, selectors, services
from .forms import PartnerUnitFilter, PartnerUnitForm
from .models import Agreement, AgreementNeed, AgreementProject, AgreementResource, PartnerUnit

DISPATCHED_SHOWN = 50
AGREEMENTS_SHOWN = 200


class UnitList(OrgListView):
    filterset_class = PartnerUnitFilter
    template_name = "partners/list.html"
    label_any_choice = True
    list_url = "partners:list"
    list_id = "partner"
    list_title = gettext_lazy("共建单位")
    list_crumb = gettext_lazy("共建单位")

    def get_queryset(self) -> Any:
        qs = selectors.unit_list(self.user)
        if self.org is not None:
            qs = qs.filter(org_path__startswith=self.org.path)
        return qs


class UnitCreate(ObjectFormView):
    """登记共建单位: under an organization the user may change."""

    template_name = "partners/form.html"
    denied = gettext_lazy("您没有登记共建单位的权限：需要党组织管理员或书记的权限")

    def lookup(self, **kwargs: Any) -> None:
        if not scope.paths_for(self.user, scope.CHANGE):
            raise PermissionDenied(str(self.denied))
        return None

    def get_form(self, data: Any, files: Any) -> PartnerUnitForm:
        form = PartnerUnitForm(data, user=self.user)
        code = self.request.GET.get("org", "").strip()[:32]
        if code:
            form.fields["org"].initial = form.fields["org"].queryset.filter(code=code).first()
        return form

    def perform(self, form: PartnerUnitForm) -> tuple[PartnerUnit, str]:
        unit = services.register_unit(actor=self.user, **form.service_fields())
        return unit, _("已登记共建单位：%(name)s") % {"name": unit.name}

    def success_url(self, landing: PartnerUnit) -> str:
        return reverse("partners:detail", kwargs={"pk": landing.pk})

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return {"title": _("登记共建单位"), "unit": None, **extra}


class UnitView(ObjectView):
    def lookup(self, *, pk: Any) -> PartnerUnit:
        return selectors.get_unit(self.user, pk)


class UnitDetail(UnitView, ObjectDetailView):
    template_name = "partners/detail.html"
    history = True

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        unit = self.object
        from jiceng.services.models import OPEN_TYPES, Route

        manages = scope.can(self.user, scope.CHANGE, unit.org_path)
        in_tree = scope.can(self.user, scope.VIEW, unit.org_path)
        requests = selectors.dispatched(self.user, unit)
        now = timezone.now()
        context = super().get_context_data(
            unit=unit,
            can_change=manages,
            in_tree=in_tree,
            contacts=list(unit.contacts.order_by("username")) if in_tree else [],
            routes=list(
                Route.objects.restrict(self.user)
                .filter(handler_partner=unit)
                .select_related("org", "category")[:200]
            )
            if in_tree
            else [],
            open_count=requests.filter(state_type__in=OPEN_TYPES).count(),
            late_count=requests.filter(next_due__lt=now).count(),
            agreements=list(selectors.agreements(self.user).filter(unit=unit).order_by("-year", "id")[:50]),
            can_sign=unit.active and in_tree and forms.signing_orgs(self.user, unit).exists(),
            **extra,
        )
        if not in_tree:
            context["changes"] = []  # the change records are the tree's (a contact reads the unit only)
        return context


class UnitEdit(UnitView, ObjectFormView):
    template_name = "partners/form.html"
    versioned = True

    def get_form(self, data: Any, files: Any) -> PartnerUnitForm:
        unit = self.object
        initial = {
            "org": unit.org_id,
            "name": unit.name,
            "kind": unit.kind,
            "phone": unit.phone,
            "contacts": " ".join(services.contacts_of(unit)),
        }
        return PartnerUnitForm(data, user=self.user, unit=unit, initial=initial)

    def perform(self, form: PartnerUnitForm) -> tuple[PartnerUnit, str]:
        unit = services.update_unit(
            actor=self.user, unit=self.object, version=self.version(form), **form.service_fields()
        )
        return unit, _("已保存：%(name)s") % {"name": unit.name}

    def success_url(self, landing: PartnerUnit) -> str:
        return reverse("partners:detail", kwargs={"pk": landing.pk})

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return {"title": _("修改共建单位"), "unit": self.object, **extra}


class UnitDeactivate(UnitView, ObjectDeleteView):
    """POST: stop (or, with ``active=1``, restart) routing to the unit; nothing is deleted."""

    def perform(self) -> str:
        active = self.request.POST.get("active") == "1"
        unit = services.set_active(actor=self.user, unit=self.object, active=active)
        if active:
            return _("已启用：%(name)s") % {"name": unit.name}
        return _("已停用：%(name)s。已派给它的诉求仍由它办理，需要时请转交；新的诉求由社区自行办理。") % {
            "name": unit.name
        }

    def success_url(self) -> str:
        return reverse("partners:detail", kwargs={"pk": self.object.pk})


class Mine(ScopedView):
    """A partner unit's contact: their units and what is dispatched to them, open ones first."""

    max_shown: ClassVar[int] = DISPATCHED_SHOWN

    def get(self, request: HttpRequest) -> HttpResponse:
        from jiceng.services.models import OPEN_TYPES

        now = timezone.now()
        blocks = []
        for unit in selectors.units_of_contact(self.user)[:20]:
            qs = selectors.dispatched(self.user, unit)
            blocks.append(
                {
                    "unit": unit,
                    "open": qs.filter(state_type__in=OPEN_TYPES).count(),
                    "late": qs.filter(next_due__lt=now).count(),
                    "answered": qs.filter(state_type="answered").count(),
                    "rows": list(qs[: self.max_shown]),
                }
            )
        agreements = list(selectors.agreements_of_contact(self.user)[:50])
        return render(request, "partners/mine.html", {"blocks": blocks, "now": now, "agreements": agreements})


# 共建协议 and its three lists ---------------------------------------------------------------------


def _year_param(request: HttpRequest) -> int | None:
    text = request.GET.get("year", "")
    return int(text) if text.isascii() and text.isdigit() and 2000 <= int(text) <= 2100 else None


class AgreementList(ScopedView):
    """共建协议: those signed in the user's subtrees (``?org=`` narrows, ``?year=`` picks a year), and a
    liaison's own units' agreements."""

    def get(self, request: HttpRequest) -> HttpResponse:
        qs = selectors.agreements(self.user).annotate(
            n_projects=Count("projects", distinct=True),
            n_done=Count("projects", filter=Q(projects__status="done"), distinct=True),
        )
        org = None
        code = request.GET.get("org", "").strip()[:32]
        if code:
            org = org_selectors.get_org(self.user, code=code)
            qs = qs.filter(org_path__startswith=org.path)
        year = _year_param(request)
        if year:
            qs = qs.filter(year=year)
        rows = list(qs.order_by("-year", "org_path", "unit__name", "id")[:AGREEMENTS_SHOWN])
        return render(
            request,
            "partners/agreements.html",
            {"rows": rows, "org": org, "year": year, "limit": AGREEMENTS_SHOWN},
        )


class AgreementCreate(UnitView, ObjectFormView):
    """签订共建协议 with a unit the user sees, for an organization they may change where it may sign."""

    template_name = "partners/form.html"
    action = scope.VIEW  # checked below: some organization the user may change may sign with the unit

    def check(self) -> HttpResponse | None:
        if not forms.signing_orgs(self.user, self.object).exists():
            raise PermissionDenied(_("您没有与该单位签订共建协议的权限：需要签订组织的管理员或书记权限"))
        return None

    def get_form(self, data: Any, files: Any) -> forms.AgreementForm:
        form = forms.AgreementForm(
            data, user=self.user, unit=self.object, initial={"year": timezone.localdate().year}
        )
        if form.fields["org"].queryset.count() == 1:
            form.fields["org"].initial = form.fields["org"].queryset.first()
        return form

    def perform(self, form: forms.AgreementForm) -> tuple[Any, str]:
        d = form.cleaned_data
        agreement = services.create_agreement(
            actor=self.user,
            unit=self.object,
            org=d["org"],
            year=d["year"],
            signed_on=d["signed_on"],
            notes=d["notes"],
        )
        return agreement, _("已记录共建协议")

    def success_url(self, landing: Any) -> str:
        return reverse("partners:agreement", kwargs={"pk": landing.pk})

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return {
            "title": _("签订共建协议：%(name)s") % {"name": self.object.name},
            "unit": self.object,
            **extra,
        }


class AgreementView(ObjectView):
    def lookup(self, *, pk: Any) -> Any:
        return selectors.get_agreement(self.user, pk)


def _project_roles(ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per project: the project roles (共建项目岗位) published for it by the communities and how many
    times reporting members took them (counts only, never who: the liaison reads this page too)."""
    if not ids or not apps.is_installed("jiceng.participation"):
        return {}
    rows = (
        AgreementProject.objects.filter(pk__in=ids)
        .annotate(n=Count("service_tasks", distinct=True), c=Count("service_tasks__claims"))
        .values_list("pk", "n", "c")
    )
    return {pk: (n, c) for pk, n, c in rows if n}


class AgreementDetail(AgreementView, ObjectDetailView):
    template_name = "partners/agreement.html"
    history = True

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        agreement = selectors.with_lists(Agreement.objects.filter(pk=self.object.pk)).select_related(
            "unit", "org"
        )[0]
        manages = scope.can(self.user, scope.CHANGE, agreement.org_path)
        in_tree = scope.can(self.user, scope.VIEW, agreement.org_path)
        liaison = agreement.unit.contacts.filter(pk=self.user.pk).exists()
        projects = list(agreement.projects.all())
        roles = _project_roles([p.pk for p in projects])
        for p in projects:
            p.can_progress = manages or (liaison and p.owner_org_id is None)
            p.roles, p.role_claims = roles.get(p.pk, (0, 0))
        context = super().get_context_data(
            agreement=agreement,
            projects=projects,
            can_change=manages,
            today=timezone.localdate(),
            resource_form=forms.ResourceForm(prefix="res") if manages else None,
            need_form=forms.NeedForm(prefix="need") if manages else None,
            project_form=forms.ProjectForm(prefix="proj", agreement=agreement) if manages else None,
            milestone_form=forms.MilestoneForm(prefix="ms") if manages else None,
            status_form=forms.ProjectStatusForm(prefix="st"),
            progress_form=forms.MilestoneProgressForm(prefix="pg"),
            **extra,
        )
        if not in_tree:
            context["changes"] = []
        return context


class _Post(ObjectView):
    """A POST from a form of the agreement page: the write, then back to the page with a message (the
    refusal's words when the service refuses)."""

    http_method_names: ClassVar[list[str]] = ["post"]
    action = scope.CHANGE
    form_class: ClassVar[Any] = None
    prefix: ClassVar[str] = ""

    def agreement_of(self) -> Agreement:
        return self.object

    def form(self) -> Any:
        return self.form_class(self.request.POST, prefix=self.prefix)

    def perform(self, form: Any) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = self.form()
        url = reverse("partners:agreement", kwargs={"pk": self.agreement_of().pk})
        if form.is_valid():
            try:
                messages.success(request, self.perform(form))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        else:
            errors = [
                f"{form.fields[k].label if k in form.fields else ''}{_('：')}{' '.join(v)}"
                for k, v in form.errors.items()
            ]
            messages.error(request, "；".join(errors))
        return redirect(url)


class ResourceAdd(AgreementView, _Post):
    form_class = forms.ResourceForm
    prefix = "res"

    def perform(self, form: Any) -> str:
        services.add_resource(actor=self.user, agreement=self.object, **form.cleaned_data)
        return _("已增加资源清单项")


class NeedAdd(AgreementView, _Post):
    form_class = forms.NeedForm
    prefix = "need"

    def perform(self, form: Any) -> str:
        from jiceng.services import selectors as request_selectors

        d = form.cleaned_data
        req = None
        if d["request"].strip():
            req = request_selectors.visible_requests(self.user).filter(code=d["request"].strip()).first()
            if req is None:
                raise ValidationError(_("找不到该受理编号的诉求"), code="not_found")
        services.add_need(actor=self.user, agreement=self.object, description=d["description"], request=req)
        return _("已增加需求清单项")


class ProjectAdd(AgreementView, _Post):
    prefix = "proj"

    def form(self) -> Any:
        return forms.ProjectForm(self.request.POST, prefix=self.prefix, agreement=self.object)

    def perform(self, form: Any) -> str:
        services.add_project(actor=self.user, agreement=self.object, **form.cleaned_data)
        return _("已增加共建项目")


class ItemRemove(AgreementView, _Post):
    """POST ``resource=<id>`` or ``need=<id>``: take it off its list."""

    def form(self) -> Any:
        return forms.forms.Form(self.request.POST)

    def perform(self, form: Any) -> str:
        for field, model in (("resource", AgreementResource), ("need", AgreementNeed)):
            text = self.request.POST.get(field, "")
            if text.isascii() and text.isdigit() and len(text) < 18:
                item = model.objects.filter(agreement=self.object, pk=int(text)).first()
                if item is not None:
                    services.remove_item(actor=self.user, item=item)
                    return _("已删除清单项")
        raise ValidationError(_("找不到要删除的清单项"), code="not_found")


class _ProjectPost(_Post):
    """A write on one project: the project found among the agreements the user sees (404 otherwise)."""

    def get_object(self) -> Any:
        project = selectors.get_project(self.user, self.kwargs["pk"])
        self.check_project(project)
        return project

    def check_project(self, project: Any) -> None:
        if not scope.can(self.user, scope.CHANGE, project.agreement.org_path):
            raise PermissionDenied(_("您没有执行此操作的权限"))

    def agreement_of(self) -> Agreement:
        return self.object.agreement


class MilestoneAdd(_ProjectPost):
    form_class = forms.MilestoneForm
    prefix = "ms"

    def perform(self, form: Any) -> str:
        services.add_milestone(actor=self.user, project=self.object, **form.cleaned_data)
        return _("已增加项目节点")


class ProjectStatusSet(_ProjectPost):
    form_class = forms.ProjectStatusForm
    prefix = "st"

    def check_project(self, project: Any) -> None:
        if not services.can_progress(self.user, project):
            raise PermissionDenied(_("您没有记录该项目进展的权限"))

    def perform(self, form: Any) -> str:
        services.set_project_status(actor=self.user, project=self.object, **form.cleaned_data)
        return _("已更新项目状态")


class MilestoneProgress(_Post):
    form_class = forms.MilestoneProgressForm
    prefix = "pg"

    def get_object(self) -> Any:
        milestone = selectors.get_milestone(self.user, self.kwargs["pk"])
        if not services.can_progress(self.user, milestone.project):
            raise PermissionDenied(_("您没有记录该项目进展的权限"))
        return milestone

    def agreement_of(self) -> Agreement:
        return self.object.project.agreement

    def perform(self, form: Any) -> str:
        services.record_milestone(actor=self.user, milestone=self.object, **form.cleaned_data)
        return _("已记录节点进展")


class Figures(ScopedView):
    """Unit-level figures of a year in a subtree (``?org=``, default the user's first), by unit name:
    sums for units, never a list or ranking of people."""

    def get(self, request: HttpRequest) -> HttpResponse:
        code = request.GET.get("org", "").strip()[:32]
        org = (
            org_selectors.get_org(self.user, code=code)
            if code
            else org_selectors.scope_roots(self.user).first()
        )
        year = _year_param(request) or timezone.localdate().year
        rows = selectors.unit_figures(org, year) if org is not None else []
        return render(request, "partners/figures.html", {"org": org, "year": year, "rows": rows})
