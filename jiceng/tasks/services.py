"""Every write of tasks and responsibility lists: keyword-only, atomic, scoped, validated, audited.

Issuing is bulk: the organizations a task reaches are read as (id, path) pairs, their assignments
written with ``bulk_create`` and the counts of every committee of the task tree (``TaskTally``) built
in memory and written once, so a province-wide task to tens of thousands of branches is one
transaction of a few statements per thousand rows (``bench/bench_tasks.py``). Answering, passing on
and reminding apply their deltas to the committees above, locking those rows in primary-key order
(as ``orgs.tallies`` does). Refusals are a ``ValidationError`` keyed by field, with Chinese messages.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, events, scope
from jiceng.core.models import User
from jiceng.orgs.models import Organization, OrgKind, Post, UnitKind

from .models import (
    AnswerKind,
    Assignment,
    Reminder,
    ResponsibilityItem,
    ResponsibilityList,
    Target,
    Task,
    TaskTally,
    Withdrawal,
    answer_kinds,
    record_kind,
)

BATCH = 2000
REMINDED = "tasks.reminded"  # the event a 督办 publishes (registered in notices.py)
MAX_TITLE = 200
MAX_INSTRUCTIONS = 4000
MAX_TEXT = 2000
MAX_FILE_BYTES = 10 * 1024 * 1024
# A file answer is a document: never a photo (the issue forbids photo duties, and a task may never
# ask for a photo of people), so images are refused whatever the reason stated.
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".txt": "text/plain",
    ".csv": "text/csv",
}
STEP = Organization.steplen


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _text(value: Any, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit] if limit <= 300 else str(value or "").strip()[:limit]


# Counts of the task tree ---------------------------------------------------------------------------------


@dataclass
class Delta:
    total: int = 0
    answered: int = 0
    answered_late: int = 0
    relays: int = 0
    relays_passed: int = 0
    open_due: Counter | None = None


def _ancestors(path: str, root_path: str) -> Iterable[str]:
    """The committees from the root issuer down to the parent of ``path`` (none when ``path`` lies
    outside the root issuer's subtree: a branch moved away after the task was issued)."""
    if not path.startswith(root_path):
        return
    for end in range(len(root_path), len(path), STEP):
        yield path[:end]


def _apply(root: Task, deltas: dict[str, Delta]) -> None:
    """Add ``deltas`` (by committee path) to the root's tallies, creating the missing rows."""
    if not deltas:
        return
    paths = list(deltas)
    rows: dict[str, TaskTally] = {}
    for i in range(0, len(paths), BATCH):
        chunk = paths[i : i + BATCH]
        for row in TaskTally.objects.select_for_update().filter(root=root, org_path__in=chunk).order_by("pk"):
            rows[row.org_path] = row
    missing = [p for p in paths if p not in rows]
    if missing:
        ids: dict[str, int] = {}
        for i in range(0, len(missing), BATCH):
            ids.update(Organization.objects.filter(path__in=missing[i : i + BATCH]).values_list("path", "id"))
        new = [
            TaskTally(root=root, org_id=ids[p], org_path=p, depth=len(p) // STEP) for p in missing if p in ids
        ]
        for row in new:
            rows[row.org_path] = row
    else:
        new = []
    changed = []
    for path, d in deltas.items():
        row = rows.get(path)
        if row is None:
            continue
        row.total += d.total
        row.answered += d.answered
        row.answered_late += d.answered_late
        row.relays += d.relays
        row.relays_passed += d.relays_passed
        if d.open_due:
            due = dict(row.open_due)
            for day, n in d.open_due.items():
                due[day] = due.get(day, 0) + n
                if due[day] == 0:
                    del due[day]
            row.open_due = due
        if row.pk is not None:
            changed.append(row)
    TaskTally.objects.bulk_create(new, batch_size=BATCH)
    TaskTally.objects.bulk_update(
        changed,
        ["total", "answered", "answered_late", "relays", "relays_passed", "open_due"],
        batch_size=BATCH,
    )


def _delta(deltas: dict[str, Delta], path: str) -> Delta:
    d = deltas.get(path)
    if d is None:
        d = deltas[path] = Delta(open_due=Counter())
    return d


def rebuild_tallies(root: Task) -> None:
    """The root's counts again from its assignments (after a subtree moved: paths and depths changed)."""
    root = Task.objects.get(pk=root.pk)
    TaskTally.objects.filter(root=root).delete()
    deltas: dict[str, Delta] = {}
    rows = Assignment.objects.filter(root=root).values_list(
        "org_path", "relay", "answered_on", "late", "deadline"
    )
    for path, relay, answered_on, late, deadline in rows.iterator(chunk_size=BATCH):
        for up in _ancestors(path, root.issuer_path):
            d = _delta(deltas, up)
            if relay:
                d.relays += 1
                d.relays_passed += int(answered_on is not None)
            else:
                d.total += 1
                if answered_on is None:
                    d.open_due[deadline.isoformat()] += 1
                else:
                    d.answered += 1
                    d.answered_late += int(late)
    _apply(root, deltas)


def subtree_moved(*, old_prefix: str, new_prefix: str, **_: Any) -> None:
    """Receiver of core's ``subtree_moved``: the paths are rewritten already (core.moves); depths follow,
    and the counts of every task tree the subtree took part in are rebuilt."""
    shift = (len(new_prefix) - len(old_prefix)) // STEP
    if shift:
        Assignment.objects.filter(org_path__prefix=new_prefix).update(depth=F("depth") + shift)
    roots = set(Assignment.objects.filter(org_path__prefix=new_prefix).values_list("root_id", flat=True))
    roots |= set(Task.objects.filter(issuer_path__prefix=new_prefix).values_list("root_id", flat=True))
    roots |= set(TaskTally.objects.filter(org_path__prefix=old_prefix).values_list("root_id", flat=True))
    for root in Task.objects.filter(pk__in=roots):
        rebuild_tallies(root)


# Issuing and passing on ------------------------------------------------------------------------------------


def _targets(
    issuer: Organization, target: str, unit_kind: str, chosen: Sequence[str]
) -> tuple[list[tuple[int, str, str]], Any]:
    """(id, path, kind) of the organizations the task reaches, validated, and the queryset that selects
    them (None for a chosen list), from which the assignments are inserted in one statement."""
    below = Organization.objects.filter(path__prefix=issuer.path).exclude(pk=issuer.pk).order_by()
    if target == Target.ALL_BRANCHES:
        qs = below.filter(kind=OrgKind.BRANCH)
    elif target == Target.UNIT_KIND:
        if unit_kind not in UnitKind.values:
            raise ValidationError({"unit_kind": _("请选择单位类别")})
        qs = below.filter(kind=OrgKind.BRANCH, unit_kind=unit_kind)
    elif target == Target.CHOSEN:
        codes = sorted({str(c).strip() for c in chosen if str(c).strip()})
        if not codes:
            raise ValidationError({"chosen": _("请至少选择一个党支部")})
        # In chunks: a list of thousands of codes stays under SQLite's limit of query parameters.
        rows: list[tuple] = []
        for i in range(0, len(codes), BATCH):
            rows += below.filter(kind=OrgKind.BRANCH, code__in=codes[i : i + BATCH]).values_list(
                "id", "path", "kind", "code"
            )
        found = {r[3] for r in rows}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise ValidationError(
                {
                    "chosen": _("以下组织编码不是本组织下辖的党支部：%(codes)s")
                    % {"codes": "、".join(unknown[:20])}
                }
            )
        return [tuple(r[:3]) for r in sorted(rows, key=lambda r: r[1])], None
    elif target == Target.NEXT_LEVEL:
        qs = below.filter(depth=issuer.depth + 1)
    else:
        raise ValidationError({"target": _("请选择下达范围")})
    rows = list(qs.values_list("id", "path", "kind"))
    if not rows:
        raise ValidationError({"target": _("下达范围内没有组织")})
    return rows, qs


def _validate_spec(spec: dict[str, Any], *, deadline: dt.date, today: dt.date) -> dict[str, Any]:
    errors: dict[str, str] = {}
    kind = spec.get("answer_kind")
    out: dict[str, Any] = {
        "answer_kind": kind,
        "meeting_kind": "",
        "topic_keyword": "",
        "step_kind": "",
        "window_start": None,
        "window_end": None,
        "file_reason": "",
        "number_label": "",
    }
    if kind not in dict(answer_kinds()):
        errors["answer_kind"] = _("请选择完成方式")
    spec_kind = record_kind(kind) if kind else None
    if spec_kind is not None:
        start = spec.get("window_start") or today
        end = spec.get("window_end") or deadline
        if start > end:
            errors["window_end"] = _("记录日期的结束日不能早于开始日")
        out.update(window_start=start, window_end=end)
        fields = {f: spec.get(f) or "" for f in spec_kind.fields}
        errors.update(spec_kind.clean(fields))
        out.update({f: fields[f] for f in spec_kind.fields if f in out})
    if kind == AnswerKind.FILE:
        reason = _text(spec.get("file_reason"), 300)
        if len(reason) < 4:
            errors["file_reason"] = _("要求上报文件须写明理由（至少4个字）；不得要求上报照片")
        out["file_reason"] = reason
    elif kind == AnswerKind.NUMBER:
        label = _text(spec.get("number_label"), 60)
        if not label:
            errors["number_label"] = _("请写明要上报的数字是什么（如：参加人数）")
        out["number_label"] = label
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def issue_task(
    *,
    actor: User | None,
    issuer: Organization,
    title: str = "",
    instructions: str = "",
    deadline: dt.date,
    target: str,
    unit_kind: str = "",
    chosen: Sequence[str] = (),
    answer_kind: str = "",
    meeting_kind: str = "",
    topic_keyword: str = "",
    step_kind: str = "",
    window_start: dt.date | None = None,
    window_end: dt.date | None = None,
    file_reason: str = "",
    number_label: str = "",
    relay: Assignment | None = None,
    today: dt.date | None = None,
) -> Task:
    """Issue a task from ``issuer`` (a committee the actor may change) to its subtree, or, with
    ``relay``, pass on the task ``issuer`` received to its own subtree: then the title and what answers
    it are the parent's, and the deadline may not be later than the parent's."""
    scope.ensure_change(actor, issuer.path)
    today = _today(today)
    errors: dict[str, str] = {}
    if issuer.kind == OrgKind.BRANCH:
        raise ValidationError({"issuer": _("党支部不能向下下达任务")})
    if relay is not None:
        parent = relay.task
        if not relay.relay or relay.org_id != issuer.pk:
            raise ValidationError({"relay": _("这项任务不是交由本组织转办的")})
        if relay.answered_on is not None:
            raise ValidationError({"relay": _("这项任务已经转办过了")})
        if deadline > relay.deadline:
            errors["deadline"] = _("转办的完成期限不能晚于上级规定的期限（%(day)s）") % {
                "day": relay.deadline.isoformat()
            }
        title = parent.title
        spec = {f: getattr(parent, f) for f in _SPEC_FIELDS}
        root = parent.root
    else:
        parent, root = None, None
        title = _text(title, MAX_TITLE)
        if not title:
            errors["title"] = _("请填写任务名称")
        spec = {
            "answer_kind": answer_kind,
            "meeting_kind": meeting_kind,
            "topic_keyword": topic_keyword,
            "step_kind": step_kind,
            "window_start": window_start,
            "window_end": window_end,
            "file_reason": file_reason,
            "number_label": number_label,
        }
    if deadline < today:
        errors["deadline"] = _("完成期限不能早于今天")
    instructions = str(instructions or "").strip()
    if len(instructions) > MAX_INSTRUCTIONS:
        errors["instructions"] = _("任务要求不能超过%(n)s字") % {"n": MAX_INSTRUCTIONS}
    try:
        spec = _validate_spec(spec, deadline=deadline, today=today) if relay is None else spec
    except ValidationError as e:
        errors.update({k: v[0] for k, v in e.message_dict.items()})
    try:
        targets, source = _targets(issuer, target, unit_kind, chosen)
    except ValidationError as e:
        errors.update({k: v[0] for k, v in e.message_dict.items()})
        targets, source = [], None
    if errors:
        raise ValidationError(errors)

    task = Task.objects.create(
        issuer=issuer,
        issuer_path=issuer.path,
        parent=parent,
        root=root,
        relay=relay,
        title=title,
        instructions=instructions,
        deadline=deadline,
        issued_on=today,
        target=target,
        unit_kind=unit_kind if target == Target.UNIT_KIND else "",
        created_by=actor if getattr(actor, "pk", None) else None,
        assigned=len(targets),
        **spec,
    )
    if root is None:
        task.root = root = task
        task.save(update_fields=["root"])
    root_path = root.issuer_path
    deltas: dict[str, Delta] = {}
    due = deadline.isoformat()
    if source is not None:
        _insert_from(source, task=task, root=root, deadline=deadline, today=today)
    else:
        Assignment.objects.bulk_create(
            [
                Assignment(
                    task=task,
                    root=root,
                    org_id=org_id,
                    org_path=path,
                    depth=len(path) // STEP,
                    relay=kind != OrgKind.BRANCH,
                    deadline=deadline,
                    issued_on=today,
                )
                for org_id, path, kind in targets
            ],
            batch_size=BATCH,
        )
    for _org_id, path, kind in targets:
        for up in _ancestors(path, root_path):
            d = _delta(deltas, up)
            if kind != OrgKind.BRANCH:
                d.relays += 1
            else:
                d.total += 1
                d.open_due[due] += 1
    if relay is not None:
        relay.answered_on = today
        relay.answered_at = timezone.now()
        relay.answered_by = task.created_by
        relay.late = today > relay.deadline
        relay.save(update_fields=["answered_on", "answered_at", "answered_by", "late"])
        for up in _ancestors(relay.org_path, root_path):
            _delta(deltas, up).relays_passed += 1
    _apply(root, deltas)
    audit.created(
        actor=actor,
        obj=task,
        message=(_("转办给%(n)s个组织") if relay else _("下达给%(n)s个组织")) % {"n": len(targets)},
    )
    return task


def _insert_from(source: Any, *, task: Task, root: Task, deadline: dt.date, today: dt.date) -> None:
    """The assignments of every organization ``source`` selects, as one ``INSERT … SELECT`` (portable
    SQL): a province-wide task writes tens of thousands of rows without building a model object, or a
    parameter, per row."""
    select, params = source.values_list("id", "path", "depth", "kind").query.sql_with_params()
    q = connection.ops.quote_name
    columns = (
        "task_id",
        "root_id",
        "org_id",
        "org_path",
        "depth",
        "relay",
        "deadline",
        "issued_on",
        "late",
        "record_kind",
        "record_label",
        "text",
        "file",
        "file_name",
    )
    sql = (
        f"INSERT INTO {q(Assignment._meta.db_table)} ({', '.join(q(c) for c in columns)}) "  # noqa: S608
        "SELECT %s, %s, t.id, t.path, t.depth, CASE WHEN t.kind = %s THEN %s ELSE %s END, %s, %s, %s, "
        f"'', '', '', '', '' FROM ({select}) t"
    )
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                task.pk,
                root.pk,
                OrgKind.BRANCH.value,
                False,
                True,
                adapt(deadline),
                adapt(today),
                False,
                *params,
            ],
        )


