"""What a table handler is, and the registry the importer and exporter read.

A handler owns one table of the roster exchange format (``orgs.csv``, ``members.csv``, later
``meetings.csv`` from the organizational-life app): the columns it understands, how its rows are
validated and written, and optionally how the table is exported. The importer (``..importer``)
finds the tables in the uploaded files, orders the handlers, streams each table's rows to its
handler and keeps the whole run in one transaction.

To add a table from another app::

    # life/apps.py
    def ready(self):
        from jiceng.roster.handlers import register
        from .roster import MeetingsHandler
        register(MeetingsHandler)   # replaces the "not yet supported" placeholder for meetings.csv
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.functional import Promise

from ..readers import Source

if TYPE_CHECKING:
    from jiceng.core.models import User
    from jiceng.orgs.models import Organization

    from ..importer import ImportRun


@dataclass(frozen=True)
class Column:
    """A column of a table: the field it fills, its header, and the other headers accepted for it."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False  # the header must be present (values may still be checked per row)
    exported: bool = True

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass
class Layout:
    """Where each column of a table sits in one source, and which headers were not recognized."""

    index: dict[str, int]  # column key → cell index
    headers: dict[str, str]  # column key → header as written in the file
    ignored: list[str] = field(default_factory=list)

    def has(self, key: str) -> bool:
        return key in self.index


class TableHandler:
    """Base class: subclasses set the class attributes and implement ``process`` (and ``finish``)."""

    table: ClassVar[str]
    title: ClassVar[str | Promise]
    file_name: ClassVar[str]
    sheet_name: ClassVar[str]
    order: ClassVar[int] = 100  # lower runs first: organizations before the rows that refer to them
    columns: ClassVar[tuple[Column, ...]]
    signature: ClassVar[frozenset[str]]  # column keys whose headers, together, identify the table
    placeholder: ClassVar[bool] = False  # recognized, but not imported yet (a notice, not an error)
    # Made before any table is processed, and ``prepare``d for its first source (see ``prepare``).
    reads_ahead: ClassVar[bool] = False

    sources: list[Source]  # this table's sources in the run, in the order they are processed
    last_table: bool  # no table with sources in the run comes after this one

    def __init__(self, run: ImportRun) -> None:
        self.run = run
        self.counts: Counter[str] = Counter()
        self.sources = []
        self.last_table = True

    @classmethod
    def by_header(cls) -> dict[str, Column]:
        return {h: c for c in cls.columns for h in c.headers}

    @classmethod
    def matches(cls, headers: list[str]) -> bool:
        known = cls.by_header()
        keys = {known[h].key for h in headers if h in known}
        return cls.signature <= keys

    def prepare(self, source: Source, layout: Layout) -> None:
        """``reads_ahead`` handlers: called with their first source (whose headers are fine) before any
        table is processed, e.g. to start reading it in another process. ``process`` still follows."""

    def release(self) -> None:
        """After the run, whatever happened (an exception included): end what ``prepare`` started."""

    def process(self, source: Source, layout: Layout) -> None:
        """Validate the source's rows and, while ``self.run.writing``, write them."""
        raise NotImplementedError

    def end_table(self) -> None:
        """After every source of this table, before the tables that come later."""

    def finish(self) -> None:
        """After every source of every table: checks and writes that need the whole import."""

    # Export (optional) ----------------------------------------------------------------------------

    exportable: ClassVar[bool] = False

    @classmethod
    def export_rows(cls, *, actor: User | None, org: Organization, full_id: bool) -> Iterator[list[Any]]:
        """Data rows of the subtree of ``org`` in ``export_headers()`` order (values, not yet neutralized)."""
        raise NotImplementedError

    @classmethod
    def export_headers(cls) -> list[str]:
        return [c.header for c in cls.columns if c.exported]


_registry: dict[str, type[TableHandler]] = {}


def register(handler: type[TableHandler]) -> type[TableHandler]:
    """Add (or replace) the handler of ``handler.table``. Usable as a class decorator."""
    _registry[handler.table] = handler
    return handler


def handlers() -> list[type[TableHandler]]:
    """Every registered handler, in processing order."""
    return sorted(_registry.values(), key=lambda h: (h.order, h.table))


def get(table: str) -> type[TableHandler] | None:
    return _registry.get(table)


def identify(headers: list[str]) -> type[TableHandler] | None:
    """The handler whose signature the headers carry; the most specific signature wins."""
    found = [h for h in _registry.values() if h.matches(headers)]
    if not found:
        return None
    return max(found, key=lambda h: (len(h.signature), not h.placeholder))


def layout_for(handler: type[TableHandler], headers: list[str]) -> tuple[Layout, list[tuple[str, str]]]:
    """Map a header row onto the handler's columns. Returns the layout and (code, header) problems."""
    known = handler.by_header()
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[tuple[str, str]] = []
    for i, header in enumerate(headers):
        if not header:
            continue
        column = known.get(header)
        if column is None:
            ignored.append(header)
            continue
        if column.key in index:
            problems.append(("header_duplicate", header))
            continue
        index[column.key] = i
        written[column.key] = header
    for column in handler.columns:
        if column.required and column.key not in index:
            problems.append(("header_missing", column.header))
    return Layout(index=index, headers=written, ignored=ignored), problems
