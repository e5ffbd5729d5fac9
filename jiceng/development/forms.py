"""Forms of the development pages. They shape input; the rules and the services judge it.

One form per step kind: ``StepForm`` keeps only the fields ``rules.STEP_FIELDS`` lists for its kind
(plus the date), labelled for that kind (a notice's ``ends_on`` is its last day, a training's the day
it ended).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.core.forms import DateInput, add_service_errors
from jiceng.life import selectors as life_selectors
from jiceng.life.models import Meeting, MeetingKind
from jiceng.members import selectors as member_selectors
from jiceng.members.models import Category, Education, Gender, Member, Status

from . import rules, services
from .models import Development, Recommendation, StepKind

# The label of a step's date, by kind (the default is "日期").
DATE_LABELS: dict[str, Any] = {
    StepKind.APPLICATION: _("申请入党日期"),
    StepKind.TALK: _("谈话日期"),
    StepKind.ACTIVIST: _("支部委员会决定日期"),
    StepKind.MENTORS: _("指定日期"),
    StepKind.REVIEW: _("考察日期"),
    StepKind.NOTICE: _("公示开始日期"),
    StepKind.CANDIDATE: _("支部委员会决定日期"),
    StepKind.SPONSORS: _("确定日期"),
    StepKind.POLITICAL_REVIEW: _("政审结论日期"),
    StepKind.TRAINING: _("培训开始日期"),
    StepKind.PRE_REVIEW: _("预审日期"),
    StepKind.ADMISSION: _("支部党员大会日期"),
    StepKind.NOT_ADMITTED: _("支部党员大会日期"),
    StepKind.APPROVAL: _("审批日期"),
    StepKind.OATH: _("宣誓日期"),
    StepKind.CONVERSION_APPLICATION: _("提出转正申请日期"),
    StepKind.CONVERSION: _("支部党员大会日期"),
    StepKind.CONVERSION_APPROVAL: _("审批日期"),
    StepKind.EXTENSION: _("支部党员大会决定日期"),
    StepKind.REVOCATION: _("决定日期"),
    StepKind.WITHDRAWAL: _("终止日期"),
}

# Evidence labels that depend on the kind; the others are the model's verbose names.
FIELD_LABELS: dict[tuple[str, str], Any] = {
    (StepKind.NOTICE, "ends_on"): _("公示结束日期"),
    (StepKind.TRAINING, "ends_on"): _("培训结束日期"),
    (StepKind.MENTORS, "people"): _("培养联系人"),
    (StepKind.SPONSORS, "people"): _("入党介绍人"),
    (StepKind.CANDIDATE, "filed_on"): _("报上级党委备案日期"),
}

FIELD_HELP: dict[tuple[str, str], Any] = {
    (StepKind.MENTORS, "people"): _("1至2名正式党员"),
    (StepKind.SPONSORS, "people"): _("2名正式党员，受留党察看处分未恢复党员权利的不能作介绍人"),
    (StepKind.NOTICE, "ends_on"): _("公示期不少于5个工作日，公示结束后方可列为发展对象"),
    (StepKind.TRAINING, "days"): _("集中培训不少于3天或24学时"),
    (StepKind.EXTENSION, "months"): _("延长6至12个月"),
}

VOTE_FIELDS = ("voting_members", "voters_present", "votes_yes")


def field_label(kind: str, name: str) -> str:
    if name == "on":
        return str(DATE_LABELS.get(kind, _("日期")))
    if (kind, name) in FIELD_LABELS:
        return str(FIELD_LABELS[(kind, name)])
    from .models import Step

    return str(Step._meta.get_field(name).verbose_name)


class Count(forms.IntegerField):
    def __init__(self, label: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 100000)
        super().__init__(label=label, widget=forms.NumberInput(attrs={"inputmode": "numeric"}), **kwargs)


def _choices_with_prompt(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("请选择")), *choices]


class PersonForm(forms.Form):
    """The person's details on the file (the identity number only when the file is opened)."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    gender = forms.ChoiceField(label=_("性别"), choices=_choices_with_prompt(Gender.choices))
    ethnicity = forms.CharField(label=_("民族"), max_length=20, initial="汉族")
    birth_date = forms.DateField(label=_("出生日期"), widget=DateInput())
    education = forms.ChoiceField(label=_("学历"), choices=_choices_with_prompt(Education.choices))
    category = forms.ChoiceField(label=_("人员类别"), choices=_choices_with_prompt(Category.choices))
    work_unit = forms.CharField(label=_("工作单位及职务"), max_length=200, required=False)
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, development: Development | None = None, **kwargs: Any) -> None:
        if development is not None:
            kwargs.setdefault("initial", {f: getattr(development, f) for f in services.PERSON_FIELDS})
        super().__init__(*args, **kwargs)
        self.fields["birth_date"].widget.attrs["max"] = timezone.localdate().isoformat()

    def person(self) -> dict[str, Any]:
        return {f: self.cleaned_data.get(f) for f in services.PERSON_FIELDS}

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error)