_SPEC_FIELDS = (
    "answer_kind",
    "meeting_kind",
    "topic_keyword",
    "step_kind",
    "window_start",
    "window_end",
    "file_reason",
    "number_label",
)


def pass_on(
    *,
    actor: User | None,
    assignment: Assignment,
    deadline: dt.date,
    target: str,
    unit_kind: str = "",
    chosen: Sequence[str] = (),
    instructions: str = "",
    today: dt.date | None = None,
) -> Task:
    """转办: the committee that received ``assignment`` passes it on to its subtree."""
    scope.ensure_change(actor, assignment.org_path)
    return issue_task(
        actor=actor,
        issuer=assignment.org,
        deadline=deadline,
        target=target,
        unit_kind=unit_kind,
        chosen=chosen,
        instructions=instructions,
        relay=assignment,
        today=today,
    )


# Answering ---------------------------------------------------------------------------------------------------


def fitting_records(task: Task, org: Organization | int) -> Any:
    """The organization's records that answer ``task`` (a queryset or a list, newest first), by the
    record kind registered for its ``answer_kind``; none for a task answered otherwise."""
    spec = record_kind(task.answer_kind)
    return [] if spec is None else spec.find(org, task)


def fitting_meetings(task: Task, org_id: int) -> Any:
    """The branch's meetings that answer ``task`` (the meeting kind registered by the life app)."""
    return record_kind(AnswerKind.MEETING).find(org_id, task)


