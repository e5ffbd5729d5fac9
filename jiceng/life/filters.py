"""The meeting filters: one FilterSet for the meeting list page and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Meeting, MeetingKind


class DateInput(forms.DateInput):
    input_type = "date"


class MeetingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="topic", lookup_expr="icontains", label=_("主题"))
    kind = django_filters.ChoiceFilter(choices=MeetingKind.choices, label=_("会议类型"))
    held_after = django_filters.DateFilter(
        field_name="held_on", lookup_expr="gte", label=_("开始日期"), widget=DateInput()
    )
    held_before = django_filters.DateFilter(
        field_name="held_on", lookup_expr="lte", label=_("结束日期"), widget=DateInput()
    )
    year = django_filters.NumberFilter(method="filter_year", label=_("年度"), min_value=1921, max_value=9999)
    source = django_filters.ChoiceFilter(choices=Meeting.Source.choices, label=_("来源"))

    class Meta:
        model = Meeting
        fields = ["q", "kind", "held_after", "held_before", "year", "source"]

    def filter_year(self, queryset: QuerySet[Meeting], name: str, value: int | None) -> QuerySet[Meeting]:
        if value is None:
            return queryset
        return queryset.filter(held_on__year=int(value))
