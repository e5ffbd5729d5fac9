"""The request filters: one FilterSet for the handler's list page and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Category, Channel, ServiceRequest, StateType, Urgency


class RequestFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("编号或内容"), max_length=100)
    state_type = django_filters.ChoiceFilter(choices=StateType.choices, label=_("状态"))
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.filter(parent__isnull=True), method="filter_category", label=_("类别")
    )
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, label=_("紧急程度"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("来源"))
    late = django_filters.BooleanFilter(method="filter_late", label=_("已超时"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("未办结"))

    class Meta:
        model = ServiceRequest
        fields = ["q", "state_type", "category", "urgency", "channel", "late", "open"]

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(code__iexact=value) | Q(text__icontains=value) | Q(address__icontains=value))

    def filter_category(self, qs: QuerySet, name: str, value: Category | None) -> QuerySet:
        if value is None:
            return qs
        return qs.filter(Q(category=value) | Q(category__parent=value))

    def filter_late(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        """Open requests past their next deadline (needs ``selectors.with_deadlines``)."""
        if value is None:
            return qs
        late = Q(next_due__isnull=False, next_due__lt=timezone.now())
        return qs.filter(late) if value else qs.exclude(late)

    def filter_open(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        from .models import OPEN_TYPES

        return qs.filter(state_type__in=OPEN_TYPES) if value else qs.exclude(state_type__in=OPEN_TYPES)
