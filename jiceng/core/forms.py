"""Forms of the core pages: sign-in (with the TOTP step), the audit search, TOTP enrolment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device
from django_otp.forms import OTPAuthenticationForm, OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ObjectChange


class DateInput(forms.DateInput):
    """A native date picker: phones show their own calendar; the value is ISO (YYYY-MM-DD)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def add_service_errors(
    form: forms.BaseForm, error: ValidationError, rename: dict[str, str] | None = None
) -> None:
    """Show a service's ValidationError on ``form``: errors of a field the form has go on that field,
    the rest above the form. ``rename`` maps a service's field name to the form's."""
    rename = rename or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        name = rename.get(field, field)
        target = name if name in form.fields else None
        for e in errors:
            form.add_error(target, e)


class LoginForm(OTPAuthenticationForm):
    """User name and password; then, as a second step, the current TOTP code for an account with a
    confirmed device.

    django-otp's form asks every user for a token and makes them pick a device from a list; jiceng
    asks only those who enrolled one (system administrators, see core:otp) and uses their device. The
    first page shows no code field: once the password is right for an account with a device, the page
    comes back with the code field alone (``token_step``; the name and password ride along hidden,
    as django-otp itself renders the password back), so every attempt is authenticated anew and the
    lockout counts each wrong password. A client that posts the code with the password at once is
    served in one step.
    """

    otp_error_messages = dict(
        OTPAuthenticationFormMixin.otp_error_messages,
        token_required=_("此账号已启用两步验证，请输入验证器中的动态验证码"),
        invalid_token=_("动态验证码不正确或已过期，请重新输入"),
        device_required=_("此账号已启用两步验证，请输入验证器中的动态验证码"),
        verification_not_allowed=_("验证暂时不可用，请稍后再试"),
        n_failed_attempts=_("动态验证码错误次数过多，请稍后再试"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["otp_device"]
        del self.fields["otp_challenge"]
        token = self.fields["otp_token"]
        token.label = _("动态验证码")
        token.help_text = _("仅启用了两步验证的账号需要填写：验证器应用中当前显示的6位数字")
        token.widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "8", "autofocus": True}
        )
        token.help_text = _("验证器应用中当前显示的6位数字")
        self.token_step = False
        # The code field only once the password has been checked (or when posted with it).
        self._token_field = (
            token if self.is_bound and "otp_token" in self.data else self.fields.pop("otp_token")
        )

    def clean_otp(self, user: Any) -> None:
        if user is None or not user_has_device(user, confirmed=True):
            return
        self.token_step = True
        self.fields["otp_token"] = self._token_field
        for name in ("username", "password"):
            self.fields[name].widget = forms.HiddenInput()
        super().clean_otp(user)

    def _chosen_device(self, user: Any) -> Any:
        # Called inside django-otp's transaction; for_verify locks the device row against replay.
        return next(iter(devices_for_user(user, confirmed=True, for_verify=True)), None)


class AuditSearchForm(forms.Form):
    text = forms.CharField(label=_("对象或说明"), required=False, max_length=100)
    action = forms.ChoiceField(
        label=_("操作"), required=False, choices=[("", _("全部操作")), *ObjectChange.Action.choices]
    )
    user_name = forms.CharField(label=_("用户名"), required=False, max_length=150)
    since = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    until = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("截止日期不能早于起始日期"))
        return data


class TokenForm(forms.Form):
    """Confirm a newly enrolled TOTP device with the code it shows now."""

    token = forms.CharField(
        label=_("动态验证码"),
        min_length=6,
        max_length=8,
        help_text=_("请输入验证器应用中当前显示的6位数字"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, device: TOTPDevice | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip().replace(" ", "")
        if not token.isdigit():
            raise ValidationError(_("动态验证码只能是数字"), code="not_digits")
        if self.device is None or not self.device.verify_token(token):
            raise ValidationError(_("动态验证码不正确或已过期，请重新输入"), code="invalid_token")
        return token
