"""API of 双报到 and volunteer service, under /api/v1/participation/.

Thin: reads through ``participation.selectors`` (404 outside the caller's view), writes through
``participation.services`` (403 where visible but not allowed); errors are ``{"code", "message",
"errors"}``. Serializer names carry the ``Participation`` prefix (unique across the API).

- ``participation/registrations/`` GET (``org=<code>&side=community|home``), POST report a member;
  ``…/{id}/`` GET; ``…/{id}/decide/`` POST (the community); ``…/{id}/end/`` POST.
- ``participation/unit-registrations/`` GET, POST; ``…/{id}/decide/`` POST.
- ``participation/tasks/`` GET, POST publish; ``…/{id}/`` GET; ``…/{id}/claim/`` POST (a member);
  ``participation/claims/{id}/report/`` POST.
- ``participation/activities/`` GET, POST publish; ``…/{id}/`` GET; ``…/{id}/sign-up/`` POST (a
  member); ``…/{id}/residents/`` POST (the organizer); ``…/{id}/attendance/`` POST ``{"present": [ids]}``
  once; ``…/{id}/volunteers/`` GET (the organizer; residents masked).
- ``participation/figures/?org=<code>&year=<yyyy>`` GET; ``participation/me/`` GET the caller's own.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, views
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import scope
from jiceng.core.api import ScopedAPIMixin, error_responses, parse_id
from jiceng.core.generic.api import ScopedViewSet
from jiceng.members.models import Member
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization
from jiceng.partners import selectors as partner_selectors
from jiceng.partners.models import PartnerUnit

from . import selectors, services
from .models import (
    Activity,
    MemberRegistration,
    ServiceTask,
    TaskClaim,
    TaskKind,
    UnitRegistration,
    Volunteer,
)
from .services import own_member

# ---- Serializers ------------------------------------------------------------------------------


class ParticipationRegistrationSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    branch = serializers.CharField(source="member.org.code", read_only=True)
    branch_name = serializers.CharField(source="member.org.name", read_only=True)
    community = serializers.CharField(source="community.code", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = MemberRegistration
        fields = [
            "id",
            "member",
            "member_name",
            "branch",
            "branch_name",
            "community",
            "community_name",
            "reported_on",
            "residence",
            "skills",
            "status",
            "decided_on",
            "decline_reason",
            "ended_on",
        ]
        read_only_fields = fields


class ParticipationRegisterSerializer(serializers.Serializer):
    member = serializers.IntegerField(required=False, help_text="Member id; default: the caller's own record")
    community = serializers.CharField(max_length=32, help_text="组织编码 of the community")
    reported_on = serializers.DateField(required=False, allow_null=True)
    residence = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    skills = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ParticipationDecideSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    decided_on = serializers.DateField(required=False, allow_null=True)


class ParticipationEndSerializer(serializers.Serializer):
    ended_on = serializers.DateField(required=False, allow_null=True)


class ParticipationUnitRegistrationSerializer(serializers.ModelSerializer):
    community = serializers.CharField(source="community.code", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    unit_name = serializers.CharField(read_only=True)
    unit_org = serializers.SerializerMethodField()

    class Meta:
        model = UnitRegistration
        fields = [
            "id",
            "community",
            "community_name",
            "partner",
            "unit_org",
            "unit_name",
            "reported_on",
            "offer",
            "status",
            "decided_on",
            "decline_reason",
        ]
        read_only_fields = fields

    def get_unit_org(self, obj: UnitRegistration) -> str | None:
        return obj.unit_org.code if obj.unit_org_id else None


class ParticipationUnitRegisterSerializer(serializers.Serializer):
    community = serializers.CharField(max_length=32)
    partner = serializers.IntegerField(required=False, allow_null=True)
    unit_org = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    reported_on = serializers.DateField(required=False, allow_null=True)
    offer = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ParticipationTaskSerializer(serializers.ModelSerializer):
    community = serializers.CharField(source="community.code", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    taken = serializers.IntegerField(read_only=True)
    project_title = serializers.CharField(
        source="project.title", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = ServiceTask
        fields = [
            "id",
            "community",
            "community_name",
            "kind",
            "project",
            "project_title",
            "title",
            "description",
            "due_on",
            "places",
            "taken",
            "closed",
        ]
        read_only_fields = fields


class ParticipationTaskWriteSerializer(serializers.Serializer):
    community = serializers.CharField(max_length=32)
    kind = serializers.ChoiceField(choices=TaskKind.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    due_on = serializers.DateField(required=False, allow_null=True)
    places = serializers.IntegerField(min_value=1, max_value=500, default=1)
    project = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="共建项目（项目清单）的id：类型为共建项目岗位时必填",
    )


class ParticipationClaimSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = TaskClaim
        fields = ["id", "task", "member", "member_name", "claimed_on", "done_on", "report"]
        read_only_fields = fields


class ParticipationReportSerializer(serializers.Serializer):
    report = serializers.CharField(max_length=500)
    done_on = serializers.DateField(required=False, allow_null=True)


class ParticipationActivitySerializer(serializers.ModelSerializer):
    org = serializers.CharField(source="org.code", read_only=True)
    org_name = serializers.CharField(source="org.name", read_only=True)
    partner_name = serializers.SerializerMethodField()
    signed_up = serializers.IntegerField(read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "org",
            "org_name",
            "partner",
            "partner_name",
            "title",
            "description",
            "place",
            "starts_at",
            "ends_at",
            "needed",
            "signed_up",
            "hours",
            "attendance_recorded_at",
            "cancelled",
        ]
        read_only_fields = fields

    def get_partner_name(self, obj: Activity) -> str:
        return obj.partner.name if obj.partner_id else ""


class ParticipationActivityWriteSerializer(serializers.Serializer):
    org = serializers.CharField(max_length=32)
    partner = serializers.IntegerField(required=False, allow_null=True)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    place = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    needed = serializers.IntegerField(min_value=1, max_value=1000)
    hours = serializers.DecimalField(max_digits=4, decimal_places=1, required=False, allow_null=True)


class ParticipationVolunteerSerializer(serializers.ModelSerializer):
    """A sign-up as the organizer sees it: a resident's name and phone masked."""

    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Volunteer
        fields = ["id", "member", "name", "phone_masked", "signed_up_at", "attended", "hours"]
        read_only_fields = fields


class ParticipationResidentSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    phone = serializers.CharField(max_length=20)


class ParticipationAttendanceSerializer(serializers.Serializer):
    present = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=1000)


class ParticipationFigureRowSerializer(serializers.Serializer):
    name = serializers.CharField()
    activities = serializers.IntegerField()
    people = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=12, decimal_places=1)


class ParticipationFiguresSerializer(serializers.Serializer):
    org = serializers.CharField()
    year = serializers.IntegerField()
    activities = serializers.IntegerField()
    attendances = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=12, decimal_places=1)
    members_serving = serializers.IntegerField()
    members_reported_here = serializers.IntegerField()
    units_reported_here = serializers.IntegerField()
    by_org = ParticipationFigureRowSerializer(many=True)
    by_partner = ParticipationFigureRowSerializer(many=True)


class ParticipationOwnSerializer(serializers.Serializer):
    registrations = ParticipationRegistrationSerializer(many=True)
    claims = ParticipationClaimSerializer(many=True)
    year = serializers.IntegerField()
    hours_year = serializers.DecimalField(max_digits=8, decimal_places=1)
    hours_total = serializers.DecimalField(max_digits=8, decimal_places=1)


# ---- Views ------------------------------------------------------------------------------------

ORG = OpenApiParameter("org", OpenApiTypes.STR, description="组织编码", required=False)


def _org_in(qs: Any, code: str, field: str) -> Organization:
    """An organization named by code among ``qs`` (the communities or organizations of the caller's
    trees, see ``selectors.communities_for``); the services check the rights."""
    org = qs.filter(code=str(code or "").strip()[:32]).first()
    if org is None:
        raise serializers.ValidationError({field: [_("找不到该组织")]}, code="not_found")
    return org


def _node(request: Request) -> Organization:
    code = request.query_params.get("org", "").strip()[:32]
    if code:
        return org_selectors.get_org(request.user, code=code)
    node = org_selectors.scope_roots(request.user).first()
    if node is None:
        raise PermissionDenied(_("您没有查看的权限"))
    return node


