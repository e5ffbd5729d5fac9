"""Every read of tasks and responsibility lists, restricted to the user's scope.

A task is seen whole (its completion over the subtree) by whoever may view its issuer; an assignment
by whoever may view the organization that received it. The inbox lists the assignments of the
organizations a user holds a role on directly (a branch secretary: their branch; a town's admin: the
tasks passed to the town), not of every branch of a county.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from jiceng.core import scope
from jiceng.core.models import User
from jiceng.core.scope import Role
from jiceng.orgs.models import Organization

from . import services
from .models import Assignment, Reminder, ResponsibilityItem, ResponsibilityList, Task, TaskTally, Withdrawal

INBOX_ROLES = (Role.ORG_ADMIN, Role.SECRETARY, Role.VIEWER)


def issued(user: User) -> QuerySet[Task]:
    """Tasks issued by organizations the user may view, newest first."""
    return Task.objects.restrict(user, scope.VIEW).select_related("issuer", "parent")


def _id(pk: Any) -> int | None:
    """A primary key, or None for anything that is not one (an absurd number never reaches the database)."""
    text = str(pk)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def get_task(user: User, pk: Any) -> Task:
    task = issued(user).filter(pk=_id(pk)).first() if _id(pk) else None
    if task is None:
        raise Http404
    return task


def assignments(user: User) -> QuerySet[Assignment]:
    return Assignment.objects.restrict(user, scope.VIEW).select_related("task", "org", "task__issuer")


def get_assignment(user: User, pk: Any) -> Assignment:
    found = assignments(user).filter(pk=_id(pk)).first() if _id(pk) else None
    if found is None:
        raise Http404
    return found


def inbox(user: User) -> QuerySet[Assignment]:
    """The assignments of the organizations the user holds a role on directly: open first, by deadline."""
    orgs = user.role_assignments.filter(role__in=INBOX_ROLES).values("org_id")
    return (
        assignments(user)
        .filter(org_id__in=orgs)
        .annotate(reminder_count=Count("reminders"))
        .order_by(F("answered_on").desc(nulls_first=True), "deadline", "org_path", "id")
    )


def home_inbox(user: User) -> dict[str, Any] | None:
    """The home page's block: open tasks with their due dates and reminders (None: nothing open)."""
    rows = list(inbox(user).filter(answered_on__isnull=True)[:10])
    if not rows:
        return None
    return {"task_rows": rows, "today": timezone.localdate()}


def reminders_of(assignment: Assignment) -> list[Reminder]:
    return list(assignment.reminders.select_related("sent_by_org"))


def proposals(assignment: Assignment, limit: int = 10) -> list[Any]:
    """Records of the branch that fit the task (the answer proposed to the branch), newest first."""
    task = assignment.task
    if assignment.relay or assignment.answered_on is not None or not task.by_record:
        return []
    spec = task.answer_record_kind
    return [
        Proposal(r.pk, spec.day(r), spec.describe(r), getattr(r, "kind", task.answer_kind), r)
        for r in services.fitting_records(task, assignment.org)[:limit]
    ]


@dataclass(frozen=True)
class Proposal:
    """A record that fits a task, as the branch is shown it: its id, day and line (the kind's own)."""

    pk: int
    day: Any
    label: str
    kind: str
    record: Any


def withdrawals_of(assignment: Assignment) -> list[Withdrawal]:
    return list(assignment.withdrawals.select_related("withdrawn_by"))


def with_proposal_flags(rows: list[Assignment]) -> list[Assignment]:
    """Mark (``has_proposal``) the open record-answered rows that have a fitting record (a query each:
    an inbox holds a handful of open tasks)."""
    for a in rows:
        a.has_proposal = bool(proposals(a, limit=1))
    return rows


# Completion ---------------------------------------------------------------------------------------------------


@dataclass
class Row:
    org: Organization
    tally: TaskTally | None
    assignment: Assignment | None
    late_open: int

    @property
    def total(self) -> int:
        return (
            self.tally.total if self.tally else (0 if self.assignment is None or self.assignment.relay else 1)
        )

    @property
    def answered(self) -> int:
        if self.tally:
            return self.tally.answered
        a = self.assignment
        return int(a is not None and not a.relay and a.answered_on is not None)


