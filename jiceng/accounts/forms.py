"""Forms of the account pages: shapes only; the rules are the services'."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jiceng.core.scope import Role

ROLE_CHOICES = [("", _("（不授予）")), *Role.choices]


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("登录名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=100, required=False)
    org = forms.CharField(
        label=_("所属党组织编码"), max_length=32, help_text=_("账号建在这个党组织下；角色也授予在这里")
    )
    role = forms.ChoiceField(label=_("角色"), choices=ROLE_CHOICES, required=False)
    member = forms.IntegerField(widget=forms.HiddenInput, required=False)


class GrantForm(forms.Form):
    org = forms.CharField(label=_("党组织编码"), max_length=32)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("姓名或登录名"), max_length=100, required=False)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("当前密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("首次登录时，即管理员给您的一次性密码"),
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少10个字符，不能全是数字，不能过于常见"),
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user, *args, **kwargs) -> None:  # noqa: ANN001
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self) -> str:
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise ValidationError(_("当前密码不正确"), code="password_incorrect")
        return value

    def clean(self) -> dict:
        data = super().clean()
        if (
            data.get("new_password1")
            and data.get("new_password2")
            and data["new_password1"] != data["new_password2"]
        ):
            self.add_error(
                "new_password2", ValidationError(_("两次输入的新密码不一致"), code="password_mismatch")
            )
        return data


class ActivationForm(forms.Form):
    id_number = forms.CharField(label=_("公民身份号码"), max_length=22)
    code = forms.CharField(label=_("激活码"), max_length=20, help_text=_("由您所在的党支部提供"))
    username = forms.CharField(label=_("登录名"), max_length=150, help_text=_("字母、数字和 @ . + - _"))
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少10个字符，不能全是数字，不能过于常见"),
    )
    password2 = forms.CharField(
        label=_("再次输入密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", ValidationError(_("两次输入的密码不一致"), code="password_mismatch"))
        return data


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: its fields where the form has them, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = field if field in form.fields and not form.fields[field].widget.is_hidden else None
        if field == "password" and "password1" in form.fields:
            target = "password1"
        if field == "new_password1" and "new_password1" in form.fields:
            target = "new_password1"
        form.add_error(target, errors)
