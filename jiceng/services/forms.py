"""Forms of the public pages (intake, the resident's follow-up) and of the handler's steps.

The intake form carries a honeypot (``website``: hidden from people, filled by robots) and, after
repeated submissions from one address, a small local arithmetic question whose answer travels signed
(``django.core.signing``), so nothing needs the internet or a session.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.notifications.channels import sms_enabled

from .models import Category, Channel, Resolution, State, StateType, Urgency
from .services import MAX_ADDRESS, MAX_NAME, MAX_TEXT, MAX_WORDS

CAPTCHA_SALT = "jiceng.services.captcha"
CAPTCHA_MAX_AGE = 30 * 60
DIGITS = "零一二三四五六七八九"


class CategoryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


def active_categories() -> Any:
    return (
        Category.objects.filter(active=True)
        .select_related("parent")
        .order_by("parent__order", "parent_id", "order", "id")
    )


class IntakeForm(forms.Form):
    category = CategoryChoice(
        queryset=Category.objects.none(), label=gettext_lazy("类别"), empty_label=gettext_lazy("请选择")
    )
    text = forms.CharField(
        label=gettext_lazy("您反映的问题"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("请写清楚发生了什么，最多2000字"),
    )
    address = forms.CharField(
        label=gettext_lazy("地点"),
        max_length=MAX_ADDRESS,
        help_text=gettext_lazy("例如：3号楼2单元门口"),
    )
    name = forms.CharField(label=gettext_lazy("称呼（可不填）"), max_length=MAX_NAME, required=False)
    phone = forms.CharField(
        label=gettext_lazy("联系电话（可不填）"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("仅办理人员可见，加密保存，不会公开"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    sms_consent = forms.BooleanField(
        label=gettext_lazy("同意通过短信接收办理进展（需填写电话）"),
        required=False,
    )
    photo = forms.FileField(
        label=gettext_lazy("照片（可不填）"),
        required=False,
        help_text=gettext_lazy("JPEG或PNG，不超过5 MB"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    # The honeypot: hidden from people by CSS (jc-hp), a label that says so for screen readers.
    website = forms.CharField(
        label=gettext_lazy("请勿填写此项"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, captcha: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = active_categories()
        if not sms_enabled():
            del self.fields["sms_consent"]  # no SMS sender here: nothing to consent to
        self.captcha = captcha
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
                # A fresh question each time the form is shown again; the posted one is checked.
                self.posted_challenge = self.data.get("challenge", "")
                self.data = self.data.copy()
                self.data["challenge"] = challenge
            else:
                self.posted_challenge = ""
            self.initial["challenge"] = challenge

    @property
    def robot(self) -> bool:
        return bool(self.is_bound and self.data.get("website"))

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


class InfoForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("补充说明"), max_length=MAX_WORDS, widget=forms.Textarea(attrs={"rows": 3})
    )


class FeedbackForm(forms.Form):
    resolution = forms.ChoiceField(
        label=gettext_lazy("问题解决了吗？"),
        choices=[(c.value, c.label) for c in Resolution if c != Resolution.NO_ANSWER],
        widget=forms.RadioSelect,
    )
    satisfaction = forms.TypedChoiceField(
        label=gettext_lazy("您对办理是否满意？"),
        choices=[
            ("5", gettext_lazy("非常满意")),
            ("4", gettext_lazy("满意")),
            ("3", gettext_lazy("一般")),
            ("2", gettext_lazy("不满意")),
            ("1", gettext_lazy("非常不满意")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
        required=False,
        empty_value=None,
    )
    words = forms.CharField(
        label=gettext_lazy("您的意见"),
        max_length=MAX_WORDS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("未解决时请写明哪里还没有解决"),
    )


class WithdrawForm(forms.Form):
    words = forms.CharField(label=gettext_lazy("撤回原因（可不填）"), max_length=MAX_WORDS, required=False)


# Handlers ---------------------------------------------------------------------------------------------

STEP_LABELS = {
    StateType.ACCEPTED: gettext_lazy("响应"),
    StateType.IN_PROGRESS: gettext_lazy("记录办理进展"),
    StateType.ANSWERED: gettext_lazy("办结答复"),
    StateType.CLOSED: gettext_lazy("关闭"),
    StateType.REFERRED: gettext_lazy("不属受理范围"),
    StateType.MERGED: gettext_lazy("合并为重复诉求"),
}


class StepForm(forms.Form):
    public_text = forms.CharField(
        label=gettext_lazy("对居民的说明"),
        max_length=MAX_WORDS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("居民在查询页看到这段话"),
    )
    note = forms.CharField(
        label=gettext_lazy("内部备注"),
        max_length=MAX_WORDS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    state = forms.ModelChoiceField(
        queryset=State.objects.none(), label=gettext_lazy("具体状态"), required=False, to_field_name="code"
    )
    duplicate_of = forms.CharField(label=gettext_lazy("重复诉求的受理编号"), max_length=16, required=False)
    urgency = forms.ChoiceField(label=gettext_lazy("紧急程度"), choices=Urgency.choices, required=False)

    def __init__(self, *args: Any, step: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step = step
        if step:
            subs = State.objects.filter(type=step)
            self.fields["state"].queryset = subs
            if subs.count() < 2:
                del self.fields["state"]
            if step != StateType.MERGED:
                del self.fields["duplicate_of"]
            if step != StateType.ACCEPTED:
                del self.fields["urgency"]
        self.step_label = STEP_LABELS.get(step, "")


class HandOverForm(forms.Form):
    handler = forms.ChoiceField(label=gettext_lazy("转交给"))
    reason = forms.CharField(
        label=gettext_lazy("转交原因"), max_length=MAX_WORDS, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handler"].choices = [("", _("请选择")), *choices]


class CoHandlerForm(forms.Form):
    cohandler = forms.ChoiceField(label=gettext_lazy("协办单位"))

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cohandler"].choices = [("", _("请选择")), *choices]


class HandlerIntakeForm(forms.Form):
    """A request taken by phone, at a visit or from the hotline, entered by a handler."""

    org = forms.ModelChoiceField(
        queryset=None, label=gettext_lazy("受理社区"), empty_label=gettext_lazy("请选择")
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("来源"), choices=[c for c in Channel.choices if c[0] != Channel.WEB]
    )
    category = CategoryChoice(
        queryset=Category.objects.none(), label=gettext_lazy("类别"), empty_label=gettext_lazy("请选择")
    )
    text = forms.CharField(
        label=gettext_lazy("诉求内容"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4})
    )
    address = forms.CharField(label=gettext_lazy("地点"), max_length=MAX_ADDRESS)
    name = forms.CharField(label=gettext_lazy("称呼（可不填）"), max_length=MAX_NAME, required=False)
    phone = forms.CharField(label=gettext_lazy("联系电话（可不填）"), max_length=20, required=False)
    sms_consent = forms.BooleanField(label=gettext_lazy("居民同意通过短信接收办理进展"), required=False)

    def __init__(self, *args: Any, orgs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not sms_enabled():
            del self.fields["sms_consent"]
        self.fields["org"].queryset = orgs
        self.fields["category"].queryset = active_categories()


class ModerateForm(forms.Form):
    """The public version of a request's text and place (the original is kept), with the reason."""

    public_text = forms.CharField(
        label=gettext_lazy("公开显示的诉求内容"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("去掉个人信息或不文明用语；与原文相同或留空则显示原文"),
    )
    public_address = forms.CharField(
        label=gettext_lazy("公开显示的地点"), max_length=MAX_ADDRESS, required=False
    )
    reason = forms.CharField(
        label=gettext_lazy("处理原因"), max_length=MAX_WORDS, widget=forms.Textarea(attrs={"rows": 2})
    )


class ModerateWordsForm(forms.Form):
    """The public version of one of the resident's later words (blank: hidden), with the reason."""

    event = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    public_text = forms.CharField(
        label=gettext_lazy("公开显示的内容"),
        max_length=MAX_WORDS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("去掉个人信息或不文明用语；留空则不公开显示；与原文相同则恢复原文"),
    )
    reason = forms.CharField(
        label=gettext_lazy("处理原因"), max_length=MAX_WORDS, widget=forms.Textarea(attrs={"rows": 2})
    )
