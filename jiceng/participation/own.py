"""A member's own 双报到 and volunteer service on their home page (我的) and in
``/api/v1/me/sections/participation.own/``: where they reported and its status, the service tasks they
took, their volunteer hours of this year and in all, and the link to their printable certificate.
Reads the signed-in user's own member record and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from . import selectors
from .services import own_member


def own_context(user: Any) -> Mapping[str, Any] | None:
    member = own_member(user)
    if member is None:
        return None
    year = timezone.localdate().year
    regs = list(selectors.own_registrations(member)[:5])
    return {
        "member": member,
        "registration": next((r for r in regs if r.is_active), None),
        "registrations": regs,
        "claims": list(selectors.own_claims(member)[:10]),
        "upcoming": list(selectors.own_upcoming(member, timezone.now())[:10]),
        "year": year,
        "hours_year": selectors.own_hours(member, year),
        "hours_total": selectors.own_hours(member),
    }


def own_data(user: Any) -> Mapping[str, Any] | None:
    context = own_context(user)
    if context is None:
        return None
    reg = context["registration"]
    return {
        "registration": None
        if reg is None
        else {
            "id": reg.pk,
            "community": reg.community.code,
            "community_name": reg.community.name,
            "reported_on": reg.reported_on.isoformat(),
            "status": reg.status,
        },
        "claims": [
            {
                "id": c.pk,
                "task": c.task.title,
                "community_name": c.task.community.name,
                "claimed_on": c.claimed_on.isoformat(),
                "done_on": c.done_on.isoformat() if c.done_on else None,
            }
            for c in context["claims"]
        ],
        "year": context["year"],
        "hours_year": str(context["hours_year"]),
        "hours_total": str(context["hours_total"]),
    }
