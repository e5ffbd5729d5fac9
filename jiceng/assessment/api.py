"""API of assessment (考核), under /api/v1/assessment/.

Thin: reads through ``assessment.selectors`` (404 outside the caller's scope), writes through
``assessment.services`` (403 where visible but not allowed); errors are ``{"code", "message",
"errors"}``. Serializer names start with ``Assessment`` (unique across the API's schema).

- ``assessment/indicators/`` GET the registered computed indicators (key, title, parameters).
- ``assessment/schemes/`` GET, POST (``owner`` code, ``name``, ``year``, ``org_kind``, ``definition``
  as the JSON tree or ``definition_text`` as the editor's text, ``grading``, ``rank_siblings``,
  ``no_data``); ``assessment/schemes/{id}/`` GET, PATCH (a new version);
  ``…/run/`` POST ``{"as_of"}`` → the run (201; ``status`` queued/running while the worker computes);
  ``…/panel-scores/`` GET, POST ``{"node_key", "org", "points", "justification"}``.
- ``assessment/runs/`` GET; ``assessment/runs/{id}/`` GET (status, progress, parameters);
  ``assessment/runs/{id}/results/?org=<code>`` GET the results the caller may see, under ``org``.
- ``assessment/results/{id}/`` GET one organization's score with every node's value and its trace.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import scope
from jiceng.core.api import ScopedAPIMixin, error_responses, parse_id
from jiceng.core.generic.api import ScopedViewSet
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import OrgKind

from . import definition, indicators, review, selectors, services
from .definition import TEXT_LENGTH
from .models import (
    AssessmentRun,
    EvaluationSource,
    NoData,
    OrgResult,
    PanelScore,
    ReviewRound,
    Scheme,
    SecretaryReport,
)

# ---- Serializers ------------------------------------------------------------------------------


class AssessmentIndicatorSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    params = serializers.DictField(
        child=serializers.DictField(), help_text="name → default, minimum, maximum"
    )


class AssessmentSchemeSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.code", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = Scheme
        fields = [
            "id",
            "owner",
            "owner_name",
            "name",
            "year",
            "org_kind",
            "version",
            "definition",
            "grading",
            "rank_siblings",
            "no_data",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AssessmentSchemeWriteSerializer(serializers.Serializer):
    owner = serializers.CharField(max_length=32, help_text="The committee's organization code (create only)")
    name = serializers.CharField(max_length=100)
    year = serializers.IntegerField(min_value=services.FIRST_YEAR, max_value=services.LAST_YEAR)
    org_kind = serializers.ChoiceField(choices=OrgKind.choices, default=OrgKind.BRANCH)
    definition = serializers.JSONField(required=False, help_text='{"total": "100", "indicators": [...]}')
    definition_text = serializers.CharField(
        required=False, max_length=TEXT_LENGTH, help_text="The editor's text, instead of definition"
    )
    grading = serializers.JSONField(required=False)
    rank_siblings = serializers.BooleanField(default=False)
    no_data = serializers.ChoiceField(choices=NoData.choices, default=NoData.RESCALE)


class AssessmentPanelScoreSerializer(serializers.ModelSerializer):
    org = serializers.CharField(source="org.code", read_only=True)
    org_name = serializers.CharField(source="org.name", read_only=True)

    class Meta:
        model = PanelScore
        fields = ["id", "node_key", "org", "org_name", "points", "justification", "scored_at"]
        read_only_fields = fields


class AssessmentPanelScoreWriteSerializer(serializers.Serializer):
    node_key = serializers.CharField(max_length=20)
    org = serializers.CharField(max_length=32)
    points = serializers.DecimalField(max_digits=7, decimal_places=2)
    justification = serializers.CharField(max_length=services.JUSTIFICATION_MAX)


class AssessmentRunSerializer(serializers.ModelSerializer):
    scheme_name = serializers.CharField(source="scheme.name", read_only=True)
    scheme_version = serializers.IntegerField(source="version.number", read_only=True)
    progress = serializers.IntegerField(read_only=True, help_text="percent of the steps done")
    # A plain string in the schema: another "status" enum would rename the members' one.
    status = serializers.CharField(read_only=True, help_text="queued, running, done or failed")

    class Meta:
        model = AssessmentRun
        fields = [
            "id",
            "scheme",
            "scheme_name",
            "scheme_version",
            "year",
            "as_of",
            "status",
            "steps",
            "steps_done",
            "progress",
            "params",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class AssessmentRunStartSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, allow_null=True)


class AssessmentResultSerializer(serializers.ModelSerializer):
    org = serializers.CharField(source="org.code", read_only=True)
    org_name = serializers.CharField(source="org.name", read_only=True)

    class Meta:
        model = OrgResult
        fields = ["id", "run", "org", "org_name", "score", "rank", "siblings", "grade"]
        read_only_fields = fields


class AssessmentResultDetailSerializer(AssessmentResultSerializer):
    trace = serializers.SerializerMethodField()

    class Meta(AssessmentResultSerializer.Meta):
        fields = [*AssessmentResultSerializer.Meta.fields, "values", "trace"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_trace(self, obj: OrgResult) -> dict[str, Any]:
        """Per leaf: the records listed now (``records``, ``more``), the run's ``count`` and ``id_sum``,
        and ``same`` (the records listed are those the run counted)."""
        return selectors.trace(obj)


# ---- Views ------------------------------------------------------------------------------------------

ORG = OpenApiParameter("org", OpenApiTypes.STR, description="组织编码：只列出该组织及其下级")


@extend_schema_view(
    list=extend_schema(
        summary="可用的计算指标",
        responses={200: AssessmentIndicatorSerializer(many=True), **error_responses(401)},
    )
)
class AssessmentIndicatorViewSet(ScopedAPIMixin, viewsets.ViewSet):
    def list(self, request: Request) -> Response:
        return Response(
            [
                {
                    "key": i.key,
                    "title": str(i.title),
                    "description": str(i.description),
                    "params": {
                        n: {"default": p.default, "minimum": p.minimum, "maximum": p.maximum}
                        for n, p in i.params.items()
                    },
                }
                for i in indicators.all_indicators()
            ]
        )


def _tree(data: dict[str, Any]) -> dict[str, Any] | None:
    if data.get("definition_text"):
        return definition.parse_text(data["definition_text"])
    if "definition" in data:
        return data["definition"]
    return None


@extend_schema_view(
    list=extend_schema(
        summary="考核方案", responses={200: AssessmentSchemeSerializer(many=True), **error_responses(401)}
    ),
    retrieve=extend_schema(
        summary="一个考核方案", responses={200: AssessmentSchemeSerializer, **error_responses(401, 404)}
    ),
    create=extend_schema(
        summary="制定考核方案",
        request=AssessmentSchemeWriteSerializer,
        responses={201: AssessmentSchemeSerializer, **error_responses(400, 401, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="修改考核方案（保存为新版本）",
        request=AssessmentSchemeWriteSerializer,
        responses={200: AssessmentSchemeSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class AssessmentSchemeViewSet(ScopedViewSet):
    serializer_class = AssessmentSchemeSerializer
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.schemes(self.request.user).order_by("-year", "owner_path", "id")

    def lookup(self, key: str) -> Scheme:
        return get_object_or_404(self.get_queryset(), pk=parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.ensure_anywhere(scope.MANAGE)
        code = str(request.data.get("owner") or "").strip()
        owner = org_selectors.get_org(request.user, code=code, action=scope.VIEW)
        data = self.body(AssessmentSchemeWriteSerializer)
        tree = _tree(data)
        if tree is None:
            raise serializers.ValidationError(
                {"definition": [_("请提供指标体系（definition 或 definition_text）")]}
            )
        scheme = services.create_scheme(
            actor=request.user,
            owner=owner,
            name=data["name"],
            year=data["year"],
            org_kind=data["org_kind"],
            tree=tree,
            grading=data.get("grading"),
            rank_siblings=data["rank_siblings"],
            no_data=data["no_data"],
        )
        return Response(self.get_serializer(scheme).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        scheme = self.allowed(scope.MANAGE)
        serializer = AssessmentSchemeWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        changes = {
            k: data[k]
            for k in ("name", "year", "org_kind", "grading", "rank_siblings", "no_data")
            if k in data
        }
        tree = _tree(data)
        if tree is not None:
            changes["tree"] = tree
        scheme = services.update_scheme(actor=request.user, scheme=scheme, **changes)
        return Response(self.get_serializer(scheme).data)

    @extend_schema(
        summary="运行考核",
        request=AssessmentRunStartSerializer,
        responses={201: AssessmentRunSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def run(self, request: Request, **kwargs: Any) -> Response:
        scheme = self.allowed(scope.MANAGE)
        data = self.body(AssessmentRunStartSerializer)
        run = services.start_run(actor=request.user, scheme=scheme, as_of=data.get("as_of"))
        return Response(AssessmentRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="评议得分",
        responses={200: AssessmentPanelScoreSerializer(many=True), **error_responses(401, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="评议打分",
        request=AssessmentPanelScoreWriteSerializer,
        responses={201: AssessmentPanelScoreSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get", "post"], url_path="panel-scores", filter_backends=[])
    def panel_scores(self, request: Request, **kwargs: Any) -> Response:
        if request.method == "GET":
            scheme = self.get_object()
            page = self.paginate_queryset(selectors.panel_scores(request.user, scheme))
            return self.get_paginated_response(AssessmentPanelScoreSerializer(page, many=True).data)
        scheme = self.allowed(scope.CHANGE)
        data = self.body(AssessmentPanelScoreWriteSerializer)
        org = org_selectors.get_org(request.user, code=data["org"].strip())
        score = services.score_by_panel(
            actor=request.user,
            scheme=scheme,
            node_key=data["node_key"],
            org=org,
            points=data["points"],
            justification=data["justification"],
        )
        return Response(AssessmentPanelScoreSerializer(score).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="考核运行", responses={200: AssessmentRunSerializer(many=True), **error_responses(401)}
    ),
    retrieve=extend_schema(
        summary="一次考核运行", responses={200: AssessmentRunSerializer, **error_responses(401, 404)}
    ),
)
class AssessmentRunViewSet(ScopedViewSet):
    serializer_class = AssessmentRunSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return selectors.runs(self.request.user)

    def lookup(self, key: str) -> AssessmentRun:
        return get_object_or_404(self.get_queryset(), pk=parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="考核结果（调用者可见的组织）",
        parameters=[ORG],
        responses={200: AssessmentResultSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def results(self, request: Request, **kwargs: Any) -> Response:
        run = self.get_object()
        code = request.query_params.get("org", "").strip()
        under = org_selectors.get_org(request.user, code=code) if code else None
        page = self.paginate_queryset(selectors.results(request.user, run, under=under))
        return self.get_paginated_response(AssessmentResultSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="考核得分（调用者可见的组织）",
        parameters=[OpenApiParameter("run", OpenApiTypes.INT, description="考核运行编号")],
        responses={200: AssessmentResultSerializer(many=True), **error_responses(401, 404)},
    ),
    retrieve=extend_schema(
        summary="一个组织的考核得分与依据",
        responses={200: AssessmentResultDetailSerializer, **error_responses(401, 404)},
    ),
)
class AssessmentResultViewSet(ScopedViewSet):
    serializer_class = AssessmentResultDetailSerializer
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> Any:
        qs = OrgResult.objects.restrict(self.request.user, scope.VIEW).select_related("org")
        run = self.request.query_params.get("run", "")
        if run:
            qs = qs.filter(run_id=parse_id(run))
        return qs.order_by("-run_id", "org_path")

    def lookup(self, key: str) -> OrgResult:
        return selectors.get_result(self.request.user, parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AssessmentResultSerializer(page, many=True).data)


# ---- 述职评议 -------------------------------------------------------------------------------------------


class AssessmentReviewRoundSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.code", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = ReviewRound
        fields = ["id", "owner", "owner_name", "year", "org_kind", "grades", "committee_weight", "created_at"]
        read_only_fields = fields


class AssessmentReviewRoundWriteSerializer(serializers.Serializer):
    owner = serializers.CharField(max_length=32)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    org_kind = serializers.ChoiceField(choices=OrgKind.choices, default=OrgKind.BRANCH)
    grades = serializers.JSONField(required=False, help_text='[{"label": "好", "points": 100}, …]')
    committee_weight = serializers.IntegerField(min_value=0, max_value=100, default=60)


class AssessmentReviewFactSerializer(serializers.Serializer):
    title = serializers.CharField()
    text = serializers.CharField()


class AssessmentReviewEvaluationSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="committee or member")
    grade = serializers.CharField()
    comment = serializers.CharField()


class AssessmentReviewPaperSerializer(serializers.Serializer):
    grade = serializers.CharField()
    count = serializers.IntegerField()
    entered_by = serializers.CharField(help_text="录入人")
    entered_at = serializers.DateTimeField()


class AssessmentReviewResultSerializer(serializers.Serializer):
    evaluations = AssessmentReviewEvaluationSerializer(many=True)
    paper = AssessmentReviewPaperSerializer(many=True, help_text="没有账号的党员的纸质评议票（按等次计数）")
    comment = serializers.CharField()
    combined = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    combined_grade = serializers.CharField()


class AssessmentReportSerializer(serializers.Serializer):
    """A report; ``result`` only for the higher committee and the secretary whose report it is."""

    id = serializers.IntegerField()
    round = serializers.IntegerField(source="round_id")
    org = serializers.CharField(source="org.code")
    org_name = serializers.CharField(source="org.name")
    secretary_name = serializers.CharField()
    facts = AssessmentReviewFactSerializer(many=True)
    text = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    result = serializers.SerializerMethodField()

    @extend_schema_field(AssessmentReviewResultSerializer(allow_null=True))
    def get_result(self, report: SecretaryReport) -> dict[str, Any] | None:
        if not review.sees_result(self.context["request"].user, report):
            return None
        return {
            "evaluations": [
                {"source": e.source, "grade": e.grade, "comment": e.comment}
                for e in report.evaluations.order_by("source", "at")
            ],
            "paper": [
                {
                    "grade": t.grade,
                    "count": t.count,
                    "entered_by": (t.entered_by.full_name or t.entered_by.username) if t.entered_by else "",
                    "entered_at": t.entered_at,
                }
                for t in report.paper_tallies.select_related("entered_by")
            ],
            "comment": report.comment,
            "combined": None if report.combined is None else str(report.combined),
            "combined_grade": report.combined_grade,
        }


class AssessmentReportWriteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=review.REPORT_MAX, allow_blank=True)
    submit = serializers.BooleanField(default=False)


class AssessmentReviewEvaluateSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=EvaluationSource.choices)
    grade = serializers.CharField(max_length=20)
    comment = serializers.CharField(max_length=500, allow_blank=True, default="")


class AssessmentReviewPaperWriteSerializer(serializers.Serializer):
    counts = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        help_text='每个等次的纸质评议票数，如 {"好": 5, "较好": 2}',
    )


class AssessmentReviewCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, allow_blank=True)


@extend_schema_view(
    list=extend_schema(
        summary="述职评议",
        responses={200: AssessmentReviewRoundSerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(
        summary="一次述职评议", responses={200: AssessmentReviewRoundSerializer, **error_responses(401, 404)}
    ),
    create=extend_schema(
        summary="开始述职评议",
        request=AssessmentReviewRoundWriteSerializer,
        responses={201: AssessmentReviewRoundSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class AssessmentReviewViewSet(ScopedViewSet):
    serializer_class = AssessmentReviewRoundSerializer
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return review.rounds(self.request.user)

    def lookup(self, key: str) -> ReviewRound:
        return review.get_round(self.request.user, parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.ensure_anywhere(scope.MANAGE)
        code = str(request.data.get("owner") or "").strip()
        owner = org_selectors.get_org(request.user, code=code)
        data = self.body(AssessmentReviewRoundWriteSerializer)
        rnd = review.open_round(
            actor=request.user,
            owner=owner,
            year=data["year"],
            org_kind=data["org_kind"],
            grades=data.get("grades"),
            committee_weight=data["committee_weight"],
        )
        return Response(self.get_serializer(rnd).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="述职报告（调用者可见的）",
        responses={200: AssessmentReportSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def reports(self, request: Request, **kwargs: Any) -> Response:
        rnd = self.get_object()
        page = self.paginate_queryset(review.reports(request.user, rnd).order_by("org_path"))
        return self.get_paginated_response(
            AssessmentReportSerializer(page, many=True, context=self.get_serializer_context()).data
        )


@extend_schema_view(
    retrieve=extend_schema(
        summary="一份述职报告", responses={200: AssessmentReportSerializer, **error_responses(401, 404)}
    ),
)
class AssessmentReportViewSet(ScopedViewSet):
    serializer_class = AssessmentReportSerializer
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return review.reports(self.request.user).order_by("-round_id", "org_path")

    def lookup(self, key: str) -> SecretaryReport:
        return review.get_report(self.request.user, parse_id(key))

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="填写或提交述职报告（书记）",
        request=AssessmentReportWriteSerializer,
        responses={200: AssessmentReportSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def write(self, request: Request, **kwargs: Any) -> Response:
        report = self.get_object()
        if not review.may_write(request.user, report):
            raise PermissionDenied(_("述职报告由本年度述职的书记本人撰写"))
        data = self.body(AssessmentReportWriteSerializer)
        review.write_report(actor=request.user, report=report, text=data["text"], submit=data["submit"])
        return Response(self.get_serializer(report).data)

    @extend_schema(
        summary="评议（上级党组织或本组织党员）",
        request=AssessmentReviewEvaluateSerializer,
        responses={200: AssessmentReportSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def evaluate(self, request: Request, **kwargs: Any) -> Response:
        report = self.get_object()
        data = self.body(AssessmentReviewEvaluateSerializer)
        review.evaluate(
            actor=request.user,
            report=report,
            source=data["source"],
            grade=data["grade"],
            comment=data["comment"],
        )
        report.refresh_from_db()
        return Response(self.get_serializer(report).data)

    @extend_schema(
        summary="录入纸质评议票（没有账号的党员，按等次计数）",
        request=AssessmentReviewPaperWriteSerializer,
        responses={200: AssessmentReportSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def paper(self, request: Request, **kwargs: Any) -> Response:
        report = self.get_object()
        if not review.may_enter_paper(request.user, report):
            raise PermissionDenied(_("纸质评议票由组织委员或上级党组织录入，述职书记本人不能录入"))
        data = self.body(AssessmentReviewPaperWriteSerializer)
        review.enter_paper(actor=request.user, report=report, counts=data["counts"])
        report.refresh_from_db()
        return Response(self.get_serializer(report).data)

    @extend_schema(
        summary="上级党组织意见",
        request=AssessmentReviewCommentSerializer,
        responses={200: AssessmentReportSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def comment(self, request: Request, **kwargs: Any) -> Response:
        report = self.get_object()
        review.ensure_may(request.user, report.round.owner_path)
        data = self.body(AssessmentReviewCommentSerializer)
        review.comment(actor=request.user, report=report, text=data["comment"])
        return Response(self.get_serializer(report).data)


ROUTES = [
    ("assessment/indicators", AssessmentIndicatorViewSet, "api-assessment-indicator"),
    ("assessment/schemes", AssessmentSchemeViewSet, "api-assessment-scheme"),
    ("assessment/runs", AssessmentRunViewSet, "api-assessment-run"),
    ("assessment/results", AssessmentResultViewSet, "api-assessment-result"),
    ("assessment/reviews", AssessmentReviewViewSet, "api-assessment-review"),
    ("assessment/reports", AssessmentReportViewSet, "api-assessment-report"),
]
