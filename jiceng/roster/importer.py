"""The import run: find the tables in the files, stream each to its handler, all in one transaction.

One pass per table. Each row is validated as it is read and, as long as no error has been found,
written at once in batches (COPY on PostgreSQL). The first error switches writing off: the remaining
rows are still read and checked, so that the report names every error, and the transaction is
rolled back at the end, so that nothing is written. ``check_only`` runs the same pass with writing
off from the start. Checks that need the whole import (a member held by a branch the files do not
name, the posts of each committee) run in the handlers' ``finish``, before the commit.

Reading twice (validate everything, then write everything) would be the simpler story, but it
doubles the parsing, and at a million rows the parsing is a third of the time; the transaction
already gives all-or-nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from itertools import compress
from operator import add
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, OperationalError, connection, models, reset_queries, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import probes, scope
from jiceng.core.context import current
from jiceng.core.models import ObjectChange, User
from jiceng.orgs import tallies

from . import readers
from .handlers import base
from .writer import BulkWriter

# Sent on commit of an import that wrote rows, with ``org_paths``: the subtree it touched (its rows are
# written without model signals, so apps that follow posts or members listen here).
imported = Signal()

ProgressCallback = Callable[[str, int, float], None]  # (phase label, rows read, fraction 0..1)

AUDIT_FLUSH_ROWS = 5000


@dataclass(frozen=True)
class Problem:
    """One error: where (file, row, column), what was there, and why (Chinese message, machine code);
    ``name`` is the 姓名 of the row where the file gives one (a person is found by name, not by row)."""

    file: str
    row: int | None
    column: str
    value: str
    code: str
    message: str
    name: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "code": self.code,
            "message": self.message,
            "name": self.name,
        }


class Report:
    """Every problem of a run: counted by code, the first ``settings.IMPORT_MAX_ERRORS`` written to a
    JSON-lines file (the page and the bad-rows workbook read no more), the first few kept in memory.

    A value or message longer than ``settings.IMPORT_MAX_CELL_CHARS`` is stored cut: a bad file with
    a million errors, or a cell of gigabytes, makes a report of bounded size.
    """

    def __init__(self, path: Path | None = None, keep: int = 200, limit: int | None = None) -> None:
        if path is None:
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (kept open for the run)
                "w+", encoding="utf-8", suffix=".jsonl", delete=False
            )
            self.path = Path(handle.name)
            self._file = handle
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.path = path
            self._file = open(path, "w+", encoding="utf-8")  # noqa: SIM115
        self.keep = keep
        self.limit = settings.IMPORT_MAX_ERRORS if limit is None else limit
        self._cell = settings.IMPORT_MAX_CELL_CHARS
        self._lock = threading.Lock()  # the reader and the database thread both report
        self.count = 0
        self.first: list[Problem] = []
        self.by_code: Counter[str] = Counter()

    @property
    def stored(self) -> int:
        """How many problems the file holds (the rest are only counted)."""
        return min(self.count, self.limit)

    def add(self, problem: Problem) -> None:
        cell = self._cell
        if len(problem.value) > cell or len(problem.message) > cell:
            problem = Problem(
                problem.file[:cell],
                problem.row,
                problem.column[:cell],
                readers.cut(problem.value, cell),
                problem.code,
                readers.cut(problem.message, cell),
                problem.name[:cell],
            )
        with self._lock:
            self.count += 1
            self.by_code[problem.code] += 1
            if self.count > self.limit:
                return
            if len(self.first) < self.keep:
                self.first.append(problem)
            self._file.write(json.dumps(problem.as_dict(), ensure_ascii=False) + "\n")

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __iter__(self) -> Iterator[Problem]:
        return iter_problems(self.path) if self.count else iter(())


def iter_problems(path: Path) -> Iterator[Problem]:
    if not path.exists():
        return
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield Problem(**json.loads(line))


@dataclass
class TableCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportResult:
    ok: bool
    check_only: bool
    written: bool
    rows: int
    seconds: float
    counts: dict[str, dict[str, int]]  # table → created/updated/unchanged
    extra: list[tuple[str, int]]  # (label, n): committees elected, posts set, …
    notices: list[str]
    error_count: int
    problems: list[Problem]  # the first few
    error_codes: dict[str, int]  # every error counted by code (the report stores the first ones only)
    report_path: Path
    org_path: str

    def all_problems(self) -> Iterator[Problem]:
        return iter_problems(self.report_path)


@dataclass
class InputFile:
    path: Path
    name: str  # as the user knows it (the uploaded name)


class TallyBuffer:
    """Subtree-count deltas per path, applied through ``orgs.tallies`` at the end, in slices.

    A province is ~50k branches × ~45 member keys. Counters would take ~130 MB; here each path holds
    a compact array of ints over the member keys (``dense``: ~0.6 kB), plus a small dict for the rare
    rest (a branch's unit kind, a committee's term end). At the end the deltas are summed up the
    tree once, bottom-up, and ``tallies.apply_totals`` gets ``FLUSH_SLICE`` nodes at a time, so its
    working copies stay small too.
    """

    FLUSH_SLICE = 5000

    def __init__(self, today: dt.date) -> None:
        self.dense: list[str] = sorted(_member_keys(today))
        self._index = {key: i for i, key in enumerate(self.dense)}
        self.counts: dict[str, array] = {}
        self.other: dict[str, Counter] = {}

    def add(self, path: str, keys: Mapping[str, int], sign: int = 1) -> None:
        index = self._index
        for key, n in keys.items():
            i = index.get(key)
            if i is None:
                extra = self.other.get(path)
                if extra is None:
                    extra = self.other[path] = Counter()
                extra[key] += sign * n
                continue
            counts = self.counts.get(path)
            if counts is None:
                counts = self.counts[path] = array("i", bytes(4 * len(self.dense)))
            counts[i] += sign * n

    def flush(self, created: Mapping[str, int]) -> None:
        """Sum the deltas up the tree, bottom-up (each node's into its parent's, once), then write each
        node's subtree total.

        ``created`` (path → pk) are the organizations this import created: they have no tally yet, so
        theirs is made here, as JSON, and the lot written in one go once it is all made (no query
        before: this Python work can run while the database makes the member indexes, see
        ``BulkLoad.finish``). The others' go to ``tallies.apply_totals``, which adds them to what they
        hold, ``FLUSH_SLICE`` nodes at a time.
        """
        from jiceng.orgs.models import Organization

        step = Organization.steplen
        counts, other = self.counts, self.other
        nodes = set()
        for path in set(counts) | set(other):
            while path and path not in nodes:
                nodes.add(path)
                path = path[:-step]
        # Deepest first: a node's total is complete before it is added to its parent's.
        for path in sorted(nodes, key=len, reverse=True):
            parent = path[:-step]
            if not parent:
                continue
            mine = counts.get(path)
            if mine is not None:
                theirs = counts.get(parent)
                counts[parent] = mine[:] if theirs is None else array("i", map(add, theirs, mine))
            extra = other.get(path)
            if extra:
                other.setdefault(parent, Counter()).update(extra)
        dense = self.dense
        encode = tallies.encode_counts
        new: list[tuple[int, str]] = []
        chunk: dict[str, dict[str, int]] = {}
        for path in sorted(nodes):
            values = counts.pop(path, None)
            delta = dict(zip(compress(dense, values), filter(None, values), strict=True)) if values else {}
            extra = other.pop(path, None)
            if extra:
                for key, n in extra.items():
                    delta[key] = delta.get(key, 0) + n
                delta = {k: v for k, v in delta.items() if v}
            if not delta:
                continue
            pk = created.get(path)
            if pk is not None:
                new.append((pk, encode(delta)))
                continue
            chunk[path] = delta
            if len(chunk) >= self.FLUSH_SLICE:
                tallies.apply_totals(chunk)
                chunk = {}
        tallies.apply_totals(chunk)
        tallies.create_encoded(new)
        self.counts, self.other = {}, {}


def _member_keys(today: dt.date) -> set[str]:
    """Every key ``orgs.tallies.member_keys`` can give (birth years from 1900 to this year)."""
    from jiceng.members.models import Category, Education, Gender, Status

    keys: set[str] = set()
    for year in range(1900, today.year + 1):
        keys.update(
            tallies.member_keys(
                status=Status.FULL,
                category=Category.OTHER,
                education=Education.BACHELOR,
                gender=Gender.MALE,
                birth_date=dt.date(year, 1, 1),
            )  # fmt: skip
        )
    for status in Status.values:
        for category in Category.values:
            for education in Education.values:
                for gender in Gender.values:
                    keys.update(
                        tallies.member_keys(
                            status=status,
                            category=category,
                            education=education,
                            gender=gender,
                            birth_date=today,
                        )  # fmt: skip
                    )
    return keys


class ImportRun:
    """State shared by the handlers of one run: who acts, what they may touch, the report, the writer."""

    def __init__(
        self,
        *,
        actor: User | None,
        check_only: bool,
        report: Report,
        progress: ProgressCallback | None = None,
        records_since: dt.date | None = None,
    ) -> None:
        self.actor = actor
        # ``jiceng import --records-since``: the 记录起始日期 of the organizations the orgs table lists
        # (created or existing) whose row gives none of its own.
        self.records_since = records_since
        # Identity numbers the run found held elsewhere (code, digest, branch path): recorded after the
        # run, whatever became of it, as the services record such refusals (core.probes).
        self.probes: list[tuple[str, str, str]] = []
        self.check_only = check_only
        self.report = report
        self.today = timezone.localdate()
        self.notices: list[str] = []
        self.extra: Counter[str] = Counter()
        self.shared: dict[str, Any] = {}
        self.writer = BulkWriter()
        # Waits for work handed to another thread on this connection (``BulkLoad.finish``): called
        # before the run ends, and with ``quiet=True`` whatever ended it.
        self.waits: list[Callable[..., None]] = []
        self.created_orgs: dict[str, int] = {}  # path → pk of the organizations this run created
        self.tallies = TallyBuffer(self.today)
        self.rows = 0
        self.touched_paths: set[str] = set()
        self._progress = progress
        self._last_tick = 0.0
        self._phase = ""
        self._fraction = 0.0
        self._audit: list[tuple] = []
        self._source: tuple[readers.Source, float, int] | None = None
        ctx = current()
        self.request_id = ctx.request_id
        self.source = ctx.source
        self.ip_address = ctx.ip_address
        self.actor_id = actor.pk if actor is not None else None
        self.actor_name = (actor.get_username()[:150] if actor is not None else "") or ""

    # Writing and scope ------------------------------------------------------------------------------

    @property
    def writing(self) -> bool:
        return not self.check_only and self.report.count == 0

    @property
    def system(self) -> bool:
        """A console import without --actor: no scope restriction."""
        return self.actor is None

    def can(self, action: str, path: str) -> bool:
        return self.actor is None or scope.can(self.actor, action, path)

    def error(
        self, source: str, row: int | None, column: str, value: Any, code: str, message: str, name: Any = ""
    ) -> None:
        self.report.add(
            Problem(
                file=source,
                row=row,
                column=column,
                value="" if value is None else str(value),
                code=code,
                message=message,
                name=str(name or "")[:50],
            )
        )

    def notice(self, text: str) -> None:
        if text not in self.notices:
            self.notices.append(text)

    # Audit --------------------------------------------------------------------------------------

    AUDIT_COLUMNS = (
        "time",
        "user_id",
        "user_name",
        "request_id",
        "source",
        "ip_address",
        "action",
        "content_type_id",
        "object_id",
        "object_repr",
        "org_path",
        "prechange_data",
        "postchange_data",
        "message",
    )

    def content_type_id(self, model: type[models.Model]) -> int:
        return ContentType.objects.get_for_model(model).pk

    def audit(
        self,
        *,
        action: str,
        content_type_id: int | None,
        object_id: int | None,
        object_repr: str,
        org_path: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        message: str = "",
        encoded_after: str | None = None,
    ) -> None:
        """Queue one change record (the same row ``jiceng.core.audit.record`` writes)."""
        w = self.writer
        self._audit.append(
            (
                w.now,
                self.actor_id,
                self.actor_name,
                self.request_id,
                self.source,
                self.ip_address,
                action,
                content_type_id,
                object_id,
                object_repr[:200],
                org_path,
                w.json(before) if before is not None else None,
                encoded_after
                if encoded_after is not None
                else (w.json(after) if after is not None else None),
                message[:255],
            )
        )
        if len(self._audit) >= AUDIT_FLUSH_ROWS:
            self.flush_audit()

    def flush_audit(self) -> None:
        if self._audit:
            self.writer.insert(ObjectChange, self.AUDIT_COLUMNS, self._audit)
            self._audit = []

    # Progress -----------------------------------------------------------------------------------

    def tick(self, fraction: float | None = None, *, force: bool = False) -> None:
        if fraction is not None:
            self._fraction = fraction
        if self._progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_tick >= 0.5:
            self._last_tick = now
            self._progress(self._phase, self.rows, self._fraction)

    # The run ------------------------------------------------------------------------------------

    def execute(self, files: list[InputFile]) -> dict[str, base.TableHandler]:
        bound: list[tuple[type[base.TableHandler], readers.Source]] = []
        for f in files:
            try:
                sources = readers.open_sources(f.path, lambda h: base.identify(h) is not None, display=f.name)
            except readers.SourceError as e:
                self.error(f.name, e.row, "", "", e.code, e.message)
                continue
            for source in sources:
                handler = base.identify(source.headers)
                assert handler is not None
                if handler.placeholder:
                    self.notice(
                        _("%(source)s是%(title)s表，本系统暂不导入，已跳过")
                        % {"source": source.display, "title": handler.title}
                    )
                    continue
                bound.append((handler, source))
        # Handlers that read ahead are made first, and prepared for their first source, before any table
        # is processed (the members' reading process is forked before the organizations are written).
        early: dict[str, base.TableHandler] = {}
        try:
            for handler_cls in base.handlers():
                mine = [s for h, s in bound if h is handler_cls]
                if mine and handler_cls.reads_ahead:
                    handler = early[handler_cls.table] = handler_cls(self)
                    handler.sources = mine
                    layout, problems = base.layout_for(handler_cls, mine[0].headers)
                    if not problems:
                        handler.prepare(mine[0], layout)
            return self._execute(bound, early)
        finally:
            for handler in early.values():
                handler.release()
            for wait in self.waits:
                wait(quiet=True)

    def _execute(
        self,
        bound: list[tuple[type[base.TableHandler], readers.Source]],
        early: dict[str, base.TableHandler],
    ) -> dict[str, base.TableHandler]:
        instances: dict[str, base.TableHandler] = {}  # in processing order
        total = max(1, len(bound))
        done = 0
        order = [cls for cls in base.handlers() if any(h is cls for h, _s in bound)]
        for position, handler_cls in enumerate(order):
            mine = [s for h, s in bound if h is handler_cls]
            handler = instances[handler_cls.table] = early.get(handler_cls.table) or handler_cls(self)
            handler.sources = mine
            handler.last_table = position == len(order) - 1
            for source in mine:
                layout, problems = base.layout_for(handler_cls, source.headers)
                for code, header in problems:
                    message = (
                        _("缺少必需的列“%(header)s”") if code == "header_missing" else _("列“%(header)s”重复")
                    ) % {"header": header}
                    self.error(source.display, source.header_row, header, "", code, message)
                if layout.ignored:
                    self.notice(
                        _("%(source)s中未识别的列已忽略：%(columns)s")
                        % {"source": source.display, "columns": "、".join(layout.ignored)}
                    )
                if problems:
                    done += 1
                    continue
                self._phase = str(handler_cls.title)
                self._source = (source, done / total, total)
                try:
                    handler.process(source, layout)
                except readers.SourceError as e:
                    self.error(source.display, e.row, "", "", e.code, e.message)
                done += 1
                self.tick(done / total, force=True)
            handler.end_table()
        if self.records_since is not None and "orgs" not in instances:
            self.notice(
                _("本次导入没有组织表，--records-since（记录起始日期）只作用于组织表中的党组织，未作更改")
            )
        for handler in instances.values():
            handler.finish()
        if self.writing:
            self.tallies.flush(self.created_orgs)
            self.flush_audit()
        for wait in self.waits:  # work handed to another thread (``BulkLoad.finish``): done, or raise
            wait()
        return instances

    def advance(self, rows: int) -> None:
        """Handlers report rows read; the progress callback hears of it at most twice a second."""
        self.rows += rows
        if settings.DEBUG:
            reset_queries()  # DEBUG keeps every query; a million rows' worth would not fit in memory
        if self._progress is not None and self._source is not None:
            source, start, total = self._source
            self.tick(start + source.fraction() / total)


def common_path(paths: set[str]) -> str:
    """The deepest organization path covering all ``paths`` (whole steps of the tree)."""
    from jiceng.orgs.models import Organization

    if not paths:
        return ""
    low, high = min(paths), max(paths)
    n = 0
    while n < min(len(low), len(high)) and low[n] == high[n]:
        n += 1
    return low[: n - n % Organization.steplen]


class ProbeLimit(Exception):
    """The actor had too many identity numbers refused lately (core.probes): no import."""


def run_import(
    *,
    actor: User | None,
    files: list[InputFile],
    check_only: bool = False,
    report_path: Path | None = None,
    progress: ProgressCallback | None = None,
    records_since: dt.date | None = None,
) -> ImportResult:
    """Validate (and unless ``check_only``, import) the files; all or nothing.

    ``actor`` None is the console's system import (no scope restriction); otherwise every row must
    lie in the subtrees where the actor may make the change. ``records_since``: the 记录起始日期 of every
    organization of the orgs table whose row has none (checked by the caller: ``orgs.rules``).
    """
    started = time.perf_counter()
    report = Report(report_path)
    run = ImportRun(
        actor=actor, check_only=check_only, report=report, progress=progress, records_since=records_since
    )
    instances: dict[str, base.TableHandler] = {}
    try:
        try:
            if probes.over_limit(actor):
                raise ProbeLimit
            with transaction.atomic():
                if not check_only:
                    take_import_lock()
                instances = run.execute(files)
                changed = any(h.counts["created"] or h.counts["updated"] for h in instances.values())
                if run.writing and (changed or run.extra):
                    _record_import(run, instances)
                    paths = (common_path(run.touched_paths),) if run.touched_paths else ()
                    transaction.on_commit(lambda: imported.send(sender=ImportRun, org_paths=paths))
                if not run.writing:
                    transaction.set_rollback(True)
        except ImportBusy:
            run.error(
                "", None, "", "", "import_running", _("另一导入正在进行，请等它结束后再试；没有写入任何数据")
            )
        except IntegrityError as e:  # a page wrote the same record meanwhile: rolled back, say so
            run.error(
                "",
                None,
                "",
                "",
                "conflict",
                _("导入期间相同的记录被同时修改（%(error)s），没有写入任何数据；请重新导入")
                % {"error": str(e).splitlines()[0][:200]},
            )
        except ProbeLimit:
            run.error(
                "",
                None,
                "",
                "",
                "too_many_refusals",
                _("近期登记的公民身份号码因重复被拒次数过多，暂停导入；请稍后再试，或联系上级党组织"),
            )
    finally:
        report.close()
        if run.probes and getattr(actor, "pk", None) is not None:
            probes.record_refusals(
                actor=actor, refusals=run.probes, message=_("导入被拒：该公民身份号码已有记录")
            )
    counts = {table: vars(_counts(h)) for table, h in instances.items()}
    return ImportResult(
        ok=report.count == 0,
        check_only=check_only,
        written=run.writing and not check_only,
        rows=run.rows,
        seconds=time.perf_counter() - started,
        counts=counts,
        extra=[(label, n) for label, n in run.extra.items()],
        notices=run.notices,
        error_count=report.count,
        problems=report.first,
        error_codes=dict(report.by_code.most_common()),
        report_path=report.path,
        org_path=common_path(run.touched_paths),
    )


class ImportBusy(Exception):
    """Another import holds the import lock."""


# The key of the PostgreSQL advisory lock one writing import holds for its transaction.
IMPORT_LOCK_KEY = 0x6A6963656E67  # "jiceng"


def take_import_lock() -> None:
    """One writing import at a time (two imports of the same organizations would collide on their
    keys halfway): PostgreSQL's advisory lock for the transaction, tried without waiting; SQLite's
    write lock, taken now rather than at the first write, within the connection's timeout.
    Raises ImportBusy."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
            if not cursor.fetchone()[0]:
                raise ImportBusy
            return
        try:  # a write that changes nothing still takes SQLite's write lock
            cursor.execute("UPDATE roster_importjob SET id = id WHERE 0")
        except OperationalError as e:
            if "locked" in str(e):
                raise ImportBusy from e
            raise


