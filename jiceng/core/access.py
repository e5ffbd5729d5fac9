"""Who is knocking, and what they must show: the client address behind a trusted proxy, the login
lockout (per user name, and more slowly per address), two-step verification where it is required,
and the strength of the field key.

Settings (docs/security.md):

- ``TRUSTED_PROXIES`` (``JICENG_TRUSTED_PROXIES``): addresses or networks of the reverse proxies in
  front of jiceng. Only when the direct peer is one of them is ``X-Forwarded-For`` read, right to
  left, and the first address that is not a trusted proxy is the client. Without it the header is
  ignored (anyone could write it).
- ``AXES_FAILURE_LIMIT`` (``JICENG_LOGIN_FAILURE_LIMIT``, 5) failures of one user name from any
  address lock that name; ``LOGIN_ADDRESS_FAILURE_LIMIT`` (``JICENG_LOGIN_ADDRESS_FAILURE_LIMIT``,
  30) failures from one address lock the address, whatever names it tries.
- ``REQUIRE_TOTP`` (``JICENG_REQUIRE_TOTP``, on in production): accounts that may reveal or export
  full identity numbers (any role with the change right, and system administrators) must enrol and
  use a TOTP device.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re
import zlib
from collections import Counter
from collections.abc import Callable
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib import messages
from django.core.checks import Error, Tags, register
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from . import scope

# Client address --------------------------------------------------------------------------------


@functools.cache
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(s.strip(), strict=False) for s in spec if s.strip())


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()))))


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the last untrusted hop of
    X-Forwarded-For. (Also django-axes' AXES_CLIENT_IP_CALLABLE.)"""
    peer = request.META.get("REMOTE_ADDR") or None
    if peer is None or not _trusted(peer):
        return peer
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a forged or broken header: the proxy is all we know
        if not _trusted(hop):
            return hop
    return hops[0] if hops else peer


# Lockout ---------------------------------------------------------------------------------------


class LockoutHandler(AxesDatabaseHandler):
    """django-axes with two counts: failures of one user name from any address (AXES_FAILURE_LIMIT),
    and failures from one address for any user names (LOGIN_ADDRESS_FAILURE_LIMIT, higher: many
    people may share an office's address). Needs ``AXES_LOCKOUT_PARAMETERS = ["username",
    "ip_address"]``, whose attempts come back in that order."""

    def get_failures(self, request: Any, credentials: dict | None = None) -> int:
        by_name, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        name_limit = int(settings.AXES_FAILURE_LIMIT)
        if by_address >= int(getattr(settings, "LOGIN_ADDRESS_FAILURE_LIMIT", 30)):
            return max(by_name, name_limit)  # the address is locked: report the name's limit reached
        return by_name


# Two-step verification -------------------------------------------------------------------------


def totp_required(user: Any) -> bool:
    """Whether REQUIRE_TOTP applies to ``user``: system administrators and every role that may reveal
    or export full identity numbers (the change right: secretaries and organization admins)."""
    if not getattr(settings, "REQUIRE_TOTP", False) or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or scope.paths_for(user, scope.CHANGE))


# Paths a signed-in user may reach before enrolling: enrolment itself, sign-out, the language switch.
_OPEN_PREFIXES = ("/core/otp/", "/logout/", "/i18n/", "/static/", "/core/account/password/")


class TwoFactorRequiredMiddleware:
    """Where REQUIRE_TOTP applies, a session not verified by a TOTP code reaches only enrolment:
    pages redirect to /core/otp/, API calls answer 403 ``two_factor_required``. (API tokens are issued
    only with the code to such accounts, see core.api.TokenView.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            getattr(settings, "REQUIRE_TOTP", False)
            and getattr(user, "is_authenticated", False)
            and not request.path.startswith(_OPEN_PREFIXES)
            and not user.is_verified()
            and totp_required(user)
        ):
            message = _("您的账号可查看或导出完整身份号码，须先启用两步验证")
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "two_factor_required", "message": message}, status=403)
            messages.warning(request, message)
            return redirect("core:otp")
        return self.get_response(request)


# The field key ---------------------------------------------------------------------------------

_HEX = re.compile(r"[0-9a-fA-F]+")
_BASE64 = re.compile(r"[A-Za-z0-9_\-+/]+=*")
MIN_KEY_BITS = 256


def key_entropy_bits(key: str) -> float:
    """A cautious estimate of a key's entropy: its length times the bits a character of its alphabet
    carries (hex 4, base64 6, other printable text log2(95)), and no more than the empirical entropy
    of its characters and its compressed length allow (so ``aaaa…`` or a repeated word scores low)."""
    if not key:
        return 0.0
    if _HEX.fullmatch(key):
        per_char = 4.0
    elif _BASE64.fullmatch(key):
        per_char = 6.0
    else:
        per_char = math.log2(95)
    counts = Counter(key)
    shannon = -sum(c / len(key) * math.log2(c / len(key)) for c in counts.values())
    if shannon < 3.0:  # a random key of any usable length has far more; a phrase or a pattern has less
        return shannon * len(key)
    # A repeated word or pattern compresses: what is left (less zlib's 6 bytes of framing) bounds it.
    compressed = (len(zlib.compress(key.encode(), 9)) - 6) * 8
    return min(per_char * len(key), compressed)


@register(Tags.security, deploy=True)
def check_field_key(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """``check --deploy`` in production refuses a JICENG_FIELD_KEY of less than 32 bytes of entropy."""
    if not getattr(settings, "PRODUCTION", False):
        return []
    bits = key_entropy_bits(settings.FIELD_ENCRYPTION_KEY)
    if bits >= MIN_KEY_BITS:
        return []
    return [
        Error(
            f"JICENG_FIELD_KEY carries about {bits:.0f} bits of entropy; at least {MIN_KEY_BITS} "
            "(32 random bytes) are needed.",
            hint="Generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))' "
            "(only for a new installation: a different key cannot read the numbers already stored).",
            id="jiceng.E001",
        )
    ]
