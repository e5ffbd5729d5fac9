"""Core pages: the landing page, sign-in and sign-out, the audit search, TOTP enrolment.

Thin views: reads through the selectors, writes through services; scope decides what answers 404.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit as audit_log
from . import registry, scope
from .forms import AuditSearchForm, LoginForm, TokenForm
from .models import User
from .selectors import audit_search

AUDIT_PAGE_SIZE = 50


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Where a user lands: the sections the apps registered (``registry.home_sections``) for a user
    with a scope; otherwise the first registered landing that claims them (a member's own record)."""
    user = request.user
    if scope.paths_for(user, scope.VIEW):
        sections = []
        for section in registry.home_sections:
            context = section.context(user)
            if context is not None:
                sections.append({"template": section.template, "context": dict(context)})
        return render(
            request,
            "core/home.html",
            {"sections": sections, "can_audit": bool(scope.paths_for(user, scope.AUDIT))},
        )
    for landing in registry.landings:
        url = landing.url(user)
        if url:
            return redirect(url)
    return render(request, "core/no_org.html")


class LoginView(auth_views.LoginView):
    """Password, plus the TOTP code for accounts that enrolled a device (see ``otp`` below)."""

    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Sign out by POST only (Django's default); the session ends and the login page follows."""


@login_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    """审计: the change records of the subtrees where the user holds the audit right."""
    if not scope.paths_for(request.user, scope.AUDIT):
        raise Http404
    form = AuditSearchForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    changes = audit_search(request.user, **filters)
    page_obj = Paginator(changes, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/audit.html", {"form": form, "page_obj": page_obj, "filtered": bool(filters)})


# Two-step verification for system administrators ---------------------------------------------------


def _totp_devices(user: User) -> Any:
    return TOTPDevice.objects.devices_for_user(user, confirmed=None).order_by("id")


@transaction.atomic
def _start_enrolment(*, actor: User) -> TOTPDevice:
    """A new, unconfirmed device; any earlier unconfirmed one is dropped (its secret was shown)."""
    TOTPDevice.objects.devices_for_user(actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name=_("验证器应用"), confirmed=False)


@transaction.atomic
def _confirm_enrolment(*, actor: User, device: TOTPDevice) -> None:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # The secret is never copied into the change record; only that a device was enrolled.
    audit_log.record(actor=actor, action=audit_log.Action.CREATE, obj=device, message=_("启用两步验证"))


@transaction.atomic
def _remove_devices(*, actor: User) -> int:
    devices = list(_totp_devices(actor))
    for device in devices:
        if device.confirmed:
            audit_log.record(
                actor=actor, action=audit_log.Action.DELETE, obj=device, message=_("停用两步验证")
            )
        device.delete()
    return len(devices)


def _qr_svg(device: TOTPDevice) -> str:
    # segno writes presentation attributes only (no style=""), so the inline SVG passes the CSP.
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, light="white", title=_("两步验证二维码")
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" class="jc-qr" ', 1))  # noqa: S308 (segno's own markup)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp(request: HttpRequest) -> HttpResponse:
    """两步验证: a system administrator enrolls a TOTP authenticator app, confirms it, or removes it."""
    user = request.user
    if not user.is_superuser:
        raise Http404
    devices = list(_totp_devices(user))
    confirmed = next((d for d in devices if d.confirmed), None)
    pending = next((d for d in devices if not d.confirmed), None)
    form = TokenForm(device=pending) if pending else None

    if request.method == "POST":
        action = request.POST.get("action")
        if action == "start" and confirmed is None:
            _start_enrolment(actor=user)
            return redirect("core:otp")
        elif action == "cancel" and pending is not None:
            pending.delete()
            return redirect("core:otp")
        elif action == "remove" and devices:
            _remove_devices(actor=user)
            messages.success(request, _("两步验证已停用"))
            return redirect("core:otp")
        elif action == "confirm" and pending is not None:
            form = TokenForm(request.POST, device=pending)
            if form.is_valid():
                _confirm_enrolment(actor=user, device=pending)
                otp_login(request, pending)
                messages.success(request, _("两步验证已启用：今后登录时需要输入动态验证码"))
                return redirect("core:otp")
        else:
            return HttpResponseBadRequest(_("无效的操作"))

    context: dict[str, Any] = {"confirmed": confirmed, "pending": pending, "form": form}
    if pending is not None:
        context["secret"] = b32encode(pending.bin_key).decode()
        context["qr_svg"] = _qr_svg(pending)
    return render(request, "core/otp.html", context)
