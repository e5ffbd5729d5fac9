"""/api/v1/me/sections/: the caller's own records, section by section, as on their home page (我的).

The sections are the apps' (``registry.home_sections`` with ``audience=OWN``): each ``data(user)`` reads
only the caller's own records, so there is nothing to scope beyond the caller. A section with nothing to
show is left out of the list and answers 404 on its own URL, as an unknown key does.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, views
from rest_framework.request import Request
from rest_framework.response import Response

from . import registry
from .api import ScopedAPIMixin, error_responses


class OwnSectionSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The section's key, e.g. `life.attendance`")
    title = serializers.CharField()
    data = serializers.JSONField(help_text="The section's content; its shape is the section's")


def _sections(user: Any) -> list[dict[str, Any]]:
    out = []
    for section in registry.home_sections:
        if section.audience != registry.OWN or section.data is None:
            continue
        data = section.data(user)
        if data is not None:
            out.append({"key": section.key, "title": str(section.title), "data": data})
    return out


class OwnSectionsView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="me_sections_list",
        summary="The caller's own records, by section (record, meetings, development file …)",
        responses={200: OwnSectionSerializer(many=True), **error_responses(401)},
        tags=["members"],
    )
    def get(self, request: Request) -> Response:
        return Response(_sections(request.user))


class OwnSectionView(ScopedAPIMixin, views.APIView):
    @extend_schema(
        operation_id="me_sections_retrieve",
        summary="One section of the caller's own records",
        parameters=[OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: OwnSectionSerializer, **error_responses(401, 404)},
        tags=["members"],
    )
    def get(self, request: Request, key: str) -> Response:
        if key not in registry.home_sections or registry.home_sections[key].audience != registry.OWN:
            raise Http404
        found = [s for s in _sections(request.user) if s["key"] == key]
        if not found:
            raise Http404
        return Response(found[0])