@dataclass
class Completion:
    task: Task
    node: Organization
    tally: TaskTally | None
    rows: list[Row]
    today: dt.date
    ancestors: list[Organization]

    @property
    def late_open(self) -> int:
        return self.tally.late_open(self.today) if self.tally else 0


def completion(user: User, task: Task, *, node_code: str = "", status: str = "") -> Completion:
    """The task tree's counts at ``node`` (the issuer by default; any committee of its subtree the user
    may view) and at each organization one level down, with their own assignments."""
    today = timezone.localdate()
    node = task.issuer
    if node_code:
        node = Organization.objects.restrict(user, scope.VIEW).filter(code=node_code).first()
        if node is None or not node.path.startswith(task.issuer_path):
            raise Http404
    root = task.root_id
    # Two queries whatever the size of the tree: the counts of the node and of its children (maintained
    # figures), and the assignments one level down, each with its organization.
    tallies: dict[int, TaskTally] = {}
    tally = None
    for t in TaskTally.objects.filter(
        root_id=root, org_path__prefix=node.path, depth__in=(node.depth, node.depth + 1)
    ).select_related("org"):
        if t.org_id == node.pk:
            tally = t
        else:
            tallies[t.org_id] = t
    direct = Assignment.objects.filter(root_id=root, org_path__prefix=node.path, depth=node.depth + 1)
    if status == "late":
        direct = direct.filter(answered_on__isnull=True, deadline__lt=today)
    elif status == "open":
        direct = direct.filter(answered_on__isnull=True)
    elif status == "answered":
        direct = direct.filter(answered_on__isnull=False)
    assigned = {a.org_id: a for a in direct.select_related("org")}
    orgs = {a.org_id: a.org for a in assigned.values()}
    if not status:
        orgs.update({t.org_id: t.org for t in tallies.values()})
    rows = []
    for o in sorted(orgs.values(), key=lambda o: o.path):
        t, a = tallies.get(o.pk), assigned.get(o.pk)
        late = t.late_open(today) if t else int(a is not None and a.overdue_on(today))
        rows.append(Row(org=o, tally=t, assignment=a, late_open=late))
    ancestors: list[Organization] = []
    if node.pk != task.issuer_id:
        step = Organization.steplen
        ancestors = list(
            Organization.objects.restrict(user, scope.VIEW).filter(
                path__in=[node.path[:end] for end in range(len(task.issuer_path), len(node.path), step)]
            )
        )
    return Completion(task=task, node=node, tally=tally, rows=rows, today=today, ancestors=ancestors)


def with_reminder_counts(rows: Any) -> Any:
    """Set ``reminder_count`` on the assignments of the rows shown (one query for the page)."""
    shown = [r.assignment for r in rows if r.assignment is not None]
    counts = dict(
        Reminder.objects.filter(assignment__in=shown)
        .values("assignment")
        .annotate(n=Count("id"))
        .values_list("assignment", "n")
    )
    for a in shown:
        a.reminder_count = counts.get(a.pk, 0)
    return rows


def passed_on(task: Task) -> list[Task]:
    return list(task.passed_on.select_related("issuer"))


# Responsibility lists -----------------------------------------------------------------------------------------


def responsibility_lists(user: User, org: Organization, year: int) -> list[ResponsibilityList]:
    """The lists of ``year`` of the organization's subtree the user may view, top-down (path order)."""
    items = ResponsibilityItem.objects.select_related("carrier").order_by("position", "id")
    return list(
        ResponsibilityList.objects.restrict(user, scope.VIEW)
        .filter(org_path__prefix=org.path, year=year)
        .select_related("org")
        .prefetch_related(Prefetch("items", queryset=items))
        .order_by("org_path")
    )


def get_responsibility_item(user: User, pk: Any) -> ResponsibilityItem:
    item = (
        ResponsibilityItem.objects.filter(list__in=ResponsibilityList.objects.restrict(user, scope.VIEW))
        .select_related("list", "list__org", "carrier")
        .filter(pk=pk)
        .first()
        if str(pk).isdigit()
        else None
    )
    if item is None:
        raise Http404
    return item


def issuers(user: User) -> QuerySet[Organization]:
    """The committees (non-branches) in which the user may issue tasks."""
    return Organization.objects.restrict(user, scope.CHANGE).exclude(kind="branch")
