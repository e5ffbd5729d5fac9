"""Rule sets: what is in force on a day (reads) and new parameter versions (the one write, audited).

A system administrator records a new version of a rule's parameters (or switches it on or off) with
its effective date and citation; evaluations judge each period with the version in force then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import audit
from .models import RuleVersion, User
from .rulebook import BY_CODE, SPECS, RuleBook, RuleParams, RuleSpec


@dataclass(frozen=True)
class RuleState:
    spec: RuleSpec
    in_force: RuleParams
    versions: list[RuleVersion]


def rules_in_force(*, day: dt.date) -> list[RuleState]:
    """Every rule with the parameters in force on ``day`` and all its recorded versions (one query)."""
    versions = list(RuleVersion.objects.order_by("code", "effective_from"))
    book = RuleBook(versions)
    by_code: dict[str, list[RuleVersion]] = {}
    for v in versions:
        by_code.setdefault(v.code, []).append(v)
    return [RuleState(spec, book.on(spec.code, day), by_code.get(spec.code, [])) for spec in SPECS]


def rule_in_force(*, code: str, day: dt.date) -> RuleState | None:
    return next((r for r in rules_in_force(day=day) if r.spec.code == code), None)


@transaction.atomic
def add_rule_version(
    *,
    actor: User,
    code: str,
    effective_from: dt.date,
    citation: str,
    enabled: bool = True,
    params: dict[str, Any] | None = None,
    note: str = "",
) -> RuleVersion:
    """Record new parameter values of ``code`` from ``effective_from`` on. System administrators only."""
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("只有系统管理员可以修改规则参数"))
    if code not in BY_CODE:
        raise ValidationError({"code": ValidationError(_("未知的规则编码"), code="unknown_rule")})
    if not (citation or "").strip():
        raise ValidationError({"citation": ValidationError(_("请填写依据"), code="required")})
    version = RuleVersion(
        code=code,
        effective_from=effective_from,
        enabled=enabled,
        params=params or {},
        citation=citation.strip(),
        note=note,
        created_by=actor,
    )
    version.full_clean()
    version.save()
    audit.created(actor=actor, obj=version)
    return version
