"""API of tasks (任务督办) and responsibility lists (责任清单), under /api/v1/tasks/.

Thin: reads through ``tasks.selectors`` (404 outside the caller's scope), writes through
``tasks.services`` (403 where visible but not writable); errors are ``{"code", "message", "errors"}``.

Routes (registered in jiceng/api_urls.py):

- ``tasks/`` GET the tasks issued in the caller's scope, POST issue one; ``tasks/{id}/`` GET;
  ``tasks/{id}/completion/?org=<code>&status=late|open|answered`` the counts at a committee of the task
  tree and one level down; ``tasks/{id}/remind/`` POST 督办 the late ones under ``org``.
- ``tasks/assignments/`` GET the assignments in the caller's scope (``mine=true``: of the
  organizations the caller holds a role on; ``task=<id>``; ``open=true``); ``tasks/assignments/{id}/``
  GET; ``…/proposals/`` GET the records that fit; ``…/answer/`` POST ``{"record": id}`` (a task answered
  by a record) or ``text`` / ``number`` / ``file`` (multipart); ``…/pass-on/`` POST.
- ``tasks/responsibilities/?org=<code>&year=<yyyy>`` GET the lists of the subtree top-down, POST add
  an item; ``tasks/responsibilities/{item id}/`` DELETE an item.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import scope
from jiceng.core.api import MAX_ID, error_responses, parse_id
from jiceng.core.generic.api import ScopedViewSet
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Post, UnitKind

from . import selectors, services
from .models import Assignment, ResponsibilityItem, ResponsibilityList, Target, Task, TaskTally, answer_kinds

# ---- Serializers ------------------------------------------------------------------------------


class TaskSerializer(serializers.ModelSerializer):
    issuer = serializers.CharField(source="issuer.code", read_only=True)
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "issuer",
            "issuer_name",
            "parent",
            "root",
            "title",
            "instructions",
            "deadline",
            "issued_on",
            "target",
            "unit_kind",
            "answer_kind",
            "meeting_kind",
            "topic_keyword",
            "step_kind",
            "window_start",
            "window_end",
            "file_reason",
            "number_label",
            "assigned",
        ]
        read_only_fields = fields


class IssueSerializer(serializers.Serializer):
    issuer = serializers.CharField(max_length=32, help_text="下达组织的组织编码（党委、党工委或党总支）")
    title = serializers.CharField(max_length=200)
    instructions = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    deadline = serializers.DateField()
    target = serializers.ChoiceField(choices=Target.choices)
    unit_kind = serializers.ChoiceField(
        choices=UnitKind.choices, required=False, allow_blank=True, default=""
    )
    chosen = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list, max_length=100_000
    )
    # The record kinds registered by the apps (core.registry.task_record_kinds), then text, number, file.
    answer_kind = serializers.ChoiceField(choices=answer_kinds())
    meeting_kind = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    topic_keyword = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    step_kind = serializers.CharField(max_length=24, required=False, allow_blank=True, default="")
    window_start = serializers.DateField(required=False, allow_null=True, default=None)
    window_end = serializers.DateField(required=False, allow_null=True, default=None)
    file_reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    number_label = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class PassOnSerializer(serializers.Serializer):
    deadline = serializers.DateField(help_text="不晚于上级规定的期限")
    target = serializers.ChoiceField(choices=Target.choices)
    unit_kind = serializers.ChoiceField(
        choices=UnitKind.choices, required=False, allow_blank=True, default=""
    )
    chosen = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list, max_length=100_000
    )
    instructions = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class AnswerSerializer(serializers.Serializer):
    record = serializers.IntegerField(required=False, min_value=1, help_text="以记录作答：记录的编号")
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    number = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )
    file = serializers.FileField(required=False, allow_null=True, default=None, help_text="文档，不收照片")


class RemindSerializer(serializers.Serializer):
    org = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RemindedSerializer(serializers.Serializer):
    reminded = serializers.IntegerField()


class AssignmentSerializer(serializers.ModelSerializer):
    task_title = serializers.CharField(source="task.title", read_only=True)
    org = serializers.CharField(source="org.code", read_only=True)
    org_name = serializers.CharField(source="org.name", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "task",
            "root",
            "task_title",
            "org",
            "org_name",
            "relay",
            "deadline",
            "issued_on",
            "answered_on",
            "late",
            "status",
            "record_kind",
            "record_id",
            "record_label",
            "text",
            "number",
            "file_name",
        ]
        read_only_fields = fields

    def get_status(self, a: Assignment) -> str:
        """answered, late_answered, passed_on, late (open past the deadline) or open."""
        if a.answered_on:
            return "passed_on" if a.relay else ("late_answered" if a.late else "answered")
        return "late" if a.deadline < timezone.localdate() else "open"


class TaskWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="撤回原因（至少4个字）")


class TaskWithdrawalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    withdrawn_on = serializers.DateField()
    answered_on = serializers.DateField()
    record_label = serializers.CharField()
    text = serializers.CharField()
    number = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    file_name = serializers.CharField()


class ProposalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    day = serializers.DateField()
    label = serializers.CharField()


class TaskFiguresSerializer(serializers.Serializer):
    org = serializers.CharField()
    org_name = serializers.CharField()
    total = serializers.IntegerField(help_text="应完成的党支部")
    answered = serializers.IntegerField()
    answered_late = serializers.IntegerField()
    open = serializers.IntegerField()
    late = serializers.IntegerField(help_text="逾期未完成")
    relays = serializers.IntegerField(help_text="交由转办的组织")
    relays_passed = serializers.IntegerField()
    assignment = AssignmentSerializer(allow_null=True, help_text="本组织自己承办的（党支部或转办）")


class CompletionSerializer(serializers.Serializer):
    node = TaskFiguresSerializer()
    children = TaskFiguresSerializer(many=True)


def _figures(org: Any, tally: TaskTally | None, assignment: Assignment | None, today: Any) -> dict[str, Any]:
    a_open = assignment is not None and not assignment.relay
    return {
        "org": org.code,
        "org_name": org.name,
        "total": tally.total if tally else int(a_open),
        "answered": tally.answered if tally else int(a_open and assignment.answered_on is not None),
        "answered_late": tally.answered_late if tally else int(a_open and assignment.late),
        "open": tally.open if tally else int(a_open and assignment.answered_on is None),
        "late": tally.late_open(today)
        if tally
        else int(assignment is not None and assignment.overdue_on(today)),
        "relays": tally.relays if tally else 0,
        "relays_passed": tally.relays_passed if tally else 0,
        "assignment": AssignmentSerializer(assignment).data if assignment is not None else None,
    }


class ItemSerializer(serializers.ModelSerializer):
    carrier = serializers.CharField(source="carrier.code", read_only=True)
    carrier_name = serializers.CharField(source="carrier.name", read_only=True)

    class Meta:
        model = ResponsibilityItem
        fields = ["id", "position", "content", "carrier", "carrier_name", "post", "note"]
        read_only_fields = fields


class ResponsibilityListSerializer(serializers.ModelSerializer):
    org = serializers.CharField(source="org.code", read_only=True)
    org_name = serializers.CharField(source="org.name", read_only=True)
    items = ItemSerializer(many=True, read_only=True)

    class Meta:
        model = ResponsibilityList
        fields = ["id", "org", "org_name", "year", "items"]
        read_only_fields = fields


class ItemWriteSerializer(serializers.Serializer):
    org = serializers.CharField(max_length=32)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    content = serializers.CharField(max_length=300)
    carrier = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    post = serializers.ChoiceField(choices=Post.choices, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


# ---- Views ------------------------------------------------------------------------------------

ORG = OpenApiParameter("org", OpenApiTypes.STR, description="组织编码", required=False)
STATUS = OpenApiParameter("status", OpenApiTypes.STR, enum=["late", "open", "answered"], required=False)


def _org(request: Request, code: str, action_name: str = scope.VIEW) -> Any:
    if not code:
        raise serializers.ValidationError({"org": [_("请填写组织编码")]}, code="required")
    org = org_selectors.get_org(request.user, code=code)  # 404 outside the caller's scope
    scope.ensure(request.user, action_name, org.path)
    return org


@extend_schema_view(
    list=extend_schema(
        summary="下达的任务", responses={200: TaskSerializer(many=True), **error_responses(401)}
    ),
    retrieve=extend_schema(summary="一项任务", responses={200: TaskSerializer, **error_responses(401, 404)}),
    create=extend_schema(
        summary="下达任务",
        request=IssueSerializer,
        responses={201: TaskSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class TaskViewSet(ScopedViewSet):
    """Tasks issued by organizations in the caller's scope."""

    serializer_class = TaskSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return selectors.issued(self.request.user)

    def lookup(self, key: str) -> Task:
        return get_object_or_404(self.get_queryset(), pk=parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        issuer = _org(request, str(request.data.get("issuer") or "").strip(), scope.CHANGE)
        data = self.body(IssueSerializer)
        data.pop("issuer")
        task = services.issue_task(actor=request.user, issuer=issuer, **data)
        return Response(self.get_serializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="完成情况：某一级组织及其下一级",
        parameters=[ORG, STATUS],
        responses={200: CompletionSerializer, **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def completion(self, request: Request, **kwargs: Any) -> Response:
        task = self.get_object()
        status_ = request.query_params.get("status", "")
        done = selectors.completion(
            request.user,
            task,
            node_code=request.query_params.get("org", "").strip(),
            status=status_ if status_ in ("late", "open", "answered") else "",
        )
        own = Assignment.objects.filter(root_id=task.root_id, org=done.node).first()
        return Response(
            {
                "node": _figures(done.node, done.tally, own, done.today),
                "children": [_figures(r.org, r.tally, r.assignment, done.today) for r in done.rows],
            }
        )

    @extend_schema(
        summary="督办逾期未完成的组织",
        request=RemindSerializer,
        responses={200: RemindedSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def remind(self, request: Request, **kwargs: Any) -> Response:
        task = self.get_object()
        code = str(request.data.get("org") or "").strip()
        node = _org(request, code, scope.CHANGE) if code else task.issuer
        if not node.path.startswith(task.issuer_path):
            raise serializers.ValidationError({"org": [_("该组织不在任务的下达范围内")]}, code="outside")
        scope.ensure(request.user, scope.CHANGE, node.path)
        data = self.body(RemindSerializer)
        return Response(
            {"reminded": services.remind(actor=request.user, task=task, node=node, note=data["note"])}
        )


@extend_schema_view(
    list=extend_schema(
        summary="承办的任务",
        parameters=[
            OpenApiParameter("mine", OpenApiTypes.BOOL, description="只列本人任职组织承办的", required=False),
            OpenApiParameter("task", OpenApiTypes.INT, required=False),
            OpenApiParameter("open", OpenApiTypes.BOOL, required=False),
        ],
        responses={200: AssignmentSerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(
        summary="一项承办的任务", responses={200: AssignmentSerializer, **error_responses(401, 404)}
    ),
)
class AssignmentViewSet(ScopedViewSet):
    serializer_class = AssignmentSerializer
    lookup_value_regex = r"[0-9]+"
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    denied = gettext_lazy("您没有办理此任务的权限")

    def get_queryset(self) -> Any:
        user, q = self.request.user, self.request.query_params
        qs = selectors.inbox(user) if q.get("mine") in ("true", "1") else selectors.assignments(user)
        if q.get("task", ""):
            # An absurd number (or none) filters to nothing rather than reach the database.
            task = q["task"]
            ok = task.isascii() and task.isdigit() and len(task) <= 19 and 0 < int(task) <= MAX_ID
            qs = qs.filter(task_id=int(task)) if ok else qs.none()
        if q.get("open") in ("true", "1"):
            qs = qs.filter(answered_on__isnull=True)
        return qs.order_by("deadline", "org_path", "id") if q.get("mine") not in ("true", "1") else qs

    def lookup(self, key: str) -> Assignment:
        return get_object_or_404(selectors.assignments(self.request.user), pk=parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="符合任务要求的记录（确认其一即完成）",
        responses={200: ProposalSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def proposals(self, request: Request, **kwargs: Any) -> Response:
        a = self.get_object()
        rows = [{"id": p.pk, "kind": p.kind, "day": p.day, "label": p.label} for p in selectors.proposals(a)]
        return Response(ProposalSerializer(rows, many=True).data)

    @extend_schema(
        summary="完成任务：确认记录，或答复文字、数字、文件",
        request=AnswerSerializer,
        responses={200: AssignmentSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def answer(self, request: Request, **kwargs: Any) -> Response:
        a = self.allowed()
        data = self.body(AnswerSerializer)
        if a.task.by_record:
            if not data.get("record"):
                raise serializers.ValidationError({"record": [_("请选择符合要求的记录")]}, code="required")
            a = services.confirm_record(actor=request.user, assignment=a, record_id=data["record"])
        else:
            a = services.answer(
                actor=request.user, assignment=a, text=data["text"], number=data["number"], file=data["file"]
            )
        return Response(self.get_serializer(a).data)

    @extend_schema(
        summary="撤回答复（完成期限之前，须写明原因）",
        request=TaskWithdrawSerializer,
        responses={200: AssignmentSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def withdraw(self, request: Request, **kwargs: Any) -> Response:
        a = self.allowed()
        data = self.body(TaskWithdrawSerializer)
        services.withdraw(actor=request.user, assignment=a, reason=data["reason"])
        return Response(self.get_serializer(selectors.get_assignment(request.user, a.pk)).data)

    @extend_schema(
        summary="撤回过的答复",
        responses={200: TaskWithdrawalSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def withdrawals(self, request: Request, **kwargs: Any) -> Response:
        a = self.get_object()
        return Response(TaskWithdrawalSerializer(selectors.withdrawals_of(a), many=True).data)

    @extend_schema(
        summary="转办给下级组织",
        request=PassOnSerializer,
        responses={201: TaskSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="pass-on", filter_backends=[], pagination_class=None)
    def pass_on(self, request: Request, **kwargs: Any) -> Response:
        a = self.allowed()
        data = self.body(PassOnSerializer)
        task = services.pass_on(actor=request.user, assignment=a, **data)
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="责任清单（自上而下）",
        parameters=[ORG, OpenApiParameter("year", OpenApiTypes.INT, required=False)],
        responses={200: ResponsibilityListSerializer(many=True), **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="添加责任事项",
        request=ItemWriteSerializer,
        responses={201: ItemSerializer, **error_responses(400, 401, 403, 404)},
    ),
    destroy=extend_schema(summary="删除责任事项", responses={204: None, **error_responses(401, 403, 404)}),
)
class ResponsibilityViewSet(ScopedViewSet):
    serializer_class = ResponsibilityListSerializer
    lookup_value_regex = r"[0-9]+"
    pagination_class = None

    def _year(self) -> int:
        text = self.request.query_params.get("year", "")
        return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else timezone.localdate().year

    def get_queryset(self) -> Any:
        return ResponsibilityList.objects.none()

    def lookup(self, key: str) -> ResponsibilityItem:
        return selectors.get_responsibility_item(self.request.user, parse_id(key))

    def list(self, request: Request) -> Response:
        code = request.query_params.get("org", "").strip()
        if code:
            orgs = [org_selectors.get_org(request.user, code=code)]
        else:
            orgs = list(org_selectors.scope_roots(request.user))
        lists = [
            lst for org in orgs for lst in selectors.responsibility_lists(request.user, org, self._year())
        ]
        return Response(ResponsibilityListSerializer(lists, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org = _org(request, str(request.data.get("org") or "").strip(), scope.CHANGE)
        data = self.body(ItemWriteSerializer)
        carrier = None
        if data["carrier"]:
            carrier = org_selectors.get_org(request.user, code=data["carrier"])
        item = services.add_responsibility(
            actor=request.user,
            org=org,
            year=data["year"],
            content=data["content"],
            carrier=carrier,
            post=data["post"],
            note=data["note"],
        )
        return Response(ItemSerializer(item).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        scope.ensure(request.user, scope.CHANGE, item.list.org_path)
        services.remove_responsibility(actor=request.user, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [
    ("tasks/assignments", AssignmentViewSet, "api-task-assignment"),
    ("tasks/responsibilities", ResponsibilityViewSet, "api-responsibility"),
    ("tasks", TaskViewSet, "api-task"),
]
