"""The member development endpoints of the REST API (/api/v1/development/).

Thin handlers: reads from development.selectors restricted to the caller, writes through
development.services. Every step is its own endpoint, ``POST development/{id}/steps/{kind}/``, with a
request body that lists exactly the evidence ``development.rules.STEP_FIELDS`` names for that kind,
so the OpenAPI schema shows what each step records.

Answers:

- a step (or an application) a rule of RULES.md §4 does not allow: **422** with the first refusal's
  ``rule``, ``message``, ``earliest``, ``citation`` and ``field``, and ``refusals`` (all of them);
- bad input that is not a rule's business: 400 ``{"code", "message", "errors"}`` as everywhere;
- a file outside the caller's scope: 404; visible but not changeable: 403, before the body is read.

Members named as mentors or sponsors (``people``) and a linked meeting (``meeting``) are looked up
among those the caller may see: one outside the scope reads exactly like one that does not exist. A
sponsor may belong to another branch, as long as the caller can see them.
"""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import scope
from jiceng.core.api import MAX_ID, error_responses, parse_id
from jiceng.core.api_compliance import FindingSerializer
from jiceng.core.generic.api import ScopedViewSet, reveal_action, with_etag
from jiceng.core.models import User
from jiceng.life import selectors as life_selectors
from jiceng.life.models import Meeting
from jiceng.members.models import Member
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.api import resolve_org
from jiceng.orgs.filters import OrgCodeFilter
from jiceng.orgs.models import Organization

from . import rules, selectors, services
from .models import OPEN_STAGES, Development, Recommendation, Stage, Step, StepKind

ORG_CODE = re.compile(r"[0-9A-Za-z_-]{1,32}")

# Every kind but the application, which is the file's creation (POST development/).
STEP_KINDS: tuple[str, ...] = tuple(k.value for k in StepKind if k != StepKind.APPLICATION)

# The rules of RULES.md §4 that judge each kind (the API's documentation of each step endpoint).
RULES_OF_KIND: dict[str, tuple[str, ...]] = {
    StepKind.ACTIVIST: ("dev.activist_recorded",),
    StepKind.MENTORS: ("dev.mentors",),
    StepKind.NOTICE: ("dev.public_notice",),
    StepKind.CANDIDATE: ("dev.activist_min_period", "dev.mentors", "dev.public_notice"),
    StepKind.SPONSORS: ("dev.sponsors",),
    StepKind.TRAINING: ("dev.training",),
    StepKind.ADMISSION: (
        "dev.min_age",
        "dev.sponsors",
        "dev.political_review",
        "dev.training",
        "dev.pre_review",
        "dev.admission_vote",
    ),
    StepKind.CONVERSION: ("dev.probation_min_period", "dev.conversion_vote"),
    StepKind.EXTENSION: ("dev.extension_bounds",),
}


# Serializers: reading ------------------------------------------------------------------------------


class PersonRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = ["id", "name"]
        read_only_fields = fields


class RefusalSerializer(serializers.Serializer):
    """One reason a step may not be recorded (``development.rules.Refusal``)."""

    rule = serializers.CharField(
        help_text="The rule code of RULES.md §4 (dev.*), or dev.sequence when the order of the steps is wrong"
    )
    message = serializers.CharField(help_text="What is missing, in Chinese")
    earliest = serializers.DateField(
        allow_null=True, help_text="The earliest day the step becomes possible, when waiting helps; else null"
    )
    citation = serializers.CharField(help_text="The citation the step was judged by")
    field = serializers.CharField(
        help_text="The request field the refusal is about: on, people, votes_yes, …"
    )


class StepRefusedSerializer(RefusalSerializer):
    """The 422 body: the first refusal's fields, and every refusal in ``refusals``."""

    code = serializers.CharField(help_text="step_refused")
    refusals = RefusalSerializer(many=True)


STEP_REFUSED = OpenApiResponse(
    response=StepRefusedSerializer,
    description="step_refused: a rule of RULES.md §4 (or the order of the steps) does not allow it; "
    "`rule`, `message`, `earliest`, `citation`, `field` of the first refusal, all in `refusals`",
)


def refused_body(exc: services.StepRefused) -> dict[str, Any]:
    return {"code": "step_refused", **exc.first.as_json(), "refusals": [r.as_json() for r in exc.refusals]}


