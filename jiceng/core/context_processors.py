from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from . import registry, scope


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav``: what the navigation bar shows; apps add their flags (``registry.nav_flags``)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    # ``can_view``: the organization pages (组织, 党员, 组织生活, 发展党员) only for users with a scope; a
    # member without one would find nothing there but "no permission" and empty lists.
    nav: dict[str, Any] = {
        "can_audit": bool(scope.paths_for(user, scope.AUDIT)),
        "can_view": bool(scope.paths_for(user, scope.VIEW)),
    }
    for flag in registry.nav_flags:
        nav[flag.key] = flag.value(user)
    return {"nav": nav}
