"""Maintained monthly figures of residents' requests (``MonthlyFigures``): the counts behind 响应率,
解决率 and 满意率 per organization's subtree and month, kept by the writes and rebuildable.

A request counts, in the month it was received (local time), for every organization above and including
where it was made and who handles it (the ``in_subtree`` rule of the figures: made in or handled by a
node's subtree), unless merged, withdrawn or referred. Its counts:

- ``received`` 1; ``responded_in_time``: responded by the response limit in force **on the day it was
  received** for its urgency and category (as the rule ``service.response_late`` judges it);
- ``answered``: answered at least once (an ``answered`` event); ``solved``: the resident said 已解决;
- ``rated``: a satisfaction given; ``satisfied``: 4 or 5.

Every write that can change one of them (intake, a handler's step, hand-over, the resident's word,
withdrawal, the upkeep's closing) takes the request's contribution before (``contribution``), and after
its own writes applies the difference (``apply_change``) to the rows, in the same transaction.
A new rule-book version of the response limit changes past contributions: rebuild then
(``jiceng requests_figures --rebuild``), as after a bulk load that bypassed the services.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from jiceng.core.rulebook import RuleBook
from jiceng.orgs.models import Organization

from . import rules
from .models import Category, Event, EventKind, MonthlyFigures, Resolution, ServiceRequest, category_keys

FIELDS = ("received", "responded_in_time", "answered", "solved", "rated", "satisfied")
NOT_COUNTED = frozenset({"merged", "withdrawn", "referred"})
Counts = tuple[int, int, int, int, int, int]


@dataclass(frozen=True)
class Contribution:
    month: dt.date
    paths: frozenset[str]  # the organizations' paths it counts for
    counts: Counts


def _prefixes(path: str) -> set[str]:
    step = Organization.steplen
    return {path[:i] for i in range(step, len(path) + 1, step)} if path else set()


class _Context:
    """What judging needs, loaded once per write or per rebuild: the rule book and category keys."""

    def __init__(self) -> None:
        self._book: RuleBook | None = None
        self._keys: dict[int, tuple] | None = None

    @property
    def book(self) -> RuleBook:
        if self._book is None:
            self._book = RuleBook()
        return self._book

    @property
    def keys(self) -> dict[int, tuple]:
        if self._keys is None:
            self._keys = category_keys({c.pk: c for c in Category.objects.only("id", "name", "parent_id")})
        return self._keys

    def counts(
        self,
        *,
        state_type: str,
        urgency: str,
        category_id: int,
        received_at: dt.datetime,
        responded_at: dt.datetime | None,
        resolution: str,
        satisfaction: int | None,
        was_answered: bool,
    ) -> Counts | None:
        if state_type in NOT_COUNTED:
            return None
        local = timezone.localtime(received_at)
        in_time = 0
        if responded_at is not None:
            params = self.book.on("service.response_late", local.date()).values
            deadline = rules.response_deadline(local, urgency, params, self.keys.get(category_id, ()))
            in_time = int(responded_at <= deadline)
        return (
            1,
            in_time,
            int(bool(was_answered)),
            int(resolution == Resolution.SOLVED),
            int(satisfaction is not None),
            int(satisfaction is not None and satisfaction >= 4),
        )


def month_of(received_at: dt.datetime) -> dt.date:
    return timezone.localtime(received_at).date().replace(day=1)


def contribution(
    req: ServiceRequest, ctx: _Context | None = None, *, was_answered: bool | None = None
) -> Contribution | None:
    """The request's counts as stored now (the answered event read from the database unless given)."""
    if req.pk is None or req.state_type in NOT_COUNTED:
        return None
    ctx = ctx or _Context()
    if was_answered is None:
        was_answered = Event.objects.filter(request_id=req.pk, kind=EventKind.ANSWERED).exists()
    counts = ctx.counts(
        state_type=req.state_type,
        urgency=req.urgency,
        category_id=req.category_id,
        received_at=req.received_at,
        responded_at=req.responded_at,
        resolution=req.resolution,
        satisfaction=req.satisfaction,
        was_answered=was_answered,
    )
    if counts is None:
        return None
    paths = frozenset(_prefixes(req.org_path) | _prefixes(req.handler_path))
    return Contribution(month_of(req.received_at), paths, counts)


