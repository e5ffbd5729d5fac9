"""What every API endpoint shares: pagination, JSON errors with a machine code, scoped viewsets."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse
from rest_framework import authentication, exceptions, pagination, permissions, serializers, status, views
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from . import tokens
from .concurrency import StaleWrite


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def validation_detail(error: DjangoValidationError) -> dict[str, list[dict[str, str]]]:
    """Field → [{code, message}], from a Django ValidationError raised by a service."""
    if hasattr(error, "error_dict"):
        items = error.error_dict.items()
    else:
        items = [("non_field_errors", error.error_list)]
    out: dict[str, list[dict[str, str]]] = {}
    for field, errors in items:
        for e in errors:
            message = e.message % e.params if e.params else e.message
            out.setdefault(field, []).append({"code": e.code or "invalid", "message": str(message)})
    return out


def _drf_detail(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {k: _drf_detail(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_drf_detail(v) for v in detail]
    if isinstance(detail, exceptions.ErrorDetail):
        return {"code": detail.code, "message": str(detail)}
    return detail


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error as ``{"code": ..., "message": ..., "errors": {...}}`` with a Chinese message."""
    if isinstance(exc, StaleWrite):
        # The record changed after the version (If-Match) the client sent: 412, with the changes it
        # did not see.
        return Response(
            {"code": "stale", "message": exc.messages[0], "changes": exc.changes},
            status=status.HTTP_412_PRECONDITION_FAILED,
        )
    if isinstance(exc, DjangoValidationError):
        return Response(
            {"code": "invalid", "message": _("提交的数据有误"), "errors": validation_detail(exc)},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("未找到"))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or _("您没有执行此操作的权限"))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"code": "invalid", "message": _("提交的数据有误"), "errors": _drf_detail(exc.detail)}
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        response.data = {"code": code, "message": str(detail)}
    return response


# Shared by every viewset ----------------------------------------------------------------------------


class LockedOut(exceptions.APIException):
    """Too many failed sign-ins for this user name from this address (django-axes)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = gettext_lazy("登录失败次数过多，账号已被暂时锁定，请稍后再试")


class ScopedAPIMixin:
    """Authentication and permissions every endpoint shares; reads come from scoped selectors.

    Token authentication is tried first so that a request without credentials answers 401 with a
    ``WWW-Authenticate: Token`` challenge (DRF takes the challenge from the first class). Session
    authentication keeps its CSRF check for unsafe methods.
    """

    authentication_classes = (tokens.TokenAuthentication, authentication.SessionAuthentication)
    permission_classes = (permissions.IsAuthenticated,)


def validated(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The request body checked for types and shape only (400 when it is not); rules are the services'."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


MAX_ID = 2**63 - 1


def parse_id(value: object) -> int:
    """A primary key from the URL, or 404: never let an absurd number reach the database."""
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) > 19 or not 0 < int(text) <= MAX_ID:
        raise Http404
    return int(text)


# Schema documentation of the error bodies ----------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="not_found, permission_denied, not_authenticated, ...")
    message = serializers.CharField()


class ValidationErrorSerializer(ErrorSerializer):
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text=(
            "Field name → list of {code, message}. A list of objects in the body (an election's posts) "
            "gives, for each failing item, its index → the same shape. Absent when the body could not "
            "be parsed at all."
        ),
    )


_ERROR_DESCRIPTIONS = {
    400: ("invalid: the request breaks a rule; errors by field", ValidationErrorSerializer),
    401: ("not_authenticated: no or invalid credentials", ErrorSerializer),
    403: ("permission_denied: visible, but the action is not granted (or CSRF failed)", ErrorSerializer),
    404: ("not_found: does not exist, or lies outside the caller's scope", ErrorSerializer),
    429: ("locked_out: too many failed sign-ins", ErrorSerializer),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Documented error responses, to merge into ``@extend_schema(responses=...)``."""
    return {
        code: OpenApiResponse(response=_ERROR_DESCRIPTIONS[code][1], description=_ERROR_DESCRIPTIONS[code][0])
        for code in codes
    }


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown URLs under the API answer JSON like every other API error."""
    return JsonResponse({"code": "not_found", "message": _("未找到")}, status=404)


# Tokens ---------------------------------------------------------------------------------------------


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    otp_token = serializers.CharField(
        max_length=8,
        required=False,
        allow_blank=True,
        help_text="Current TOTP code; required only for accounts with two-step verification enabled",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text='Send as the header "Authorization: Token <token>"; shown once, stored only hashed'
    )
    expires_at = serializers.DateTimeField(help_text="The token stops working then (API_TOKEN_DAYS)")


def _invalid_credentials() -> DjangoValidationError:
    return DjangoValidationError(
        {"non_field_errors": DjangoValidationError(_("用户名或密码不正确"), code="invalid_credentials")}
    )


def _verify_otp(user: Any, code: str) -> bool:
    """The code against the user's confirmed device, as the sign-in page checks it (row locked
    against replay, django-otp's throttling applies)."""
    from django_otp import devices_for_user

    with transaction.atomic():
        device = next(iter(devices_for_user(user, confirmed=True, for_verify=True)), None)
        return device is not None and bool(device.verify_token(code))


