"""API for organizational life: meetings with their attendance nested, and attachments.

Thin: reads go through life.selectors (a meeting outside the caller's scope answers 404), writes
through life.services (a visible meeting the caller may not change answers 403). Errors are
``{"code", "message", "errors"}`` (jiceng.core.api).

Routes (registered in jiceng/api_urls.py): ``meetings/`` and ``meetings/{id}/``,
``meetings/{id}/attachments/`` (GET list, POST multipart ``file``) and
``meetings/{id}/attachments/{attachment_id}/`` (GET the file, DELETE).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import scope
from jiceng.core.api import error_responses, parse_id
from jiceng.core.generic.api import ScopedViewSet, with_etag
from jiceng.members.models import Member
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization, PartyGroup

from . import selectors, services
from .filters import MeetingFilter
from .models import Attendance, Meeting, MeetingAttachment, MeetingKind, Presence

# ---- Serializers ------------------------------------------------------------------------------


class AttendanceSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = Attendance
        fields = ["member", "member_name", "presence"]


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = MeetingAttachment
        fields = ["id", "original_name", "content_type", "size", "uploaded_at", "url"]

    def get_url(self, obj: MeetingAttachment) -> str:
        path = reverse("api-meeting-attachment", kwargs={"pk": obj.meeting_id, "attachment_id": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class MeetingSerializer(serializers.ModelSerializer):
    """A meeting as read. ``warnings`` carries ``life.quorum`` when the quorum was not met."""

    org = serializers.CharField(source="org.code", read_only=True)
    org_name = serializers.CharField(source="org.name", read_only=True)
    quorum_met = serializers.BooleanField(read_only=True, allow_null=True)
    attendance = AttendanceSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "org",
            "org_name",
            "group",
            "kind",
            "held_on",
            "place",
            "topic",
            "host",
            "recorder",
            "minutes",
            "expected",
            "present",
            "voted",
            "voting_members",
            "voters_present",
            "votes_yes",
            "votes_no",
            "votes_abstain",
            "quorum_met",
            "source",
            "attendance",
            "attachments",
            "warnings",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(WarningSerializer(many=True))
    def get_warnings(self, obj: Meeting) -> list[dict[str, str]]:
        warning = services.quorum_warning(obj)
        return [{"code": "life.quorum", "message": warning}] if warning else []


class AttendanceWriteSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1)
    presence = serializers.ChoiceField(choices=Presence.choices)


def _count(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=100000, required=False, allow_null=True, **kwargs)


class MeetingWriteSerializer(serializers.Serializer):
    """A meeting as written. With ``attendance`` the head counts follow from it; ``org`` (the branch
    code) is given on creation and cannot change."""

    org = serializers.CharField(max_length=32, required=False, help_text=gettext_lazy("党支部的组织编码"))
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    group = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    topic = serializers.CharField(max_length=300)
    host = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    recorder = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    minutes = serializers.CharField(required=False, allow_blank=True)
    expected = _count()
    present = _count()
    voted = serializers.BooleanField(required=False, default=False)
    voting_members = _count()
    voters_present = _count()
    votes_yes = _count()
    votes_no = _count()
    votes_abstain = _count()
    attendance = AttendanceWriteSerializer(many=True, required=False)

    def validate_attendance(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [row["member"] for row in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError(_("出席名单中有重复的党员"), code="duplicate_member")
        return value


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


# ---- Turning ids into objects, without telling what lies outside the caller's scope ---------------


def _resolve(data: dict[str, Any], *, org: Organization) -> dict[str, Any]:
    """Service keyword arguments from validated data: ids become the objects the service judges."""
    out = {k: v for k, v in data.items() if k not in ("org", "attendance", "group", "host", "recorder")}
    problems: dict[str, list[DjangoValidationError]] = {}
    if "group" in data:
        group = None
        if data["group"] is not None:
            group = PartyGroup.objects.filter(pk=data["group"], org=org).first()
            if group is None:
                problems["group"] = [
                    DjangoValidationError(_("该党小组不属于本党支部"), code="group_elsewhere")
                ]
        out["group"] = group
    for field in ("host", "recorder"):
        if field in data:
            person = None
            if data[field] is not None:
                person = Member.objects.filter(pk=data[field]).first()
                if person is None:
                    problems[field] = [
                        DjangoValidationError(
                            services.member_elsewhere_message(field), code="member_elsewhere"
                        )
                    ]
            out[field] = person
    if "attendance" in data:
        ids = [row["member"] for row in data["attendance"]]
        found = Member.objects.in_bulk(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            problems["attendance"] = [
                DjangoValidationError(services.outside_message(len(missing)), code="attendance_outside")
            ]
        out["attendance"] = {
            found[r["member"]]: r["presence"] for r in data["attendance"] if r["member"] in found
        }
    if problems:
        raise DjangoValidationError(problems)
    return out


# ---- Views ------------------------------------------------------------------------------------

ORG_PARAMETER = OpenApiParameter(
    "org", OpenApiTypes.STR, description="组织编码：只列该组织及其下级党支部的记录", required=False
)


@extend_schema_view(
    list=extend_schema(
        summary="组织生活记录",
        parameters=[ORG_PARAMETER],
        responses={200: MeetingSerializer(many=True), **error_responses(401, 404)},
    ),
    retrieve=extend_schema(
        summary="一次组织生活记录（含出席情况和附件）",
        responses={200: MeetingSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="录入组织生活",
        request=MeetingWriteSerializer,
        responses={201: MeetingSerializer, **error_responses(400, 401, 403, 404)},
    ),
    update=extend_schema(
        summary="修改组织生活记录",
        request=MeetingWriteSerializer,
        responses={200: MeetingSerializer, **error_responses(400, 401, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="修改组织生活记录（部分字段）",
        request=MeetingWriteSerializer,
        responses={200: MeetingSerializer, **error_responses(400, 401, 403, 404)},
    ),
    destroy=extend_schema(
        summary="删除组织生活记录", responses={204: None, **error_responses(401, 403, 404)}
    ),
)
class MeetingViewSet(
    mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, ScopedViewSet
):
    """组织生活记录: meetings of the branches in the caller's scope, with their attendance and attachments.

    Writes follow life.services: an out-of-scope branch or meeting answers 404, a visible one the
    caller may not change 403; a meeting whose voters present are not more than half of its voting
    members is saved, with ``quorum_met: false`` and a ``life.quorum`` warning.
    """

    serializer_class = MeetingSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MeetingFilter
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    lookup_value_regex = r"[0-9]+"

    def lookup(self, key: str) -> Meeting:
        return get_object_or_404(self.get_queryset(), pk=parse_id(key))

    def get_queryset(self) -> Any:
        qs = selectors.visible_meetings(self.request.user).select_related("org", "group")
        if self.action == "list":
            code = self.request.query_params.get("org", "").strip()
            if code:
                org = org_selectors.get_org(self.request.user, code=code)
                qs = qs.filter(org_path__prefix=org.path)
        if self.action in ("list", "retrieve"):
            qs = qs.prefetch_related("attendance__member", "attachments")
        return qs.order_by("-held_on", "-id")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        meeting = self.get_object()
        return with_etag(Response(self.get_serializer(meeting).data), meeting)

    def _read(self, meeting: Meeting, status_code: int = status.HTTP_200_OK) -> Response:
        meeting = self.get_queryset().prefetch_related("attendance__member", "attachments").get(pk=meeting.pk)
        return with_etag(Response(self.get_serializer(meeting).data, status=status_code), meeting)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        code = str(request.data.get("org") or "").strip()
        if not code:
            raise serializers.ValidationError({"org": [_("请填写党支部的组织编码")]}, code="required")
        org = org_selectors.get_org(request.user, code=code)  # 404 outside the caller's scope
        scope.ensure(request.user, scope.CHANGE, org.path)  # 403 before anything is judged
        data = MeetingWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = _resolve(dict(data.validated_data), org=org)
        meeting = services.record_meeting(actor=request.user, org=org, **values)
        return self._read(meeting, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        meeting = self.allowed()
        partial = kwargs.pop("partial", False)
        data = MeetingWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        code = values.pop("org", None)
        if code is not None and code != meeting.org.code:
            raise serializers.ValidationError(
                {"org": [_("组织生活记录所属的党支部不能修改")]}, code="org_fixed"
            )
        values = _resolve(values, org=meeting.org)
        attendance = values.pop("attendance", None)
        meeting = services.update_meeting(
            actor=request.user, meeting=meeting, attendance=attendance, version=self.if_match(), **values
        )
        return self._read(meeting)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.delete_meeting(actor=request.user, meeting=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        summary="附件列表",
        responses={200: AttachmentSerializer(many=True), **error_responses(401, 404)},
        filters=False,
    )
    @extend_schema(
        methods=["POST"],
        summary="上传附件（PDF、JPEG或PNG，不超过10 MB）",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="attachments",
        filter_backends=[],
        pagination_class=None,
    )
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        if request.method == "GET":
            items = meeting.attachments.order_by("uploaded_at", "id")
            return Response(AttachmentSerializer(items, many=True, context={"request": request}).data)
        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        attachment = services.add_attachment(
            actor=request.user, meeting=meeting, upload=upload.validated_data["file"]
        )
        return Response(
            AttachmentSerializer(attachment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"],
        summary="下载附件",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
            **error_responses(401, 404),
        },
        filters=False,
    )
    @extend_schema(
        methods=["DELETE"], summary="删除附件", responses={204: None, **error_responses(401, 403, 404)}
    )
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=r"attachments/(?P<attachment_id>\d+)",
        url_name="attachment",
        filter_backends=[],
    )
    def attachment(self, request: Request, pk: str | None = None, attachment_id: str | None = None) -> Any:
        meeting = self.get_object()
        attachment = meeting.attachments.filter(pk=parse_id(attachment_id)).first()
        if attachment is None:
            raise Http404
        if request.method == "DELETE":
            services.remove_attachment(actor=request.user, attachment=attachment)
            return Response(status=status.HTTP_204_NO_CONTENT)
        try:
            handle = attachment.file.open("rb")
        except OSError as error:
            raise Http404 from error
        return FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )


# What jiceng/api_urls.py registers: router.register(prefix, viewset, basename=...).
ROUTES = [("meetings", MeetingViewSet, "api-meeting")]
