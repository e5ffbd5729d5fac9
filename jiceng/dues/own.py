"""A member's own dues on their home page (我的) and in ``/api/v1/me/sections/dues.own/``: their
amount this month and how it is computed, their current income base (their own, so shown in full),
the months of this year paid and unpaid. Only the signed-in user's own records are read; nothing is
shown while the member's branch does not keep its dues in jiceng (no 党费记录起始月份)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from jiceng.members.selectors import own_member

from . import ledger
from .models import BranchDuesSetting


def _lines(user: Any) -> tuple[Any, list[ledger.Line]] | None:
    member = own_member(user)
    if member is None:
        return None
    # Nothing to show until the member's branch keeps its dues in jiceng.
    if not BranchDuesSetting.objects.filter(org_id=member.org_id, records_since__isnull=False).exists():
        return None
    today = timezone.localdate()
    lines = ledger.load([member], dt.date(today.year, 1, 1), today).of(member.pk)
    return member, lines


def own_context(user: Any) -> Mapping[str, Any] | None:
    found = _lines(user)
    if found is None:
        return None
    member, lines = found
    owed = [line for line in lines if line.owes]
    current = lines[-1] if lines else None
    return {
        "member": member,
        "current": current,
        "lines": list(reversed(owed)),
        "unpaid": [line for line in owed if not line.settled],
    }


def own_data(user: Any) -> Mapping[str, Any] | None:
    found = _lines(user)
    if found is None:
        return None
    _member, lines = found
    current = lines[-1] if lines else None
    return {
        "current": None
        if current is None
        else {
            "month": current.month.strftime("%Y-%m"),
            "due": str(current.due),
            "explanation": current.explanation,
            "base": None if current.base is None else str(current.base.amount),
        },
        "months": [
            {
                "month": line.month.strftime("%Y-%m"),
                "due": str(line.due),
                "paid": line.paid,
                "paid_amount": None if line.payment is None else str(line.payment.amount),
                "paid_on": None if line.payment is None else line.payment.paid_on.isoformat(),
                "exempt": line.exempt,
            }
            for line in lines
            if line.owes
        ],
    }
