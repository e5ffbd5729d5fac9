"""A member's own record on their home page (我的) and in ``/api/v1/me/sections/members.record/``.

Registered in ``MembersConfig.ready`` as a ``core.registry.HomeSection`` with ``audience=OWN``: it reads
the signed-in user's own member record and nothing else (the identity number masked; the member may
reveal it, audited, on the record's card).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import selectors


def record_context(user: Any) -> Mapping[str, Any] | None:
    member = selectors.own_member(user)
    if member is None:
        return None
    return {
        "member": member,
        "memberships": selectors.memberships(member),
        "posts": selectors.committee_posts(member),
        "can_change": False,  # the own page never offers edits, even to a secretary viewing themselves
        "can_reveal": True,
        "revealed": None,
        "org_visible": False,
        "ancestors": [],
    }


def record_data(user: Any) -> Mapping[str, Any] | None:
    from .api import MemberSerializer

    member = selectors.own_member(user)
    return None if member is None else dict(MemberSerializer(member).data)