class StepSerializer(serializers.ModelSerializer):
    """A recorded step with its evidence; fields a kind does not record are null or empty."""

    people = PersonRefSerializer(many=True, read_only=True, help_text="Mentors or sponsors")
    recommendation = serializers.ChoiceField(
        choices=Recommendation.choices, allow_blank=True, read_only=True, help_text="Activist steps only"
    )
    meeting = serializers.IntegerField(
        source="meeting_id", read_only=True, allow_null=True, help_text="The linked meeting record"
    )

    class Meta:
        model = Step
        fields = [
            "id",
            "kind",
            "on",
            *services.EVIDENCE_FIELDS,
            "meeting",
            "people",
            "created_at",
        ]
        read_only_fields = fields


class NextStepSerializer(serializers.Serializer):
    # A plain string: one enum of the step kinds (StepKindEnum, on Step.kind) keeps the schema's names stable.
    kind = serializers.CharField(help_text="A step kind, as Step.kind: record it with POST …/steps/{kind}/")
    label = serializers.CharField()
    earliest = serializers.DateField(allow_null=True, help_text="Null: possible now (unless blocked)")
    blockers = RefusalSerializer(
        many=True, help_text="Prerequisites not yet recorded (waiting does not help)"
    )


class DevelopmentSerializer(serializers.ModelSerializer):
    """A development file as listed (identity number masked)."""

    org = serializers.CharField(source="org.code", read_only=True, help_text="Code of the branch")
    org_name = serializers.CharField(source="org.name", read_only=True)
    id_number_masked = serializers.CharField(read_only=True, help_text="First 4 and last 4 characters")
    member = serializers.IntegerField(
        source="member_id",
        read_only=True,
        allow_null=True,
        help_text="The member record this file became at the admitting meeting; null before",
    )

    class Meta:
        model = Development
        fields = [
            "id",
            "org",
            "org_name",
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "id_number_masked",
            "education",
            "category",
            "work_unit",
            "phone",
            "stage",
            "stage_since",
            "applied_on",
            "member",
            "extended_to",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DevelopmentDetailSerializer(DevelopmentSerializer):
    """One file: the person, the recorded steps, what comes next and what is late."""

    steps = StepSerializer(many=True, read_only=True)
    next_steps = NextStepSerializer(many=True, read_only=True)
    late = FindingSerializer(many=True, read_only=True, help_text="Lateness findings as of today")
    probation_ends = serializers.DateField(
        read_only=True, allow_null=True, help_text="End of the probation (extended end included)"
    )

    class Meta(DevelopmentSerializer.Meta):
        fields = [*DevelopmentSerializer.Meta.fields, "probation_ends", "steps", "next_steps", "late"]
        read_only_fields = fields


def _next_step(n: rules.NextStep) -> dict[str, Any]:
    return {
        "kind": n.kind,
        "label": n.label,
        "earliest": n.earliest.isoformat() if n.earliest else None,
        "blockers": [b.as_json() for b in n.blockers],
    }


def detail_of(development: Development) -> dict[str, Any]:
    state = selectors.file_state(development)
    data = dict(DevelopmentSerializer(development).data)
    data["probation_ends"] = state.probation_ends.isoformat() if state.probation_ends else None
    data["steps"] = StepSerializer(selectors.steps_of(development), many=True).data
    data["next_steps"] = [_next_step(n) for n in state.next_steps]
    data["late"] = [f.as_json() for f in state.late]
    return data


class BoardFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    org = serializers.CharField(help_text="Code of the branch")
    stage_since = serializers.DateField()
    overdue = serializers.BooleanField()
    next_steps = NextStepSerializer(many=True)


class BoardColumnSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    files = BoardFileSerializer(many=True)


class BoardChildSerializer(serializers.Serializer):
    org = serializers.CharField(help_text="Code of the child organization")
    org_name = serializers.CharField()
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Open files by stage (subtree)"
    )
    overdue = serializers.IntegerField(help_text="Lateness findings in the child's subtree")


class BoardSerializer(serializers.Serializer):
    org = serializers.CharField()
    org_name = serializers.CharField()
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Files of the subtree by stage (every stage, closed ones too)",
    )
    total_open = serializers.IntegerField()
    columns = BoardColumnSerializer(
        many=True, help_text="Open files by stage, and full members whose conversion awaits approval"
    )
    overdue = FindingSerializer(many=True, help_text="Lateness findings of the subtree as of today")
    children = BoardChildSerializer(many=True, help_text="Committees only: each child organization's subtree")