def apply_change(before: Contribution | None, after: Contribution | None) -> None:
    """Add ``after`` and take away ``before`` (either may be None), in the caller's transaction: one
    upsert per distinct change (``INSERT … SELECT`` of the organizations by path, ``ON CONFLICT`` adding
    to the row; PostgreSQL and SQLite alike), usually one statement for the whole chain of ancestors."""
    delta: dict[tuple[str, dt.date], list[int]] = defaultdict(lambda: [0] * len(FIELDS))
    for c, sign in ((before, -1), (after, 1)):
        if c is None:
            continue
        for path in c.paths:
            row = delta[(path, c.month)]
            for i, n in enumerate(c.counts):
                row[i] += sign * n
    groups: dict[tuple[dt.date, tuple[int, ...]], list[str]] = defaultdict(list)
    for (path, month), values in delta.items():
        if any(values):
            groups[(month, tuple(values))].append(path)
    table = connection.ops.quote_name(MonthlyFigures._meta.db_table)
    orgs = connection.ops.quote_name(Organization._meta.db_table)
    columns = ", ".join(FIELDS)
    updates = ", ".join(f"{f} = {table}.{f} + excluded.{f}" for f in FIELDS)
    with connection.cursor() as cursor:
        for (month, values), paths in sorted(groups.items()):
            marks = ", ".join(["%s"] * len(paths))
            cursor.execute(
                f"INSERT INTO {table} (org_id, month, {columns}) "  # noqa: S608 (names are ours)
                f"SELECT id, %s, {', '.join(['%s'] * len(FIELDS))} FROM {orgs} WHERE path IN ({marks}) "
                f"ON CONFLICT (org_id, month) DO UPDATE SET {updates}",
                [month, *values, *sorted(paths)],
            )


class Tracked:
    """``with Tracked(req): …`` inside a write's transaction: the difference reaches the figures."""

    def __init__(self, req: ServiceRequest | None) -> None:
        self.req = req
        self.ctx = _Context()
        self.before = contribution(req, self.ctx) if req is not None else None

    def done(self, req: ServiceRequest) -> None:
        req.refresh_from_db(
            fields=[
                "state_type",
                "urgency",
                "category",
                "received_at",
                "responded_at",
                "resolution",
                "satisfaction",
                "org_path",
                "handler_path",
            ]
        )
        apply_change(self.before, contribution(req, self.ctx))


# Recomputing ------------------------------------------------------------------------------------------


def recompute(requests: Iterable[ServiceRequest] | None = None) -> dict[tuple[int, dt.date], Counts]:
    """The figures from the requests themselves, as the maintained rows should hold them."""
    ctx = _Context()
    answered = Exists(Event.objects.filter(request=OuterRef("pk"), kind=EventKind.ANSWERED))
    qs = ServiceRequest.objects.exclude(state_type__in=NOT_COUNTED).annotate(was_answered=answered)
    rows = qs.values_list(
        "state_type",
        "urgency",
        "category_id",
        "received_at",
        "responded_at",
        "resolution",
        "satisfaction",
        "was_answered",
        "org_path",
        "handler_path",
    )
    ids = dict(Organization.objects.values_list("path", "id"))
    out: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0] * len(FIELDS))
    for st, urg, cat, rec, resp, res, sat, was, org_path, handler_path in rows.iterator(chunk_size=5000):
        counts = ctx.counts(
            state_type=st,
            urgency=urg,
            category_id=cat,
            received_at=rec,
            responded_at=resp,
            resolution=res,
            satisfaction=sat,
            was_answered=was,
        )
        if counts is None:
            continue
        month = month_of(rec)
        for path in _prefixes(org_path) | _prefixes(handler_path):
            org_id = ids.get(path)
            if org_id is None:
                continue
            row = out[(org_id, month)]
            for i, n in enumerate(counts):
                row[i] += n
    return {k: tuple(v) for k, v in out.items() if any(v)}  # type: ignore[misc]


def maintained() -> dict[tuple[int, dt.date], Counts]:
    return {
        (r[0], r[1]): tuple(r[2:])
        for r in MonthlyFigures.objects.values_list("org_id", "month", *FIELDS)
        if any(r[2:])
    }


@transaction.atomic
def rebuild() -> int:
    """Replace every maintained row by the recomputation; the number of rows written."""
    rows = recompute()
    MonthlyFigures.objects.all().delete()
    MonthlyFigures.objects.bulk_create(
        [
            MonthlyFigures(org_id=org_id, month=month, **dict(zip(FIELDS, counts, strict=True)))
            for (org_id, month), counts in rows.items()
        ],
        batch_size=2000,
    )
    return len(rows)


# Reading ----------------------------------------------------------------------------------------------


def of_org(org: Organization, *, start: dt.date, end: dt.date) -> dict[str, int]:
    """The summed counts of ``org``'s subtree for the months from ``start``'s to ``end``'s."""
    row = MonthlyFigures.objects.filter(
        org=org, month__gte=start.replace(day=1), month__lte=end.replace(day=1)
    ).aggregate(**{f: Sum(f) for f in FIELDS})
    return {f: row[f] or 0 for f in FIELDS}


def by_month(org: Organization, *, year: int) -> dict[int, dict[str, int]]:
    rows = MonthlyFigures.objects.filter(
        org=org, month__gte=dt.date(year, 1, 1), month__lte=dt.date(year, 12, 1)
    ).values_list("month", *FIELDS)
    return {r[0].month: dict(zip(FIELDS, r[1:], strict=True)) for r in rows}
