"""API of the stored compliance results.

- ``GET /api/v1/findings/?org=CODE&period=P[&rule=CODE]``: the findings of an organization's subtree
  for a period (scoped: 404 outside the caller's subtrees), each with exactly the command line's keys.
  Served from the stored evaluation exactly as the health-check page, never waiting for one: beside
  ``results`` the body says ``state`` (``fresh``, ``stale`` while a background refresh runs,
  ``computing`` when none is stored yet), ``as_of`` (time of the evaluation) and ``refreshing``.
  (Moved here from ``core.api_compliance``: core imports no domain app.)
- ``GET /api/v1/findings/no-records/?org=CODE&period=P``: the periods and state days of the subtree's
  organizations before their records_since (记录起始日期), status ``no_records``: not judged.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import compliance
from jiceng.core.api import Pagination, ScopedAPIMixin, error_responses
from jiceng.core.api_compliance import FindingSerializer, period_param
from jiceng.core.rulebook import BY_CODE
from jiceng.orgs import selectors as org_selectors

from . import selectors

ORG_CODE = re.compile(r"[0-9A-Za-z_-]{1,32}")


class NoRecordsSerializer(serializers.Serializer):
    org_code = serializers.CharField(help_text="组织编码")
    period = serializers.CharField(
        help_text="早于记录起始日期的期间 YYYY-MM、YYYY-Qn、YYYY，或状态日 YYYY-MM-DD"
    )
    status = serializers.CharField(help_text="no_records：系统中没有该期间的记录，不作判断")
    message = serializers.CharField(help_text="说明")

    def to_representation(self, instance: compliance.NoRecords) -> dict[str, Any]:
        return instance.as_json()


_ORG_PERIOD = [
    OpenApiParameter("org", str, required=True, description="组织编码（在调用者的范围内）"),
    OpenApiParameter("period", str, required=True, description="YYYY-MM、YYYY-Qn、YYYY 或 YYYY-MM-DD"),
]


class FindingViewSet(ScopedAPIMixin, viewsets.GenericViewSet):
    """合规问题: the findings of an organization's subtree for a period."""

    serializer_class = FindingSerializer
    pagination_class = Pagination
    filter_backends: list = []

    def _org(self, request: Request) -> Any:
        code = request.query_params.get("org")
        if not code:
            raise exceptions.ValidationError({"org": [_("请提供组织编码")]})
        if not ORG_CODE.fullmatch(code):
            raise exceptions.NotFound(_("未找到"))
        return org_selectors.get_org(request.user, code=code)

    @extend_schema(
        parameters=[
            *_ORG_PERIOD,
            OpenApiParameter("rule", str, required=False, description="只看这条规则"),
        ],
        responses={200: FindingSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def list(self, request: Request) -> Response:
        code = request.query_params.get("org")
        if not code:
            raise exceptions.ValidationError({"org": [_("请提供组织编码")]})
        period = period_param(request.query_params.get("period"))
        rule = request.query_params.get("rule") or ""
        if rule and rule not in BY_CODE:
            raise exceptions.ValidationError({"rule": [_("未知的规则编码")]})
        org = self._org(request)
        qs, freshness = selectors.served_findings(org, period)  # stored: never waits
        qs = qs.order_by("org_path", "rule", "period", "member", "subject", "id")
        if rule:
            qs = qs.filter(rule=rule)
        page = self.paginate_queryset(qs)
        response = self.get_paginated_response(
            self.get_serializer([f.as_finding() for f in page], many=True).data
        )
        response.data.update(freshness)  # state (fresh/stale/computing), as_of, refreshing
        return response

    @extend_schema(
        parameters=_ORG_PERIOD,
        responses={200: NoRecordsSerializer(many=True), **error_responses(400, 401, 404)},
    )
    @action(detail=False, methods=["get"], url_path="no-records", serializer_class=NoRecordsSerializer)
    def no_records(self, request: Request) -> Response:
        """The periods and state days before the organizations' records_since (记录起始日期): not
        judged, status ``no_records``."""
        if not request.query_params.get("org"):
            raise exceptions.ValidationError({"org": [_("请提供组织编码")]})
        period = period_param(request.query_params.get("period"))
        org = self._org(request)
        page = self.paginate_queryset(compliance.no_records(org, period))
        return self.get_paginated_response(NoRecordsSerializer(page, many=True).data)
