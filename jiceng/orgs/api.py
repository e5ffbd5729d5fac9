"""The organization endpoints of the REST API (/api/v1/orgs/).

Thin handlers: reads from orgs.selectors restricted to the caller, writes through orgs.services.
Serializers check types and shapes only; the services judge every rule, and their ValidationError
becomes a 400 through ``jiceng.core.api.exception_handler``. An organization outside the caller's
scope answers 404, in the URL and in a body alike (a body's unknown code is a 400 that reads the
same whether the organization exists elsewhere or not); a visible one the caller may not change
answers 403 before anything else is checked.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import CharField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Substr
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import scope
from jiceng.core.api import error_responses, validated
from jiceng.core.generic.api import ScopedViewSet, history_action, with_etag
from jiceng.core.models import User

from . import selectors, services
from .filters import OrgFilter
from .models import Committee, CommitteePost, Organization, OrgKind, Post, UnitKind

CODE_PATTERN = r"[0-9A-Za-z_-]+"


def with_parent_code(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    """Annotate each organization with its parent's code, in the same query (lists stay one query)."""
    steplen = Organization.steplen
    parent_path = Substr(OuterRef("path"), 1, (OuterRef("depth") - 1) * steplen)
    parent = Organization.objects.filter(path=parent_path).order_by().values("code")[:1]
    return qs.annotate(parent_code=Subquery(parent, output_field=CharField()))


def _parent_visible(user: User, org: Organization) -> bool:
    parent_path = org.path[: (org.depth - 1) * Organization.steplen]
    return bool(parent_path) and scope.can(user, scope.VIEW, parent_path)


def resolve_org(user: User, code: str, *, field: str) -> Organization:
    """An organization named in a request body, among those ``user`` may see; else a field error."""
    org = selectors.visible_orgs(user).filter(code=code).first()
    if org is None:
        # The same answer whether the code exists outside the scope or not at all.
        raise ValidationError(
            {
                field: ValidationError(
                    _("在您可以查看的党组织中没有编码为“%(code)s”的组织"),
                    code="unknown_org",
                    params={"code": code},
                )
            }
        )
    return org


# Serializers ----------------------------------------------------------------------------------------


class SecretaryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Member id")
    name = serializers.CharField()


class OrgSerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField(
        help_text="Code of the parent organization; null for a root, or when the parent lies outside "
        "the caller's scope"
    )
    child_count = serializers.IntegerField(source="numchild", read_only=True)
    secretary = serializers.SerializerMethodField(
        help_text="The secretary of a branch without a committee (支部条例: fewer than 7 full members); "
        "null when none is recorded. A committee's secretary is among its posts."
    )

    class Meta:
        model = Organization
        fields = [
            "code",
            "name",
            "kind",
            "unit_kind",
            "founded_on",
            "parent",
            "depth",
            "child_count",
            "secretary",
            "secretary_since",
            "records_since",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "records_since": {
                "help_text": "记录起始日期: the day from which jiceng holds this organization's records; "
                "periods and days before it are 'no records', never findings"
            }
        }

    @extend_schema_field(SecretaryRefSerializer(allow_null=True))
    def get_secretary(self, org: Organization) -> dict[str, Any] | None:
        member = org.secretary
        return {"id": member.pk, "name": member.name} if member is not None else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_parent(self, org: Organization) -> str | None:
        code = getattr(org, "parent_code", None)
        user = self.context["request"].user
        return code if code and _parent_visible(user, org) else None


class CommitteePostSerializer(serializers.ModelSerializer):
    member = serializers.IntegerField(source="member_id", read_only=True, help_text="Member id")
    name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = CommitteePost
        fields = ["post", "member", "name"]
        read_only_fields = fields


class CommitteeSerializer(serializers.ModelSerializer):
    term_ends_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="End of the term, or the approved date; null for an appointed committee (no term)",
    )
    posts = CommitteePostSerializer(many=True, read_only=True)

    class Meta:
        model = Committee
        fields = [
            "formation",
            "elected_on",
            "term_years",
            "term_ends_on",
            "extended_to",
            "extension_approval",
            "posts",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "formation": {
                "help_text": "elected: elected for a term; appointed: a 党工委's leadership, appointed by the "
                "higher committee, without a term (term_years and term_ends_on null)"
            },
            "elected_on": {"help_text": "Day of the election, or of the appointment"},
        }


class OrgDetailSerializer(OrgSerializer):
    committee = serializers.SerializerMethodField(help_text="The current committee, if any")

    class Meta(OrgSerializer.Meta):
        fields = [*OrgSerializer.Meta.fields, "committee"]
        read_only_fields = fields

    @extend_schema_field(CommitteeSerializer(allow_null=True))
    def get_committee(self, org: Organization) -> dict[str, Any] | None:
        current = getattr(org, "current_committees", None)
        committee = current[0] if current else None if current is not None else org.current_committee
        return CommitteeSerializer(committee, context=self.context).data if committee else None


