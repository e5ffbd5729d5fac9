"""The accounts endpoints of the REST API (/api/v1/accounts/…): the same services and scope as the
pages. An account outside the caller's manage subtree answers 404; an organization or member named in
a body that the caller may not manage is reported as unknown (400). One-time passwords and activation
codes appear in one answer only, with ``Cache-Control: no-store``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, permissions, serializers, status, views
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.access import client_ip
from jiceng.core.api import MAX_ID, Pagination, ScopedAPIMixin, error_responses, parse_id, validated
from jiceng.core.models import RoleAssignment, User
from jiceng.core.scope import Role
from jiceng.orgs.models import Organization

from . import selectors, services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TAGS = ["accounts"]

# Serializers ----------------------------------------------------------------------------------------


class RoleSerializer(serializers.ModelSerializer):
    org = serializers.CharField(source="org.code", read_only=True, help_text="Organization code")
    org_name = serializers.CharField(source="org.name", read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["id", "org", "org_name", "role", "granted_at"]
        read_only_fields = fields


class MemberRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    org = serializers.CharField(source="org.code", help_text="Code of the member's branch")


class UserSerializer(serializers.ModelSerializer):
    roles = RoleSerializer(source="role_assignments", many=True, read_only=True)
    member = serializers.SerializerMethodField()
    must_change_password = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "is_active",
            "last_login",
            "must_change_password",
            "member",
            "roles",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_must_change_password(self, user: User) -> bool:
        state = getattr(user, "account_state", None) if _has(user, "account_state") else None
        return bool(state and state.must_change_password)

    @extend_schema_field(MemberRefSerializer(allow_null=True))
    def get_member(self, user: User) -> dict[str, Any] | None:
        member = user.member if _has(user, "member") else None
        return MemberRefSerializer(member).data if member is not None else None


def _has(obj: Any, name: str) -> bool:
    try:
        return getattr(obj, name) is not None
    except Exception:  # noqa: BLE001  (a missing one-to-one row raises its own DoesNotExist)
        return False


class UserCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    full_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    org = serializers.CharField(max_length=32, help_text="Code of the organization the account belongs to")
    role = serializers.ChoiceField(
        choices=Role.choices, required=False, allow_null=True, help_text="Granted on org"
    )
    member = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text="Member id to link"
    )


class OneTimePasswordSerializer(serializers.Serializer):
    user = UserSerializer()
    one_time_password = serializers.CharField(help_text="Shown once; must be changed at the first sign-in")


class GrantSerializer(serializers.Serializer):
    org = serializers.CharField(max_length=32, help_text="Organization code")
    role = serializers.ChoiceField(choices=Role.choices)


class ActiveSerializer(serializers.Serializer):
    active = serializers.BooleanField()


class OrgCodeSerializer(serializers.Serializer):
    org = serializers.CharField(max_length=32, help_text="Code of the subtree's organization")


class SecretaryRowSerializer(serializers.Serializer):
    org = serializers.CharField(source="branch.code")
    org_name = serializers.CharField(source="branch.name")
    member = serializers.IntegerField(source="secretary.member_id", allow_null=True, default=None)
    name = serializers.CharField(source="secretary.name", allow_null=True, default=None)
    username = serializers.CharField(allow_blank=True)
    has_role = serializers.BooleanField()


class CodeRequestSerializer(serializers.Serializer):
    member = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Member id (or `development`)"
    )
    development = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Development file id, for an applicant without a member record (or `member`)",
    )

    def validate(self, attrs: dict) -> dict:
        if ("member" in attrs) == ("development" in attrs):
            raise serializers.ValidationError({"member": [_("请指定党员或发展党员档案之一")]}, code="one_of")
        return attrs


class CodeSerializer(serializers.Serializer):
    member = serializers.IntegerField(allow_null=True)
    development = serializers.IntegerField(allow_null=True)
    code = serializers.CharField(help_text="Shown once; single use")
    expires_at = serializers.DateTimeField()


class ActivateSerializer(serializers.Serializer):
    id_number = serializers.CharField(max_length=22)
    code = serializers.CharField(max_length=20)
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class NoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    org = serializers.CharField(source="org.code")
    org_name = serializers.CharField(source="org.name")
    kind = serializers.CharField()
    outgoing_name = serializers.CharField()
    incoming_name = serializers.CharField()
    incoming_username = serializers.CharField(source="incoming_user.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class DismissSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        help_text="All when absent",
    )


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


def _page_of(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The paginated answer's shape (``count``, ``next``, ``previous``, ``results``)."""
    fields = {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
    }
    return type(name, (serializers.Serializer,), fields)


UserPageSerializer = _page_of(UserSerializer, "PaginatedAccountList")
NoticePageSerializer = _page_of(NoticeSerializer, "PaginatedAccountNoticeList")


