"""Forms of 双报到 and volunteer service: they check types and bounds; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.core.forms import DateInput

from .models import TaskKind


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class OrgChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.code}）"


def only(field: forms.ModelChoiceField) -> None:
    """A choice of one is made already: preselect it (a community secretary has one community)."""
    first = list(field.queryset[:2])
    if len(first) == 1:
        field.initial = first[0].pk


class RegistrationForm(forms.Form):
    member = forms.ModelChoiceField(label=_("党员"), queryset=None)
    community = OrgChoice(label=_("居住地社区（村）党组织"), queryset=None)
    reported_on = forms.DateField(label=_("报到日期（默认今天）"), required=False, widget=DateInput())
    residence = forms.CharField(label=_("居住小区"), required=False, max_length=200)
    skills = forms.CharField(label=_("特长及可提供的服务"), required=False, max_length=300)

    def __init__(self, *args: Any, members: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["community"].queryset = communities


class DecideForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("处理结果"),
        choices=[("1", _("接收")), ("0", _("不予接收"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    decided_on = forms.DateField(label=_("确认日期（默认今天）"), required=False, widget=DateInput())
    reason = forms.CharField(label=_("不予接收的原因"), required=False, max_length=200)


class EndForm(forms.Form):
    ended_on = forms.DateField(label=_("结束日期（默认今天）"), required=False, widget=DateInput())


class UnitRegistrationForm(forms.Form):
    community = OrgChoice(label=_("报到社区党组织"), queryset=None)
    partner = forms.ModelChoiceField(label=_("共建单位"), queryset=None, required=False)
    unit_org = OrgChoice(label=_("或：本系统中的党组织"), queryset=None, required=False)
    reported_on = forms.DateField(label=_("报到日期（默认今天）"), required=False, widget=DateInput())
    offer = forms.CharField(label=_("可提供的资源和服务"), required=False, max_length=500)

    def __init__(self, *args: Any, communities: Any, partners: Any, orgs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["partner"].queryset = partners
        self.fields["unit_org"].queryset = orgs

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("partner")) == bool(data.get("unit_org")):
            raise forms.ValidationError(_("请选择一个共建单位或一个党组织（二选一）"))
        return data


class TaskForm(forms.Form):
    community = OrgChoice(label=_("发布社区"), queryset=None)
    kind = forms.ChoiceField(label=_("类型"), choices=TaskKind.choices)
    title = forms.CharField(label=_("名称"), max_length=200)
    description = forms.CharField(
        label=_("内容"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_on = forms.DateField(label=_("期限"), required=False, widget=DateInput())
    places = forms.IntegerField(label=_("需要人数"), min_value=1, max_value=500, initial=1)
    project = forms.ModelChoiceField(label=_("共建项目（共建项目岗位必选）"), queryset=None, required=False)

    def __init__(self, *args: Any, communities: Any, projects: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        only(self.fields["community"])
        self.fields["project"].queryset = projects
        self.fields["project"].label_from_instance = lambda p: (
            f"{p.agreement.year} {p.agreement.unit.name}：{p.title}"
        )


class ReportForm(forms.Form):
    done_on = forms.DateField(label=_("完成日期（默认今天）"), required=False, widget=DateInput())
    report = forms.CharField(label=_("做了什么"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ActivityForm(forms.Form):
    org = OrgChoice(label=_("发布组织"), queryset=None)
    partner = forms.ModelChoiceField(label=_("组织单位（共建单位，可不填）"), queryset=None, required=False)
    title = forms.CharField(label=_("活动名称"), max_length=200)
    description = forms.CharField(
        label=_("活动内容"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    place = forms.CharField(label=_("地点"), max_length=200)
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=DateTimeInput())
    needed = forms.IntegerField(label=_("需要人数"), min_value=1, max_value=1000)
    hours = forms.DecimalField(
        label=_("计入服务时长（小时，默认按活动时长）"),
        required=False,
        min_value=0.5,
        max_value=24,
        decimal_places=1,
    )

    def __init__(self, *args: Any, orgs: Any, partners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["partner"].queryset = partners
        only(self.fields["org"])


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("居民姓名"), max_length=40)
    phone = forms.CharField(label=_("联系电话"), max_length=20)


class AttendanceForm(forms.Form):
    present = forms.MultipleChoiceField(
        label=_("到场的志愿者"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, volunteers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(str(v.pk), v.display_name) for v in volunteers]
