"""API: the status of one's own import job (what the page's progress bar shows), for scripts.

Route (in jiceng/api_urls.py): ``path("roster/imports/<uuid:job>/", ImportJobStatus.as_view())``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services


class ImportJobStatus(APIView):
    @extend_schema(
        responses=inline_serializer(
            "ImportJobStatus",
            {
                "uuid": serializers.UUIDField(),
                "status": serializers.CharField(),
                "rows": serializers.IntegerField(),
                "error_count": serializers.IntegerField(),
                "counts": serializers.JSONField(),
                "notices": serializers.ListField(child=serializers.CharField()),
                "progress": serializers.JSONField(allow_null=True),
            },
        )
    )
    def get(self, request: Request, job: Any) -> Response:
        found = selectors.get_job(request.user, job)  # 404 unless it is the caller's own job
        return Response(
            {
                "uuid": str(found.uuid),
                "status": found.status,
                "rows": found.rows,
                "error_count": found.error_count,
                "counts": found.counts,
                "notices": found.notices,
                "progress": services.read_progress(found) if found.is_active else None,
            }
        )
