"""Accounts with a one-time password go to the password page until they have chosen their own.

The flag lives in ``AccountState.must_change_password``; at sign-in it is copied into the session
(``signals._remember_must_change``), so this middleware reads the session only and costs no query.
A reset by an administrator changes the password hash, which ends the account's open sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from .signals import SESSION_FLAG

# Reachable while the password must still be changed: the page itself, signing out, the language.
ALLOWED_PREFIXES = ("/static/", "/i18n/", "/logout/", "/login/")


class MustChangePasswordMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        try:
            flagged = session is not None and session.get(SESSION_FLAG) and request.user.is_authenticated
        except DatabaseError:  # the database is away: the view answers 503 (core.middleware)
            flagged = False
        if flagged:
            page = reverse("accounts:password_change")
            path = request.path
            if path != page and not path.startswith(ALLOWED_PREFIXES):
                if path.startswith("/api/"):
                    return JsonResponse(
                        {"code": "password_change_required", "message": _("请先修改一次性密码")}, status=403
                    )
                query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
                return HttpResponseRedirect(f"{page}?{query}" if query else page)
        return self.get_response(request)
