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

from .models import Agreement, AgreementNeed, PartnerKind, PartnerUnit, ProjectStatus, ResourceKind
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


# 共建协议 ----------------------------------------------------------------------------------------


def signing_orgs(user: Any, unit: PartnerUnit) -> QuerySet[Organization]:
    """Where the user may sign an agreement with ``unit``: the communities, villages and committees
    they may change that registered the unit, lie below it or above it."""
    from .services import unit_may_sign

    ids = [o.pk for o in registering_orgs(user)[:MAX_ORG_CHOICES] if unit_may_sign(unit, o)]
    return Organization.objects.filter(pk__in=ids).order_by("path")


class AgreementForm(forms.Form):
    org = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        label=gettext_lazy("签订的党组织"),
        empty_label=gettext_lazy("请选择"),
    )
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    signed_on = forms.DateField(
        label=gettext_lazy("签订日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(
        label=gettext_lazy("协议要点"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, user: Any, unit: PartnerUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = signing_orgs(user, unit)


class ResourceForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("资源类型"), choices=ResourceKind.choices)
    description = forms.CharField(label=gettext_lazy("资源内容"), max_length=300)
    quantity = forms.DecimalField(
        label=gettext_lazy("数量"), required=False, min_value=0, max_digits=12, decimal_places=1
    )
    measure = forms.CharField(label=gettext_lazy("单位（如间、次、元、小时）"), required=False, max_length=20)


class NeedForm(forms.Form):
    description = forms.CharField(label=gettext_lazy("需求内容"), required=False, max_length=300)
    request = forms.CharField(
        label=gettext_lazy("来自群众诉求（受理编号，可不填）"), required=False, max_length=16
    )


class ProjectForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("项目名称"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("项目内容"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    deadline = forms.DateField(label=gettext_lazy("完成期限"), widget=forms.DateInput(attrs={"type": "date"}))
    owner_org = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        required=False,
        label=gettext_lazy("牵头党组织"),
        empty_label=gettext_lazy("共建单位牵头"),
    )
    need = forms.ModelChoiceField(
        queryset=AgreementNeed.objects.none(),
        required=False,
        label=gettext_lazy("对应需求"),
        empty_label=gettext_lazy("无"),
    )

    def __init__(self, *args: Any, agreement: Agreement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_org"].queryset = Organization.objects.filter(
            path__startswith=agreement.org_path
        ).order_by("path")[:MAX_ORG_CHOICES]
        self.fields["need"].queryset = agreement.needs.all()


class MilestoneForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("节点"), max_length=200)
    due_on = forms.DateField(label=gettext_lazy("计划日期"), widget=forms.DateInput(attrs={"type": "date"}))


class ProjectStatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("状态"), choices=ProjectStatus.choices)
    done_on = forms.DateField(
        label=gettext_lazy("完成日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class MilestoneProgressForm(forms.Form):
    done_on = forms.DateField(
        label=gettext_lazy("完成日期（空：未完成）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(label=gettext_lazy("进展说明"), required=False, max_length=300)
