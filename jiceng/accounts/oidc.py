"""Optional single sign-on through OpenID Connect (mozilla-django-oidc), off unless
``JICENG_OIDC_ENABLED=1`` (see docs/sso.md).

A government unified identity platform signs the person in; jiceng matches them to a local account by
one claim (``JICENG_OIDC_CLAIM``, ``preferred_username`` by default) equal to the account's login name.
What the account may see still comes from its roles in jiceng alone: the identity platform grants
nothing. An unknown person is refused by default; with ``JICENG_OIDC_CREATE_USERS=1`` an account is
made for them without any role (an administrator grants roles as for any account). A deactivated
account is refused. Local accounts keep signing in with their passwords.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from jiceng.core import audit
from jiceng.core.models import User

log = logging.getLogger(__name__)
MAX_NAME = 150


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


class Backend(OIDCAuthenticationBackend):
    """Matches the configured claim to a login name; never matches by e-mail."""

    def _login_name(self, claims: dict[str, Any]) -> str:
        value = claims.get(getattr(settings, "JICENG_OIDC_CLAIM", "preferred_username"))
        value = str(value).strip() if isinstance(value, (str, int)) else ""
        return value if 0 < len(value) <= MAX_NAME else ""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if not enabled():
            return None
        return super().authenticate(request, **kwargs)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(self._login_name(claims))

    def describe_user_by_claims(self, claims: dict[str, Any]) -> str:
        return "login name from the identity provider"

    def filter_users_by_claims(self, claims: dict[str, Any]):  # noqa: ANN201 (a queryset of User)
        return User.objects.filter(username=self._login_name(claims))

    def update_user(self, user: User, claims: dict[str, Any]) -> User | None:
        return user if user.is_active else None

    @transaction.atomic
    def create_user(self, claims: dict[str, Any]) -> User:
        """An account without roles for a person the platform knows and jiceng does not (only with
        ``JICENG_OIDC_CREATE_USERS=1``): no usable password, so it signs in only through the platform."""
        username = self._login_name(claims)
        name = claims.get("name")
        user = User(
            username=username,
            email=str(claims.get("email") or "")[:254],
            full_name=str(name)[:100] if isinstance(name, str) else "",
        )
        user.set_unusable_password()
        user.save()
        audit.record(
            actor=None,
            action=audit.Action.CREATE,
            obj=user,
            after={"username": user.username, "full_name": user.full_name},
            org_path="",
            message=_("统一身份认证首次登录，创建无角色账号"),
            object_repr=user.username,
        )
        return user


def authenticate_view(request: HttpRequest) -> HttpResponse:
    """统一身份认证登录: off, this address does not exist."""
    if not enabled():
        raise Http404
    return OIDCAuthenticationRequestView.as_view()(request)


def callback_view(request: HttpRequest) -> HttpResponse:
    if not enabled():
        raise Http404
    return OIDCAuthenticationCallbackView.as_view()(request)


def failed_view(request: HttpRequest) -> HttpResponse:
    """Where a refused or failed sign-in through the platform lands: the login page, with a message."""
    messages.error(request, _("统一身份认证登录失败，请使用本地账号登录或联系管理员。"))
    return redirect("login")