def fitting_steps(task: Task, org_id: int) -> Any:
    """The branch's development steps that answer ``task`` (registered by the development app)."""
    return record_kind(AnswerKind.DEVELOPMENT_STEP).find(org_id, task)


def record_label(task: Task, record: Any) -> str:
    spec = record_kind(task.answer_kind)
    return spec.describe(record)[:300] if spec is not None else str(record)[:300]


def find_record(task: Task, org: Organization, record_id: int) -> Any:
    """The fitting record of ``record_id`` (None: no such record fits)."""
    found = fitting_records(task, org)
    if hasattr(found, "filter"):
        return found.filter(pk=record_id).first()
    return next((r for r in found if r.pk == record_id), None)


def _lock_open(assignment: Assignment) -> Assignment:
    locked = Assignment.objects.select_for_update().select_related("task", "root").get(pk=assignment.pk)
    if locked.relay:
        raise ValidationError({"answer": _("这项任务由本组织转办，请转办给下级组织")})
    if locked.answered_on is not None:
        raise ValidationError({"answer": _("这项任务已经完成")})
    return locked


def _close(actor: User | None, locked: Assignment, today: dt.date, message: str) -> Assignment:
    before = audit.snapshot(locked)
    locked.answered_on = today
    locked.answered_at = timezone.now()
    locked.answered_by = actor if getattr(actor, "pk", None) else None
    locked.late = today > locked.deadline
    locked.save()
    deltas: dict[str, Delta] = {}
    for up in _ancestors(locked.org_path, locked.root.issuer_path):
        d = _delta(deltas, up)
        d.answered += 1
        d.answered_late += int(locked.late)
        d.open_due[locked.deadline.isoformat()] -= 1
    _apply(locked.root, deltas)
    audit.updated(actor=actor, obj=locked, before=before, message=message)
    return locked


