"""Every read of development files, restricted to the user's scope, and the facts the engine judges."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from jiceng.core import scope
from jiceng.core.compliance import Finding, OrgRef
from jiceng.core.models import User
from jiceng.core.rulebook import RuleBook
from jiceng.orgs.models import Organization

from . import rules, services
from .models import OPEN_STAGES, Development, Stage, Step, StepKind


def visible_files(user: User, action: str = scope.VIEW) -> QuerySet[Development]:
    return Development.objects.restrict(user, action)


def file_list(
    user: User, *, org: Organization | None = None, stages: Iterable[str] | None = None
) -> QuerySet[Development]:
    qs = visible_files(user).select_related("org")
    if org is not None:
        qs = qs.filter(org_path__prefix=org.path)
    if stages:
        qs = qs.filter(stage__in=list(stages))
    return qs


def get_file(user: User, pk: int, *, action: str = scope.VIEW) -> Development:
    """The file, or 404 when it does not exist or lies outside the user's scope."""
    return get_object_or_404(visible_files(user, action).select_related("org", "member"), pk=pk)


def steps_of(development: Development) -> QuerySet[Step]:
    return (
        development.steps.select_related("meeting", "recorded_by")
        .prefetch_related("people")
        .order_by("on", "id")
    )


def get_step(user: User, pk: int, *, action: str = scope.VIEW) -> Step:
    return get_object_or_404(
        Step.objects.filter(development__in=visible_files(user, action)).select_related("development"), pk=pk
    )


# One file's state: what is done, what is next, what is late ---------------------------------------


@dataclass
class FileState:
    development: Development
    timeline: rules.Timeline
    next_steps: list[rules.NextStep]
    late: list[Finding]
    probation_ends: dt.date | None = None

    @property
    def overdue(self) -> bool:
        return bool(self.late)


def _ref(development: Development) -> OrgRef:
    return OrgRef(development.org.code, development.org_path, development.org.name)


def lateness(
    ref: OrgRef, file_id: int, name: str, timeline: rules.Timeline, day: dt.date, book: RuleBook
) -> list[Finding]:
    """The lateness findings (RULES.md §4) of one file as of ``day``."""
    out: list[Finding] = []
    for code, judge in (
        ("dev.talk_within_month", rules.talk_overdue),
        ("dev.review_half_yearly", rules.review_overdue),
    ):
        f = judge(org=ref, file_id=file_id, name=name, day=day, timeline=timeline, params=book.on(code, day))
        if f:
            out.append(f)
    out.extend(
        rules.approval_overdue(
            org=ref,
            file_id=file_id,
            name=name,
            day=day,
            timeline=timeline,
            params=book.on("dev.approval_within", day),
        )
    )
    return out


def file_state(
    development: Development, *, today: dt.date | None = None, book: RuleBook | None = None
) -> FileState:
    today = today or timezone.localdate()
    book = book or RuleBook()
    timeline = services.timeline_of(development)
    years = book.on("dev.probation_min_period", today).values.get("years", 1)
    return FileState(
        development=development,
        timeline=timeline,
        next_steps=rules.next_steps(timeline, book.on, today)
        if development.is_open or development.stage == Stage.FULL
        else [],
        late=lateness(_ref(development), development.pk, development.name, timeline, today, book),
        probation_ends=timeline.probation_end(years),
    )


# Boards: a branch by stage, a committee over its subtree ----------------------------------------------


def timelines_in(
    prefix: str, *, open_only: bool = False, since: dt.date | None = None
) -> list[tuple[Development, rules.Timeline]]:
    """The files of a subtree with their timelines, in two queries (the engine's loader)."""
    files = Development.objects.filter(org_path__prefix=prefix).select_related("org")
    if open_only:
        files = files.filter(stage__in=OPEN_STAGES + (Stage.FULL,))
    files = list(files.order_by("org_path", "name_pinyin", "id"))
    by_file: dict[int, list[rules.StepFacts]] = defaultdict(list)
    if files:
        # One query by the subtree (not by a list of ids): the count of queries stays fixed.
        steps = Step.objects.filter(development__org_path__prefix=prefix)
        if open_only:
            steps = steps.filter(development__stage__in=OPEN_STAGES + (Stage.FULL,))
        for row in steps.order_by("on", "id").values(
            "development_id", "kind", "on", "ends_on", "months", "special"
        ):
            by_file[row.pop("development_id")].append(rules.StepFacts(**row))
    return [(f, rules.Timeline(f.birth_date, by_file[f.pk])) for f in files]


