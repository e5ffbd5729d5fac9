"""API of the compliance engine: findings of a subtree for a period, and the rule sets.

- ``GET /api/v1/findings/?org=CODE&period=P[&rule=CODE]``: the findings (scoped: 404 outside the
  caller's subtrees), each with exactly the command line's keys. Served from the stored evaluation
  exactly as the health-check page, never waiting for one: beside ``results`` the body says ``state``
  (``fresh``, ``stale`` while a background refresh runs, ``computing`` when none is stored yet),
  ``as_of`` (time of the evaluation) and ``refreshing``.
- ``GET /api/v1/rules/`` and ``GET /api/v1/rules/{code}/``: each rule with the parameters in force today
  (or on ``?day=YYYY-MM-DD``) and all its versions.
- ``POST /api/v1/rules/{code}/versions/``: a new parameter version (system administrators only; audited).

Wire into ``jiceng/api_urls.py`` with ``register(router)`` or the two ``router.register`` lines there.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from . import compliance, periods, rulesets
from .api import Pagination, ScopedAPIMixin, error_responses, validated
from .compliance import Finding
from .rulebook import BY_CODE

RULE_CODE = r"[a-z_]+\.[a-z0-9_]+"
ORG_CODE = re.compile(r"[0-9A-Za-z_-]{1,32}")


class FindingSerializer(serializers.Serializer):
    org_code = serializers.CharField(help_text="组织编码")
    rule = serializers.CharField(help_text="规则编码（RULES.md）")
    period = serializers.CharField(
        help_text="所涉期间：YYYY-MM、YYYY-Qn、YYYY，或状态规则、会议的日期 YYYY-MM-DD"
    )
    member = serializers.IntegerField(allow_null=True, help_text="党员主键（与人有关时），否则为 null")
    params = serializers.DictField(help_text="判断所用的参数值")
    citation = serializers.CharField(help_text="依据")
    message = serializers.CharField(help_text="说明")

    def to_representation(self, instance: Finding) -> dict[str, Any]:
        return instance.as_json()


class RuleVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    effective_from = serializers.DateField(help_text="生效日期")
    enabled = serializers.BooleanField(default=True, help_text="是否启用")
    params = serializers.DictField(required=False, default=dict, help_text="参数（未给出的沿用默认值）")
    citation = serializers.CharField(max_length=300, help_text="依据")
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="说明")
    created_at = serializers.DateTimeField(read_only=True)


class RuleSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    period = serializers.CharField(help_text="state、month、quarter、year 或 meeting")
    confidence = serializers.CharField(help_text="来源核对情况：V、V-c 或 U")
    enabled = serializers.BooleanField(help_text="在该日是否启用")
    params = serializers.DictField(help_text="在该日有效的参数")
    citation = serializers.CharField(help_text="在该日有效的依据")
    effective_from = serializers.DateField(
        allow_null=True, help_text="在该日有效的版本的生效日期；null 为系统默认"
    )
    defaults = serializers.DictField(help_text="系统默认参数")
    versions = RuleVersionSerializer(many=True)

    def to_representation(self, instance: rulesets.RuleState) -> dict[str, Any]:
        spec, p = instance.spec, instance.in_force
        return {
            "code": spec.code,
            "title": str(spec.title),
            "period": spec.period,
            "confidence": spec.confidence,
            "enabled": p.enabled,
            "params": p.values,
            "citation": p.citation,
            "effective_from": p.effective_from.isoformat() if p.effective_from else None,
            "defaults": spec.defaults,
            "versions": RuleVersionSerializer(instance.versions, many=True).data,
        }


def _period(value: str | None) -> periods.Period:
    if not value:
        raise exceptions.ValidationError({"period": [_("请提供期间")]})
    try:
        return compliance.parse_period(value)
    except periods.PeriodError as e:
        raise exceptions.ValidationError({"period": [str(e)]}) from e


class FindingViewSet(ScopedAPIMixin, viewsets.GenericViewSet):
    """合规问题: the findings of an organization's subtree for a period."""

    serializer_class = FindingSerializer
    pagination_class = Pagination
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("org", str, required=True, description="组织编码（在调用者的范围内）"),
            OpenApiParameter(
                "period", str, required=True, description="YYYY-MM、YYYY-Qn、YYYY 或 YYYY-MM-DD"
            ),
            OpenApiParameter("rule", str, required=False, description="只看这条规则"),
        ],
        responses={200: FindingSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def list(self, request: Request) -> Response:
        from jiceng.orgs import selectors as org_selectors
        from jiceng.reports import selectors as report_selectors

        code = request.query_params.get("org")
        if not code:
            raise exceptions.ValidationError({"org": [_("请提供组织编码")]})
        period = _period(request.query_params.get("period"))
        rule = request.query_params.get("rule") or ""
        if rule and rule not in BY_CODE:
            raise exceptions.ValidationError({"rule": [_("未知的规则编码")]})
        if not ORG_CODE.fullmatch(code):
            raise exceptions.NotFound(_("未找到"))
        org = org_selectors.get_org(request.user, code=code)
        qs, freshness = report_selectors.served_findings(org, period)  # stored: never waits
        qs = qs.order_by("org_path", "rule", "period", "member", "subject", "id")
        if rule:
            qs = qs.filter(rule=rule)
        page = self.paginate_queryset(qs)
        response = self.get_paginated_response(
            self.get_serializer([f.as_finding() for f in page], many=True).data
        )
        response.data.update(freshness)  # state (fresh/stale/computing), as_of, refreshing
        return response


class RuleViewSet(ScopedAPIMixin, viewsets.ViewSet):
    """规则参数: each rule with the parameters in force, its versions, and new versions."""

    lookup_field = "code"
    lookup_value_regex = RULE_CODE
    serializer_class = RuleSerializer

    def _day(self, request: Request) -> dt.date:
        value = request.query_params.get("day")
        if not value:
            return timezone.localdate()
        try:
            return dt.date.fromisoformat(value)
        except ValueError as e:
            raise exceptions.ValidationError({"day": [_("无效的日期：%(day)s") % {"day": value}]}) from e

    @extend_schema(
        parameters=[OpenApiParameter("day", OpenApiTypes.DATE, required=False, description="默认今天")],
        responses={200: RuleSerializer(many=True), **error_responses(400, 401)},
    )
    def list(self, request: Request) -> Response:
        return Response(RuleSerializer(rulesets.rules_in_force(day=self._day(request)), many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("day", OpenApiTypes.DATE, required=False, description="默认今天")],
        responses={200: RuleSerializer, **error_responses(400, 401, 404)},
    )
    def retrieve(self, request: Request, code: str) -> Response:
        state = rulesets.rule_in_force(code=code, day=self._day(request))
        if state is None:
            raise exceptions.NotFound(_("未知的规则编码"))
        return Response(RuleSerializer(state).data)

    @extend_schema(
        request=RuleVersionSerializer,
        responses={201: RuleVersionSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="versions")
    def versions(self, request: Request, code: str) -> Response:
        """A new parameter version from its effective date on (system administrators only)."""
        if code not in BY_CODE:
            raise exceptions.NotFound(_("未知的规则编码"))
        if not request.user.is_superuser:
            raise exceptions.PermissionDenied(_("只有系统管理员可以修改规则参数"))
        version = rulesets.add_rule_version(
            actor=request.user, code=code, **validated(RuleVersionSerializer, request)
        )
        return Response(RuleVersionSerializer(version).data, status=status.HTTP_201_CREATED)


def register(router: Any) -> None:
    """Add the compliance endpoints to the API's router (``jiceng/api_urls.py``)."""
    router.register("findings", FindingViewSet, basename="api-finding")
    router.register("rules", RuleViewSet, basename="api-rule")
