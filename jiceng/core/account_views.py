"""Account pages for every signed-in user: 两步验证 (TOTP enrolment), 修改密码, API令牌.

Thin views over ``core.account`` (writes) and the user's own rows (reads).
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import account, tokens
from .access import totp_required
from .forms import TokenForm
from .models import ApiToken


def _qr_svg(device: TOTPDevice) -> str:
    # segno writes presentation attributes only (no style=""), so the inline SVG passes the CSP.
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, light="white", title=_("两步验证二维码")
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" class="jc-qr" ', 1))  # noqa: S308 (segno's own markup)


@never_cache
@sensitive_post_parameters("token")
@login_required
@require_http_methods(["GET", "POST"])
def otp(request: HttpRequest) -> HttpResponse:
    """两步验证: any user enrolls a TOTP authenticator app, confirms it, or removes it (unless their
    roles require it)."""
    user = request.user
    devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=None).order_by("id"))
    confirmed = next((d for d in devices if d.confirmed), None)
    pending = next((d for d in devices if not d.confirmed), None)
    form = TokenForm(device=pending) if pending else None
    required = totp_required(user)

    if request.method == "POST":
        action = request.POST.get("action")
        if action == "start" and confirmed is None:
            account.start_totp(actor=user)
            return redirect("core:otp")
        elif action == "cancel" and pending is not None:
            pending.delete()
            return redirect("core:otp")
        elif action == "remove" and devices and not (required and confirmed is not None):
            account.remove_totp(actor=user)
            messages.success(request, _("两步验证已停用"))
            return redirect("core:otp")
        elif action == "confirm" and pending is not None:
            form = TokenForm(request.POST, device=pending)
            if form.is_valid():
                account.confirm_totp(actor=user, device=pending)
                otp_login(request, pending)
                messages.success(
                    request, _("两步验证已启用：今后登录时需要输入动态验证码；此前获取的API令牌已全部撤销")
                )
                return redirect("core:otp")
        else:
            return HttpResponseBadRequest(_("无效的操作"))

    context: dict[str, Any] = {"confirmed": confirmed, "pending": pending, "form": form, "required": required}
    if pending is not None:
        context["secret"] = b32encode(pending.bin_key).decode()
        context["qr_svg"] = _qr_svg(pending)
    return render(request, "core/otp.html", context)


@method_decorator(
    sensitive_post_parameters("old_password", "new_password1", "new_password2"), name="dispatch"
)
@method_decorator(never_cache, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """修改密码: the old password and the new one twice (Django's validators); the session stays
    signed in, other sessions end (Django's session hash) and every API token is revoked."""

    form_class = PasswordChangeForm
    template_name = "core/account/password.html"
    success_url = reverse_lazy("core:tokens")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        from django.contrib.auth import update_session_auth_hash

        account.change_password(actor=self.request.user, form=form)
        update_session_auth_hash(self.request, form.user)
        messages.success(self.request, _("密码已修改；此前获取的API令牌已全部撤销"))
        return redirect(self.get_success_url())


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """API令牌: the user's own tokens (their beginning, when issued, last used, when they expire),
    each revocable, or all at once."""
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke_all":
            n = tokens.revoke_all(user=user, actor=user, reason=_("用户撤销"))
            messages.success(request, _("已撤销%(n)d个API令牌") % {"n": n})
        elif action == "revoke":
            try:
                token_id = int(request.POST.get("token", ""))
            except ValueError:
                return HttpResponseBadRequest(_("无效的操作"))
            if not account.revoke_token(actor=user, token_id=token_id):
                raise Http404
            messages.success(request, _("API令牌已撤销"))
        else:
            return HttpResponseBadRequest(_("无效的操作"))
        return redirect("core:tokens")
    rows = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
    return render(request, "core/account/tokens.html", {"tokens": rows, "now": timezone.now()})
