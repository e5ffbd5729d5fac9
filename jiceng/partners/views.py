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

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
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
from jiceng.orgs.views import OrgListView

from . import selectors, services
from .forms import PartnerUnitFilter, PartnerUnitForm
from .models import PartnerUnit

DISPATCHED_SHOWN = 50


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
        return render(request, "partners/mine.html", {"blocks": blocks, "now": now})
