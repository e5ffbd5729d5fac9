"""API tokens: issued once, stored hashed, expiring, revocable (``models.ApiToken``).

DRF's ``authtoken`` stored the key itself, so a backup or a copy of the database was a live
credential. Here only the SHA-256 of a 256-bit random key is kept: it can be checked, never used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

if TYPE_CHECKING:
    from .models import ApiToken, User

# Models are imported inside the functions: DRF imports the authentication class (named in
# REST_FRAMEWORK and used by core.api) while loading its settings, before the apps are ready.

PREFIX_LENGTH = 8
# last_used_at is written at most this often per token (a busy client must not write on every call).
USE_RESOLUTION = dt.timedelta(minutes=5)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def lifetime() -> dt.timedelta:
    return dt.timedelta(days=float(getattr(settings, "API_TOKEN_DAYS", 30)))


@transaction.atomic
def issue(*, user: User) -> tuple[ApiToken, str]:
    """A new token for ``user``; the key is returned once and never stored."""
    from .models import ApiToken

    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, key_digest=digest(key), prefix=key[:PREFIX_LENGTH], expires_at=timezone.now() + lifetime()
    )
    return token, key


@transaction.atomic
def revoke(*, actor: User, token: ApiToken) -> None:
    """The owner revokes one of their tokens."""
    from . import audit

    if token.user_id != actor.pk:
        raise PermissionError("a token is revoked by its owner")
    audit.record(actor=actor, action=audit.Action.DELETE, obj=token, message=_("撤销API令牌"))
    token.delete()


@transaction.atomic
def revoke_all(*, user: User, actor: Any = None, reason: str = "") -> int:
    """Every token of ``user`` (password changed, TOTP enrolled, or the owner's choice)."""
    from . import audit
    from .models import ApiToken

    count, _detail = ApiToken.objects.filter(user=user).delete()
    if count:
        audit.record(
            actor=actor if actor is not None else user,
            action=audit.Action.DELETE,
            object_repr=user.get_username(),
            after={"revoked_tokens": count},
            message=(_("撤销全部API令牌（%(n)d个）") % {"n": count}) + (f"：{reason}" if reason else ""),
        )
    return count


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>`` checked against the stored digests; expired tokens refused."""

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        from .models import ApiToken

        token = ApiToken.objects.select_related("user").filter(key_digest=digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("令牌无效"))
        now = timezone.now()
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("令牌已过期，请重新获取"))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("用户已停用"))
        if token.last_used_at is None or now - token.last_used_at > USE_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