class OrgCreateSerializer(serializers.Serializer):
    parent = serializers.CharField(
        max_length=32,
        allow_null=True,
        help_text="Code of the parent; null for a root (system administrators)",
    )
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=OrgKind.choices)
    unit_kind = serializers.ChoiceField(choices=UnitKind.choices)
    founded_on = serializers.DateField(required=False, allow_null=True)


class OrgUpdateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32, required=False)
    name = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(
        choices=OrgKind.choices, required=False, help_text="Changing the kind needs the manage right"
    )
    unit_kind = serializers.ChoiceField(choices=UnitKind.choices, required=False)
    founded_on = serializers.DateField(required=False, allow_null=True)
    records_since = serializers.DateField(
        required=False,
        help_text="记录起始日期: not in the future, not before 1921-07-01; the right to change the "
        "organization is needed",
    )


class MoveSerializer(serializers.Serializer):
    parent = serializers.CharField(max_length=32, help_text="Code of the new parent")


class MergeSerializer(serializers.Serializer):
    target = serializers.CharField(max_length=32, help_text="Code of the branch that takes the members")
    on = serializers.DateField(required=False, help_text="Day of the merge; today when absent")


class MergeResultSerializer(serializers.Serializer):
    target = serializers.CharField(help_text="Code of the branch the members moved into")
    moved_members = serializers.IntegerField()


class ElectionPostSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Member id")
    post = serializers.ChoiceField(choices=Post.choices)


class ElectionSerializer(serializers.Serializer):
    elected_on = serializers.DateField()
    term_years = serializers.ChoiceField(
        choices=[(3, "3"), (5, "5")],
        required=False,
        allow_null=True,
        help_text="3 or 5; absent or null for the term the regulations set for this kind of organization. "
        "A 党工委 (working_committee) is appointed, without a term: leave it out (elected_on is then the "
        "appointment day)",
    )
    posts = ElectionPostSerializer(many=True, required=False, default=list)


class SecretarySerializer(serializers.Serializer):
    member = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, allow_null=True, help_text="Member id; null clears the secretary"
    )
    since = serializers.DateField(
        required=False, allow_null=True, help_text="Day the secretary took office; required with a member"
    )


class SummaryMembersSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    status = serializers.DictField(child=serializers.IntegerField())
    category = serializers.DictField(child=serializers.IntegerField())
    education = serializers.DictField(child=serializers.IntegerField())
    gender = serializers.DictField(child=serializers.IntegerField())
    age_band = serializers.DictField(child=serializers.IntegerField(), help_text="By age reached this year")


class SummaryCommitteesSerializer(serializers.Serializer):
    expired = serializers.IntegerField(help_text="Current committees whose term has ended")
    due = serializers.IntegerField(help_text="Current committees whose term ends within six months")
    appointed = serializers.IntegerField(
        help_text="Current appointed committees (党工委), which have no term"
    )


class OrgSummarySerializer(serializers.Serializer):
    members = SummaryMembersSerializer()
    branches = serializers.IntegerField()
    branches_by_unit_kind = serializers.DictField(child=serializers.IntegerField())
    committees = SummaryCommitteesSerializer()


# The viewset ----------------------------------------------------------------------------------------

CODE_PARAM = OpenApiParameter("code", str, OpenApiParameter.PATH, pattern=f"^{CODE_PATTERN}$")


