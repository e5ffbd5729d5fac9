"""Member development pages: thin views over development.selectors (reads) and services (writes).

Scope: every file, step and organization is looked up through the selectors, so one outside the user's
subtrees answers 404; a visible file the user may not change answers 403 on every write (the GET of a
form included). A step a rule refuses (``services.StepRefused``) is shown on its form with the rule's
code, citation and earliest date; nothing is saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from jiceng.core import scope
from jiceng.core.compliance import Finding
from jiceng.core.generic.views import ObjectDetailView, ObjectFormView, ObjectView, ensure_allowed, is_htmx
from jiceng.members import selectors as member_selectors
from jiceng.members.filters import search_q
from jiceng.members.models import Status
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import OrgKind
from jiceng.orgs.views import BranchFormView

from . import rules, selectors, services
from .forms import VOTE_FIELDS, ApplyForm, PersonForm, StepForm, field_label
from .models import OPEN_STAGES, Development, Stage, Step, StepKind

# The board's columns: the open stages, then full members whose conversion awaits approval.
BOARD_STAGES = (*OPEN_STAGES, Stage.FULL)
SEARCH_LIMIT = 20


def _file_id(finding: Finding) -> int | None:
    """The file a lateness finding is about (its subject is ``development:<id>[:<kind>]``)."""
    parts = finding.subject.split(":")
    if len(parts) >= 2 and parts[0] == "development" and parts[1].isdigit():
        return int(parts[1])
    return None


def _primary_next(state: selectors.FileState) -> rules.NextStep | None:
    """The first next step not yet recorded (mentors and reviews may recur), else the first one."""
    recorded = {s.kind for s in state.timeline.steps}
    fresh = [n for n in state.next_steps if n.kind not in recorded]
    return (fresh or state.next_steps or [None])[0]


def _stage_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Stage.choices}


# ---- Boards --------------------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """发展党员: the board of the user's scope; with several scope roots, the user picks one."""
    roots = list(org_selectors.scope_roots(request.user).order_by("path"))
    if len(roots) == 1:
        return redirect("development:board", code=roots[0].code)
    return render(request, "development/index.html", {"roots": roots})


@login_required
@require_GET
def board(request: HttpRequest, code: str) -> HttpResponse:
    """A branch's files by stage with their next steps; a committee's counts over its subtree.
    Both list what is overdue (RULES.md §4 lateness findings as of today)."""
    user = request.user
    org = org_selectors.get_org(user, code=code)
    result = selectors.board(user, org)
    labels = _stage_labels()
    columns = [
        (stage, labels[stage], [(st, _primary_next(st)) for st in result.columns.get(stage, [])])
        for stage in BOARD_STAGES
    ]
    overdue = sorted(result.overdue, key=lambda f: (f.due_on or dt.date.min, f.org_path))
    children = [
        {
            "org": child,
            "counts": [counts.get(stage, 0) for stage in OPEN_STAGES],
            "total": sum(counts.get(stage, 0) for stage in OPEN_STAGES),
            "late": late,
        }
        for child, counts, late in result.children
    ]
    can_apply = scope.can(user, scope.CHANGE, org.path) or (
        not org.is_branch
        and org_selectors.visible_orgs(user, scope.CHANGE)
        .filter(path__prefix=org.path, kind=OrgKind.BRANCH)
        .exists()
    )
    context = {
        "org": org,
        "board": result,
        "ancestors": org_selectors.ancestors_in_scope(user, org),
        "stage_counts": [(stage, labels[stage], result.counts.get(stage, 0)) for stage in Stage.values],
        "open_stages": [(stage, labels[stage]) for stage in OPEN_STAGES],
        "columns": columns,
        "overdue": [(f, _file_id(f)) for f in overdue],
        "children": children,
        "can_apply": can_apply,
        "today": timezone.localdate(),
    }
    return render(request, "development/board.html", context)


# ---- Opening a file ----------------------------------------------------------------------------------


