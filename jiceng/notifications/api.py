"""The notifications endpoints of the REST API (/api/v1/notifications/…): the caller's own inbox, its
unread count, marking read, and the caller's choices. Nobody reads or marks anyone else's."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, views
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import MAX_ID, Pagination, ScopedAPIMixin, error_responses, validated

from . import channels, selectors, services
from .models import Channel, Notification

TAGS = ["notifications"]


class NotificationSerializer(serializers.ModelSerializer):
    org = serializers.CharField(source="org.code", read_only=True, allow_null=True, default=None)
    unread = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "event_key", "title", "text", "link", "org", "created_at", "read_at", "unread"]
        read_only_fields = fields


class NotificationPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = NotificationSerializer(many=True)


class UnreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=500,
        help_text="Notifications to mark read (the caller's own; others are ignored)",
    )
    all = serializers.BooleanField(required=False, default=False, help_text="Mark every unread one read")


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread = serializers.IntegerField()


class PreferenceSerializer(serializers.Serializer):
    event = serializers.CharField(max_length=64, help_text="Event type key")
    channel = serializers.ChoiceField(choices=Channel.choices)
    enabled = serializers.BooleanField()


class PreferenceRowSerializer(serializers.Serializer):
    event = serializers.CharField()
    title = serializers.CharField()
    channels = serializers.DictField(child=serializers.BooleanField())


class PreferencesSerializer(serializers.Serializer):
    channels = serializers.ListField(child=serializers.CharField(), help_text="Channels offered here")
    events = PreferenceRowSerializer(many=True)


class PreferencesUpdateSerializer(serializers.Serializer):
    preferences = PreferenceSerializer(many=True, max_length=200)


class NotificationListView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="notifications_list",
        summary="The caller's notifications, newest first",
        parameters=[OpenApiParameter("unread", bool, description="Only unread ones")],
        responses={200: NotificationPageSerializer, **error_responses(401)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        unread_only = str(request.query_params.get("unread", "")).lower() in ("1", "true", "yes")
        paginator = Pagination()
        qs = selectors.inbox(request.user, unread_only=unread_only).select_related("org")
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)


class UnreadCountView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="notifications_unread_count",
        summary="How many of the caller's notifications are unread",
        responses={200: UnreadSerializer, **error_responses(401)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        return Response({"unread": services.unread_count(request.user)})


class MarkReadView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="notifications_mark_read",
        summary="Mark the caller's notifications read (some, or all)",
        request=MarkReadSerializer,
        responses={200: MarkedSerializer, **error_responses(400, 401)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = validated(MarkReadSerializer, request)
        if data.get("all"):
            marked = services.mark_all_read(user=request.user)
        elif data.get("ids"):
            marked = services.mark_read(user=request.user, notification_ids=data["ids"])
        else:
            raise ValidationError({"ids": ValidationError("ids or all is required", code="required")})
        return Response({"marked": marked, "unread": services.unread_count(request.user)})


def _preferences(request: Request) -> dict:
    return {
        "channels": list(channels.available()),
        "events": [
            {"event": r.event_type.key, "title": str(r.event_type.title), "channels": dict(r.cells)}
            for r in selectors.preferences(request.user)
        ],
    }


class PreferencesView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="notifications_preferences",
        summary="The caller's choice per event type and channel",
        responses={200: PreferencesSerializer, **error_responses(401)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        return Response(_preferences(request))

    @extend_schema(
        operation_id="notifications_preferences_update",
        summary="Change some of the caller's choices",
        request=PreferencesUpdateSerializer,
        responses={200: PreferencesSerializer, **error_responses(400, 401)},
        tags=TAGS,
    )
    def put(self, request: Request) -> Response:
        data = validated(PreferencesUpdateSerializer, request)
        services.set_preferences(
            user=request.user,
            choices={(p["event"], p["channel"]): p["enabled"] for p in data["preferences"]},
        )
        return Response(_preferences(request))


URLS = [
    path("notifications/", NotificationListView.as_view(), name="api-notification-list"),
    path("notifications/unread-count/", UnreadCountView.as_view(), name="api-notification-unread"),
    path("notifications/read/", MarkReadView.as_view(), name="api-notification-read"),
    path("notifications/preferences/", PreferencesView.as_view(), name="api-notification-preferences"),
]
