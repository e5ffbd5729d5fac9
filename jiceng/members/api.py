"""The roster endpoints of the REST API (/api/v1/members/, /api/v1/me/).

Thin handlers: reads from members.selectors restricted to the caller, writes through
members.services, the list filtered by the same FilterSet as the roster page. A member outside the
caller's scope answers 404; a visible record the caller may not change answers 403 before anything
else is checked. The identity number leaves the server masked, except through ``reveal-id``, which
the service audits; its ciphertext and digest never do.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, views
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import scope
from jiceng.core.api import MAX_ID, ScopedAPIMixin, error_responses, parse_id, validated
from jiceng.core.generic.api import ScopedViewSet, history_action, reveal_action, with_etag
from jiceng.core.models import User
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.api import resolve_org
from jiceng.orgs.filters import OrgCodeFilter
from jiceng.orgs.models import Organization, PartyGroup

from . import selectors, services
from .filters import MemberFilter
from .models import Member

# Serializers ----------------------------------------------------------------------------------------

WRITABLE = [f for f in services.EDITABLE if f != "group"]


class MemberSerializer(serializers.ModelSerializer):
    org = serializers.CharField(source="org.code", read_only=True, help_text="Code of the member's branch")
    org_name = serializers.CharField(source="org.name", read_only=True)
    group = serializers.IntegerField(
        source="group_id", read_only=True, allow_null=True, help_text="Party group id"
    )
    group_name = serializers.CharField(source="group.name", read_only=True, allow_null=True, default=None)
    id_number_masked = serializers.CharField(read_only=True, help_text="First 4 and last 4 characters")
    party_standing_years = serializers.IntegerField(read_only=True, allow_null=True, help_text="党龄")

    class Meta:
        model = Member
        fields = [
            "id",
            "org",
            "org_name",
            "group",
            "group_name",
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "id_number_masked",
            "education",
            "degree",
            "category",
            "status",
            "joined_on",
            "full_member_on",
            "standing_correction",
            "party_standing_years",
            "work_unit",
            "job_post",
            "phone",
            "household_registration",
            "residence",
            "party_probation_from",
            "party_probation_until",
            "closed_on",
            "closed_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MemberUpdateSerializer(serializers.ModelSerializer):
    """Types and shapes only; members.services judges the record (members.rules)."""

    id_number = serializers.CharField(
        max_length=22, required=False, allow_blank=True, help_text="公民身份号码; blank or absent: unchanged"
    )
    group = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text="Party group id, or null"
    )

    class Meta:
        model = Member
        fields = ["id_number", *WRITABLE, "group"]
        # The column's range on every database (SQLite would not enforce it; PostgreSQL would fail).
        extra_kwargs = {"standing_correction": {"min_value": -32768, "max_value": 32767}}


class MemberCreateSerializer(MemberUpdateSerializer):
    org = serializers.CharField(max_length=32, help_text="Code of the branch")
    id_number = serializers.CharField(max_length=22, help_text="公民身份号码 (18 characters)")

    class Meta(MemberUpdateSerializer.Meta):
        fields = ["org", "id_number", *WRITABLE, "group"]
        extra_kwargs = {
            **MemberUpdateSerializer.Meta.extra_kwargs,
            "birth_date": {"required": False, "help_text": "Taken from the identity number when absent"},
        }


class TransferSerializer(serializers.Serializer):
    org = serializers.CharField(max_length=32, help_text="Code of the receiving branch")
    on = serializers.DateField(required=False, help_text="Day of the transfer; today when absent")


# Filters --------------------------------------------------------------------------------------------


class ApiMemberFilter(MemberFilter):
    """The roster page's filters, plus the organization whose subtree to list."""

    org = OrgCodeFilter(label=_lazy("党组织编码（含其全部下级）"), method="filter_org")

    class Meta(MemberFilter.Meta):
        fields = [*MemberFilter.Meta.fields, "org"]

    def filter_org(self, queryset: QuerySet[Member], name: str, value: Organization) -> QuerySet[Member]:
        return queryset.filter(org_path__prefix=value.path)