class TooManyAttempts(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_attempts"


# Helpers --------------------------------------------------------------------------------------------


def _org(user: User, code: str) -> Organization:
    org = selectors.grantable_orgs(user).filter(code=code).first()
    if org is None:
        raise ValidationError(
            {
                "org": ValidationError(
                    _("没有找到您可管理的组织编码%(code)s") % {"code": code}, code="unknown_org"
                )
            }
        )
    return org


def _user(request: Request, pk: Any) -> User:
    return selectors.get_user(request.user, parse_id(pk))


# Views ----------------------------------------------------------------------------------------------


class UserListView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="accounts_users_list",
        summary="Accounts the caller manages (their subtree)",
        parameters=[OpenApiParameter("q", str, description="Login name or name contains")],
        responses={200: UserPageSerializer, **error_responses(401)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        q = str(request.query_params.get("q", ""))[:100]
        page = paginator.paginate_queryset(selectors.visible_users(request.user, q=q), request, view=self)
        return paginator.get_paginated_response(UserSerializer(page, many=True).data)

    @extend_schema(
        operation_id="accounts_users_create",
        summary="Create an account with a one-time password",
        request=UserCreateSerializer,
        responses={201: OneTimePasswordSerializer, **error_responses(400, 401, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = validated(UserCreateSerializer, request)
        org = _org(request.user, data["org"])
        member = None
        if data.get("member"):
            member = selectors.members_without_account(request.user).filter(pk=data["member"]).first()
            if member is None:
                raise ValidationError({"member": ValidationError(_("没有找到该党员"), code="unknown_member")})
        user, password = services.create_user(
            actor=request.user,
            username=data["username"],
            full_name=data.get("full_name", ""),
            org=org,
            role=data.get("role") or None,
            member=member,
        )
        fresh = selectors.get_user(request.user, user.pk)
        response = Response(
            {"user": UserSerializer(fresh).data, "one_time_password": password},
            status=status.HTTP_201_CREATED,
        )
        response["Cache-Control"] = "no-store"
        return response


ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Account id")


class UserDetailView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="accounts_users_retrieve",
        summary="One account",
        parameters=[ID],
        responses={200: UserSerializer, **error_responses(401, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, pk: str) -> Response:
        return Response(UserSerializer(_user(request, pk)).data)


class RoleGrantView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="accounts_roles_create",
        summary="Grant a role (never wider than the caller's own manage subtree)",
        parameters=[ID],
        request=GrantSerializer,
        responses={201: UserSerializer, **error_responses(400, 401, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, pk: str) -> Response:
        user = _user(request, pk)
        data = validated(GrantSerializer, request)
        services.grant_role(
            actor=request.user, user=user, org=_org(request.user, data["org"]), role=data["role"]
        )
        return Response(
            UserSerializer(selectors.get_user(request.user, user.pk)).data, status=status.HTTP_201_CREATED
        )


class RoleWithdrawView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="accounts_roles_destroy",
        summary="Withdraw a role",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="Role assignment id")],
        responses={204: None, **error_responses(400, 401, 403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, pk: str) -> Response:
        assignment = RoleAssignment.objects.filter(pk=parse_id(pk)).first()
        if assignment is None:
            raise exceptions.NotFound(_("未找到"))
        selectors.get_user(request.user, assignment.user_id)
        services.withdraw_role(actor=request.user, assignment=assignment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResetPasswordView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="accounts_reset_password",
        summary="Reset to a one-time password (the account must change it at the next sign-in)",
        parameters=[ID],
        request=None,
        responses={200: OneTimePasswordSerializer, **error_responses(401, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, pk: str) -> Response:
        user = _user(request, pk)
        password = services.reset_password(actor=request.user, user=user)
        response = Response(
            {
                "user": UserSerializer(selectors.get_user(request.user, user.pk)).data,
                "one_time_password": password,
            }
        )
        response["Cache-Control"] = "no-store"
        return response


class ActiveView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="accounts_set_active",
        summary="Deactivate or reactivate an account",
        parameters=[ID],
        request=ActiveSerializer,
        responses={200: UserSerializer, **error_responses(400, 401, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, pk: str) -> Response:
        user = _user(request, pk)
        data = validated(ActiveSerializer, request)
        services.set_active(actor=request.user, user=user, active=data["active"])
        return Response(UserSerializer(selectors.get_user(request.user, user.pk)).data)


class SecretaryAccountsView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="accounts_secretaries_list",
        summary="The subtree's branches with their recorded secretary and account",
        parameters=[
            OpenApiParameter("org", str, required=True, description="Code of the subtree's organization")
        ],
        responses={200: SecretaryRowSerializer(many=True), **error_responses(400, 401, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        code = str(request.query_params.get("org", ""))[:32]
        if not code:
            raise ValidationError({"org": ValidationError(_("请填写组织编码"), code="required")})
        org = _org(request.user, code)
        return Response(
            SecretaryRowSerializer(selectors.secretary_overview(request.user, org), many=True).data
        )

    @extend_schema(
        operation_id="accounts_secretaries_create",
        summary="Accounts for every recorded secretary of the subtree without one; the answer is the xlsx "
        "of login names and one-time passwords (produced once)",
        request=OrgCodeSerializer,
        responses={
            (201, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The sheet of one-time passwords"),
            204: OpenApiResponse(description="No new account: missing secretary roles were granted"),
            **error_responses(400, 401, 403, 404),
        },
        tags=TAGS,
    )
    def post(self, request: Request) -> HttpResponse | Response:
        data = validated(OrgCodeSerializer, request)
        org = _org(request.user, data["org"])
        result = services.create_secretary_accounts(actor=request.user, org=org)
        if result.xlsx is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        response = HttpResponse(result.xlsx, content_type=XLSX, status=status.HTTP_201_CREATED)
        response["Content-Disposition"] = f'attachment; filename="secretary-accounts-{org.code}.xlsx"'
        response["Cache-Control"] = "no-store"
        return response


class ActivationCodeView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="accounts_activation_codes_create",
        summary="An activation code for a member, or an applicant's development file, without an account "
        "(shown once, 14 days, single use)",
        request=CodeRequestSerializer,
        responses={201: CodeSerializer, **error_responses(400, 401, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = validated(CodeRequestSerializer, request)
        if "development" in data:
            from jiceng.development.selectors import visible_files

            development = visible_files(request.user).filter(pk=data["development"]).first()
            if development is None:
                raise ValidationError(
                    {"development": ValidationError(_("没有找到该发展党员档案"), code="unknown_development")}
                )
            activation, code = services.issue_development_code(actor=request.user, development=development)
        else:
            member = selectors.members_without_account(request.user).filter(pk=data["member"]).first()
            if member is None:
                raise ValidationError(
                    {"member": ValidationError(_("没有找到尚无账号的该党员"), code="unknown_member")}
                )
            activation, code = services.issue_activation_code(actor=request.user, member=member)
        response = Response(
            {
                "member": activation.member_id,
                "development": activation.development_id,
                "code": code,
                "expires_at": activation.expires_at,
            },
            status=status.HTTP_201_CREATED,
        )
        response["Cache-Control"] = "no-store"
        return response


class ActivateView(views.APIView):
    """A member opens their own account (no authentication)."""

    authentication_classes = ()
    permission_classes = (permissions.AllowAny,)
    throttle_classes = ()

    @extend_schema(
        operation_id="accounts_activate",
        summary="Open one's own account (member or applicant) with the identity number and an activation code",
        auth=[],
        request=ActivateSerializer,
        responses={
            201: UserSerializer,
            400: error_responses(400)[400],
            429: OpenApiResponse(
                response=error_responses(401)[401].response, description="too_many_attempts"
            ),
        },
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = validated(ActivateSerializer, request)
        try:
            user = services.activate_account(
                id_number=data["id_number"],
                code=data["code"],
                username=data["username"],
                password=data["password"],
                ip_address=client_ip(request),
            )
        except services.ActivationRefused:
            raise TooManyAttempts(_("尝试次数过多，请稍后再试")) from None
        return Response(UserSerializer(User.objects.get(pk=user.pk)).data, status=status.HTTP_201_CREATED)


class NoticeListView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="accounts_notices_list",
        summary="Open notices for the caller's subtree (secretary changes)",
        responses={200: NoticePageSerializer, **error_responses(401)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.open_notices(request.user), request, view=self)
        return paginator.get_paginated_response(NoticeSerializer(page, many=True).data)


class NoticeDismissView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="accounts_notices_dismiss",
        summary="Mark notices as read",
        request=DismissSerializer,
        responses={200: CountSerializer, **error_responses(400, 401)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = validated(DismissSerializer, request)
        count = services.dismiss_notices(actor=request.user, notice_ids=data.get("ids"))
        return Response({"count": count})


URLS = [
    path("accounts/users/", UserListView.as_view(), name="api-accounts-users"),
    path("accounts/users/<str:pk>/", UserDetailView.as_view(), name="api-accounts-user"),
    path("accounts/users/<str:pk>/roles/", RoleGrantView.as_view(), name="api-accounts-grant"),
    path("accounts/users/<str:pk>/reset-password/", ResetPasswordView.as_view(), name="api-accounts-reset"),
    path("accounts/users/<str:pk>/active/", ActiveView.as_view(), name="api-accounts-active"),
    path("accounts/roles/<str:pk>/", RoleWithdrawView.as_view(), name="api-accounts-role"),
    path("accounts/secretaries/", SecretaryAccountsView.as_view(), name="api-accounts-secretaries"),
    path("accounts/activation-codes/", ActivationCodeView.as_view(), name="api-accounts-codes"),
    path("accounts/activate/", ActivateView.as_view(), name="api-accounts-activate"),
    path("accounts/notices/", NoticeListView.as_view(), name="api-accounts-notices"),
    path("accounts/notices/dismiss/", NoticeDismissView.as_view(), name="api-accounts-dismiss"),
]
