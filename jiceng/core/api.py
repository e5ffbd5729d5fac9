"""What every API endpoint shares: pagination, JSON errors with a machine code, scoped viewsets."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


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
