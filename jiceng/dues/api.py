"""The dues API under ``/api/v1/dues/``: income bases, the amounts of a branch's month, payments and the
report of a subtree; scoped like every endpoint (404 outside the caller's subtree, 403 for a write
without the change right). Serializer names start with ``Dues`` (unique across the API).

Bases are personal data: their amount is ``null`` for callers who may view the member but are neither
the member, nor the branch's secretary, nor an organization admin above it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import scope
from jiceng.core.api import error_responses
from jiceng.core.generic.api import ScopedViewSet
from jiceng.core.periods import PeriodError, parse
from jiceng.members.models import Member

from . import selectors, services
from .models import IncomeBase, Method, Payment

MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"


def _month(text: str, field: str = "month") -> dt.date:
    try:
        day = dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise serializers.ValidationError({field: [_("月份格式应为YYYY-MM")]}, code="month_invalid") from None
    if not 1921 <= day.year <= 2999:
        raise serializers.ValidationError({field: [_("月份超出范围")]}, code="month_out_of_range")
    return day


def _member(request: Request, pk: Any) -> Member:
    """The member of that number among those the caller may view (404 otherwise)."""
    return selectors.get_member(request.user, pk)


class DuesBaseSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    amount = serializers.SerializerMethodField()
    applies_from = serializers.SerializerMethodField()

    class Meta:
        model = IncomeBase
        fields = ["id", "member", "member_name", "amount", "applies_from", "source", "confirmed", "note"]
        read_only_fields = fields

    def get_amount(self, obj: IncomeBase) -> str | None:
        user = self.context["request"].user
        return str(obj.amount) if selectors.can_see_bases(user, obj.member) else None

    def get_applies_from(self, obj: IncomeBase) -> str:
        return obj.applies_from.strftime("%Y-%m")


class DuesBaseWriteSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, max_value=10000000)
    applies_from = serializers.RegexField(MONTH_RE, max_length=7, help_text="YYYY-MM")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DuesPaymentSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    month = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "member",
            "member_name",
            "month",
            "amount",
            "paid_on",
            "method",
            "receipt_number",
            "back_payment_reason",
        ]
        read_only_fields = fields

    def get_month(self, obj: Payment) -> str:
        return obj.month.strftime("%Y-%m")


class DuesPaymentWriteSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1)
    month = serializers.RegexField(MONTH_RE, max_length=7, help_text="YYYY-MM")
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, max_value=1000000, required=False, allow_null=True
    )
    method = serializers.ChoiceField(choices=Method.choices, default=Method.CASH)
    receipt_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    back_payment_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DuesAmountSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    member_name = serializers.CharField()
    month = serializers.CharField()
    due = serializers.DecimalField(max_digits=10, decimal_places=2)
    way = serializers.CharField(help_text="bracket, fixed_farmer, fixed_low or none")
    bracket = serializers.IntegerField(allow_null=True)
    fixed = serializers.BooleanField(
        help_text="fixed for the year (年初核定); false: computed, not yet fixed"
    )
    explanation = serializers.CharField(help_text="how it was computed (the base masked where not visible)")
    paid = serializers.BooleanField()
    paid_amount = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    exempt = serializers.BooleanField()


class DuesFiguresSerializer(serializers.Serializer):
    due = serializers.CharField()
    collected = serializers.CharField()
    rate = serializers.CharField(allow_null=True, help_text="percent")
    arrears = serializers.CharField()
    arrears_members = serializers.IntegerField()
    extra = serializers.CharField()
    remitted = serializers.CharField(
        help_text="extra payments of 1,000 yuan or more, remitted whole to the Centre"
    )
    remitted_up = serializers.CharField(
        help_text="remitted to the next level up (上缴), as recorded by the subtree's organizations"
    )


class DuesOrgFiguresSerializer(DuesFiguresSerializer):
    org_code = serializers.CharField()
    org_name = serializers.CharField()


class DuesMonthFiguresSerializer(DuesFiguresSerializer):
    month = serializers.CharField()


class DuesReportSerializer(serializers.Serializer):
    org_code = serializers.CharField()
    period = serializers.CharField()
    total = DuesFiguresSerializer()
    by_org = DuesOrgFiguresSerializer(many=True)
    by_month = DuesMonthFiguresSerializer(many=True)


class DuesUseSerializer(serializers.Serializer):
    org_code = serializers.CharField()
    org_name = serializers.CharField()
    used_on = serializers.DateField()
    purpose = serializers.CharField()
    amount = serializers.CharField()
    decision = serializers.CharField(help_text="the approving decision (meeting and date)")


class DuesPublicationSerializer(serializers.Serializer):
    org_code = serializers.CharField()
    org_name = serializers.CharField()
    year = serializers.IntegerField()
    due = serializers.CharField()
    collected = serializers.CharField()
    rate = serializers.CharField(allow_null=True, help_text="percent")
    extra = serializers.CharField()
    extra_count = serializers.IntegerField()
    remitted_to_centre = serializers.CharField(
        help_text="extra payments of 1,000 yuan or more, remitted whole"
    )
    remitted_to_centre_count = serializers.IntegerField()
    remitted_up = serializers.CharField(
        help_text="recorded by the organization as remitted to the next level up"
    )
    reductions = serializers.IntegerField(help_text="members with an approved reduction in the year")
    exemptions = serializers.IntegerField(help_text="members with an approved exemption in the year")
    used_total = serializers.CharField()
    uses = DuesUseSerializer(many=True)


MEMBER = OpenApiParameter("member", OpenApiTypes.INT, required=False, description="党员编号")
ORG = OpenApiParameter("org", OpenApiTypes.STR, required=False, description="组织编码（其下级全部）")
MONTH = OpenApiParameter("month", OpenApiTypes.STR, required=False, description="YYYY-MM")


def _filter(request: Request, qs: Any) -> Any:
    params = request.query_params
    if params.get("member"):
        qs = qs.filter(member=_member(request, params["member"]))
    if params.get("org"):
        org = selectors.get_org(request.user, params["org"])
        qs = qs.filter(member__org_path__startswith=org.path)
    return qs


@extend_schema_view(
    list=extend_schema(
        summary="月收入基数",
        parameters=[MEMBER, ORG],
        responses={200: DuesBaseSerializer(many=True), **error_responses(400, 401, 404)},
    ),
    create=extend_schema(
        summary="登记月收入基数",
        request=DuesBaseWriteSerializer,
        responses={201: DuesBaseSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class DuesBaseViewSet(ScopedViewSet):
    serializer_class = DuesBaseSerializer

    def get_queryset(self) -> Any:
        return _filter(
            self.request,
            IncomeBase.objects.restrict(self.request.user, scope.VIEW).select_related("member"),
        ).order_by("member_id", "-applies_from")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        self.ensure_anywhere()
        data = self.body(DuesBaseWriteSerializer)
        member = _member(request, data["member"])
        base = services.record_income_base(
            actor=request.user,
            member=member,
            amount=data["amount"],
            applies_from=_month(data["applies_from"], "applies_from"),
            note=data["note"],
        )
        return Response(self.get_serializer(base).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="党费交纳记录",
        parameters=[MEMBER, ORG, MONTH],
        responses={200: DuesPaymentSerializer(many=True), **error_responses(400, 401, 404)},
    ),
    create=extend_schema(
        summary="登记交纳（含补交）",
        request=DuesPaymentWriteSerializer,
        responses={201: DuesPaymentSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class DuesPaymentViewSet(ScopedViewSet):
    serializer_class = DuesPaymentSerializer

    def get_queryset(self) -> Any:
        qs = _filter(self.request, selectors.payments(self.request.user))
        if self.request.query_params.get("month"):
            qs = qs.filter(month=_month(self.request.query_params["month"]))
        return qs.order_by("member_id", "-month")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        self.ensure_anywhere()
        data = self.body(DuesPaymentWriteSerializer)
        member = _member(request, data.pop("member"))
        payment = services.record_payment(
            actor=request.user, member=member, month=_month(data.pop("month")), **data
        )
        return Response(self.get_serializer(payment).data, status=status.HTTP_201_CREATED)


def amount_rows(user: Any, branch: Any, month: dt.date) -> list[dict[str, Any]]:
    return [
        {
            "member": r.member.pk,
            "member_name": r.member.name,
            "month": month.strftime("%Y-%m"),
            "due": r.line.due,
            "way": r.line.way,
            "bracket": r.line.bracket,
            "fixed": r.line.fixed is not None,
            "explanation": r.explanation,
            "paid": r.line.paid,
            "paid_amount": r.line.payment.amount if r.line.payment else None,
            "exempt": r.line.exempt,
        }
        for r in selectors.month_sheet(user, branch, month)
    ]


@extend_schema_view(
    list=extend_schema(
        summary="党支部某月每人应交党费及交纳情况",
        parameters=[
            OpenApiParameter("org", OpenApiTypes.STR, required=True, description="党支部编码"),
            MONTH,
        ],
        responses={200: DuesAmountSerializer(many=True), **error_responses(400, 401, 404)},
    ),
)
class DuesAmountViewSet(ScopedViewSet):
    queryset = Payment.objects.none()  # answers are computed; for the schema generator only
    serializer_class = DuesAmountSerializer
    pagination_class = None

    def list(self, request: Request) -> Response:
        code = request.query_params.get("org", "")
        if not code:
            raise serializers.ValidationError({"org": [_("请填写党支部编码")]}, code="required")
        branch = selectors.get_branch(request.user, code)
        text = request.query_params.get("month") or timezone.localdate().strftime("%Y-%m")
        return Response(DuesAmountSerializer(amount_rows(request.user, branch, _month(text)), many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="党费收缴报表（某组织及其下一级，按月）",
        parameters=[
            OpenApiParameter("org", OpenApiTypes.STR, required=True, description="组织编码"),
            OpenApiParameter(
                "period", OpenApiTypes.STR, required=False, description="YYYY、YYYY-Qn或YYYY-MM"
            ),
        ],
        responses={200: DuesReportSerializer, **error_responses(400, 401, 404)},
    ),
)
class DuesReportViewSet(ScopedViewSet):
    queryset = Payment.objects.none()  # answers are computed; for the schema generator only
    serializer_class = DuesReportSerializer
    pagination_class = None

    def list(self, request: Request) -> Response:
        code = request.query_params.get("org", "")
        if not code:
            raise serializers.ValidationError({"org": [_("请填写组织编码")]}, code="required")
        org = selectors.get_org(request.user, code)
        today = timezone.localdate()
        try:
            period = parse(request.query_params.get("period") or str(today.year))
        except PeriodError as e:
            raise serializers.ValidationError({"period": [str(e)]}, code="period_invalid") from None
        if period.kind == "day" or not 1921 <= period.start.year <= 2999:
            raise serializers.ValidationError({"period": [_("期间应为年、季度或月")]}, code="period_invalid")
        return Response(selectors.report(org, period, today=today).as_json())


@extend_schema_view(
    list=extend_schema(
        summary="党费收缴使用情况年度公示（某组织及其下级）",
        parameters=[
            OpenApiParameter("org", OpenApiTypes.STR, required=True, description="组织编码"),
            OpenApiParameter("year", OpenApiTypes.INT, required=False, description="年度（YYYY）"),
        ],
        responses={200: DuesPublicationSerializer, **error_responses(400, 401, 404)},
    ),
)
class DuesPublicationViewSet(ScopedViewSet):
    queryset = Payment.objects.none()  # answers are computed; for the schema generator only
    serializer_class = DuesPublicationSerializer
    pagination_class = None

    def list(self, request: Request) -> Response:
        code = request.query_params.get("org", "")
        if not code:
            raise serializers.ValidationError({"org": [_("请填写组织编码")]}, code="required")
        org = selectors.get_org(request.user, code)
        today = timezone.localdate()
        text = request.query_params.get("year") or str(today.year)
        if not (text.isdigit() and len(text) == 4 and 1921 <= int(text) <= 2999):
            raise serializers.ValidationError({"year": [_("年度应为四位数字")]}, code="year_invalid")
        return Response(selectors.publication(org, int(text), today=today).as_json())


ROUTES = [
    ("dues/bases", DuesBaseViewSet, "api-dues-base"),
    ("dues/payments", DuesPaymentViewSet, "api-dues-payment"),
    ("dues/amounts", DuesAmountViewSet, "api-dues-amount"),
    ("dues/report", DuesReportViewSet, "api-dues-report"),
    ("dues/publication", DuesPublicationViewSet, "api-dues-publication"),
]
