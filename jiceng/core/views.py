"""Core pages: the landing page, sign-in and sign-out, the audit search, TOTP enrolment.

Thin views: reads through the selectors, writes through services; scope decides what answers 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from . import registry, scope
from .forms import AuditSearchForm, LoginForm
from .selectors import audit_search

AUDIT_PAGE_SIZE = 50


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Where a user lands: the sections the apps registered (``registry.home_sections``) for a user
    with a scope; otherwise the first registered landing that claims them (a member's own record)."""
    user = request.user
    if scope.paths_for(user, scope.VIEW):
        return render(
            request,
            "core/home.html",
            {
                "sections": registry.sections_for(user, registry.SCOPE),
                "can_audit": bool(scope.paths_for(user, scope.AUDIT)),
            },
        )
    response = own_home(request)
    if response is not None:
        return response
    for landing in registry.landings:
        url = landing.url(user)
        if url:
            return redirect(url)
    return render(request, "core/no_org.html")


def own_home(request: HttpRequest) -> HttpResponse | None:
    """我的: the user's own records, as the apps registered them (``audience=OWN``), or ``None`` when
    there is nothing of theirs to show. The home page of a member; the 我的档案 page of anyone."""
    sections = registry.sections_for(request.user, registry.OWN)
    if not sections:
        return None
    return render(request, "core/own_home.html", {"sections": sections})


class LoginView(auth_views.LoginView):
    """Password, plus the TOTP code for accounts that enrolled a device (see ``otp`` below)."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # The single sign-on button shows only where it is configured (docs/sso.md).
        return {**super().get_context_data(**kwargs), "sso": getattr(settings, "OIDC_ENABLED", False)}


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
