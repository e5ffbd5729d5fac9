"""Forms of tasks: they shape input; the services judge it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.development.models import StepKind
from jiceng.life.forms import DateInput
from jiceng.life.models import MeetingKind
from jiceng.orgs.models import Organization, Post, UnitKind

from .models import AnswerKind, Target, answer_kinds

ACCEPT = ".pdf,.doc,.docx,.xls,.xlsx,.odt,.ods,.txt,.csv"


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class TargetFields(forms.Form):
    target = forms.ChoiceField(label=_("下达范围"), choices=Target.choices)
    unit_kind = forms.ChoiceField(
        label=_("单位类别"),
        choices=_blank(UnitKind.choices),
        required=False,
        help_text=_("下达范围为“某一单位类别的党支部”时选择"),
    )
    chosen = forms.CharField(
        label=_("指定的党支部（组织编码，每行一个或以逗号分隔）"),
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("下达范围为“指定的党支部”时填写"),
    )
    deadline = forms.DateField(label=_("完成期限"), widget=DateInput())
    instructions = forms.CharField(
        label=_("任务要求"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def chosen_codes(self) -> list[str]:
        text = self.cleaned_data.get("chosen") or ""
        return [c for c in text.replace(",", "\n").replace("，", "\n").split() if c][:60000]


class IssueForm(TargetFields):
    issuer = forms.ModelChoiceField(label=_("下达组织"), queryset=Organization.objects.none())
    title = forms.CharField(label=_("任务名称"), max_length=200)
    answer_kind = forms.ChoiceField(label=_("完成方式"), choices=answer_kinds)
    meeting_kind = forms.ChoiceField(
        label=_("会议类型"),
        choices=_blank(MeetingKind.choices),
        required=False,
        help_text=_("完成方式为“一次组织生活记录”时选择：支部录入这类会议后，确认即完成"),
    )
    topic_keyword = forms.CharField(label=_("主题关键词（可不填）"), max_length=50, required=False)
    step_kind = forms.ChoiceField(
        label=_("发展党员环节"),
        choices=_blank(StepKind.choices),
        required=False,
        help_text=_("完成方式为“一个发展党员环节记录”时选择"),
    )
    window_start = forms.DateField(label=_("记录日期自（默认下达当天）"), required=False, widget=DateInput())
    window_end = forms.DateField(label=_("记录日期至（默认完成期限）"), required=False, widget=DateInput())
    file_reason = forms.CharField(
        label=_("需要文件的理由（只收文档，不收照片）"), max_length=300, required=False
    )
    number_label = forms.CharField(label=_("数字的含义（如：参训人数）"), max_length=60, required=False)

    field_order = [
        "issuer",
        "title",
        "instructions",
        "deadline",
        "target",
        "unit_kind",
        "chosen",
        "answer_kind",
        "meeting_kind",
        "topic_keyword",
        "step_kind",
        "window_start",
        "window_end",
        "file_reason",
        "number_label",
    ]

    def __init__(self, *args: Any, issuers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issuer"].queryset = issuers
        # The top of the user's scope issues most tasks: it comes first (the tree's path order).
        self.fields["issuer"].initial = issuers.order_by("path").first()

    def service_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        names = [
            "issuer",
            "title",
            "instructions",
            "deadline",
            "target",
            "unit_kind",
            "answer_kind",
            "meeting_kind",
            "topic_keyword",
            "step_kind",
            "window_start",
            "window_end",
            "file_reason",
            "number_label",
        ]
        return {**{n: d.get(n) for n in names}, "chosen": self.chosen_codes()}


class PassOnForm(TargetFields):
    def service_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "deadline": d["deadline"],
            "target": d["target"],
            "unit_kind": d.get("unit_kind") or "",
            "chosen": self.chosen_codes(),
            "instructions": d.get("instructions") or "",
        }


class AnswerForm(forms.Form):
    """The small form of a task answered by a text, a number or a file; fields follow the task."""

    def __init__(self, *args: Any, kind: str, number_label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind == AnswerKind.TEXT:
            self.fields["text"] = forms.CharField(
                label=_("答复"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
            )
        elif kind == AnswerKind.NUMBER:
            self.fields["number"] = forms.DecimalField(
                label=number_label or _("数字"), max_digits=14, decimal_places=2
            )
        elif kind == AnswerKind.FILE:
            self.fields["file"] = forms.FileField(
                label=_("文件（PDF、Word、Excel或文本，不超过10MB；不收照片）"),
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
            )
            self.fields["text"] = forms.CharField(
                label=_("说明（可不填）"),
                max_length=2000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因"), max_length=300, min_length=4)


class RemindForm(forms.Form):
    note = forms.CharField(label=_("督办意见（可不填）"), max_length=300, required=False)


class ResponsibilityForm(forms.Form):
    content = forms.CharField(label=_("责任事项"), max_length=300)
    carrier = forms.ModelChoiceField(
        label=_("责任组织"), queryset=Organization.objects.none(), required=False
    )
    post = forms.ChoiceField(label=_("责任人职务"), choices=_blank(Post.choices), required=False)
    note = forms.CharField(label=_("说明（可不填）"), max_length=300, required=False)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["carrier"].queryset = Organization.objects.filter(
            path__prefix=org.path, depth__lte=org.depth + 2
        ).order_by("path")
        self.fields["carrier"].empty_label = _("本组织")