@extend_schema_view(
    list=extend_schema(
        summary="Organizations in the caller's scope",
        responses={200: OrgSerializer(many=True), **error_responses(400, 401, 404)},
    ),
    retrieve=extend_schema(
        summary="One organization with its current committee",
        responses={200: OrgDetailSerializer, **error_responses(401, 404)},
    ),
)
@extend_schema(tags=["orgs"])
class OrgViewSet(ScopedViewSet):
    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN
    filterset_class = OrgFilter
    serializer_class = OrgSerializer

    def get_queryset(self) -> QuerySet[Organization]:
        return with_parent_code(selectors.visible_orgs(self.request.user)).select_related("secretary")

    detail_serializer_class = OrgDetailSerializer

    def lookup(self, key: str) -> Organization:
        """Visible organizations only (else 404); no list filters apply to one object."""
        qs = self.get_queryset()
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                Prefetch(
                    "committees",
                    queryset=Committee.objects.filter(ended_on__isnull=True).prefetch_related(
                        Prefetch("posts", queryset=CommitteePost.objects.select_related("member"))
                    ),
                    to_attr="current_committees",
                )
            )
        return get_object_or_404(qs, code=key)

    # Reads

    @extend_schema(parameters=[CODE_PARAM])
    def retrieve(self, request: Request, code: str) -> Response:
        org = self.get_object()
        return with_etag(Response(OrgDetailSerializer(org, context=self.get_serializer_context()).data), org)

    @extend_schema(
        summary="Key numbers of the organization's whole subtree",
        parameters=[CODE_PARAM],
        responses={200: OrgSummarySerializer, **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def summary(self, request: Request, code: str) -> Response:
        org = self.get_object()
        return Response(selectors.org_summary(org))

    history = history_action(summary="Change records of the organization", parameters=[CODE_PARAM])

    # Writes

    @extend_schema(
        summary="Create an organization under a parent the caller manages",
        request=OrgCreateSerializer,
        responses={201: OrgDetailSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        user = request.user
        if not scope.paths_for(user, scope.MANAGE) and not user.is_superuser:
            raise PermissionDenied(_("您没有新建党组织的权限"))
        data = validated(OrgCreateSerializer, request)
        code = data.pop("parent")
        parent = resolve_org(user, code, field="parent") if code is not None else None
        org = services.create_org(actor=user, parent=parent, **data)
        return self.detail_response(org, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an organization's code, name, kind, unit kind, founding date or records-since date",
        parameters=[CODE_PARAM],
        request=OrgUpdateSerializer,
        responses={200: OrgDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    def partial_update(self, request: Request, code: str) -> Response:
        org = self.allowed(scope.CHANGE)
        data = validated(OrgUpdateSerializer, request)
        org = services.update_org(actor=request.user, org=org, version=self.if_match(), **data)
        return self.detail_response(org)

    @extend_schema(
        summary="Move the organization and its subtree under another parent",
        parameters=[CODE_PARAM],
        request=MoveSerializer,
        responses={200: OrgDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def move(self, request: Request, code: str) -> Response:
        org = self.allowed(scope.MANAGE)
        data = validated(MoveSerializer, request)
        parent = resolve_org(request.user, data["parent"], field="parent")
        org = services.move_org(actor=request.user, org=org, new_parent=parent)
        return self.detail_response(org)

    @extend_schema(
        summary="Merge this branch into another: its members move, then it is removed",
        parameters=[CODE_PARAM],
        request=MergeSerializer,
        responses={200: MergeResultSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def merge(self, request: Request, code: str) -> Response:
        org = self.allowed(scope.MANAGE)
        data = validated(MergeSerializer, request)
        target = resolve_org(request.user, data["target"], field="target")
        moved = services.merge_branches(actor=request.user, source=org, target=target, on=data.get("on"))
        return Response({"target": target.code, "moved_members": moved})

    @extend_schema(
        summary="Record an election (换届), or a 党工委's appointment: a new committee and its posts",
        parameters=[CODE_PARAM],
        request=ElectionSerializer,
        responses={201: CommitteeSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def elections(self, request: Request, code: str) -> Response:
        from jiceng.members.selectors import visible_members

        org = self.allowed(scope.CHANGE)
        data = validated(ElectionSerializer, request)
        ids = [p["member"] for p in data["posts"]]
        found = visible_members(request.user).in_bulk(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise ValidationError(
                {
                    "posts": ValidationError(
                        _("在您可以查看的党员中没有编号为%(id)s的党员"),
                        code="unknown_member",
                        params={"id": missing[0]},
                    )
                }
            )
        posts = [(found[p["member"]], p["post"]) for p in data["posts"]]
        committee = services.record_election(
            actor=request.user,
            org=org,
            elected_on=data["elected_on"],
            posts=posts,
            term_years=data.get("term_years"),
        )
        committee = (
            Committee.objects.filter(pk=committee.pk)
            .prefetch_related(Prefetch("posts", queryset=CommitteePost.objects.select_related("member")))
            .get()
        )
        return Response(CommitteeSerializer(committee).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record or clear the secretary of a branch without a committee",
        description="A branch of fewer than 7 full members may have no committee and only a secretary "
        "(支部条例). The secretary must be an active full member of the branch; a branch with a committee "
        "in office is refused (its secretary is elected: post an election). `member: null` clears it.",
        parameters=[CODE_PARAM],
        request=SecretarySerializer,
        responses={200: OrgDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def secretary(self, request: Request, code: str) -> Response:
        from jiceng.members.selectors import visible_members

        org = self.allowed(scope.CHANGE)
        data = validated(SecretarySerializer, request)
        member = None
        if data["member"] is not None:
            member = visible_members(request.user).filter(pk=data["member"]).first()
            if member is None:
                raise ValidationError(
                    {
                        "member": ValidationError(
                            _("在您可以查看的党员中没有编号为%(id)s的党员"),
                            code="unknown_member",
                            params={"id": data["member"]},
                        )
                    }
                )
        org = services.set_secretary(actor=request.user, org=org, member=member, since=data.get("since"))
        return self.detail_response(org)