POST = {"filter_backends": [], "pagination_class": None}


@extend_schema_view(
    list=extend_schema(
        summary="个人报到",
        parameters=[
            ORG,
            OpenApiParameter("side", OpenApiTypes.STR, enum=["community", "home"], required=False),
        ],
        responses={200: ParticipationRegistrationSerializer(many=True), **error_responses(401, 404)},
    ),
    retrieve=extend_schema(
        summary="一条个人报到",
        responses={200: ParticipationRegistrationSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="个人报到（党员本人或其党支部登记）",
        request=ParticipationRegisterSerializer,
        responses={201: ParticipationRegistrationSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class RegistrationViewSet(ScopedViewSet):
    serializer_class = ParticipationRegistrationSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        q = self.request.query_params
        if q.get("org"):
            node = _node(self.request)
            if q.get("side") == "home":
                return selectors.registrations_of_branch(self.request.user, node)
            return selectors.registrations_to(self.request.user, node)
        return selectors.registrations(self.request.user)

    def lookup(self, key: str) -> MemberRegistration:
        return selectors.get_registration(self.request.user, parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.body(ParticipationRegisterSerializer)
        if data.get("member"):
            member = Member.objects.restrict(request.user).filter(pk=data["member"]).first()
            if member is None:
                raise Http404
        else:
            member = own_member(request.user)
            if member is None:
                raise serializers.ValidationError({"member": [_("请指定党员")]}, code="required")
        reg = services.register_member(
            actor=request.user,
            member=member,
            community=_org_in(
                selectors.communities_for(request.user, member), data["community"], "community"
            ),
            reported_on=data.get("reported_on"),
            residence=data["residence"],
            skills=data["skills"],
        )
        return Response(self.get_serializer(reg).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="社区接收或不予接收",
        request=ParticipationDecideSerializer,
        responses={200: ParticipationRegistrationSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], **POST)
    def decide(self, request: Request, **kwargs: Any) -> Response:
        reg = self.get_object()
        services.require_change(request.user, reg.community_path)
        data = self.body(ParticipationDecideSerializer)
        reg = services.decide_member_registration(
            actor=request.user,
            registration=reg,
            accept=data["accept"],
            reason=data["reason"],
            on=data.get("decided_on"),
        )
        return Response(self.get_serializer(reg).data)

    @extend_schema(
        summary="结束报到",
        request=ParticipationEndSerializer,
        responses={200: ParticipationRegistrationSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], **POST)
    def end(self, request: Request, **kwargs: Any) -> Response:
        reg = self.get_object()
        data = self.body(ParticipationEndSerializer)
        reg = services.end_member_registration(actor=request.user, registration=reg, on=data.get("ended_on"))
        return Response(self.get_serializer(reg).data)


@extend_schema_view(
    list=extend_schema(
        summary="单位报到",
        responses={200: ParticipationUnitRegistrationSerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(
        summary="一条单位报到",
        responses={200: ParticipationUnitRegistrationSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="单位报到",
        request=ParticipationUnitRegisterSerializer,
        responses={201: ParticipationUnitRegistrationSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class UnitRegistrationViewSet(ScopedViewSet):
    serializer_class = ParticipationUnitRegistrationSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return selectors.unit_registrations(self.request.user)

    def lookup(self, key: str) -> UnitRegistration:
        return selectors.get_unit_registration(self.request.user, parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.ensure_anywhere()
        data = self.body(ParticipationUnitRegisterSerializer)
        partner = None
        if data.get("partner"):
            partner = PartnerUnit.objects.filter(pk=data["partner"]).first()
            if partner is None:
                raise serializers.ValidationError({"partner": [_("找不到该共建单位")]}, code="not_found")
        unit_org = (
            _org_in(Organization.objects.restrict(request.user, scope.CHANGE), data["unit_org"], "unit_org")
            if data["unit_org"]
            else None
        )
        reg = services.register_unit(
            actor=request.user,
            community=_org_in(selectors.communities_for(request.user, None), data["community"], "community"),
            partner=partner,
            unit_org=unit_org,
            reported_on=data.get("reported_on"),
            offer=data["offer"],
        )
        return Response(self.get_serializer(reg).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="社区接收或不予接收单位报到",
        request=ParticipationDecideSerializer,
        responses={200: ParticipationUnitRegistrationSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], **POST)
    def decide(self, request: Request, **kwargs: Any) -> Response:
        reg = self.get_object()
        services.require_change(request.user, reg.community_path)
        data = self.body(ParticipationDecideSerializer)
        reg = services.decide_unit_registration(
            actor=request.user,
            registration=reg,
            accept=data["accept"],
            reason=data["reason"],
            on=data.get("decided_on"),
        )
        return Response(self.get_serializer(reg).data)


@extend_schema_view(
    list=extend_schema(
        summary="服务任务", responses={200: ParticipationTaskSerializer(many=True), **error_responses(401)}
    ),
    retrieve=extend_schema(
        summary="一项服务任务", responses={200: ParticipationTaskSerializer, **error_responses(401, 404)}
    ),
    create=extend_schema(
        summary="发布服务任务（微心愿、志愿服务岗）",
        request=ParticipationTaskWriteSerializer,
        responses={201: ParticipationTaskSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class TaskViewSet(ScopedViewSet):
    serializer_class = ParticipationTaskSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return selectors.tasks(self.request.user)

    def lookup(self, key: str) -> ServiceTask:
        return selectors.get_task(self.request.user, parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.ensure_anywhere()
        data = self.body(ParticipationTaskWriteSerializer)
        community = org_selectors.get_org(request.user, code=data.pop("community")[:32])
        project = data.pop("project", None)
        if project is not None:
            project = partner_selectors.get_project(request.user, project)
        task = services.publish_task(actor=request.user, community=community, project=project, **data)
        return Response(
            self.detail_data(selectors.get_task(request.user, task.pk)), status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="认领（向该社区报到并被接收的党员本人）",
        request=None,
        responses={201: ParticipationClaimSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], **POST)
    def claim(self, request: Request, **kwargs: Any) -> Response:
        claim = services.claim_task(actor=request.user, task=self.get_object())
        return Response(ParticipationClaimSerializer(claim).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    report=extend_schema(
        summary="填写完成情况（认领的党员本人）",
        request=ParticipationReportSerializer,
        responses={200: ParticipationClaimSerializer, **error_responses(400, 401, 403, 404)},
    )
)
class ClaimViewSet(ScopedViewSet):
    serializer_class = ParticipationClaimSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return TaskClaim.objects.none()

    def lookup(self, key: str) -> TaskClaim:
        return selectors.get_claim(self.request.user, parse_id(key))

    @action(detail=True, methods=["post"], **POST)
    def report(self, request: Request, **kwargs: Any) -> Response:
        claim = self.get_object()
        if claim.member.user_id != request.user.pk:
            raise PermissionDenied(_("只有认领的党员本人可以填写完成情况"))
        data = self.body(ParticipationReportSerializer)
        claim = services.report_claim(
            actor=request.user, claim=claim, report=data["report"], done_on=data.get("done_on")
        )
        return Response(ParticipationClaimSerializer(claim).data)


@extend_schema_view(
    list=extend_schema(
        summary="志愿服务活动",
        responses={200: ParticipationActivitySerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(
        summary="一项志愿服务活动",
        responses={200: ParticipationActivitySerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="发布志愿服务活动",
        request=ParticipationActivityWriteSerializer,
        responses={201: ParticipationActivitySerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class ActivityViewSet(ScopedViewSet):
    serializer_class = ParticipationActivitySerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return selectors.activities(self.request.user)

    def lookup(self, key: str) -> Activity:
        return selectors.get_activity(self.request.user, parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.ensure_anywhere()
        data = self.body(ParticipationActivityWriteSerializer)
        org = org_selectors.get_org(request.user, code=data.pop("org")[:32])
        partner = None
        if data.pop("partner", None):
            partner = (
                PartnerUnit.objects.restrict(request.user).filter(pk=request.data.get("partner")).first()
            )
            if partner is None:
                raise serializers.ValidationError({"partner": [_("找不到该共建单位")]}, code="not_found")
        activity = services.publish_activity(actor=request.user, org=org, partner=partner, **data)
        return Response(self.detail_data(self.lookup(str(activity.pk))), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="报名（党员本人）",
        request=None,
        responses={201: ParticipationVolunteerSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="sign-up", **POST)
    def sign_up(self, request: Request, **kwargs: Any) -> Response:
        v = services.sign_up_member(actor=request.user, activity=self.get_object())
        return Response(ParticipationVolunteerSerializer(v).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="为居民报名（组织方）",
        request=ParticipationResidentSerializer,
        responses={201: ParticipationVolunteerSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], **POST)
    def residents(self, request: Request, **kwargs: Any) -> Response:
        activity = self.allowed()
        data = self.body(ParticipationResidentSerializer)
        v = services.sign_up_resident(actor=request.user, activity=activity, **data)
        return Response(ParticipationVolunteerSerializer(v).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="记录考勤（组织方，一次）",
        request=ParticipationAttendanceSerializer,
        responses={200: ParticipationVolunteerSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], **POST)
    def attendance(self, request: Request, **kwargs: Any) -> Response:
        activity = self.allowed()
        data = self.body(ParticipationAttendanceSerializer)
        activity = services.record_attendance(actor=request.user, activity=activity, present=data["present"])
        return Response(ParticipationVolunteerSerializer(selectors.volunteers(activity), many=True).data)

    @extend_schema(
        summary="报名的志愿者（组织方）",
        responses={200: ParticipationVolunteerSerializer(many=True), **error_responses(401, 403, 404)},
    )
    @action(detail=True, methods=["get"], **POST)
    def volunteers(self, request: Request, **kwargs: Any) -> Response:
        activity = self.allowed()
        return Response(ParticipationVolunteerSerializer(selectors.volunteers(activity), many=True).data)


def _rows(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [
        {"name": r[key], "activities": r["activities"], "people": r["people"], "hours": r["hours"]}
        for r in rows
    ]


class FiguresView(ScopedAPIMixin, views.APIView):
    """Totals of a year by organization and partner unit (never a list of people)."""

    @extend_schema(
        operation_id="participation_figures_retrieve",
        summary="双报到与志愿服务年度统计（按组织和单位，不含个人排名）",
        parameters=[ORG, OpenApiParameter("year", OpenApiTypes.INT, required=False)],
        responses={200: ParticipationFiguresSerializer, **error_responses(401, 403, 404)},
        tags=["participation"],
    )
    def get(self, request: Request) -> Response:
        node = _node(request)
        text = request.query_params.get("year", "")
        year = int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else timezone.localdate().year
        f = selectors.figures(request.user, node, year)
        return Response(
            ParticipationFiguresSerializer(
                {
                    **f,
                    "org": node.code,
                    "by_org": _rows(f["by_org"], "activity__org__name"),
                    "by_partner": _rows(f["by_partner"], "activity__partner__name"),
                }
            ).data
        )


class OwnView(ScopedAPIMixin, views.APIView):
    """The caller's own registrations, tasks taken and hours; 404 for an account that is not a member."""

    @extend_schema(
        operation_id="participation_me_retrieve",
        summary="我的双报到与志愿服务（本人）",
        responses={200: ParticipationOwnSerializer, **error_responses(401, 404)},
        tags=["participation"],
    )
    def get(self, request: Request) -> Response:
        member = own_member(request.user)
        if member is None:
            raise Http404
        year = timezone.localdate().year
        return Response(
            ParticipationOwnSerializer(
                {
                    "registrations": selectors.own_registrations(member),
                    "claims": selectors.own_claims(member),
                    "year": year,
                    "hours_year": selectors.own_hours(member, year),
                    "hours_total": selectors.own_hours(member),
                }
            ).data
        )


ROUTES = [
    ("participation/registrations", RegistrationViewSet, "api-participation-registration"),
    ("participation/unit-registrations", UnitRegistrationViewSet, "api-participation-unit"),
    ("participation/tasks", TaskViewSet, "api-participation-task"),
    ("participation/claims", ClaimViewSet, "api-participation-claim"),
    ("participation/activities", ActivityViewSet, "api-participation-activity"),
]
URLS = [
    path("participation/figures/", FiguresView.as_view(), name="api-participation-figures"),
    path("participation/me/", OwnView.as_view(), name="api-participation-me"),
]
