"""The generic scoped API viewset: what every app's endpoints share (NetBox's ``NetBoxModelViewSet``).

A viewset names the app's selector lookup (``lookup``), its list queryset and serializers; this base
answers the list (filtered, paginated), the object (404 outside the caller's scope), ``allowed`` (403
when visible without the action, before the body is read), the fresh detail after a write, and the
change records (``history_action``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import concurrency, scope
from jiceng.core.api import ScopedAPIMixin, error_responses
from jiceng.core.models import DIFF_HIDDEN, DIFF_LABELS, ObjectChange
from jiceng.core.selectors import history_for

from .views import ensure_allowed


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField(help_text="The field's name for people")
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class ObjectChangeSerializer(serializers.ModelSerializer):
    """One change record. Snapshots never hold secrets (the models' ``audit_exclude``)."""

    user = serializers.CharField(source="user_name", read_only=True)
    changes = serializers.SerializerMethodField()

    class Meta:
        model = ObjectChange
        fields = ["id", "time", "action", "user", "request_id", "source", "object_repr", "message", "changes"]
        read_only_fields = fields

    @extend_schema_field(ChangeSerializer(many=True))
    def get_changes(self, change: ObjectChange) -> list[dict[str, Any]]:
        """Changed fields with their raw values, minus tree bookkeeping (as the history tab shows them)."""
        model = (
            ContentType.objects.get_for_id(change.content_type_id).model_class()
            if change.content_type_id
            else None
        )
        rows = []
        for name, before, after in change.diff():
            label: object = DIFF_LABELS.get(name, name)
            try:
                field = model._meta.get_field(name) if model is not None else None
            except FieldDoesNotExist:
                field = None
            if field is not None:
                if name in DIFF_HIDDEN or getattr(field, "primary_key", False) or not field.editable:
                    continue
                label = getattr(field, "verbose_name", label)
            rows.append({"field": name, "label": str(label), "before": before, "after": after})
        return rows


def with_etag(response: Response, obj: Any) -> Response:
    """``ETag``: the record's version (``core.concurrency``); an update sent with ``If-Match`` set to
    it is refused (412 ``stale``) when someone changed the record since."""
    response["ETag"] = f'"{concurrency.version_of(obj)}"'
    return response


class ScopedViewSet(ScopedAPIMixin, viewsets.GenericViewSet):
    """Endpoints over one kind of scoped object.

    ``lookup(key)`` is the app's selector for one object (404 outside the scope); ``get_queryset`` the
    list's. ``detail_serializer_class`` (default ``serializer_class``) answers one object.
    """

    denied: ClassVar[Any] = None  # the 403's message; a generic one when None
    detail_serializer_class: ClassVar[type[serializers.BaseSerializer] | None] = None

    def lookup(self, key: str) -> Any:
        raise NotImplementedError

    def get_object(self) -> Any:
        return self.lookup(self.kwargs[self.lookup_url_kwarg or self.lookup_field])

    def allowed(self, action_name: str = scope.CHANGE) -> Any:
        """The object of the URL: 404 outside the scope, 403 when visible without ``action_name``."""
        obj = self.get_object()
        ensure_allowed(self.request.user, action_name, obj, str(self.denied) if self.denied else None)
        return obj

    def ensure_anywhere(self, action_name: str = scope.CHANGE, denied: Any = None) -> None:
        """403 for a caller who holds ``action_name`` nowhere (a create, before the body is read)."""
        if not scope.paths_for(self.request.user, action_name):
            raise PermissionDenied(str(denied) if denied else _("您没有执行此操作的权限"))

    def body(
        self, serializer_class: type[serializers.Serializer], *, partial: bool = False
    ) -> dict[str, Any]:
        """The request body checked for types and shape only (400 when it is not)."""
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def if_match(self) -> str | None:
        """The version named by the request's ``If-Match`` header (an ETag of a detail answer), for an
        update service's ``version=``; None without the header."""
        header = (self.request.headers.get("If-Match") or "").strip()
        if not header or header == "*":
            return None
        return header.removeprefix("W/").strip('"')

    def detail_data(self, obj: Any) -> Any:
        serializer = self.detail_serializer_class or self.get_serializer_class()
        return serializer(obj, context=self.get_serializer_context()).data

    def detail_response(self, obj: Any, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The object as the caller now sees it, read again after a write (as written, should the write
        have taken it out of the caller's sight)."""
        try:
            fresh = self.lookup(str(getattr(obj, self.lookup_field)))
        except Http404:
            fresh = obj
        return with_etag(Response(self.detail_data(fresh), status=status_code), fresh)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        serializer = self.get_serializer_class()
        return self.get_paginated_response(
            serializer(page, many=True, context=self.get_serializer_context()).data
        )


class RevealedSerializer(serializers.Serializer):
    id_number = serializers.CharField(help_text="The full identity number; the reveal is audited")


def reveal_action(*, parameters: list[Any], reveal: Callable[[Any, Any], str]) -> Callable[..., Response]:
    """A ``reveal-id/`` endpoint for a ``ScopedViewSet``: ``reveal(user, obj)`` is the app's service
    (it checks the right and audits the reveal); the answer may not be cached."""

    @extend_schema(
        summary="Reveal the full identity number (audited)",
        parameters=parameters,
        request=None,
        responses={200: RevealedSerializer, **error_responses(401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="reveal-id", filter_backends=[], pagination_class=None)
    def reveal_id(self: ScopedViewSet, request: Request, **kwargs: Any) -> Response:
        response = Response({"id_number": reveal(request.user, self.get_object())})
        response["Cache-Control"] = "no-store"
        return response

    return reveal_id


def history_action(*, summary: str, parameters: list[Any]) -> Callable[..., Response]:
    """A ``history/`` endpoint for a ``ScopedViewSet``: the object's change records, paginated."""

    @extend_schema(
        summary=summary,
        parameters=parameters,
        responses={200: ObjectChangeSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self: ScopedViewSet, request: Request, **kwargs: Any) -> Response:
        page = self.paginate_queryset(history_for(request.user, self.get_object()))
        return self.get_paginated_response(ObjectChangeSerializer(page, many=True).data)

    return history
