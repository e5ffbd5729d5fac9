"""Forms of consultation: they shape input; the services judge it. The meeting form reuses the
organizational-life form's parts (its date picker and its count fields)."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.life.forms import Count, DateInput
from jiceng.services.forms import CAPTCHA_MAX_AGE, CAPTCHA_SALT, DIGITS

from .models import Group, ItemStatus, Source, Verdict
from .services import MAX_COMMENT


class OrgChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.code}）"


class TopicForm(forms.Form):
    org = OrgChoice(queryset=None, label=gettext_lazy("发起组织"))
    title = forms.CharField(label=gettext_lazy("议题"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("议题说明"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    source = forms.ChoiceField(label=gettext_lazy("议题来源"), choices=Source.choices)
    request = forms.ModelChoiceField(queryset=None, label=gettext_lazy("来源诉求（可不选）"), required=False)
    proposed_by = forms.CharField(
        label=gettext_lazy("提议人（可不填）"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("例如：3号楼居民代表"),
    )
    opened_on = forms.DateField(label=gettext_lazy("立项日期"), required=False, widget=DateInput())

    def __init__(self, *args: Any, orgs: Any, requests: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["request"].queryset = requests
        self.fields["request"].label_from_instance = lambda r: f"{r.code} {r.public_text or r.text}"[:60]


class NoticeForm(forms.Form):
    noticed_on = forms.DateField(label=gettext_lazy("公告日期"), required=False, widget=DateInput())
    meeting_on = forms.DateField(label=gettext_lazy("协商会议日期"), widget=DateInput())
    meeting_place = forms.CharField(label=gettext_lazy("协商会议地点"), max_length=200)
    groups = forms.MultipleChoiceField(
        label=gettext_lazy("参加协商的各方"), choices=Group.choices, widget=forms.CheckboxSelectMultiple
    )
    partners = forms.ModelMultipleChoiceField(
        queryset=None,
        label=gettext_lazy("参加的驻区单位"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notice_text = forms.CharField(
        label=gettext_lazy("公告内容"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, partners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partners"].queryset = partners


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=gettext_lazy("会议日期"), widget=DateInput())
    place = forms.CharField(label=gettext_lazy("地点"), max_length=200)
    representatives = Count(gettext_lazy("居民代表人数"))
    residents = Count(gettext_lazy("利益相关居民人数"))
    liaisons = Count(gettext_lazy("驻区单位联络人人数"))
    property_staff = Count(gettext_lazy("物业服务企业人数"))
    members_count = Count(gettext_lazy("党员人数"))
    others = Count(gettext_lazy("其他人数"))
    members = forms.ModelMultipleChoiceField(
        queryset=None, label=gettext_lazy("参加的党员（可不选）"), required=False
    )
    named = forms.CharField(
        label=gettext_lazy("参加人姓名（可不填）"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("只记录社区愿意记下的姓名；不会公开"),
    )
    minutes = forms.CharField(
        label=gettext_lazy("会议记录"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    options = forms.CharField(
        label=gettext_lazy("讨论的方案"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("每行一个方案"),
    )
    decision = forms.CharField(
        label=gettext_lazy("协商决定"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("未形成决定的留空"),
    )
    # The votes, as in the organizational-life form: counted at entry.
    voted = forms.BooleanField(label=gettext_lazy("进行了表决"), required=False)
    votes_for = Count(gettext_lazy("赞成"))
    votes_against = Count(gettext_lazy("反对"))
    votes_abstain = Count(gettext_lazy("弃权"))

    COUNTS = ("representatives", "residents", "liaisons", "property_staff", "members_count", "others")
    VOTES = ("votes_for", "votes_against", "votes_abstain")

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members

    def service_args(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "held_on": d["held_on"],
            "place": d["place"],
            "minutes": d["minutes"],
            "options": d["options"],
            "decision": d["decision"],
            "named": d["named"],
            "members": list(d["members"]),
            "counts": {k: d.get(k) or 0 for k in self.COUNTS},
            "votes": {k: d.get(k) or 0 for k in self.VOTES} if d.get("voted") else None,
        }


class ItemForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("事项"), max_length=200)
    parent = forms.ModelChoiceField(queryset=None, label=gettext_lazy("上级事项（可不选）"), required=False)
    owner_org = OrgChoice(queryset=None, label=gettext_lazy("责任组织"), required=False)
    owner_partner = forms.ModelChoiceField(queryset=None, label=gettext_lazy("或责任单位"), required=False)
    weight = forms.IntegerField(label=gettext_lazy("权重"), min_value=1, max_value=100, initial=1)
    due_on = forms.DateField(label=gettext_lazy("完成期限"), required=False, widget=DateInput())
    milestones = forms.CharField(
        label=gettext_lazy("节点（可不填）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("每行一个：日期 节点，例如 2026-05-01 完成施工招标"),
    )

    def __init__(self, *args: Any, parents: Any, orgs: Any, partners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents
        self.fields["owner_org"].queryset = orgs
        self.fields["owner_partner"].queryset = partners

    def clean_milestones(self) -> list[tuple[str, Any]]:
        import datetime as dt

        out = []
        for line in (self.cleaned_data.get("milestones") or "").splitlines():
            line = line.strip()
            if not line:
                continue
            day, _sep, title = line.partition(" ")
            try:
                when = dt.date.fromisoformat(day)
            except ValueError:
                raise forms.ValidationError(_("节点格式：日期 节点，例如 2026-05-01 完成施工招标")) from None
            if not title.strip():
                raise forms.ValidationError(_("节点格式：日期 节点，例如 2026-05-01 完成施工招标"))
            out.append((title.strip(), when))
        if len(out) > 20:
            raise forms.ValidationError(_("一个事项最多20个节点"))
        return out


class UpdateForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("日期"), required=False, widget=DateInput())
    progress = forms.IntegerField(
        label=gettext_lazy("进度（%）"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        choices=[("", gettext_lazy("按进度"))] + list(ItemStatus.choices),
        required=False,
    )
    text = forms.CharField(
        label=gettext_lazy("进展情况（公开）"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    milestones_done = forms.MultipleChoiceField(
        label=gettext_lazy("本次完成的节点"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, milestones: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["milestones_done"].choices = [
            (m.pk, f"{m.due_on:%Y-%m-%d} {m.title}") for m in milestones
        ]
        if not self.fields["milestones_done"].choices:
            del self.fields["milestones_done"]


class MilestoneForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("节点"), max_length=200)
    due_on = forms.DateField(label=gettext_lazy("计划日期"), widget=DateInput())


class HideForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("隐藏原因"), max_length=200)


class CommentForm(forms.Form):
    """A resident's word on an update (public page): a honeypot, and the public request page's small
    arithmetic question after repeated comments from one address."""

    verdict = forms.ChoiceField(
        label=gettext_lazy("这项工作落实了吗？"), choices=Verdict.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=gettext_lazy("您的意见（可不填，请勿填写姓名电话）"),
        max_length=MAX_COMMENT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    website = forms.CharField(
        label=gettext_lazy("请勿填写此项"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, captcha: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.captcha = captcha
        self.posted_challenge = ""
        if captcha:
            a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
            challenge = signing.dumps(a + b, salt=CAPTCHA_SALT)
            self.fields["answer"] = forms.IntegerField(
                label=_("请计算：%(a)s加%(b)s等于几？（填数字）") % {"a": DIGITS[a], "b": DIGITS[b]},
                min_value=0,
                max_value=99,
            )
            self.fields["challenge"] = forms.CharField(widget=forms.HiddenInput, max_length=200)
            if self.is_bound:
                self.posted_challenge = self.data.get(self.add_prefix("challenge"), "")
                self.data = self.data.copy()
                self.data[self.add_prefix("challenge")] = challenge
            self.initial["challenge"] = challenge

    @property
    def robot(self) -> bool:
        return bool(self.is_bound and self.data.get(self.add_prefix("website")))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.captcha and "answer" in data:
            try:
                expected = signing.loads(self.posted_challenge, salt=CAPTCHA_SALT, max_age=CAPTCHA_MAX_AGE)
            except signing.BadSignature:
                expected = None
            if expected is None or data["answer"] != expected:
                self.add_error("answer", _("计算结果不对，请重新计算"))
        return data