def board_of(board: selectors.Board) -> dict[str, Any]:
    columns = []
    for stage in (*OPEN_STAGES, Stage.FULL):
        states = board.columns.get(stage, [])
        if not states:
            continue
        columns.append(
            {
                "stage": str(stage),
                "files": [
                    {
                        "id": s.development.pk,
                        "name": s.development.name,
                        "org": s.development.org.code,
                        "stage_since": s.development.stage_since.isoformat(),
                        "overdue": s.overdue,
                        "next_steps": [_next_step(n) for n in s.next_steps],
                    }
                    for s in states
                ],
            }
        )
    return {
        "org": board.org.code,
        "org_name": board.org.name,
        "counts": board.counts,
        "total_open": board.total_open,
        "columns": columns,
        "overdue": [f.as_json() for f in board.overdue],
        "children": [
            {"org": c.code, "org_name": c.name, "counts": dict(counts), "overdue": late}
            for c, counts, late in board.children
        ],
    }


# Serializers: writing (types and shapes only; the services and rules judge) ------------------------


class DevelopmentUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Development
        fields = list(services.PERSON_FIELDS)


class DevelopmentCreateSerializer(DevelopmentUpdateSerializer):
    """The application (提出入党申请): opens the person's file in the branch."""

    org = serializers.CharField(max_length=32, help_text="Code of the branch")
    id_number = serializers.CharField(max_length=22, help_text="公民身份号码 (18 characters)")
    on = serializers.DateField(help_text="Day of the application")
    note = serializers.CharField(required=False, allow_blank=True, max_length=10000)

    class Meta(DevelopmentUpdateSerializer.Meta):
        fields = ["org", "id_number", "on", *services.PERSON_FIELDS, "note"]
        extra_kwargs = {
            "birth_date": {"required": False, "help_text": "Taken from the identity number when absent"}
        }


_COUNT = {"min_value": 0, "max_value": 2**31 - 1}
_SMALL = {"min_value": 0, "max_value": 2**15 - 1}


def _evidence_field(name: str, required: bool) -> serializers.Field:
    """The request field of one piece of evidence (``rules.STEP_FIELDS`` names them)."""
    opt: dict[str, Any] = {"required": required}
    if not required:
        opt["allow_null"] = True
    if name == "people":
        return serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
            max_length=20,
            help_text="Member ids (mentors: 1 or 2 full members; sponsors: 2 full members, none under "
            "留党察看). A member the caller cannot see reads as unknown.",
            required=required,
        )
    if name == "meeting":
        return serializers.IntegerField(
            min_value=1,
            max_value=MAX_ID,
            help_text="Id of the branch's 支部党员大会 record; it supplies the date and vote figures",
            **opt,
        )
    if name in ("ends_on", "filed_on"):
        help_text = {
            "ends_on": "Last day (the notice's, the training's)",
            "filed_on": "Day it was filed with the higher committee",
        }[name]
        return serializers.DateField(help_text=help_text, **opt)
    if name == "person_name":
        return serializers.CharField(max_length=100, help_text="Who talked with the applicant", **opt)
    if name == "recommendation":
        return serializers.ChoiceField(choices=Recommendation.choices, **opt)
    if name in ("days", "hours", "months"):
        return serializers.IntegerField(**_SMALL, **opt)
    if name in ("voting_members", "voters_present", "votes_yes"):
        help_text = {
            "voting_members": "Full members with a vote who should attend",
            "voters_present": "Of them, present",
            "votes_yes": "Yes votes",
        }[name]
        return serializers.IntegerField(help_text=help_text, **_COUNT, **opt)
    if name == "special":
        return serializers.BooleanField(
            required=False, help_text="Special case: the approval may take up to 6 months"
        )
    if name == "note":
        return serializers.CharField(max_length=10000, allow_blank=True, **opt)
    raise AssertionError(f"no request field for {name}")  # a new evidence field needs one here


def _step_serializer(kind: str) -> type[serializers.Serializer]:
    required, optional = rules.STEP_FIELDS[kind]
    fields: dict[str, Any] = {"on": serializers.DateField(help_text="Day of the step")}
    for name in required:
        fields[name] = _evidence_field(name, True)
    for name in optional:
        fields[name] = _evidence_field(name, False)
    camel = "".join(part.capitalize() for part in kind.split("_"))
    return type(f"{camel}StepSerializer", (serializers.Serializer,), fields)


STEP_SERIALIZERS: dict[str, type[serializers.Serializer]] = {k: _step_serializer(k) for k in STEP_KINDS}
# Every evidence field some kind records: one of these sent to a kind that does not record it is a 400.
ANY_EVIDENCE = frozenset({*services.EVIDENCE_FIELDS, "people", "meeting"})


# Filters --------------------------------------------------------------------------------------------