# Helpers --------------------------------------------------------------------------------------------


def _group(user: User, group_id: int | None) -> PartyGroup | None:
    if group_id is None:
        return None
    group = PartyGroup.objects.filter(pk=group_id, org__in=org_selectors.visible_orgs(user)).first()
    if group is None:
        raise ValidationError(
            {
                "group": ValidationError(
                    _("没有编号为%(id)s的党小组"), code="unknown_group", params={"id": group_id}
                )
            }
        )
    return group


def _service_fields(user: User, data: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in data.items() if k in WRITABLE}
    if "group" in data:
        fields["group"] = _group(user, data["group"])
    return fields


ID_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Member id")


# The viewset ----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Members in the caller's scope",
        responses={200: MemberSerializer(many=True), **error_responses(400, 401, 404)},
    ),
)
@extend_schema(tags=["members"])
class MemberViewSet(ScopedViewSet):
    serializer_class = MemberSerializer
    filterset_class = ApiMemberFilter
    lookup_value_regex = r"[0-9]+"
    # The record is visible (say, the member's own): refusing the write is a 403, not a 404.
    denied = _lazy("您没有修改此党员信息的权限")

    def get_queryset(self) -> QuerySet[Member]:
        return selectors.member_list(self.request.user)

    def lookup(self, key: str) -> Member:
        """Visible members only (else 404): the same lookup as the member page."""
        return selectors.get_member(self.request.user, parse_id(key))

    # Reads

    @extend_schema(
        summary="One member's record (identity number masked)",
        parameters=[ID_PARAM],
        responses={200: MemberSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        member = self.get_object()
        return with_etag(Response(MemberSerializer(member).data), member)

    history = history_action(summary="Change records of the member", parameters=[ID_PARAM])

    # Writes

    @extend_schema(
        summary="Register a member in a branch",
        request=MemberCreateSerializer,
        responses={201: MemberSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        user = request.user
        self.ensure_anywhere(scope.CHANGE, _("您没有登记党员的权限"))
        data = self.body(MemberCreateSerializer)
        org = resolve_org(user, data["org"], field="org")
        member = services.create_member(
            actor=user, org=org, id_number=data["id_number"], **_service_fields(user, data)
        )
        return self.detail_response(member, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a member's record",
        parameters=[ID_PARAM],
        request=MemberUpdateSerializer,
        responses={200: MemberSerializer, **error_responses(400, 401, 403, 404)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        member = self.allowed()
        data = self.body(MemberUpdateSerializer, partial=True)
        member = services.update_member(
            actor=request.user,
            member=member,
            id_number=data.get("id_number") or None,
            version=self.if_match(),
            **_service_fields(request.user, data),
        )
        return self.detail_response(member)

    reveal_id = reveal_action(
        parameters=[ID_PARAM],
        reveal=lambda user, member: services.reveal_id_number(actor=user, member=member),
    )

    @extend_schema(
        summary="Transfer the member to another branch (组织关系转接)",
        parameters=[ID_PARAM],
        request=TransferSerializer,
        responses={200: MemberSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def transfer(self, request: Request, pk: str) -> Response:
        member = self.allowed()
        data = validated(TransferSerializer, request)
        to_org = resolve_org(request.user, data["org"], field="org")
        member = services.transfer_member(actor=request.user, member=member, to_org=to_org, on=data.get("on"))
        return self.detail_response(member)


class MeView(ScopedAPIMixin, views.APIView):
    """The caller's own member record; 404 for an account that is not a member."""

    @extend_schema(
        operation_id="me_retrieve",
        summary="The caller's own member record",
        responses={200: MemberSerializer, **error_responses(401, 404)},
        tags=["members"],
    )
    def get(self, request: Request) -> Response:
        member = selectors.own_member(request.user)
        if member is None:
            raise Http404
        return Response(MemberSerializer(member).data)