def _counts(handler: base.TableHandler) -> TableCounts:
    return TableCounts(
        created=handler.counts["created"],
        updated=handler.counts["updated"],
        unchanged=handler.counts["unchanged"],
    )


def summary_lines(counts: Mapping[str, Mapping[str, int]], extra: list[tuple[str, int]]) -> list[str]:
    """One line per table: "党员：新建 12，更新 3，未变 240"."""
    lines = []
    for table, c in counts.items():
        handler = base.get(table)
        title = handler.title if handler else table
        lines.append(
            _("%(title)s：新建 %(created)d，更新 %(updated)d，未变 %(unchanged)d")
            % {"title": title, "created": c["created"], "updated": c["updated"], "unchanged": c["unchanged"]}
        )
    lines.extend(f"{label}：{n}" for label, n in extra)
    return lines


def _record_import(run: ImportRun, instances: dict[str, base.TableHandler]) -> None:
    """One change record for the whole import, beside the per-object ones."""
    counts = {t: vars(_counts(h)) for t, h in instances.items()}
    run.audit(
        action=ObjectChange.Action.IMPORT,
        content_type_id=None,
        object_id=None,
        object_repr=_("党员花名册导入"),
        org_path=common_path(run.touched_paths),
        after={"counts": counts, **{label: n for label, n in run.extra.items()}},
        message="；".join(summary_lines(counts, list(run.extra.items()))),
    )
    run.flush_audit()