class DevelopmentFilter(django_filters.FilterSet):
    org = OrgCodeFilter(label=gettext_lazy("党组织编码（含其全部下级）"), method="filter_org")
    stage = django_filters.MultipleChoiceFilter(label=gettext_lazy("所处阶段"), choices=Stage.choices)

    class Meta:
        model = Development
        fields = ["org", "stage"]

    def filter_org(
        self, queryset: QuerySet[Development], name: str, value: Organization
    ) -> QuerySet[Development]:
        return queryset.filter(org_path__prefix=value.path)


# Looking up what a body names, without telling what lies outside the caller's scope -----------------


def _people(user: User, ids: list[int]) -> list[Member]:
    """The members named, in order; any the caller cannot see is reported like a nonexistent one."""
    found = Member.objects.restrict(user, scope.VIEW).in_bulk(set(ids))
    missing = [i for i in dict.fromkeys(ids) if i not in found]
    if missing:
        raise ValidationError(
            {
                "people": ValidationError(
                    # The service's own sentence for an unknown id: both read the same.
                    _("找不到编号为%(ids)s的党员") % {"ids": "、".join(map(str, missing))},
                    code="unknown_member",
                )
            }
        )
    return [found[i] for i in ids]


def _meeting(user: User, meeting_id: int) -> Meeting:
    meeting = life_selectors.visible_meetings(user).filter(pk=meeting_id).first()
    if meeting is None:
        raise ValidationError(
            {
                "meeting": ValidationError(
                    _("找不到编号为%(id)s的会议记录"), code="unknown_meeting", params={"id": meeting_id}
                )
            }
        )
    return meeting


def _refuse_stray(kind: str, body: Any, serializer: serializers.Serializer) -> None:
    """Evidence the kind does not record is a mistake worth telling (other unknown keys are ignored)."""
    if not isinstance(body, dict):
        return
    stray = sorted(k for k in body if k in ANY_EVIDENCE and k not in serializer.fields)
    if stray:
        message = _("“%(step)s”不记录此项") % {"step": rules.kind_label(kind)}
        raise ValidationError({k: ValidationError(message, code="not_used") for k in stray})


ID_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Development file id")
STEP_ID_PARAM = OpenApiParameter("step_id", int, OpenApiParameter.PATH, description="Step id")


