"""API for residents' requests (handlers' side): the queue, one request, its events, the handler's steps,
hand-over, and the three rates.

Thin: reads go through ``services.selectors`` (a request outside the caller's scope answers 404, also
for a partner unit's contact and a request not assigned to their unit), writes through
``services.services`` (a visible request the caller does not handle answers 403). A step sent with
``If-Match`` (the ETag of the detail) is refused with 412 when the request changed since.

Routes (registered in jiceng/api_urls.py): ``service-requests/``, ``service-requests/{code}/``,
``service-requests/{code}/events/``, ``service-requests/{code}/step/`` (POST),
``service-requests/{code}/hand-over/`` (POST), ``service-requests/figures/`` (GET ``?year=``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import periods
from jiceng.core.api import error_responses, parse_id
from jiceng.core.generic.api import ScopedViewSet, with_etag
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization
from jiceng.partners.models import PartnerUnit

from . import selectors, services
from .filters import RequestFilter
from .models import Event, ServiceRequest, Urgency
from .views import STEPS, can_moderate, figures_period, unit_choices

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The tracking code (受理编号)"
)


class ServiceRequestSerializer(serializers.ModelSerializer):
    """A request as a handler sees it: contact details masked (never in full here)."""

    org = serializers.CharField(source="org.code", read_only=True)
    org_name = serializers.CharField(source="org.name", read_only=True)
    category = serializers.CharField(source="category.__str__", read_only=True)
    state = serializers.CharField(source="state.code", read_only=True)
    state_name = serializers.CharField(source="state.name", read_only=True)
    handler_org = serializers.SerializerMethodField()
    handler_partner = serializers.SerializerMethodField()
    handler_name = serializers.CharField(read_only=True)
    response_due = serializers.DateTimeField(read_only=True, allow_null=True)
    completion_due = serializers.DateTimeField(read_only=True, allow_null=True)
    next_due = serializers.DateTimeField(read_only=True, allow_null=True)
    late = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "code",
            "org",
            "org_name",
            "category",
            "urgency",
            "channel",
            "text",
            "address",
            "public_text",
            "public_address",
            "name_masked",
            "phone_masked",
            "state",
            "state_name",
            "state_type",
            "handler_org",
            "handler_partner",
            "handler_name",
            "received_at",
            "responded_at",
            "answered_at",
            "closed_at",
            "resolution",
            "satisfaction",
            "response_due",
            "completion_due",
            "next_due",
            "late",
            "sms_consent",
            "hotline_no",
            "hotline_deadline",
            "hotline_unit",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_handler_org(self, obj: ServiceRequest) -> str | None:
        return obj.handler_org.code if obj.handler_org_id else None

    @extend_schema_field(OpenApiTypes.INT)
    def get_handler_partner(self, obj: ServiceRequest) -> int | None:
        return obj.handler_partner_id

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_late(self, obj: ServiceRequest) -> bool:
        due = getattr(obj, "next_due", None)
        return bool(due and due < timezone.now())


class EventSerializer(serializers.ModelSerializer):
    state = serializers.CharField(source="state.code", read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "kind",
            "state",
            "at",
            "by_resident",
            "actor_unit",
            "public_text",
            "moderated",
            "public_version",
            "note",
        ]
        read_only_fields = fields


class StepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=[s.value for s in STEPS])
    public_text = serializers.CharField(
        max_length=services.MAX_WORDS, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(max_length=services.MAX_WORDS, required=False, allow_blank=True, default="")
    state = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    duplicate_of = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, allow_blank=True, default="")


class HandOverSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.MAX_WORDS)
    handler_org = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    handler_partner = serializers.IntegerField(required=False, allow_null=True, default=None)


class RequestModerateSerializer(serializers.Serializer):
    public_text = serializers.CharField(
        max_length=services.MAX_TEXT,
        required=False,
        allow_blank=True,
        default="",
        help_text="The public version of the text; blank or equal to the original shows the original",
    )
    public_address = serializers.CharField(
        max_length=services.MAX_ADDRESS, required=False, allow_blank=True, default=""
    )
    reason = serializers.CharField(max_length=services.MAX_WORDS, help_text="Recorded, for handlers only")


class RequestWordsModerateSerializer(serializers.Serializer):
    event = serializers.IntegerField(min_value=1, help_text="The id of the resident's event (see events/)")
    public_text = serializers.CharField(
        max_length=services.MAX_WORDS,
        required=False,
        allow_blank=True,
        default="",
        help_text="The public version; blank hides it, equal to the words as written shows them again",
    )
    reason = serializers.CharField(max_length=services.MAX_WORDS, help_text="Recorded, for handlers only")


FIGURES_PARAMETERS = [
    OpenApiParameter(
        "period", OpenApiTypes.STR, OpenApiParameter.QUERY, description="YYYY, YYYY-Qn or YYYY-MM"
    ),
    OpenApiParameter("year", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Without period"),
    OpenApiParameter(
        "part", OpenApiTypes.STR, OpenApiParameter.QUERY, description="With year: Q1…Q4 or 01…12"
    ),
    OpenApiParameter(
        "org", OpenApiTypes.STR, OpenApiParameter.QUERY, description="A node's code: its subtree"
    ),
]


class RequestFiguresSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["community", "partner", "total"])
    org = serializers.CharField(allow_null=True, help_text="The community's code (kind community)")
    partner = serializers.IntegerField(allow_null=True, help_text="The partner unit's id (kind partner)")
    org_name = serializers.CharField()
    received = serializers.IntegerField()
    responded_in_time = serializers.IntegerField()
    answered = serializers.IntegerField()
    solved = serializers.IntegerField()
    rated = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True)
    resolution_rate = serializers.FloatField(allow_null=True)
    satisfaction_rate = serializers.FloatField(allow_null=True)


class RequestMonthlySerializer(RequestFiguresSerializer):
    month = serializers.CharField(help_text="YYYY-MM")


def _figures(org: Any, f: selectors.Figures, *, partner: Any = None) -> dict[str, Any]:
    return {
        "kind": "partner" if partner is not None else "community" if org is not None else "total",
        "org": org.code if org is not None else None,
        "partner": partner.pk if partner is not None else None,
        "org_name": partner.name if partner is not None else org.name if org is not None else _("合计"),
        **{
            k: getattr(f, k)
            for k in ("received", "responded_in_time", "answered", "solved", "rated", "satisfied")
        },
        "response_rate": f.response_rate,
        "resolution_rate": f.resolution_rate,
        "satisfaction_rate": f.satisfaction_rate,
    }


class ServiceRequestViewSet(ScopedViewSet):
    """群众诉求: requests made in, or handled by, the caller's subtrees, or assigned to a partner unit of
    which the caller is a contact. The list is the queue: open requests by time left first."""

    serializer_class = ServiceRequestSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = RequestFilter
    lookup_field = "code"
    lookup_value_regex = r"[0-9A-Za-z]{1,16}"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return ServiceRequest.objects.none()
        org = None
        if self.action == "list":
            code = self.request.query_params.get("org", "").strip()
            if code:
                org = org_selectors.get_org(self.request.user, code=code)
        return selectors.request_list(self.request.user, org=org)

    def lookup(self, key: str) -> ServiceRequest:
        return selectors.get_request(self.request.user, key)

    def retrieve(self, request: Request, code: str) -> Response:
        req = self.get_object()
        return with_etag(Response(self.detail_data(req)), req)

    def _handler(self) -> ServiceRequest:
        req = self.get_object()
        services.ensure_handler(self.request.user, req)  # 403 before the body is read
        return req

    @extend_schema(
        summary="The request's events (what the resident reads, plus handlers' notes)",
        parameters=[CODE],
        responses={200: EventSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def events(self, request: Request, code: str) -> Response:
        return Response(EventSerializer(selectors.events(self.get_object()), many=True).data)

    @extend_schema(
        summary="A handler's step: accepted (响应), in_progress, answered (办结), closed, referred, merged",
        parameters=[CODE],
        request=StepSerializer,
        responses={200: ServiceRequestSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def step(self, request: Request, code: str) -> Response:
        req = self._handler()
        d = self.body(StepSerializer)
        duplicate = None
        if d["duplicate_of"]:
            duplicate = (
                selectors.visible_requests(request.user)
                .filter(code=d["duplicate_of"].strip().upper())
                .first()
            )
        req = services.move(
            actor=request.user,
            request=req,
            to_type=d["step"],
            public_text=d["public_text"],
            note=d["note"],
            state_code=d["state"] or None,
            duplicate_of=duplicate,
            urgency=d["urgency"] or None,
            version=self.if_match(),
        )
        return self.detail_response(req)

    @extend_schema(
        summary="Hand the request over to another handler, with the reason (recorded)",
        parameters=[CODE],
        request=HandOverSerializer,
        responses={200: ServiceRequestSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="hand-over", filter_backends=[])
    def hand_over(self, request: Request, code: str) -> Response:
        req = self._handler()
        d = self.body(HandOverSerializer)
        allowed = dict(unit_choices(request.user, req))
        org = partner = None
        if d["handler_org"]:
            org = Organization.objects.filter(code=d["handler_org"].strip()).first()
            if org is None or f"org:{org.pk}" not in allowed:
                raise ValidationError(
                    {"handler_org": ValidationError(_("请选择一个承办单位"), code="invalid")}
                )
        if d["handler_partner"] is not None:
            partner = PartnerUnit.objects.filter(pk=parse_id(d["handler_partner"])).first()
            if partner is None or f"partner:{partner.pk}" not in allowed:
                raise ValidationError(
                    {"handler_partner": ValidationError(_("请选择一个承办单位"), code="invalid")}
                )
        req = services.hand_over(
            actor=request.user,
            request=req,
            reason=d["reason"],
            handler_org=org,
            handler_partner=partner,
            version=self.if_match(),
        )
        return self.detail_response(req)

    @extend_schema(
        summary="Moderate the public version of the text and place, with a reason (the original is kept)",
        parameters=[CODE],
        request=RequestModerateSerializer,
        responses={200: ServiceRequestSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def moderate(self, request: Request, code: str) -> Response:
        req = self.get_object()
        if not can_moderate(request.user, req):  # 403 before the body is read
            raise PermissionDenied(_("只有受理社区的管理员或书记可以处理公开内容"))
        d = self.body(RequestModerateSerializer)
        req = services.moderate(actor=request.user, request=req, version=self.if_match(), **d)
        return self.detail_response(req)

    @extend_schema(
        summary="Moderate the public version of one of the resident's later words, with a reason",
        parameters=[CODE],
        request=RequestWordsModerateSerializer,
        responses={200: EventSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="moderate-words", filter_backends=[])
    def moderate_words(self, request: Request, code: str) -> Response:
        req = self.get_object()
        if not can_moderate(request.user, req):  # 403 before the body is read
            raise PermissionDenied(_("只有受理社区的管理员或书记可以处理公开内容"))
        d = self.body(RequestWordsModerateSerializer)
        ev = services.moderate_words(actor=request.user, request=req, version=self.if_match(), **d)
        return Response(EventSerializer(ev).data)

    def _figures_args(self, request: Request) -> tuple[Any, Any]:
        """The period (400 naming what is wrong) and the node (404 outside the scope) of the figures."""
        try:
            period = figures_period(request.query_params)
        except periods.PeriodError as error:
            raise ValidationError({"period": ValidationError(str(error), code="invalid")}) from error
        code = request.query_params.get("org", "").strip()[:32]
        org = org_selectors.get_org(request.user, code=code) if code else None
        return period, org

    @extend_schema(
        summary="响应率, 解决率, 满意率 per community and partner unit the caller sees, and in total, for a "
        "year, a quarter or a month",
        parameters=FIGURES_PARAMETERS,
        responses={200: RequestFiguresSerializer(many=True), **error_responses(400, 401, 404)},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def figures(self, request: Request) -> Response:
        period, node = self._figures_args(request)
        start, end = period.start, period.end
        user = request.user
        rows = [
            _figures(org, f)
            for org, f in selectors.figures_by_community(user, start=start, end=end, org=node)
        ]
        rows += [
            _figures(None, f, partner=unit)
            for unit, f in selectors.figures_by_partner(user, start=start, end=end, org=node)
        ]
        total = selectors.total_figures(user, start=start, end=end, org=node)
        return Response([*rows, _figures(None, total)])

    @extend_schema(
        summary="The three rates month by month over the period's year (the chart of the figures page), "
        "in total over the caller's requests or one node's subtree",
        parameters=FIGURES_PARAMETERS,
        responses={200: RequestMonthlySerializer(many=True), **error_responses(400, 401, 404)},
    )
    @action(
        detail=False, methods=["get"], url_path="figures/monthly", filter_backends=[], pagination_class=None
    )
    def figures_monthly(self, request: Request) -> Response:
        period, node = self._figures_args(request)
        months = selectors.monthly_figures(request.user, year=period.start.year, org=node)
        return Response([{"month": f"{day:%Y-%m}", **_figures(None, f)} for day, f in months])


ROUTES = [("service-requests", ServiceRequestViewSet, "api-service-request")]
