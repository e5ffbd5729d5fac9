"""Refusals that reveal a membership elsewhere, audited and rate-limited.

Registering a member (or opening a development file) with an identity number already held anywhere
is refused (``id_duplicate``, ``already_member``, ``development_open``): one person, one record. The
refusal itself tells the user that the number belongs to someone, even in a branch they cannot see,
so a user could probe any number. The refusal stays; in addition:

- every such refusal is written to the change record (action ``id_refused``) with the number's keyed
  digest (never the number), under the organization where the registration was tried, so the higher
  committee's organization admins see it in their audit search;
- a user with more than ``ID_REFUSAL_LIMIT`` such refusals within ``ID_REFUSAL_WINDOW_HOURS`` may
  register no identity number at all until the window has passed (so the refusals stop answering).

The record must outlive the refused write's rollback: ``guard`` wraps a service *outside* its
``transaction.atomic`` and writes the record after the service's transaction has rolled back. (Called
inside a caller's own transaction, the record shares that transaction's fate.)
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, crypto, idnumber
from .models import ObjectChange

F = TypeVar("F", bound=Callable[..., Any])


class IdRefused(ValidationError):
    """The identity number is held by another record: the refusal ``guard`` audits."""

    def __init__(self, message: str, *, code: str, digest: str, org_path: str) -> None:
        super().__init__({"id_number": ValidationError(message, code=code)})
        self.refusal_code = code
        self.digest = digest
        self.org_path = org_path


def limit() -> int:
    return int(getattr(settings, "ID_REFUSAL_LIMIT", 10))


def window() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "ID_REFUSAL_WINDOW_HOURS", 24)))


def recent_refusals(actor: Any) -> int:
    if getattr(actor, "pk", None) is None:
        return 0
    since = timezone.now() - window()
    return ObjectChange.objects.filter(user=actor, action=audit.Action.ID_REFUSED, time__gte=since).count()


def _record(*, actor: Any, code: str, digest: str, org_path: str, message: str) -> None:
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=audit.Action.ID_REFUSED,
            org_path=org_path,
            object_repr=_("身份号码摘要 %(digest)s") % {"digest": digest[:16]},
            after={"code": code, "id_number_digest": digest},
            message=message,
        )


def over_limit(actor: Any) -> bool:
    """Whether ``actor`` has had too many refusals lately to try registering any identity number."""
    return getattr(actor, "pk", None) is not None and recent_refusals(actor) >= limit()


def record_refusals(*, actor: Any, refusals: list[tuple[str, str, str]], message: str) -> None:
    """Record refusals found outside a service (an import, rolled back as a whole): each
    ``(code, digest, org_path)`` as an ``id_refused`` change record, in its own transaction."""
    for code, digest, org_path in dict.fromkeys(refusals):
        _record(actor=actor, code=code, digest=digest, org_path=org_path, message=message)


def guard(org_path_of: Callable[[dict[str, Any]], str]) -> Callable[[F], F]:
    """Wrap a service that takes ``actor`` and ``id_number``: refuse it while the actor is over the
    limit, and audit every ``IdRefused`` it raises. ``org_path_of(kwargs)`` places the record of a
    refusal the limit answers (where the registration was tried)."""

    def decorate(service: F) -> F:
        @functools.wraps(service)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = kwargs.get("actor")
            number = kwargs.get("id_number")
            if number and getattr(actor, "pk", None) is not None and recent_refusals(actor) >= limit():
                digest = crypto.digest(idnumber.normalize(number))
                _record(
                    actor=actor,
                    code="too_many_refusals",
                    digest=digest,
                    org_path=org_path_of(kwargs),
                    message=_("重复身份号码被拒次数超过限制，登记被暂停"),
                )
                hours = int(window().total_seconds() // 3600)
                raise ValidationError(
                    {
                        "id_number": ValidationError(
                            _(
                                "近%(hours)d小时内登记的公民身份号码已有%(n)d次因重复被拒，暂停登记；"
                                "请稍后再试，或联系上级党组织"
                            )
                            % {"hours": hours, "n": limit()},
                            code="too_many_refusals",
                        )
                    }
                )
            try:
                return service(*args, **kwargs)
            except IdRefused as refusal:
                _record(
                    actor=actor,
                    code=refusal.refusal_code,
                    digest=refusal.digest,
                    org_path=refusal.org_path,
                    message=_("登记被拒：该公民身份号码已有记录（%(code)s）")
                    % {"code": refusal.refusal_code},
                )
                raise

        return wrapper  # type: ignore[return-value]

    return decorate
