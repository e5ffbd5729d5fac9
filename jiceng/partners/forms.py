"""The registry's forms: one unit (register or edit) and the list's filters."""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from jiceng.core import scope
from jiceng.orgs.models import Organization

from .models import PartnerKind, PartnerUnit
from .services import MAX_NAME, MAX_PHONE

MAX_ORG_CHOICES = 500


def registering_orgs(user: Any) -> QuerySet[Organization]:
    """Where the user may register a unit: the committees and the communities and villages of the
    subtrees they may change (a street's property companies, a community's own partners)."""
    return (
        Organization.objects.restrict(user, scope.CHANGE)
        .filter(
            Q(kind__in=("committee", "working_committee", "general_branch"))
            | Q(unit_kind__in=("community", "village"))
        )
        .order_by("path")
    )


def split_names(text: str) -> list[str]:
    return [n for n in re.split(r"[\s,，、;；]+", text or "") if n]


class PartnerUnitForm(forms.Form):
    org = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        label=gettext_lazy("登记的党组织"),
        empty_label=gettext_lazy("请选择"),
    )
    name = forms.CharField(label=gettext_lazy("单位名称"), max_length=MAX_NAME)
    kind = forms.ChoiceField(label=gettext_lazy("单位类型"), choices=PartnerKind.choices)
    phone = forms.CharField(label=gettext_lazy("单位电话"), max_length=MAX_PHONE, required=False)
    contacts = forms.CharField(
        label=gettext_lazy("联系人账号"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "填写联系人的登录用户名，多个用空格或逗号分开。联系人只能看到和办理派给本单位的诉求。账号在“账号”页面开设。"
        ),
    )

    def __init__(self, *args: Any, user: Any, unit: PartnerUnit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Bounded; the unit's own organization stays a choice whatever its kind.
        allowed = Q(pk__in=registering_orgs(user)[:MAX_ORG_CHOICES].values("pk"))
        if unit is not None:
            allowed |= Q(pk=unit.org_id)
        self.fields["org"].queryset = Organization.objects.filter(allowed).order_by("path")

    def service_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "org": d["org"],
            "name": d["name"],
            "kind": d["kind"],
            "phone": d["phone"],
            "contacts": split_names(d["contacts"]),
        }


class PartnerUnitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=gettext_lazy("名称"), max_length=100)
    kind = django_filters.ChoiceFilter(choices=PartnerKind.choices, label=gettext_lazy("单位类型"))
    active = django_filters.BooleanFilter(label=gettext_lazy("有效"))

    class Meta:
        model = PartnerUnit
        fields = ["q", "kind", "active"]

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = (value or "").strip()
        return qs.filter(name__icontains=value) if value else qs