class TokenView(views.APIView):
    """API tokens: exchange a user name and password for a token, or revoke the caller's token.

    Sign-in goes through ``django.contrib.auth.authenticate`` with the request, so django-axes locks
    a user name out after repeated failures (the lockout answers 429 JSON here) and each failure is
    written to the change record like a failed page sign-in. Accounts with two-step verification
    must send the current TOTP code as well, as on the sign-in page.

    Its OpenAPI description is attached in jiceng/api_urls.py: DRF imports this module for
    DEFAULT_PAGINATION_CLASS while loading its generic views, and ``@extend_schema`` here would
    import drf-spectacular's AutoSchema, which needs those generic views (an import cycle).
    """

    authentication_classes = (tokens.TokenAuthentication, authentication.SessionAuthentication)
    throttle_classes = ()

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_authenticators(self) -> list[Any]:
        # Obtaining a token needs no prior authentication (and a stale token must not block it).
        if self.request is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def post(self, request: Request) -> Response:
        # Imported here: DRF imports this module early (for its settings), before the apps are ready.
        from django_otp import user_has_device

        from .access import totp_required

        data = CredentialsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        http_request = request._request
        user = authenticate(
            http_request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if getattr(http_request, "axes_locked_out", False):
            # Answer in JSON here rather than let the axes middleware render its HTML lockout page.
            http_request.axes_locked_out = False
            raise LockedOut()
        if user is None:
            raise _invalid_credentials()
        if totp_required(user) and not user_has_device(user, confirmed=True):
            # A token must not be a way around the second factor the pages require.
            raise DjangoValidationError(
                {
                    "otp_token": DjangoValidationError(
                        _("此账号须先在网页上启用两步验证，才能获取API令牌"), code="two_factor_required"
                    )
                }
            )
        if user_has_device(user, confirmed=True):
            code = data.validated_data.get("otp_token", "").strip()
            if not code:
                raise DjangoValidationError(
                    {
                        "otp_token": DjangoValidationError(
                            _("此账号已启用两步验证，请提供动态验证码"), code="required"
                        )
                    }
                )
            if not _verify_otp(user, code):
                user_login_failed.send(
                    sender=__name__, credentials={"username": user.get_username()}, request=http_request
                )
                raise DjangoValidationError(
                    {"otp_token": DjangoValidationError(_("动态验证码不正确或已过期"), code="invalid_token")}
                )
        token, key = tokens.issue(user=user)
        # Record the sign-in like a page sign-in: the change record, last_login, axes resets its count.
        user_logged_in.send(sender=user.__class__, request=http_request, user=user)
        response = Response({"token": key, "expires_at": token.expires_at})
        response["Cache-Control"] = "no-store"
        return response

    def delete(self, request: Request) -> Response:
        """Revoke the token this call is made with; called with a session, every token of the user."""
        from .models import ApiToken

        if isinstance(request.auth, ApiToken):
            tokens.revoke(actor=request.user, token=request.auth)
        else:
            tokens.revoke_all(user=request.user, reason=_("用户撤销"))
        return Response(status=status.HTTP_204_NO_CONTENT)
