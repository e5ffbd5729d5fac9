"""Organization filters for the API (and any page that lists organizations).

An organization named in a filter (``parent``, ``under``) is looked up among those the user may
see: a code outside the scope is refused exactly like a code that does not exist, so a filter never
tells whether an organization exists elsewhere.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from .models import Organization, OrgKind, UnitKind


def _visible_orgs(request: Any) -> QuerySet[Organization]:
    from .selectors import visible_orgs

    if request is None:  # schema generation, or a FilterSet built without a request
        return Organization.objects.none()
    return visible_orgs(request.user)


@extend_schema_field(
    {
        "type": "string",
        "description": "An organization code. `parent`: its direct children; `under` and `org`: its "
        "whole subtree, itself included. A code outside the caller's scope is refused (400 "
        "invalid_choice) exactly like one that does not exist.",
    }
)
class OrgCodeFilter(django_filters.ModelChoiceFilter):
    """An organization given by its code, chosen among the organizations the request's user may see."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", _visible_orgs)
        kwargs.setdefault("to_field_name", "code")
        super().__init__(*args, **kwargs)


def search_q(text: str) -> Q:
    """Name anywhere, or code from its start (as the tree's search box)."""
    text = text.strip()
    if not text:
        return Q()
    return Q(name__icontains=text) | Q(code__istartswith=text)


class OrgFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("名称或编码"), method="filter_q")
    kind = django_filters.ChoiceFilter(label=_("组织类别"), choices=OrgKind.choices)
    unit_kind = django_filters.ChoiceFilter(label=_("单位类别"), choices=UnitKind.choices)
    parent = OrgCodeFilter(label=_("上级党组织编码（直接下级）"), method="filter_parent")
    under = OrgCodeFilter(label=_("党组织编码（含其全部下级）"), method="filter_under")

    class Meta:
        model = Organization
        fields = ["q", "kind", "unit_kind", "parent", "under"]

    def filter_q(self, queryset: QuerySet[Organization], name: str, value: str) -> QuerySet[Organization]:
        return queryset.filter(search_q(value))

    def filter_parent(
        self, queryset: QuerySet[Organization], name: str, value: Organization
    ) -> QuerySet[Organization]:
        return queryset.filter(path__prefix=value.path, depth=value.depth + 1)

    def filter_under(
        self, queryset: QuerySet[Organization], name: str, value: Organization
    ) -> QuerySet[Organization]:
        return queryset.filter(path__prefix=value.path)