@transaction.atomic
def confirm_record(
    *, actor: User | None, assignment: Assignment, record_id: int, today: dt.date | None = None
) -> Assignment:
    """The branch confirms, once, that one of its records answers the task (no typing)."""
    scope.ensure_change(actor, assignment.org_path)
    locked = _lock_open(assignment)
    task = locked.task
    if not task.by_record:
        raise ValidationError({"record": _("这项任务不以记录作答")})
    record = find_record(task, locked.org, record_id)
    if record is None:
        raise ValidationError({"record": _("这条记录不符合任务的要求（类型、日期或主题）")})
    locked.record_kind = task.answer_kind
    locked.record_id = record.pk
    locked.record_label = record_label(task, record)
    return _close(actor, locked, _today(today), _("以记录完成"))


def _check_file(upload: UploadedFile) -> tuple[str, str]:
    name = os.path.basename(str(upload.name or ""))[:200]
    ext = os.path.splitext(name)[1].lower()
    if ext not in FILE_TYPES or str(getattr(upload, "content_type", "")).startswith("image/"):
        raise ValidationError({"file": _("只接受文档（PDF、Word、Excel、文本）；不接受照片或图片")})
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError({"file": _("文件不能超过10MB")})
    head = upload.read(8)
    upload.seek(0)
    if ext == ".pdf" and not head.startswith(b"%PDF"):
        raise ValidationError({"file": _("文件内容不是PDF")})
    if head[:3] in (b"\xff\xd8\xff", b"\x89PN", b"GIF") or head[4:8] == b"ftyp":
        raise ValidationError({"file": _("只接受文档（PDF、Word、Excel、文本）；不接受照片或图片")})
    return name, ext