# The viewset ----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Development files in the caller's scope",
        responses={200: DevelopmentSerializer(many=True), **error_responses(400, 401)},
    ),
)
@extend_schema(tags=["development"])
class DevelopmentViewSet(ScopedViewSet):
    """发展党员: files from the application to full membership, one endpoint per recorded step."""

    serializer_class = DevelopmentSerializer
    filterset_class = DevelopmentFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Development]:
        return selectors.file_list(self.request.user)

    def lookup(self, key: str) -> Development:
        return selectors.get_file(self.request.user, parse_id(key))

    def detail_data(self, development: Development) -> dict[str, Any]:
        return detail_of(development)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.StepRefused):
            return Response(refused_body(exc), status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        return super().handle_exception(exc)

    # Reads

    @extend_schema(
        summary="One development file: the person, the steps, the next steps and what is late",
        parameters=[ID_PARAM],
        responses={200: DevelopmentDetailSerializer, **error_responses(401, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        development = self.get_object()
        return with_etag(Response(detail_of(development)), development)

    @extend_schema(
        summary="The development board of an organization's subtree",
        description="Counts by stage, the open files by stage with their next steps, the lateness findings "
        "and, for a committee, each child organization's counts. 404 for an organization outside the "
        "caller's scope.",
        parameters=[OpenApiParameter("org", str, required=True, description="Organization code")],
        responses={200: BoardSerializer, **error_responses(400, 401, 404)},
        filters=False,
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def board(self, request: Request) -> Response:
        code = request.query_params.get("org")
        if not code:
            raise exceptions.ValidationError({"org": [_("请提供组织编码")]})
        if not ORG_CODE.fullmatch(code):
            raise exceptions.NotFound(_("未找到"))
        org = org_selectors.get_org(request.user, code=code)
        return Response(board_of(selectors.board(request.user, org)))

    # Writes

    @extend_schema(
        summary="An application (提出入党申请): open a development file in a branch",
        description="The applicant must be at least 18 on the day (dev.min_age: 422). The branch is named "
        "by its code; one the caller cannot see reads as unknown (400).",
        request=DevelopmentCreateSerializer,
        responses={
            201: DevelopmentDetailSerializer,
            422: STEP_REFUSED,
            **error_responses(400, 401, 403),
        },
    )
    def create(self, request: Request) -> Response:
        user = request.user
        self.ensure_anywhere(scope.CHANGE)
        data = self.body(DevelopmentCreateSerializer)
        org = resolve_org(user, data.pop("org"), field="org")
        development = services.apply(
            actor=user,
            org=org,
            id_number=data.pop("id_number"),
            on=data.pop("on"),
            note=data.pop("note", ""),
            **data,
        )
        return self.detail_response(development, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Correct the person's details (not the identity number)",
        parameters=[ID_PARAM],
        request=DevelopmentUpdateSerializer,
        responses={200: DevelopmentDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        development = self.allowed()
        data = self.body(DevelopmentUpdateSerializer, partial=True)
        development = services.update_person(
            actor=request.user, development=development, version=self.if_match(), **data
        )
        return self.detail_response(development)

    reveal_id = reveal_action(
        parameters=[ID_PARAM],
        reveal=lambda user, development: services.reveal_id_number(actor=user, development=development),
    )

    @extend_schema(
        summary="Remove a step recorded in error",
        description="Only the file's latest step, and not one that changed a member record (admission, "
        "conversion, extension, revocation) nor the application: those answer 400.",
        parameters=[STEP_ID_PARAM],
        request=None,
        responses={204: None, **error_responses(400, 401, 403, 404)},
    )
    @action(
        detail=False,
        methods=["delete"],
        url_path=r"steps/(?P<step_id>[0-9]+)",
        url_name="step",
        filter_backends=[],
        pagination_class=None,
    )
    def remove_step(self, request: Request, step_id: str) -> Response:
        step = selectors.get_step(request.user, parse_id(step_id))
        services.remove_step(actor=request.user, step=step)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def record(self, request: Request, pk: str, kind: str) -> Response:
        """One step of the file: ``kind``'s body, people and meeting looked up in the caller's scope."""
        development = self.allowed()
        serializer = STEP_SERIALIZERS[kind](data=request.data)
        serializer.is_valid(raise_exception=True)
        _refuse_stray(kind, request.data, serializer)
        data = dict(serializer.validated_data)
        on = data.pop("on")
        people_ids = data.pop("people", None)
        meeting_id = data.pop("meeting", None)
        problems: dict[str, list[ValidationError]] = {}
        people = meeting = None
        try:
            people = _people(request.user, people_ids) if people_ids else people_ids
        except ValidationError as e:
            problems.update(e.error_dict)
        try:
            meeting = _meeting(request.user, meeting_id) if meeting_id is not None else None
        except ValidationError as e:
            problems.update(e.error_dict)
        if problems:
            raise ValidationError(problems)
        services.record_step(
            actor=request.user,
            development=development,
            kind=kind,
            on=on,
            people=people,
            meeting=meeting,
            **data,
        )
        return self.detail_response(development, status_code=status.HTTP_201_CREATED)


def _fields_text(kind: str) -> str:
    required, optional = rules.STEP_FIELDS[kind]
    parts = ["`on` (required)"]
    parts += [f"`{f}` (required)" for f in required]
    parts += [f"`{f}`" for f in optional]
    return ", ".join(parts)


def _step_action(kind: str) -> Any:
    def record_kind(self: DevelopmentViewSet, request: Request, pk: str) -> Response:
        return self.record(request, pk, kind)

    record_kind.__name__ = f"step_{kind}"
    judged = RULES_OF_KIND.get(kind, ())
    description = (
        f"Record the step `{kind}` on the file. Body: {_fields_text(kind)}. "
        "Evidence another kind records is refused (400 not_used). "
        + (f"Judged by {', '.join(f'`{r}`' for r in judged)} and " if judged else "Judged by ")
        + "the order of the steps (`dev.sequence`); a refusal answers 422. Answers the whole file."
    )
    decorated = action(
        detail=True,
        methods=["post"],
        url_path=f"steps/{kind}",
        url_name=f"step-{kind}",
        filter_backends=[],
        pagination_class=None,
    )(record_kind)
    return extend_schema(
        summary=f"Record the step “{kind}”",
        description=description,
        parameters=[ID_PARAM],
        request=STEP_SERIALIZERS[kind],
        responses={
            201: DevelopmentDetailSerializer,
            422: STEP_REFUSED,
            **error_responses(400, 401, 403, 404),
        },
    )(decorated)


for _kind in STEP_KINDS:
    setattr(DevelopmentViewSet, f"step_{_kind}", _step_action(_kind))


# What jiceng/api_urls.py registers: router.register(prefix, viewset, basename=...).
ROUTES = [("development", DevelopmentViewSet, "api-development")]
