"""Scope: what each user may see and change.

A role is granted on an organization and covers that organization's subtree (materialized path
prefix). Everything a user reads goes through ``restrict(user, action)`` on a scoped queryset; an
object outside the scope answers 404, so its existence is never disclosed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import User


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", _("组织管理员")
    SECRETARY = "secretary", _("支部书记")
    VIEWER = "viewer", _("查看者")
    MEMBER = "member", _("党员")


VIEW = "view"
CHANGE = "change"
AUDIT = "audit"  # search the change records of the subtree
MANAGE = "manage"  # move, merge and split organizations, grant roles below

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ORG_ADMIN: frozenset({VIEW, CHANGE, AUDIT, MANAGE}),
    Role.SECRETARY: frozenset({VIEW, CHANGE}),
    Role.VIEWER: frozenset({VIEW}),
    # A member sees their own record only (see members.selectors); no organization subtree.
    Role.MEMBER: frozenset(),
}


def minimal_prefixes(paths: Iterable[str]) -> tuple[str, ...]:
    """Drop paths already covered by a shorter prefix: ['0001', '00010002'] -> ('0001',)."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return tuple(kept)


def paths_for(user: User, action: str) -> tuple[str, ...]:
    """Materialized-path prefixes of the subtrees in which ``user`` may perform ``action``."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cache = user.__dict__.get("_scope_cache")
    if cache is None:
        # One query per request for every action (a page asks for view, change, audit, manage).
        grants = list(user.role_assignments.values_list("role", "org__path"))
        cache = {
            a: minimal_prefixes(path for role, path in grants if a in ROLE_ACTIONS.get(role, ()))
            for a in (VIEW, CHANGE, AUDIT, MANAGE)
        }
        user.__dict__["_scope_cache"] = cache
    if action not in cache:
        roles = [r for r, actions in ROLE_ACTIONS.items() if action in actions]
        paths = user.role_assignments.filter(role__in=roles).values_list("org__path", flat=True)
        cache[action] = minimal_prefixes(paths)
    return cache[action]


def forget(user: User) -> None:
    """Drop the per-object cache after roles change."""
    user.__dict__.pop("_scope_cache", None)


def path_q(field: str, prefixes: Iterable[str]) -> Q:
    """A Q matching rows whose ``field`` lies under any of ``prefixes``; matches nothing if none."""
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= Q(**{f"{field}__prefix": prefix})
    return q


def covers(prefixes: Iterable[str], path: str) -> bool:
    return any(path.startswith(p) for p in prefixes)


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows which path column places each row in the tree."""

    scope_path_field = "path"

    def restrict(self, user: User, action: str = VIEW) -> ScopedQuerySet:
        return self.filter(self.scope_q(user, action))

    def scope_q(self, user: User, action: str) -> Q:
        return path_q(self.scope_path_field, paths_for(user, action))


def can(user: User, action: str, path: str) -> bool:
    return covers(paths_for(user, action), path)


def ensure_change(actor: User | None, path: str) -> None:
    """``ensure(actor, CHANGE, path)`` for services that the console also calls: ``actor=None`` is the
    system's own operation (``jiceng import`` without ``--actor``), which reaches every organization."""
    if actor is not None:
        ensure(actor, CHANGE, path)


def ensure(user: User, action: str, path: str) -> None:
    """404 when the object is not even visible, 403 when visible but the action is not granted."""
    if can(user, action, path):
        return
    if action != VIEW and can(user, VIEW, path):
        raise PermissionDenied(_("您没有执行此操作的权限"))
    raise Http404