@transaction.atomic
def answer(
    *,
    actor: User | None,
    assignment: Assignment,
    text: str = "",
    number: Any = None,
    file: UploadedFile | None = None,
    today: dt.date | None = None,
) -> Assignment:
    """Answer a task that asks for a short text, a number or a file (a file only where the issuer
    stated why; documents only, never a photo)."""
    scope.ensure_change(actor, assignment.org_path)
    locked = _lock_open(assignment)
    kind = locked.task.answer_kind
    if kind == AnswerKind.TEXT:
        value = str(text or "").strip()
        if not value:
            raise ValidationError({"text": _("请填写答复")})
        if len(value) > MAX_TEXT:
            raise ValidationError({"text": _("答复不能超过%(n)s字") % {"n": MAX_TEXT}})
        locked.text = value
    elif kind == AnswerKind.NUMBER:
        try:
            value = decimal.Decimal(str(number).strip())
        except (decimal.InvalidOperation, ValueError):
            raise ValidationError({"number": _("请填写一个数字")}) from None
        if not value.is_finite() or abs(value) >= 10**12:
            raise ValidationError({"number": _("请填写一个数字")})
        locked.number = value.quantize(decimal.Decimal("0.01"))
    elif kind == AnswerKind.FILE:
        if file is None:
            raise ValidationError({"file": _("请选择文件")})
        name, _ext = _check_file(file)
        locked.file_name = name
        locked.file.save(name, file, save=False)
        locked.text = str(text or "").strip()[:MAX_TEXT]
    else:
        raise ValidationError({"answer": _("这项任务以记录作答：录入相应记录后在此确认即可")})
    return _close(actor, locked, _today(today), _("已答复"))


