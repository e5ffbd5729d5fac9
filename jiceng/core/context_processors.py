from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from . import scope


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    from jiceng.members.models import Member

    return {
        "nav": {
            "can_audit": bool(scope.paths_for(user, scope.AUDIT)),
            "has_member_record": Member.objects.filter(user=user).exists(),
        }
    }