@dataclass
class Board:
    org: Organization
    counts: dict[str, int]
    columns: dict[str, list[FileState]] = field(default_factory=dict)
    overdue: list[Finding] = field(default_factory=list)
    children: list[tuple[Organization, Counter, int]] = field(default_factory=list)

    @property
    def total_open(self) -> int:
        return sum(self.counts.get(s, 0) for s in OPEN_STAGES)


def board(user: User, org: Organization, *, today: dt.date | None = None) -> Board:
    """Open files of ``org``'s subtree by stage, each with its next step, and what is overdue.

    For a committee, also the counts by stage of each child organization's subtree.
    """
    scope.ensure(user, scope.VIEW, org.path)
    today = today or timezone.localdate()
    book = RuleBook()
    counts = dict(
        Development.objects.filter(org_path__prefix=org.path)
        .values_list("stage")
        .annotate(n=Count("id"))
        .order_by()
    )
    result = Board(org=org, counts={s: counts.get(s, 0) for s in Stage.values})
    for development, timeline in timelines_in(org.path, open_only=True):
        # Full members stay on the board only while their conversion awaits approval.
        if not development.is_open and timeline.first(StepKind.CONVERSION_APPROVAL) is not None:
            continue
        years = book.on("dev.probation_min_period", today).values.get("years", 1)
        late = lateness(_ref(development), development.pk, development.name, timeline, today, book)
        state = FileState(
            development,
            timeline,
            rules.next_steps(timeline, book.on, today),
            late,
            timeline.probation_end(years),
        )
        result.columns.setdefault(development.stage, []).append(state)
        result.overdue.extend(late)
    if org.kind != "branch":
        children = list(
            Organization.objects.filter(path__prefix=org.path, depth=org.depth + 1).order_by("path")
        )
        per_child: dict[str, Counter] = {c.path: Counter() for c in children}
        rows = (
            Development.objects.filter(org_path__prefix=org.path, stage__in=OPEN_STAGES)
            .values_list("org_path", "stage")
            .annotate(n=Count("id"))
            .order_by()
        )
        for path, stage, n in rows:
            for c in children:
                if path.startswith(c.path):
                    per_child[c.path][stage] += n
                    break
        late_by_child: Counter = Counter()
        for f in result.overdue:
            for c in children:
                if f.org_path.startswith(c.path):
                    late_by_child[c.path] += 1
                    break
        result.children = [(c, per_child[c.path], late_by_child[c.path]) for c in children]
    return result


# The compliance engine's hook ----------------------------------------------------------------------------


def probation_decisions(member_ids: Iterable[int], day: dt.date) -> dict[int, object]:
    """``{member id: ProbationDecision}``: the latest conversion, extension or revocation by ``day``."""
    from jiceng.members.rules_compliance import ProbationDecision

    ids = list(member_ids)
    out: dict[int, object] = {}
    if not ids:
        return out
    kinds = {StepKind.CONVERSION: "convert", StepKind.EXTENSION: "extend", StepKind.REVOCATION: "revoke"}
    for chunk in range(0, len(ids), 5000):
        rows = (
            Step.objects.filter(
                development__member_id__in=ids[chunk : chunk + 5000], kind__in=list(kinds), on__lte=day
            )
            .order_by("on", "id")
            .values_list("development__member_id", "kind", "on", "development__extended_to")
        )
        for member_id, kind, on, extended_to in rows:
            out[member_id] = ProbationDecision(
                kinds[kind], on, extended_to if kind == StepKind.EXTENSION else None
            )
    return out