@transaction.atomic
def withdraw(
    *, actor: User | None, assignment: Assignment, reason: str, today: dt.date | None = None
) -> Withdrawal:
    """撤回: the branch takes back its answer until the deadline (the deadline day included), stating
    why. The answer is kept in a ``Withdrawal``, the assignment is open again and the counts of every
    committee above it follow in the same transaction."""
    scope.ensure_change(actor, assignment.org_path)
    today = _today(today)
    locked = Assignment.objects.select_for_update().select_related("task", "root").get(pk=assignment.pk)
    if locked.relay:
        raise ValidationError({"reason": _("转办的任务不能撤回")})
    if locked.answered_on is None:
        raise ValidationError({"reason": _("这项任务还没有完成，无需撤回")})
    if today > locked.deadline:
        raise ValidationError(
            {"reason": _("已过完成期限（%(day)s），不能撤回") % {"day": locked.deadline.isoformat()}}
        )
    reason = _text(reason, 300)
    if len(reason) < 4:
        raise ValidationError({"reason": _("请写明撤回原因（至少4个字）")})
    before = audit.snapshot(locked)
    withdrawal = Withdrawal.objects.create(
        assignment=locked,
        reason=reason,
        withdrawn_on=today,
        withdrawn_by=actor if getattr(actor, "pk", None) else None,
        answered_on=locked.answered_on,
        record_kind=locked.record_kind,
        record_id=locked.record_id,
        record_label=locked.record_label,
        text=locked.text,
        number=locked.number,
        file=locked.file.name if locked.file else "",
        file_name=locked.file_name,
    )
    was_late = locked.late
    locked.answered_on = None
    locked.answered_at = None
    locked.answered_by = None
    locked.late = False
    locked.record_kind = ""
    locked.record_id = None
    locked.record_label = ""
    locked.text = ""
    locked.number = None
    locked.file = ""
    locked.file_name = ""
    locked.save()
    deltas: dict[str, Delta] = {}
    for up in _ancestors(locked.org_path, locked.root.issuer_path):
        d = _delta(deltas, up)
        d.answered -= 1
        d.answered_late -= int(was_late)
        d.open_due[locked.deadline.isoformat()] += 1
    _apply(locked.root, deltas)
    audit.updated(
        actor=actor, obj=locked, before=before, message=_("撤回答复：%(reason)s") % {"reason": reason}
    )
    return withdrawal