class ApplyForm(PersonForm):
    """提出入党申请: opens the person's file in the branch."""

    id_number = forms.CharField(
        label=_("公民身份号码"),
        max_length=22,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    on = forms.DateField(label=DATE_LABELS[StepKind.APPLICATION], widget=DateInput())
    note = forms.CharField(label=_("情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    field_order = ["name", "id_number", "gender", "ethnicity", "birth_date", "education", "category"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["birth_date"].required = False
        self.fields["birth_date"].help_text = _("留空则按公民身份号码中的出生日期填写")
        self.fields["on"].widget.attrs["max"] = today.isoformat()
        self.fields["on"].help_text = _("收到入党申请书的日期；申请人应年满18周岁")


class StepForm(forms.Form):
    """One step of ``kind`` on ``development``: its date and the evidence its kind records."""

    on = forms.DateField(label=_("日期"), widget=DateInput())
    ends_on = forms.DateField(label=_("结束日期"), required=False, widget=DateInput())
    filed_on = forms.DateField(label=_("报上级党委备案日期"), required=False, widget=DateInput())
    person_name = forms.CharField(label=_("谈话人"), max_length=100, required=False)
    recommendation = forms.ChoiceField(
        label=_("推荐方式"), required=False, choices=_choices_with_prompt(Recommendation.choices)
    )
    days = Count(_("培训天数"), max_value=366)
    hours = Count(_("培训学时"), max_value=10000)
    voting_members = Count(_("应到会有表决权的正式党员数"))
    voters_present = Count(_("实到会有表决权的正式党员数"))
    votes_yes = Count(_("赞成票"))
    months = Count(_("延长月数"), max_value=120)
    special = forms.BooleanField(label=_("特殊情况（审批期限可延至6个月）"), required=False)
    meeting = forms.ModelChoiceField(
        label=_("会议记录"), queryset=Meeting.objects.none(), required=False, empty_label=_("（不关联）")
    )
    people = forms.ModelMultipleChoiceField(
        label=_("人员"), queryset=Member.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, kind: str, development: Development, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind, self.development = kind, development
        required, optional = rules.STEP_FIELDS[kind]
        used = {"on", *required, *optional}
        for name in list(self.fields):
            if name not in used:
                del self.fields[name]
        for name, field in self.fields.items():
            field.label = field_label(kind, name)
            if (kind, name) in FIELD_HELP:
                field.help_text = FIELD_HELP[(kind, name)]
        for name in required:
            # With a linked meeting record the vote figures come from it.
            if name in VOTE_FIELDS and "meeting" in used:
                self.fields[name].help_text = _("关联了会议记录时可留空，从会议记录中读取")
                continue
            self.fields[name].required = True
        today = timezone.localdate()
        self.fields["on"].widget.attrs["max"] = today.isoformat()
        if "meeting" in self.fields:
            # The step is dated by the meeting that decided it: choosing a meeting sets the date (here and
            # in ``clean``), so a date that disagrees with the chosen meeting cannot be entered.
            wanted = MeetingKind(rules.meeting_kind(kind))
            meeting = self.fields["meeting"]
            meeting.queryset = (
                life_selectors.meeting_list(user, org=development.org)
                .filter(org=development.org, kind=wanted, held_on__lte=today, held_on__gte=self._not_before())
                .order_by("-held_on", "-id")
            )
            meeting.label_from_instance = lambda m: f"{m.held_on:%Y-%m-%d} {m.topic}"
            meeting.help_text = _("本支部的%(kind)s记录；选择后，本环节日期即为会议日期") % {
                "kind": wanted.label
            }
            # htmx: choosing a meeting re-renders the date field, filled with the meeting's day.
            meeting.widget.attrs.update(
                {
                    "hx-get": reverse("development:step", args=[development.pk, kind]),
                    "hx-trigger": "change",
                    "hx-select": "#jc-step-on",
                    "hx-target": "#jc-step-on",
                    "hx-swap": "outerHTML",
                }
            )
            self.fields["on"].required = False
            self.fields["on"].help_text = _("关联会议记录时按会议日期填写，可留空")
            self.chosen_meeting = self._chosen_meeting()
            if self.chosen_meeting is not None:
                self.fields["on"].widget.attrs["readonly"] = True
                self.fields["on"].help_text = _("按所选会议记录的日期填写")
                if not self.is_bound:
                    self.initial["on"] = self.chosen_meeting.held_on
        if "people" in self.fields:
            # Any open member the user may see is accepted (a sponsor may belong to another branch);
            # the page lists the branch's full members and finds others by name.
            self.fields["people"].queryset = member_selectors.visible_members(user).select_related("org")

    chosen_meeting: Meeting | None = None

    def _not_before(self) -> dt.date:
        """The earliest day a meeting may decide this step: the file's latest step (or its application)."""
        latest = self.development.steps.aggregate(latest=Max("on"))["latest"]
        return max(d for d in (self.development.applied_on, latest) if d is not None)

    def _chosen_meeting(self) -> Meeting | None:
        value = self["meeting"].value()
        try:
            pk = int(value.pk if isinstance(value, Meeting) else value)
        except (TypeError, ValueError):
            return None
        return self.fields["meeting"].queryset.filter(pk=pk).first()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "meeting" in self.fields:
            meeting = data.get("meeting")
            if meeting is not None:
                # The meeting's day is the step's day, whatever the date field held.
                self.errors.pop("on", None)
                data["on"] = meeting.held_on
            elif data.get("on") is None and "on" not in self.errors:
                self.add_error("on", ValidationError(_("请填写日期，或选择会议记录"), code="required"))
        return data

    # ---- What the template lays out ----------------------------------------------------------

    def branch_people(self) -> QuerySet[Member]:
        qs = Member.objects.filter(
            org_id=self.development.org_id, status=Status.FULL, closed_on__isnull=True
        ).order_by("name_pinyin", "id")
        if self.development.member_id:
            qs = qs.exclude(pk=self.development.member_id)
        return qs

    def selected_ids(self) -> set[int]:
        if "people" not in self.fields:
            return set()
        values = self["people"].value() or []
        out = set()
        for v in values:
            try:
                out.add(int(v.pk if isinstance(v, Member) else v))
            except (TypeError, ValueError):
                continue
        return out

    def people_options(self) -> list[tuple[Member, bool]]:
        """The branch's full members, then the members chosen from elsewhere, each with its checked state."""
        selected = self.selected_ids()
        branch = list(self.branch_people())
        shown = {m.pk for m in branch}
        others = list(self.fields["people"].queryset.filter(pk__in=selected - shown).order_by("name_pinyin"))
        return [(m, m.pk in selected) for m in [*branch, *others]]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.fields if n not in ("on", "people")]

    # ---- For the service -----------------------------------------------------------------------

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {"on": data["on"]}
        for name in self.fields:
            if name in ("on", "people", "meeting"):
                continue
            value = data.get(name)
            if value in (None, "") or (name == "special" and value is False):
                continue
            out[name] = value
        if "people" in self.fields:
            out["people"] = [m.pk for m in data.get("people") or []]
        if "meeting" in self.fields and data.get("meeting") is not None:
            out["meeting"] = data["meeting"]
        return out

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error)
