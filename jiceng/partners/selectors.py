"""Every read of partner units, scoped: the registry pages see the units registered in the user's
subtrees (``PartnerUnit.restrict``); a unit's contacts see their own unit (read only) and what is
dispatched to it."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from jiceng.core import scope

from .models import PartnerUnit


def visible_units(user: Any, action: str = scope.VIEW) -> QuerySet[PartnerUnit]:
    """Units registered in the user's subtrees; for the view, also the units the user is a contact of."""
    mine = (
        Q(contacts=user) if action == scope.VIEW and getattr(user, "is_authenticated", False) else Q(pk=None)
    )
    restricted = PartnerUnit.objects.restrict(user, action).values("pk")
    return PartnerUnit.objects.filter(
        Q(pk__in=restricted) | Q(pk__in=PartnerUnit.objects.filter(mine).values("pk"))
    )


def unit_list(user: Any) -> QuerySet[PartnerUnit]:
    """The registry: units registered in the user's subtrees, with their contacts counted."""
    return (
        PartnerUnit.objects.restrict(user)
        .select_related("org")
        .annotate(n_contacts=Count("contacts", distinct=True))
        .order_by("-active", "org__path", "name", "id")
    )


def get_unit(user: Any, pk: Any) -> PartnerUnit:
    text = str(pk)
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise Http404
    unit = visible_units(user).select_related("org").filter(pk=int(text)).first()
    if unit is None:
        raise Http404
    return unit


def units_of_contact(user: Any) -> QuerySet[PartnerUnit]:
    if not getattr(user, "is_authenticated", False):
        return PartnerUnit.objects.none()
    return PartnerUnit.objects.filter(contacts=user).select_related("org").order_by("name", "id")


def dispatched(user: Any, unit: PartnerUnit) -> QuerySet[Any]:
    """Requests the user sees that are assigned to ``unit`` (responsible or co-handling), the queue's
    order (open ones by time left first)."""
    from jiceng.services import selectors as request_selectors
    from jiceng.services.models import CoHandler

    co = CoHandler.objects.filter(partner=unit).values("request_id")
    return request_selectors.request_list(user).filter(Q(handler_partner=unit) | Q(pk__in=co))