class RefusableFormMixin:
    """A form whose step a rule may refuse (``services.StepRefused``): the refusals are shown above
    the form with their rule, citation and earliest date; nothing is saved."""

    refusals = (services.StepRefused, ValidationError)
    refused: list[rules.Refusal]

    def show_service_errors(self, form: Any, error: Exception) -> None:
        if isinstance(error, services.StepRefused):
            self.refused = error.refusals
        else:
            super().show_service_errors(form, error)  # type: ignore[misc]


class Apply(RefusableFormMixin, BranchFormView):
    """提出入党申请 in a branch the user may change: ``?org=<code>`` names it, else the user picks one."""

    template_name = "development/apply.html"
    title = gettext_lazy("录入入党申请")
    list_url, list_crumb = "development:index", gettext_lazy("发展党员")
    denied_here = gettext_lazy("您没有在该组织录入入党申请的权限")
    denied = gettext_lazy("您没有录入入党申请的权限")

    def get_form(self, data: Any, files: Any) -> ApplyForm:
        self.refused = []
        return ApplyForm(data)

    def perform(self, form: ApplyForm) -> tuple[Development, str]:
        development = services.apply(
            actor=self.user,
            org=self.object,
            id_number=form.cleaned_data["id_number"],
            on=form.cleaned_data["on"],
            note=form.cleaned_data["note"],
            **form.person(),
        )
        return development, _("已建立%(name)s的发展党员档案") % {"name": development.name}

    def success_url(self, landing: Development) -> str:
        return reverse("development:detail", kwargs={"pk": landing.pk})

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        branch = self.object
        ancestors = org_selectors.ancestors_in_scope(self.user, branch)
        return {"branch": branch, "refusals": self.refused, "ancestors": ancestors, **extra}


# ---- One file -----------------------------------------------------------------------------------------


def _evidence(step: Step) -> list[tuple[str, str]]:
    """The step's evidence as (label, text), in the order ``rules.STEP_FIELDS`` lists it."""
    required, optional = rules.STEP_FIELDS.get(step.kind, ((), ()))
    out: list[tuple[str, str]] = []
    for name in (*required, *optional):
        if name in ("note", "people", "meeting"):
            continue
        value = getattr(step, name)
        if value in (None, "") or (name == "special" and not value):
            continue
        if name == "recommendation":
            text = step.get_recommendation_display()
        elif name == "special":
            text = _("是")
        elif isinstance(value, dt.date):
            text = value.isoformat()
        else:
            text = str(value)
        out.append((field_label(step.kind, name), text))
    return out


def _step_rows(steps: list[Step]) -> list[dict[str, Any]]:
    return [
        {
            "step": s,
            "evidence": _evidence(s),
            "people_label": field_label(s.kind, "people")
            if s.kind in (StepKind.MENTORS, StepKind.SPONSORS)
            else "",
            "people": list(s.people.all()),
            "is_vote": any(getattr(s, f) is not None for f in VOTE_FIELDS),
        }
        for s in steps
    ]


def _recordable(development: Development, timeline: rules.Timeline) -> list[tuple[str, str]]:
    """Step kinds the file's stage allows and that are not done already (the "record" menu)."""
    stage = timeline.stage or development.stage
    out = []
    for kind, label in StepKind.choices:
        if kind == StepKind.APPLICATION or stage not in rules.ALLOWED_AT.get(kind, ()):
            continue
        if kind in rules.ONCE and timeline.of(kind):
            continue
        out.append((kind, str(label)))
    return out


MILESTONES = (
    (StepKind.APPLICATION, gettext_lazy("提出入党申请")),
    (StepKind.ACTIVIST, gettext_lazy("确定为入党积极分子")),
    (StepKind.CANDIDATE, gettext_lazy("确定为发展对象")),
    (StepKind.ADMISSION, gettext_lazy("接收为预备党员")),
    (StepKind.APPROVAL, gettext_lazy("上级党委审批接收")),
    (StepKind.CONVERSION, gettext_lazy("转为正式党员")),
    (StepKind.CONVERSION_APPROVAL, gettext_lazy("上级党委审批转正")),
)


