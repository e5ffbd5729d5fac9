"""API of partner units (共建单位): ``partner-units/`` (list, POST to register), ``partner-units/{id}/``
(GET, PATCH: edit, ``active`` false deactivates), ``…/requests/`` (what is dispatched to the unit),
``…/history/``.

Scope as on the pages: the units registered in the caller's subtrees, and for a unit's contact their
own unit (read only). Out of scope: 404; visible without the change right: 403 before the body is read.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, views
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import scope
from jiceng.core.api import ScopedAPIMixin, error_responses, parse_id
from jiceng.core.generic.api import ScopedViewSet, history_action, with_etag
from jiceng.orgs import selectors as org_selectors
from jiceng.services.api import ServiceRequestSerializer

from . import selectors, services
from .forms import PartnerUnitFilter
from .models import (
    Agreement,
    AgreementNeed,
    AgreementProject,
    AgreementResource,
    PartnerKind,
    PartnerUnit,
    ProjectMilestone,
    ProjectStatus,
    ResourceKind,
)

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The unit's id")


class PartnerUnitSerializer(serializers.ModelSerializer):
    org = serializers.CharField(
        source="org.code", read_only=True, help_text="The registering organization's code"
    )
    org_name = serializers.CharField(source="org.name", read_only=True)
    contacts = serializers.SerializerMethodField(help_text="The contacts' user names")

    class Meta:
        model = PartnerUnit
        fields = ["id", "name", "kind", "org", "org_name", "phone", "active", "contacts"]
        read_only_fields = fields

    def get_contacts(self, unit: PartnerUnit) -> list[str]:
        return services.contacts_of(unit)


class PartnerUnitWriteSerializer(serializers.Serializer):
    org = serializers.CharField(max_length=32, help_text="The registering organization's code")
    name = serializers.CharField(max_length=services.MAX_NAME)
    kind = serializers.ChoiceField(choices=PartnerKind.choices)
    phone = serializers.CharField(max_length=services.MAX_PHONE, required=False, allow_blank=True, default="")
    contacts = serializers.ListField(
        child=serializers.CharField(max_length=150),
        max_length=services.MAX_CONTACTS,
        required=False,
        default=list,
        help_text="User names of existing accounts",
    )
    active = serializers.BooleanField(required=False, help_text="false deactivates (PATCH only)")


@extend_schema_view(
    list=extend_schema(
        summary="Partner units the caller sees",
        responses={200: PartnerUnitSerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(
        summary="One partner unit",
        parameters=[ID],
        responses={200: PartnerUnitSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="Register a partner unit under an organization the caller may change",
        request=PartnerUnitWriteSerializer,
        responses={201: PartnerUnitSerializer, **error_responses(400, 401, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Edit a partner unit (If-Match: its ETag); active=false deactivates it",
        parameters=[ID],
        request=PartnerUnitWriteSerializer,
        responses={200: PartnerUnitSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class PartnerUnitViewSet(ScopedViewSet):
    serializer_class = PartnerUnitSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PartnerUnitFilter
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return PartnerUnit.objects.none()
        return (
            selectors.visible_units(self.request.user)
            .select_related("org")
            .prefetch_related("contacts")
            .order_by("-active", "org__path", "name", "id")
        )

    def lookup(self, key: str) -> PartnerUnit:
        return selectors.get_unit(self.request.user, parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        unit = self.get_object()
        return with_etag(Response(self.detail_data(unit)), unit)

    def _org(self, code: str) -> Any:
        org = org_selectors.get_org(self.request.user, code=code.strip())  # 404 outside the scope
        scope.ensure(self.request.user, scope.CHANGE, org.path)
        return org

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.ensure_anywhere(scope.CHANGE)
        d = self.body(PartnerUnitWriteSerializer)
        unit = services.register_unit(
            actor=request.user,
            org=self._org(d["org"]),
            name=d["name"],
            kind=d["kind"],
            phone=d["phone"],
            contacts=d["contacts"],
        )
        return self.detail_response(unit, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        unit = self.allowed(scope.CHANGE)
        d = self.body(PartnerUnitWriteSerializer, partial=True)
        active = d.pop("active", None)
        if not d and active is None:
            raise ValidationError(_("没有要修改的内容"), code="empty")
        if d:
            unit = services.update_unit(
                actor=request.user,
                unit=unit,
                org=self._org(d["org"]) if "org" in d else None,
                name=d.get("name", unit.name),
                kind=d.get("kind", unit.kind),
                phone=d.get("phone", unit.phone),
                contacts=d["contacts"] if "contacts" in d else services.contacts_of(unit),
                version=self.if_match(),
            )
        if active is not None and active != unit.active:
            unit = services.set_active(actor=request.user, unit=unit, active=active)
        return self.detail_response(unit)

    @extend_schema(
        summary="Requests dispatched to the unit (responsible or co-handling) that the caller sees",
        parameters=[ID],
        responses={200: ServiceRequestSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def requests(self, request: Request, **kwargs: Any) -> Response:
        page = self.paginate_queryset(selectors.dispatched(request.user, self.get_object()))
        return self.get_paginated_response(ServiceRequestSerializer(page, many=True).data)

    history = history_action(summary="The unit's change records", parameters=[ID])


ROUTES = [("partner-units", PartnerUnitViewSet, "api-partner-unit")]


# 共建协议 -------------------------------------------------------------------------------------------

AGREEMENT_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The agreement's id"
)
PROJECT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The project's id")
MILESTONE_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The milestone's id"
)
POST = {"filter_backends": [], "pagination_class": None}


class AgreementResourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgreementResource
        fields = ["id", "kind", "description", "quantity", "measure"]


class AgreementNeedSerializer(serializers.ModelSerializer):
    request = serializers.CharField(
        source="request.code", read_only=True, allow_null=True, default=None, help_text="受理编号"
    )

    class Meta:
        model = AgreementNeed
        fields = ["id", "description", "request"]


class AgreementMilestoneSerializer(serializers.ModelSerializer):
    done = serializers.BooleanField(read_only=True)

    class Meta:
        model = ProjectMilestone
        fields = ["id", "title", "due_on", "done_on", "done", "note"]


class AgreementProjectSerializer(serializers.ModelSerializer):
    owner_org = serializers.CharField(
        source="owner_org.code",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="null: the unit owns it",
    )
    owner_name = serializers.CharField(read_only=True)
    done_on_time = serializers.BooleanField(read_only=True)
    milestones = AgreementMilestoneSerializer(many=True, read_only=True)
    need = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = AgreementProject
        fields = [
            "id",
            "title",
            "description",
            "owner_org",
            "owner_name",
            "need",
            "deadline",
            "status",
            "done_on",
            "done_on_time",
            "milestones",
        ]


class AgreementSerializer(serializers.ModelSerializer):
    unit = serializers.PrimaryKeyRelatedField(read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    org = serializers.CharField(source="org.code", read_only=True)
    org_name = serializers.CharField(source="org.name", read_only=True)

    class Meta:
        model = Agreement
        fields = ["id", "unit", "unit_name", "org", "org_name", "year", "signed_on", "notes"]


class AgreementDetailSerializer(AgreementSerializer):
    resources = AgreementResourceSerializer(many=True, read_only=True)
    needs = AgreementNeedSerializer(many=True, read_only=True)
    projects = AgreementProjectSerializer(many=True, read_only=True)

    class Meta(AgreementSerializer.Meta):
        fields = [*AgreementSerializer.Meta.fields, "resources", "needs", "projects"]


class AgreementWriteSerializer(serializers.Serializer):
    unit = serializers.IntegerField(help_text="The partner unit's id")
    org = serializers.CharField(max_length=32, help_text="The signing organization's code")
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    signed_on = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(max_length=3000, required=False, allow_blank=True, default="")


class AgreementEditSerializer(serializers.Serializer):
    signed_on = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(max_length=3000, required=False, allow_blank=True)


class AgreementResourceWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ResourceKind.choices)
    description = serializers.CharField(max_length=300)
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=1, min_value=0, required=False, allow_null=True, default=None
    )
    measure = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class AgreementNeedWriteSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    request = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        default="",
        help_text="受理编号 of a resident request",
    )


class AgreementProjectWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=3000, required=False, allow_blank=True, default="")
    deadline = serializers.DateField()
    owner_org = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", help_text="Code; empty: the unit owns it"
    )
    need = serializers.IntegerField(required=False, allow_null=True, default=None)


class AgreementMilestoneWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    due_on = serializers.DateField()


class AgreementStatusWriteSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ProjectStatus.choices)
    done_on = serializers.DateField(required=False, allow_null=True, default=None)


class AgreementProgressWriteSerializer(serializers.Serializer):
    done_on = serializers.DateField(allow_null=True, help_text="null: not done")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PartnerUnitFiguresSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.name")
    projects = serializers.IntegerField()
    done = serializers.IntegerField()
    on_time = serializers.IntegerField()
    requests = serializers.IntegerField()
    answered = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=12, decimal_places=1)
    attendances = serializers.IntegerField()


class PartnerFiguresSerializer(serializers.Serializer):
    org = serializers.CharField()
    year = serializers.IntegerField()
    units = PartnerUnitFiguresSerializer(many=True)


YEAR = OpenApiParameter("year", OpenApiTypes.INT, required=False)


def _year(request: Request) -> int | None:
    text = request.query_params.get("year", "")
    return int(text) if text.isascii() and text.isdigit() and 2000 <= int(text) <= 2100 else None


@extend_schema_view(
    list=extend_schema(
        summary="共建协议 the caller sees (signed in their subtrees, or of the units they are a contact of)",
        parameters=[YEAR],
        responses={200: AgreementSerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(
        summary="One agreement with its three lists",
        parameters=[AGREEMENT_ID],
        responses={200: AgreementDetailSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="Record a yearly agreement of a unit with an organization the caller may change",
        request=AgreementWriteSerializer,
        responses={201: AgreementDetailSerializer, **error_responses(400, 401, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Edit the signing day and notes (If-Match: its ETag)",
        parameters=[AGREEMENT_ID],
        request=AgreementEditSerializer,
        responses={200: AgreementDetailSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class AgreementViewSet(ScopedViewSet):
    serializer_class = AgreementSerializer
    detail_serializer_class = AgreementDetailSerializer
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Agreement.objects.none()
        qs = selectors.agreements(self.request.user).order_by("-year", "org_path", "id")
        year = _year(self.request)
        return qs.filter(year=year) if year else qs

    def lookup(self, key: str) -> Agreement:
        agreement = selectors.get_agreement(self.request.user, parse_id(key))
        return selectors.with_lists(Agreement.objects.filter(pk=agreement.pk)).select_related("unit", "org")[
            0
        ]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        agreement = self.get_object()
        return with_etag(Response(self.detail_data(agreement)), agreement)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.ensure_anywhere(scope.CHANGE)
        d = self.body(AgreementWriteSerializer)
        unit = selectors.get_unit(request.user, d["unit"])
        org = org_selectors.get_org(request.user, code=d["org"].strip())
        scope.ensure(request.user, scope.CHANGE, org.path)
        agreement = services.create_agreement(
            actor=request.user, unit=unit, org=org, year=d["year"], signed_on=d["signed_on"], notes=d["notes"]
        )
        return self.detail_response(agreement, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        agreement = self.allowed(scope.CHANGE)
        d = self.body(AgreementEditSerializer, partial=True)
        agreement = services.update_agreement(
            actor=request.user,
            agreement=agreement,
            signed_on=d.get("signed_on", agreement.signed_on),
            notes=d.get("notes", agreement.notes),
            version=self.if_match(),
        )
        return self.detail_response(agreement)

    @extend_schema(
        summary="Add to the resources list (资源清单)",
        parameters=[AGREEMENT_ID],
        request=AgreementResourceWriteSerializer,
        responses={201: AgreementResourceSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], **POST)
    def resources(self, request: Request, **kwargs: Any) -> Response:
        agreement = self.allowed(scope.CHANGE)
        d = self.body(AgreementResourceWriteSerializer)
        item = services.add_resource(actor=request.user, agreement=agreement, **d)
        return Response(AgreementResourceSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add to the needs list (需求清单), optionally from a resident request by its code",
        parameters=[AGREEMENT_ID],
        request=AgreementNeedWriteSerializer,
        responses={201: AgreementNeedSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], **POST)
    def needs(self, request: Request, **kwargs: Any) -> Response:
        from jiceng.services import selectors as request_selectors

        agreement = self.allowed(scope.CHANGE)
        d = self.body(AgreementNeedWriteSerializer)
        req = None
        if d["request"].strip():
            req = request_selectors.visible_requests(request.user).filter(code=d["request"].strip()).first()
            if req is None:
                raise ValidationError(
                    {"request": ValidationError(_("找不到该受理编号的诉求"), code="not_found")}
                )
        item = services.add_need(
            actor=request.user, agreement=agreement, description=d["description"], request=req
        )
        return Response(AgreementNeedSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add to the projects list (项目清单)",
        parameters=[AGREEMENT_ID],
        request=AgreementProjectWriteSerializer,
        responses={201: AgreementProjectSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], **POST)
    def projects(self, request: Request, **kwargs: Any) -> Response:
        agreement = self.allowed(scope.CHANGE)
        d = self.body(AgreementProjectWriteSerializer)
        owner = None
        if d["owner_org"].strip():
            owner = org_selectors.get_org(request.user, code=d["owner_org"].strip())
        need = agreement.needs.filter(pk=d["need"]).first() if d["need"] else None
        if d["need"] and need is None:
            raise ValidationError({"need": ValidationError(_("该需求不属于本协议"), code="elsewhere")})
        project = services.add_project(
            actor=request.user,
            agreement=agreement,
            title=d["title"],
            description=d["description"],
            deadline=d["deadline"],
            owner_org=owner,
            need=need,
        )
        return Response(AgreementProjectSerializer(project).data, status=status.HTTP_201_CREATED)

    history = history_action(summary="The agreement's change records", parameters=[AGREEMENT_ID])


@extend_schema_view(
    list=extend_schema(
        summary="Projects of the agreements the caller sees",
        responses={200: AgreementProjectSerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(
        summary="One agreement project with its milestones",
        parameters=[PROJECT_ID],
        responses={200: AgreementProjectSerializer, **error_responses(401, 404)},
    ),
)
class AgreementProjectViewSet(ScopedViewSet):
    """Projects of the agreements the caller sees; progress by the signing organization or, for a
    project the unit owns, by the unit's contacts."""

    serializer_class = AgreementProjectSerializer
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return AgreementProject.objects.none()
        return (
            AgreementProject.objects.filter(
                agreement__in=selectors.agreements(self.request.user).values("pk")
            )
            .select_related("agreement__unit", "owner_org")
            .prefetch_related("milestones")
            .order_by("deadline", "id")
        )

    def lookup(self, key: str) -> AgreementProject:
        return selectors.get_project(self.request.user, parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(AgreementProjectSerializer(self.get_object()).data)

    @extend_schema(
        summary="Add a dated milestone (the signing organization)",
        parameters=[PROJECT_ID],
        request=AgreementMilestoneWriteSerializer,
        responses={201: AgreementMilestoneSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], **POST)
    def milestones(self, request: Request, **kwargs: Any) -> Response:
        project = self.get_object()
        if not scope.can(request.user, scope.CHANGE, project.agreement.org_path):
            raise PermissionDenied(_("您没有执行此操作的权限"))
        d = self.body(AgreementMilestoneWriteSerializer)
        m = services.add_milestone(actor=request.user, project=project, **d)
        return Response(AgreementMilestoneSerializer(m).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Set the project's status (done needs done_on)",
        parameters=[PROJECT_ID],
        request=AgreementStatusWriteSerializer,
        responses={200: AgreementProjectSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], **POST)
    def status(self, request: Request, **kwargs: Any) -> Response:
        project = self.get_object()
        if not services.can_progress(request.user, project):
            raise PermissionDenied(_("您没有记录该项目进展的权限"))
        d = self.body(AgreementStatusWriteSerializer)
        services.set_project_status(actor=request.user, project=project, **d)
        return Response(AgreementProjectSerializer(self.get_object()).data)


@extend_schema_view(
    list=extend_schema(
        summary="Milestones of the projects the caller sees",
        responses={200: AgreementMilestoneSerializer(many=True), **error_responses(401)},
    ),
)
class AgreementMilestoneViewSet(ScopedViewSet):
    serializer_class = AgreementMilestoneSerializer
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return ProjectMilestone.objects.none()
        return ProjectMilestone.objects.filter(
            project__agreement__in=selectors.agreements(self.request.user).values("pk")
        ).order_by("due_on", "id")

    def lookup(self, key: str) -> ProjectMilestone:
        return selectors.get_milestone(self.request.user, parse_id(key))

    @extend_schema(
        summary="Record a milestone's progress: done on a day (null: not done) with a note",
        parameters=[MILESTONE_ID],
        request=AgreementProgressWriteSerializer,
        responses={200: AgreementMilestoneSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], **POST)
    def progress(self, request: Request, **kwargs: Any) -> Response:
        milestone = self.get_object()
        if not services.can_progress(request.user, milestone.project):
            raise PermissionDenied(_("您没有记录该项目进展的权限"))
        d = self.body(AgreementProgressWriteSerializer)
        m = services.record_milestone(actor=request.user, milestone=milestone, **d)
        return Response(AgreementMilestoneSerializer(m).data)


class PartnerFiguresView(ScopedAPIMixin, views.APIView):
    """Unit-level figures of a year in a subtree (never people)."""

    @extend_schema(
        operation_id="partners_figures_retrieve",
        summary="共建单位年度数字（按单位：按期完成项目、承办诉求、志愿服务时长；不含个人）",
        parameters=[OpenApiParameter("org", OpenApiTypes.STR, description="组织编码", required=False), YEAR],
        responses={200: PartnerFiguresSerializer, **error_responses(401, 403, 404)},
        tags=["partners"],
    )
    def get(self, request: Request) -> Response:
        code = request.query_params.get("org", "").strip()[:32]
        if code:
            node = org_selectors.get_org(request.user, code=code)
        else:
            node = org_selectors.scope_roots(request.user).first()
            if node is None:
                raise PermissionDenied(_("您没有查看的权限"))
        year = _year(request) or timezone.localdate().year
        return Response(
            PartnerFiguresSerializer(
                {"org": node.code, "year": year, "units": selectors.unit_figures(node, year)}
            ).data
        )


ROUTES += [
    ("partners/agreements", AgreementViewSet, "api-partner-agreement"),
    ("partners/projects", AgreementProjectViewSet, "api-partner-project"),
    ("partners/milestones", AgreementMilestoneViewSet, "api-partner-milestone"),
]
URLS = [path("partners/figures/", PartnerFiguresView.as_view(), name="api-partner-figures")]
