"""Member filters: one FilterSet serves the list page, the API and exports."""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AGE_BAND_LIMITS, AgeBand, Category, Education, Gender, Member, Status

_ASCII = re.compile(r"^[a-z]+$")


def search_q(text: str) -> Q:
    """Name, full pinyin (zhangwei) or pinyin initials (zw)."""
    text = text.strip()
    if not text:
        return Q()
    lowered = text.lower().replace(" ", "")
    if _ASCII.match(lowered):
        return Q(name_pinyin__startswith=lowered) | Q(name_initials__startswith=lowered)
    return Q(name__contains=text)


def birth_years(band: str, today: dt.date) -> tuple[int | None, int]:
    """The birth years (first, last) of ``band``; ages are those reached in ``today``'s year."""
    low, high = AGE_BAND_LIMITS[band]
    return (None if high is None else today.year - high), today.year - low


def birth_range(band: str, today: dt.date) -> Q:
    """Members whose year-end age lies in ``band`` (see members.models.AgeBand)."""
    first, last = birth_years(band, today)
    q = Q(birth_date__lte=dt.date(last, 12, 31))
    if first is not None:
        q &= Q(birth_date__gte=dt.date(first, 1, 1))
    return q


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("姓名或拼音"), method="filter_q")
    status = django_filters.ChoiceFilter(label=_("党员状态"), choices=Status.choices)
    category = django_filters.ChoiceFilter(label=_("人员类别"), choices=Category.choices)
    education = django_filters.ChoiceFilter(label=_("学历"), choices=Education.choices)
    gender = django_filters.ChoiceFilter(label=_("性别"), choices=Gender.choices)
    age_band = django_filters.ChoiceFilter(
        label=_("年龄段（按年末年龄）"), choices=AgeBand.choices, method="filter_age_band"
    )
    # Bounded so that an impossible year is a validation error (ignored on pages, 400 in the API), not a 500.
    join_year = django_filters.NumberFilter(
        label=_("入党年份"), method="filter_join_year", min_value=1, max_value=9999
    )

    class Meta:
        model = Member
        fields = ["q", "status", "category", "education", "gender", "age_band", "join_year"]

    def filter_q(self, queryset: QuerySet[Member], name: str, value: str) -> QuerySet[Member]:
        return queryset.filter(search_q(value))

    def filter_age_band(self, queryset: QuerySet[Member], name: str, value: str) -> QuerySet[Member]:
        return queryset.filter(birth_range(value, timezone.localdate()))

    def filter_join_year(self, queryset: QuerySet[Member], name: str, value: float) -> QuerySet[Member]:
        year = int(value)
        return queryset.filter(joined_on__gte=dt.date(year, 1, 1), joined_on__lte=dt.date(year, 12, 31))