def _summary(steps: list[Step]) -> dict[str, Any]:
    """The key dates, mentors, sponsors and votes of a file, for its printed summary."""
    first: dict[str, Step] = {}
    for s in steps:
        first.setdefault(s.kind, s)

    def people(kind: str) -> list[Any]:
        seen: dict[int, Any] = {}
        for s in steps:
            if s.kind == kind:
                for m in s.people.all():
                    seen.setdefault(m.pk, m)
        return list(seen.values())

    votes = [
        (str(StepKind(kind).label), first[kind])
        for kind in (StepKind.ADMISSION, StepKind.NOT_ADMITTED, StepKind.CONVERSION)
        if kind in first and first[kind].voting_members is not None
    ]
    return {
        "milestones": [(str(label), first.get(kind)) for kind, label in MILESTONES],
        "mentors": people(StepKind.MENTORS),
        "sponsors": people(StepKind.SPONSORS),
        "votes": votes,
    }


def _file_context(
    request: HttpRequest, development: Development, *, revealed: str | None = None
) -> dict[str, Any]:
    user = request.user
    can_change = scope.can(user, scope.CHANGE, development.org_path)
    state = selectors.file_state(development)
    steps = list(selectors.steps_of(development))
    recorded = {s.kind for s in steps}
    latest = max(steps, key=lambda s: (s.on, s.pk)) if steps else None
    removable = latest if latest is not None and latest.kind not in services.NOT_REMOVABLE else None
    return {
        "development": development,
        "state": state,
        "next_steps": [(n, n.kind in recorded) for n in state.next_steps],
        "steps": _step_rows(steps),
        "summary": _summary(steps),
        "latest": latest,
        "removable": removable,
        "recordable": _recordable(development, state.timeline) if can_change else [],
        "can_change": can_change,
        "revealed": revealed,
        "has_account": development.user_id is not None
        or (development.member_id is not None and development.member.user_id is not None),
        "member_visible": development.member_id is not None
        and scope.can(user, scope.VIEW, development.member.org_path),
        "ancestors": org_selectors.ancestors_in_scope(user, development.org),
        "today": timezone.localdate(),
    }


class FileView(ObjectView):
    """A page about the development file of the URL's ``pk``: 404 outside the scope, 403 visible but
    not changeable."""

    denied = gettext_lazy("您没有修改此发展党员档案的权限")

    def lookup(self, *, pk: int) -> Development:
        return selectors.get_file(self.user, pk)

    def success_url(self, landing: Development) -> str:
        return reverse("development:detail", kwargs={"pk": landing.pk})


class Detail(FileView, ObjectDetailView):
    """A person's timeline: steps done, the next steps with their earliest dates, what is missing, what is late."""

    template_name = "development/detail.html"
    history = True
    history_limit = 50
    revealed: str | None = None

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = _file_context(self.request, self.object, revealed=self.revealed)
        return super().get_context_data(**context, **extra)


class Print(Detail):
    """The file as an A4 summary (static/jiceng/print.css): the person, every step with its evidence."""

    template_name = "development/print.html"
    history = False

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return super().get_context_data(printed_on=timezone.localdate(), **extra)


@method_decorator(never_cache, name="dispatch")
class Reveal(Detail):
    """The full identity number in place of the masked one; every reveal is audited by the service."""

    action = scope.CHANGE
    http_method_names: ClassVar[list[str]] = ["post"]

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self.revealed = services.reveal_id_number(actor=self.user, development=self.object)
        if is_htmx(request):
            return render(
                request, "core/_person.html#id_number", {"person": self.object, "revealed": self.revealed}
            )
        return self.get(request)


class Edit(FileView, ObjectFormView):
    """Correct the person's details (the identity number is not editable: a wrong one needs a new file)."""

    template_name = "development/edit.html"
    versioned = True

    def get_form(self, data: Any, files: Any) -> PersonForm:
        return PersonForm(data, development=self.object)

    def perform(self, form: PersonForm) -> tuple[Development, str]:
        services.update_person(
            actor=self.user, development=self.object, version=self.version(form), **form.person()
        )
        return self.object, _("已保存%(name)s的个人信息") % {"name": form.cleaned_data["name"]}

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        ancestors = org_selectors.ancestors_in_scope(self.user, self.object.org)
        return {"development": self.object, "ancestors": ancestors, **extra}


