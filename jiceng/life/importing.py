"""``meetings.csv``: the history of organizational life, for ``jiceng import`` (jiceng.roster).

Columns (as ``../shared/datasets/gen_roster.py`` writes them)::

    组织编码,会议类型,日期,主题,应到人数,实到人数

A row is one held meeting of a branch, with its head counts (no per-member attendance). It is
judged as ``life.services.record_meeting`` judges a meeting: the organization must be a branch the
importing user may change, the type one of 支部党员大会/支委会/党小组会/党课/主题党日/组织生活会/民主评议党员,
the date not in the future, the topic given, 实到 no more than 应到. An imported 党小组会 names no
party group (the file has no such column).

Idempotence: a meeting is the same meeting when (branch, type, date, topic) agree. Importing the same
file again changes nothing; a row whose head counts differ updates a meeting that was imported, and
leaves alone one that was recorded member by member (its counts follow its attendance list).

All or nothing: the importer (``jiceng.roster.importer``) runs every table in one transaction and
rolls it back if any row of any table is wrong; this handler reports each problem with its row,
column, value, code and a Chinese reason, and writes in batches while no problem has been found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import dates
from jiceng.core.models import ObjectChange
from jiceng.orgs.models import OrgKind
from jiceng.roster.formats import chinese_labels, choice_map, parse_date
from jiceng.roster.handlers.base import Column, Layout, TableHandler
from jiceng.roster.handlers.common import directory, plain, snapshot_fields
from jiceng.roster.readers import Source

from .models import Meeting, MeetingKind
from .services import meetings_changed

CHUNK = 5000
IMPORTED = str(Meeting.Source.IMPORTED.value)
MAX_COUNT = 100000
KIND_ALIASES = {
    "党员大会": MeetingKind.GENERAL_MEETING,
    "支部大会": MeetingKind.GENERAL_MEETING,
    "支部委员会": MeetingKind.COMMITTEE_MEETING,
    "支部委员会会议": MeetingKind.COMMITTEE_MEETING,
    "支委会会议": MeetingKind.COMMITTEE_MEETING,
    "党小组会议": MeetingKind.GROUP_MEETING,
    "民主评议": MeetingKind.MEMBER_REVIEW,
}
COLUMNS = (
    "id",
    "org_id",
    "org_path",
    "group_id",
    "kind",
    "held_on",
    "place",
    "topic",
    "host_id",
    "recorder_id",
    "minutes",
    "expected",
    "present",
    "voted",
    "voting_members",
    "voters_present",
    "votes_yes",
    "votes_no",
    "votes_abstain",
    "source",
    "created_at",
    "updated_at",
)


@dataclass(slots=True)
class MeetingRow:
    row: int
    org_code: str
    kind: str
    held_on: dt.date | None
    topic: str
    expected: int | None
    present: int | None
    ok: bool = True


class MeetingsHandler(TableHandler):
    table = "meetings"
    title = gettext_lazy("组织生活记录")
    file_name = "meetings.csv"
    sheet_name = "组织生活"
    order = 50  # after the organizations (and members) the meetings belong to
    columns: ClassVar[tuple[Column, ...]] = (
        Column("org_code", "组织编码", ("党组织编码", "党支部编码"), required=True),
        Column("kind", "会议类型", ("会议类别", "组织生活类型"), required=True),
        Column("held_on", "日期", ("会议日期", "召开日期"), required=True),
        Column("topic", "主题", ("会议主题",), required=True),
        Column("expected", "应到人数", ("应到",), required=True),
        Column("present", "实到人数", ("实到",), required=True),
    )
    signature = frozenset({"org_code", "kind", "held_on", "topic"})

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.kinds = choice_map(MeetingKind, KIND_ALIASES)
        self.directory = directory(run)
        self.first_row: dict[int, int] = {}  # hash of the meeting's key → the row it was first seen on
        self.kept_recorded = 0
        self.days: list[dt.date] = []
        self.paths: set[str] = set()
        self._ct: int | None = None
        self._fields = snapshot_fields(Meeting)

    # Reading ----------------------------------------------------------------------------------------

    def process(self, source: Source, layout: Layout) -> None:
        ix, headers = layout.index, layout.headers
        chunk: list[MeetingRow] = []
        for number, cells in source.rows():
            self.run.advance(1)
            chunk.append(self._parse(source, headers, number, {k: cells[i] for k, i in ix.items()}))
            if len(chunk) >= CHUNK:
                self._settle(source, headers, chunk)
                chunk = []
        if chunk:
            self._settle(source, headers, chunk)

    def _parse(
        self, source: Source, headers: dict[str, str], number: int, cell: dict[str, str]
    ) -> MeetingRow:
        row = MeetingRow(
            row=number,
            org_code=cell["org_code"],
            kind="",
            held_on=None,
            topic=cell["topic"],
            expected=None,
            present=None,
        )

        def err(key: str, code: str, message: str, value: Any = None) -> None:
            self.run.error(source.display, number, headers.get(key, key), value, code, message)
            row.ok = False

        if not row.org_code:
            err("org_code", "required", _("组织编码不能为空"))
        text = cell["kind"]
        row.kind = self.kinds.get(text, "")
        if not text:
            err("kind", "required", _("会议类型不能为空"))
        elif not row.kind:
            choices = "、".join(chinese_labels(MeetingKind).values())
            err("kind", "choice_invalid", _("会议类型应为：%(choices)s") % {"choices": choices}, text)
        text = cell["held_on"]
        if not text:
            err("held_on", "required", _("日期不能为空"))
        else:
            try:
                row.held_on = parse_date(text)
            except ValueError:
                err("held_on", "date_invalid", _("日期格式不正确，应为YYYY-MM-DD"), text)
            else:
                if row.held_on > self.run.today:
                    err("held_on", "date_in_future", _("会议日期不能晚于今天：只能记录已经召开的会议"), text)
                elif early := dates.date_problem(
                    row.held_on, label=_("会议日期"), not_before=[dates.founded()]
                ):
                    err("held_on", "date_too_early", early.messages[0], text)
        if not row.topic:
            err("topic", "required", _("会议主题不能为空"))
        elif len(row.topic) > 300:
            err("topic", "too_long", _("会议主题不能超过300个字"), row.topic)
        for key, label in (("expected", _("应到人数")), ("present", _("实到人数"))):
            text = cell[key]
            value = _count(text)
            if not text:
                err(key, "required", _("%(label)s不能为空") % {"label": label})
            elif value is None:
                err(key, "number_invalid", _("%(label)s应为不小于0的整数") % {"label": label}, text)
            setattr(row, key, value)
        if row.expected is not None and row.present is not None and row.present > row.expected:
            err(
                "present",
                "present_exceeds_expected",
                _("实到人数（%(present)s）不能多于应到人数（%(expected)s）")
                % {"present": row.present, "expected": row.expected},
                row.present,
            )
        if row.ok:
            key = hash((row.org_code, row.kind, row.held_on, row.topic))
            first = self.first_row.setdefault(key, number)
            if first != number:
                err(
                    "topic",
                    "duplicate_row",
                    _("与第%(row)d行是同一次会议（组织编码、会议类型、日期和主题都相同）") % {"row": first},
                    row.topic,
                )
        return row

    # Checking against the database, and writing ------------------------------------------------------

    def _settle(self, source: Source, headers: dict[str, str], chunk: list[MeetingRow]) -> None:
        run, d = self.run, self.directory
        d.lookup([r.org_code for r in chunk if r.org_code])
        for r in chunk:
            if not r.org_code:
                continue
            ref = d.get(r.org_code)

            def err(code: str, message: str, r: MeetingRow = r) -> None:
                run.error(
                    source.display, r.row, headers.get("org_code", "组织编码"), r.org_code, code, message
                )
                r.ok = False

            if ref is None or (ref.in_db and not ref.visible):
                # The same words whether the code is unknown or lies outside the user's subtrees.
                err(
                    "org_unknown",
                    _("组织编码%(code)s不存在，或不在您的管理范围内") % {"code": r.org_code},
                )
            elif ref.kind != OrgKind.BRANCH:
                err(
                    "not_branch", _("组织生活记录只能由党支部录入；%(code)s不是党支部") % {"code": r.org_code}
                )
            elif ref.in_db and not ref.changeable:
                err("not_allowed", _("您没有为该党支部录入组织生活的权限"))
        rows = [r for r in chunk if r.ok]
        existing = self._existing(rows)
        new, changed = [], []
        for r in rows:
            ref = d.by_code[r.org_code]
            found = existing.get((ref.pk, r.kind, r.held_on, r.topic)) if ref.pk is not None else None
            if found is None:
                new.append((r, ref))
            elif (found["expected"], found["present"]) == (r.expected, r.present):
                self.counts["unchanged"] += 1
            elif found["source"] != Meeting.Source.IMPORTED or found["attendance"]:
                self.counts["unchanged"] += 1
                self.kept_recorded += 1
            else:
                changed.append((r, ref, found))
        if not run.writing:
            self.counts["created"] += len(new)
            self.counts["updated"] += len(changed)
            return
        self._create(new)
        self._update(changed)

    def _existing(self, rows: list[MeetingRow]) -> dict[tuple, dict[str, Any]]:
        d = self.directory
        org_ids = {d.by_code[r.org_code].pk for r in rows} - {None}
        if not org_ids:
            return {}
        days = [r.held_on for r in rows]
        qs = Meeting.objects.filter(org_id__in=org_ids, held_on__range=(min(days), max(days)))
        out: dict[tuple, dict[str, Any]] = {}
        recorded_with_list = set(qs.filter(attendance__isnull=False).values_list("pk", flat=True).distinct())
        for m in qs.values(
            "pk", "org_id", "kind", "held_on", "topic", "expected", "present", "source", "updated_at"
        ):
            m["attendance"] = m["pk"] in recorded_with_list
            out.setdefault((m["org_id"], m["kind"], m["held_on"], m["topic"]), m)
        return out

    def _ct_id(self) -> int:
        if self._ct is None:
            self._ct = self.run.content_type_id(Meeting)
        return self._ct

    def _create(self, new: list[tuple[MeetingRow, Any]]) -> None:
        if not new:
            return
        run, w = self.run, self.run.writer
        ids = w.allocate_ids(Meeting, len(new))
        values = []
        for pk, (r, ref) in zip(ids, new, strict=True):
            meeting = Meeting(
                id=pk,
                org_id=ref.pk,
                org_path=ref.path,
                kind=r.kind,
                held_on=r.held_on,
                topic=r.topic,
                expected=r.expected,
                present=r.present,
                source=Meeting.Source.IMPORTED,
                created_at=w.now,
                updated_at=w.now,
            )
            values.append(
                (pk, ref.pk, ref.path, None, r.kind, r.held_on, "", r.topic, None, None, "")
                + (r.expected, r.present, False, None, None, None, None, None, IMPORTED)
                + (w.now_value, w.now_value)
            )
            run.audit(
                action=ObjectChange.Action.CREATE,
                content_type_id=self._ct_id(),
                object_id=pk,
                object_repr=str(meeting),
                org_path=ref.path,
                after={k: plain(getattr(meeting, a)) for k, a in self._fields},
                message=_("导入"),
            )
            self._touch(ref.path, r.held_on)
        w.insert(Meeting, COLUMNS, values)
        self.counts["created"] += len(new)

    def _update(self, changed: list[tuple[MeetingRow, Any, dict[str, Any]]]) -> None:
        if not changed:
            return
        run, w = self.run, self.run.writer
        w.update(
            Meeting,
            ["expected", "present", "updated_at"],
            [(r.expected, r.present, w.now_value, found["pk"]) for r, _ref, found in changed],
        )
        for r, ref, found in changed:
            run.audit(
                action=ObjectChange.Action.UPDATE,
                content_type_id=self._ct_id(),
                object_id=found["pk"],
                object_repr=f"{r.held_on:%Y-%m-%d} {MeetingKind(r.kind).label} {r.topic}",
                org_path=ref.path,
                before={
                    "expected": found["expected"],
                    "present": found["present"],
                    "updated_at": plain(found["updated_at"]),
                },
                after={"expected": r.expected, "present": r.present, "updated_at": w.now_iso},
                message=_("导入"),
            )
            self._touch(ref.path, r.held_on)
        self.counts["updated"] += len(changed)

    def _touch(self, path: str, day: dt.date) -> None:
        self.run.touched_paths.add(path)
        self.paths.add(path)
        if not self.days:
            self.days = [day, day]
        else:
            self.days = [min(self.days[0], day), max(self.days[1], day)]

    def finish(self) -> None:
        if self.kept_recorded:
            self.run.notice(
                _("%(n)d条会议已在系统中逐人录入出席情况，导入文件中的人数未覆盖这些记录")
                % {"n": self.kept_recorded}
            )
        if self.run.writing and self.paths:
            paths, (first, last) = frozenset(self.paths), self.days
            transaction.on_commit(
                lambda: meetings_changed.send(sender=Meeting, org_paths=paths, first_day=first, last_day=last)
            )


def _count(text: str) -> int | None:
    """A head count: a whole number from 0 (a spreadsheet may give "12.0")."""
    text = (text or "").strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        return None
    value = int(text)
    return value if value <= MAX_COUNT else None


def register_handler() -> None:
    """Plug this handler into the roster importer (replacing its "not yet supported" placeholder)."""
    from jiceng.roster.handlers.base import register

    register(MeetingsHandler)