# Reminders (督办) ----------------------------------------------------------------------------------------------


@transaction.atomic
def remind(
    *,
    actor: User | None,
    task: Task,
    node: Organization,
    note: str = "",
    today: dt.date | None = None,
) -> int:
    """督办: remind every organization under ``node`` (itself, if it was assigned) whose assignment in
    this task tree is past its deadline and open. Returns how many were reminded."""
    scope.ensure_change(actor, node.path)
    today = _today(today)
    late_rows = list(
        Assignment.objects.filter(
            root_id=task.root_id,
            org_path__prefix=node.path,
            answered_on__isnull=True,
            deadline__lt=today,
        ).values_list("id", "org_path", "org_id", "deadline")
    )
    late = [(a, path, org_id) for a, path, org_id, _d in late_rows]
    sender = task.issuer if node.path.startswith(task.issuer_path) else node
    if not late:
        return 0
    user = actor if getattr(actor, "pk", None) else None
    note = _text(note, 300)
    Reminder.objects.bulk_create(
        [Reminder(assignment_id=a, sent_by_org=sender, sent_by=user, note=note) for a, _p, _o in late],
        batch_size=BATCH,
    )
    # The secretaries and administrators of each late organization are told (core.events, delivered by
    # the notifications app after commit): one event per organization reminded.
    events.publish_many(
        REMINDED,
        [
            {
                "org_path": path,
                "org_id": org_id,
                "context": {
                    "assignment": a,
                    "task": task.title,
                    "sender": sender.name,
                    "deadline": deadline.isoformat(),
                    "note": note,
                },
            }
            for a, path, org_id, deadline in late_rows
        ],
    )
    audit.record(
        actor=actor,
        action="update",
        obj=task,
        org_path=node.path,
        message=_("督办%(n)s个逾期未完成的组织") % {"n": len(late)},
    )
    return len(late)


# Responsibility lists (责任清单) ---------------------------------------------------------------------------------


@transaction.atomic
def add_responsibility(
    *,
    actor: User | None,
    org: Organization,
    year: int,
    content: str,
    carrier: Organization | None = None,
    post: str = "",
    note: str = "",
) -> ResponsibilityItem:
    """Add one item to the committee's list of ``year`` (the list is made with its first item)."""
    scope.ensure_change(actor, org.path)
    errors: dict[str, str] = {}
    content = _text(content, 300)
    if not content:
        errors["content"] = _("请填写责任事项")
    if not 2000 <= int(year) <= 2100:
        errors["year"] = _("年度不正确")
    carrier = carrier or org
    if not carrier.path.startswith(org.path):
        errors["carrier"] = _("责任组织须是本组织或其下级组织")
    if post and post not in Post.values:
        errors["post"] = _("请选择职务")
    if errors:
        raise ValidationError(errors)
    rlist, created = ResponsibilityList.objects.get_or_create(
        org=org, year=year, defaults={"org_path": org.path}
    )
    if created:
        audit.created(actor=actor, obj=rlist)
    position = (rlist.items.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    item = ResponsibilityItem.objects.create(
        list=rlist, position=position, content=content, carrier=carrier, post=post, note=_text(note, 300)
    )
    audit.created(actor=actor, obj=item)
    return item


@transaction.atomic
def remove_responsibility(*, actor: User | None, item: ResponsibilityItem) -> None:
    scope.ensure_change(actor, item.list.org_path)
    audit.deleted(actor=actor, obj=item)
    item.delete()