# ---- Steps ---------------------------------------------------------------------------------------------


def _kind_or_404(kind: str) -> str:
    if kind == StepKind.APPLICATION or kind not in rules.STEP_FIELDS:
        raise Http404
    return kind


class StepCreate(RefusableFormMixin, FileView, ObjectFormView):
    """Record one step of ``kind``: only that kind's fields; a refusal shows its rule and earliest date."""

    template_name = "development/step_form.html"

    def lookup(self, *, pk: int, kind: str) -> Development:
        return super().lookup(pk=pk)

    def check(self) -> HttpResponse | None:
        self.kind = _kind_or_404(self.kwargs["kind"])  # after the scope: a viewer learns 403 first
        return None

    def get_form(self, data: Any, files: Any) -> StepForm:
        self.refused = []
        # ``?meeting=`` (the meeting chooser's htmx request): the form as if that meeting were chosen.
        initial = {"meeting": self.request.GET.get("meeting")} if data is None else None
        return StepForm(data, kind=self.kind, development=self.object, user=self.user, initial=initial)

    def perform(self, form: StepForm) -> tuple[Development, str]:
        development = self.object
        step = services.record_step(
            actor=self.user, development=development, kind=self.kind, **form.service_kwargs()
        )
        development.refresh_from_db()
        return development, _("已记录：%(step)s（%(day)s）。当前阶段：%(stage)s") % {
            "step": step.get_kind_display(),
            "day": step.on.isoformat(),
            "stage": development.get_stage_display(),
        }

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        development, kind = self.object, self.kind
        state = selectors.file_state(development)
        return {
            "development": development,
            "kind": kind,
            "kind_label": rules.kind_label(kind),
            "refusals": self.refused,
            "hint": next((n for n in state.next_steps if n.kind == kind), None),
            "allowed": (state.timeline.stage or development.stage) in rules.ALLOWED_AT.get(kind, ()),
            "has_people": "people" in extra["form"].fields,
            "ancestors": org_selectors.ancestors_in_scope(self.user, development.org),
            **extra,
        }


@login_required
@require_GET
def people_search(request: HttpRequest, pk: int) -> HttpResponse:
    """Full members of the user's scope by name or pinyin, as checkboxes for the mentors/sponsors field
    (htmx). The ids already ticked come back ticked; the branch's own members are listed on the form."""
    user = request.user
    development = selectors.get_file(user, pk)
    ensure_allowed(user, scope.CHANGE, development, str(FileView.denied))
    kind = _kind_or_404(request.GET.get("kind", ""))
    form = StepForm(kind=kind, development=development, user=user)
    if "people" not in form.fields:
        raise Http404
    branch_ids = set(form.branch_people().values_list("pk", flat=True))
    ticked = {int(v) for v in request.GET.getlist("people") if v.isdigit()} - branch_ids
    text = request.GET.get("q", "").strip()
    visible = member_selectors.visible_members(user).select_related("org")
    chosen = list(visible.filter(pk__in=ticked).order_by("name_pinyin"))
    found = []
    if text:
        found = list(
            visible.filter(search_q(text), status=Status.FULL)
            .exclude(pk__in=branch_ids | ticked)
            .exclude(pk=development.member_id or 0)
            .order_by("name_pinyin", "id")[:SEARCH_LIMIT]
        )
    rows = [(m, True) for m in chosen] + [(m, False) for m in found]
    return render(
        request,
        "development/step_form.html#found",
        {"rows": rows, "q": text, "searched": bool(text), "nothing": bool(text) and not found},
    )


@login_required
@require_POST
def step_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove the file's latest step, recorded in error (services.remove_step says which may go)."""
    step = selectors.get_step(request.user, pk)
    development = step.development
    ensure_allowed(request.user, scope.CHANGE, development, str(FileView.denied))
    label = f"{step.get_kind_display()}（{step.on.isoformat()}）"
    try:
        services.remove_step(actor=request.user, step=step)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已删除：%(step)s") % {"step": label})
    return redirect("development:detail", pk=development.pk)
