"""Maintained figures: each branch's dues by month (``DuesMonthFigure``), so that a subtree's report is a
sum of rows by materialized path instead of a computation over every member's ledger.

Unit of computation: a set of branches and one year. ``compute`` reads the branches' members with
``ledger.bulk`` for the twelve months (arrears across months need the year) and returns twelve rows per
branch, zeros included, so that a branch-month without a row is one never computed.

Kept current two ways:

- **recomputed** in the same transaction by every write of this app: the services run inside
  ``kept``; the dues models' signals name the (branch, years) they touch and ``kept`` recomputes those
  years (of the branch's rows that exist) before the service returns. A dues row saved outside a service
  (a fixture, the shell) marks its branch's rows stale instead.
- **marked stale** by writes of other apps that change amounts or who is counted where: a member's
  category, join or end date, branch (transfers, merges and splits save the member: model signals); the
  roster import's bulk writes (``roster.importer.imported``, on commit); ``dues_base.csv``'s bulk writes
  (the handler marks its members' branches); a new or changed version of the rule ``dues.amount``
  (``core.RuleVersion`` signals). A moved subtree needs nothing: ``core.moves.repath`` rewrites the
  rows' paths, and neither amounts nor branches change.

Read (``read``): the rows of the subtree for the period's months. A stale or missing branch-month is
recomputed on read when there are at most ``ON_READ_BRANCHES`` such branches; beyond that the caller
computes the report from the ledger, and ``jiceng dues --rebuild-figures`` (or the background task
``dues.tasks.rebuild_figures``, queued then) brings the figures back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from contextvars import ContextVar
from decimal import Decimal
from functools import wraps
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from jiceng.core.rulebook import RuleBook
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, OrgKind

from . import ledger, rules
from .models import BranchDuesSetting, DuesMonthFigure, DuesSubtreeFigure, ExtraPayment

log = logging.getLogger(__name__)

ON_READ_BRANCHES = 200  # stale or missing branches recomputed on read; more: the ledger, and a rebuild
CHUNK_BRANCHES = 500  # branches computed together by a rebuild
ALL_YEARS = (1, 9999)
ZERO = Decimal("0.00")
FEN = Decimal("0.01")

SUMMED = (
    "liable",
    "due",
    "collected",
    "paid",
    "exempt",
    "unpaid",
    "arrears",
    "arrears_members",
    "arrears_new_quarter",
    "arrears_new_year",
    "extra",
    "extra_count",
    "remitted",
    "remitted_count",
)
MONEY = {"due", "collected", "arrears", "extra", "remitted"}


# Computing ---------------------------------------------------------------------------------------------------


def _zero_row(org_id: int, path: str, month: dt.date, now: dt.datetime) -> DuesMonthFigure:
    return DuesMonthFigure(
        org_id=org_id,
        path=path,
        month=month,
        due=ZERO,
        collected=ZERO,
        arrears=ZERO,
        extra=ZERO,
        remitted=ZERO,
        computed_at=now,
    )


def compute(branches: dict[int, str], year: int, *, book: RuleBook | None = None) -> list[DuesMonthFigure]:
    """The twelve rows of ``year`` of each branch (id → path), unsaved, computed from the ledger."""
    if not branches:
        return []
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 1)
    now = timezone.now()
    ids = list(branches)
    members = Member.objects.filter(org_id__in=ids, joined_on__lte=dt.date(year, 12, 31)).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=first)
    )
    data = ledger.bulk(members, first, last, book=book or RuleBook())
    months = data.months
    rows = {
        (oid, i): _zero_row(oid, path, m, now) for oid, path in branches.items() for i, m in enumerate(months)
    }
    since = dict(BranchDuesSetting.objects.filter(org_id__in=ids).values_list("org_id", "records_since"))
    paid, exempt = data.paid, data.exempt
    for mid, org_id, _path, *_rest in data.members:
        if org_id not in branches:
            continue
        start = since.get(org_id)
        seen_quarters: set[int] = set()
        seen_year = False
        for i, due in enumerate(data.due[mid]):
            if due is None:  # not a member that month: nothing owed, nothing counted
                continue
            month = months[i]
            row = rows[org_id, i]
            row.liable += 1
            row.due += due
            amount = paid.get((mid, month))
            if amount is not None:
                row.collected += amount
                row.paid += 1
            elif (mid, month) in exempt:
                row.exempt += 1
            else:
                row.unpaid += 1
                if start is not None and month >= start:
                    row.arrears += due
                    row.arrears_members += 1
                    if i // 3 not in seen_quarters:
                        seen_quarters.add(i // 3)
                        row.arrears_new_quarter += 1
                    if not seen_year:
                        seen_year = True
                        row.arrears_new_year += 1
    extras = ExtraPayment.objects.filter(
        member__org_id__in=ids, paid_on__gte=first, paid_on__lte=dt.date(year, 12, 31)
    ).values_list("member__org_id", "paid_on", "amount", "remitted_to_centre")
    for org_id, paid_on, amount, remitted in extras:
        row = rows[org_id, paid_on.month - 1]
        row.extra += amount
        row.extra_count += 1
        if remitted:
            row.remitted += amount
            row.remitted_count += 1
    return list(rows.values())


def store(branches: dict[int, str], year: int, *, book: RuleBook | None = None) -> int:
    """Compute and write the year's rows of ``branches`` (replacing theirs); the rows written."""
    if not branches:
        return 0
    rows = compute(branches, year, book=book)
    with transaction.atomic():
        # Lock the branches: two readers recomputing the same branch-year write one after the other.
        list(
            # NO KEY UPDATE: a report inserting subtree sums (a foreign key to these rows) is not blocked.
            Organization.objects.filter(pk__in=list(branches))
            .order_by("pk")
            .select_for_update(no_key=True)
            .values("pk")
        )
        DuesMonthFigure.objects.filter(
            org_id__in=list(branches), month__gte=dt.date(year, 1, 1), month__lte=dt.date(year, 12, 1)
        ).delete()
        DuesMonthFigure.objects.bulk_create(rows, batch_size=2000)
        drop_sums(branch_paths=branches.values(), years=(year, year))
    return len(rows)


def branches_under(path: str) -> dict[int, str]:
    return dict(
        Organization.objects.filter(path__prefix=path, kind=OrgKind.BRANCH)
        .order_by("path")
        .values_list("pk", "path")
    )


def rebuild(
    *,
    years: Iterable[int],
    path: str = "",
    progress: Callable[[int, int, int], None] | None = None,
    only_stale: bool = False,
) -> int:
    """Recompute every branch's rows of ``years`` under ``path`` (the whole tree by default), in chunks of
    ``CHUNK_BRANCHES`` branches, each chunk in its own transaction; ``progress(year, done, total)``.
    ``only_stale``: only branches with a stale or missing row in the year. The rows written."""
    book = RuleBook()
    written = 0
    for year in sorted(set(years)):
        branches = branches_under(path)
        if only_stale:
            fresh = _fresh_branches(path, rules.months_between(dt.date(year, 1, 1), dt.date(year, 12, 1)))
            branches = {k: v for k, v in branches.items() if k not in fresh}
        items = list(branches.items())
        for start in range(0, len(items), CHUNK_BRANCHES):
            chunk = dict(items[start : start + CHUNK_BRANCHES])
            written += store(chunk, year, book=book)
            if progress:
                progress(year, min(start + CHUNK_BRANCHES, len(items)), len(items))
        if progress and not items:
            progress(year, 0, 0)
    return written


# Staleness ---------------------------------------------------------------------------------------------------


def mark_stale(
    *,
    org_ids: Collection[int] | None = None,
    paths: Collection[str] | None = None,
    branch_paths: Collection[str] | None = None,
    years: tuple[int, int] = ALL_YEARS,
) -> int:
    """Mark rows stale: of the branches ``org_ids``, of the subtrees ``paths`` ("" the whole tree), of the
    branches at exactly ``branch_paths``, or of every branch when all are None; only months of ``years``
    (first, last). The rows marked."""
    qs = DuesMonthFigure.objects.filter(
        stale=False, month__gte=dt.date(years[0], 1, 1), month__lte=dt.date(years[1], 12, 1)
    )
    drop_sums(org_ids=org_ids, paths=paths, branch_paths=branch_paths, years=years)
    if branch_paths is not None:
        wanted, n = sorted(set(branch_paths)), 0
        for i in range(0, len(wanted), 5000):
            n += qs.filter(path__in=wanted[i : i + 5000]).update(stale=True)
        return n
    if org_ids is not None:
        ids = sorted(set(org_ids))
        if not ids:
            return 0
        qs = qs.filter(org_id__in=ids)
    elif paths is not None:
        q = Q()
        for p in set(paths):
            if not p:
                q = Q()
                break
            q |= Q(path__prefix=p)
        qs = qs.filter(q)
    return qs.update(stale=True)


# Subtree sums are kept on read (``subtree_rows``) and dropped by every change below them (``drop_sums``).
# So that a sum read while a change is committing is never kept, the two take one PostgreSQL advisory
# lock: every change shares it from its ``drop_sums`` until it commits; a report keeps sums only if it
# gets the lock alone at once (no change in flight), and holds it while it reads the branch rows and
# writes the sums. A change committed before is in what it reads (or left a row stale: nothing is kept);
# a change after waits, then drops the sums the report kept. SQLite runs one write transaction at a time
# and needs no lock.
SUMS_LOCK = 0x6A6963656E6744  # "jicengD"


def _share_sums_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [SUMS_LOCK])


def _try_sums_lock() -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SUMS_LOCK])
        return bool(cursor.fetchone()[0])


def _ancestors(paths: Iterable[str]) -> set[str]:
    step = Organization.steplen
    return {p[:i] for p in paths for i in range(step, len(p) + 1, step)}


def drop_sums(
    *,
    org_ids: Collection[int] | None = None,
    paths: Collection[str] | None = None,
    branch_paths: Collection[str] | None = None,
    years: tuple[int, int] = ALL_YEARS,
) -> None:
    """Delete the subtree sums that cover the given branches (their own and every ancestor's) or the
    subtrees ``paths`` (ancestors and descendants); all of them when nothing is named. Shares the sums'
    lock until the caller's transaction commits (a new one here outside any)."""
    if not connection.in_atomic_block:
        with transaction.atomic():
            drop_sums(org_ids=org_ids, paths=paths, branch_paths=branch_paths, years=years)
        return
    _share_sums_lock()
    qs = DuesSubtreeFigure.objects.filter(
        month__gte=dt.date(years[0], 1, 1), month__lte=dt.date(years[1], 12, 1)
    )
    if org_ids is not None:
        branch_paths = list(Organization.objects.filter(pk__in=list(org_ids)).values_list("path", flat=True))
    if branch_paths is not None:
        wanted = sorted(_ancestors(branch_paths))
        for i in range(0, len(wanted), 5000):
            qs.filter(org__path__in=wanted[i : i + 5000]).delete()
        return
    if paths is not None and paths and all(paths):
        q = Q(org__path__in=sorted(_ancestors(paths)))
        for p in set(paths):
            q |= Q(org__path__prefix=p)
        qs = qs.filter(q)
    qs.delete()


# Recomputed in the dues services' own transaction ---------------------------------------------------------------

_pending: ContextVar[dict[int, tuple[int, int]] | None] = ContextVar("dues_figures_pending", default=None)


def touched(org_id: int | None, years: tuple[int, int]) -> None:
    """A dues row of branch ``org_id`` affecting ``years`` (first, last) changed: recomputed before the
    service returns when inside ``kept``, else its rows are marked stale at once."""
    if org_id is None:
        return
    pending = _pending.get()
    if pending is None:
        mark_stale(org_ids=[org_id], years=years)
        return
    lo, hi = pending.get(org_id, years)
    pending[org_id] = (min(lo, years[0]), max(hi, years[1]))


def kept(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a dues service (inside its ``transaction.atomic``): the figures of the branch-years its writes
    touched are recomputed before it returns (the outermost service only, once)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _pending.get() is not None:
            return func(*args, **kwargs)
        token = _pending.set({})
        try:
            result = func(*args, **kwargs)
            pending = _pending.get() or {}
        finally:
            _pending.reset(token)
        refresh(pending)
        return result

    return wrapper


def refresh(pending: dict[int, tuple[int, int]]) -> None:
    """Recompute the existing rows of each branch's years in ``pending`` (missing years stay missing:
    they are computed when first read)."""
    if not pending:
        return
    wanted: dict[int, set[int]] = defaultdict(set)
    existing = (
        DuesMonthFigure.objects.filter(org_id__in=list(pending), month__month=1)
        .values_list("org_id", "month")
        .order_by()
    )
    for org_id, month in existing:
        lo, hi = pending[org_id]
        if lo <= month.year <= hi:
            wanted[month.year].add(org_id)
    if not wanted:
        return
    paths = dict(
        Organization.objects.filter(pk__in=list({o for ids in wanted.values() for o in ids})).values_list(
            "pk", "path"
        )
    )
    book = RuleBook()
    for year, ids in sorted(wanted.items()):
        store({o: paths[o] for o in ids if o in paths}, year, book=book)


# Reading ---------------------------------------------------------------------------------------------------


def _fresh_branches(path: str, months: list[dt.date]) -> set[int]:
    return set(
        DuesMonthFigure.objects.filter(path__prefix=path, month__in=months, stale=False)
        .values("org_id")
        .annotate(n=Count("id"))
        .filter(n=len(months))
        .values_list("org_id", flat=True)
    )


def ensure(org: Organization, months: list[dt.date], *, limit: int | None = None) -> bool:
    """Make the rows of ``org``'s subtree for ``months`` (one year) current: True when they are (after
    recomputing at most ``limit`` stale or missing branches), False when more need recomputing."""
    expected = Organization.objects.filter(path__prefix=org.path, kind=OrgKind.BRANCH).count()
    fresh = (
        DuesMonthFigure.objects.filter(path__prefix=org.path, month__in=months, stale=False)
        .order_by()
        .count()
    )
    if fresh == expected * len(months):
        return True
    branches = branches_under(org.path)
    # Rows of an organization that is no longer a branch (its kind changed) count for nobody.
    DuesMonthFigure.objects.filter(path__prefix=org.path, month__in=months).exclude(
        org_id__in=list(branches)
    ).delete()
    ok = _fresh_branches(org.path, months)
    need = {k: v for k, v in branches.items() if k not in ok}
    if len(need) > (ON_READ_BRANCHES if limit is None else limit):
        return False
    store(need, months[0].year)
    return True


def subtree_rows(
    org: Organization, children: list[Organization], months: list[dt.date]
) -> dict[tuple[int, dt.date], dict[str, Any]] | None:
    """The sums of ``org``'s subtree and of each child's, by month: ``{(org id, month): {field: value}}``.
    Read from ``DuesSubtreeFigure`` (one query of (1 + children) × months rows); what is missing is
    summed from the branch rows (after ``ensure``) and kept. None: too many branch rows to recompute on
    read (the caller computes from the ledger)."""
    ids = [org.pk] + [c.pk for c in children]
    have = {
        (r["org_id"], r["month"]): r
        for r in DuesSubtreeFigure.objects.filter(org_id__in=ids, month__in=months).values(
            "org_id", "month", *SUMMED
        )
    }
    if len(have) == len(ids) * len(months):
        return have
    if not ensure(org, months):
        return None
    started = timezone.now()
    child_id = {c.path: c.pk for c in children}
    out: dict[tuple[int, dt.date], dict[str, Any]] = {
        (i, m): {f: ZERO if f in MONEY else 0 for f in SUMMED} for i in ids for m in months
    }
    storing = False
    try:
        with transaction.atomic():
            keep = _try_sums_lock()  # else a change is committing: summed now, kept another time
            for row in sums(org, months, by_child=True):
                targets = [out[org.pk, row["month"]]]
                if row["child"] in child_id:
                    targets.append(out[child_id[row["child"]], row["month"]])
                for t in targets:
                    for f in SUMMED:
                        t[f] += row[f] or 0
            # Kept only if no branch row of the subtree went stale or changed since ``ensure``.
            keep = keep and not (
                DuesMonthFigure.objects.filter(path__prefix=org.path, month__in=months)
                .filter(Q(stale=True) | Q(computed_at__gt=started))
                .exists()
            )
            if keep:
                storing = True
                DuesSubtreeFigure.objects.bulk_create(
                    [
                        DuesSubtreeFigure(org_id=i, month=m, computed_at=started, **v)
                        for (i, m), v in out.items()
                    ],
                    ignore_conflicts=True,
                    batch_size=2000,
                )
    except DatabaseError:
        # e.g. a deadlock with a change holding an organization's row: the sums are right, not kept.
        if not storing:
            raise
        log.warning("dues: subtree sums of %s not kept", org.path, exc_info=True)
    return out


def sums(org: Organization, months: list[dt.date], *, by_child: bool) -> list[dict[str, Any]]:
    """The rows of ``org``'s subtree for ``months`` summed by month (and by child of ``org``, as the
    path's first ``(depth + 1) × steplen`` characters, when ``by_child``): one query."""
    from django.db.models.functions import Substr

    qs = DuesMonthFigure.objects.filter(path__prefix=org.path, month__in=months).order_by()
    group = ["month"]
    if by_child:
        qs = qs.annotate(child=Substr("path", 1, (org.depth + 1) * Organization.steplen))
        group.append("child")
    out = list(qs.values(*group).annotate(**{f: Sum(f) for f in SUMMED}))
    for row in out:  # SQLite sums decimals as floats: back to fen
        for f in MONEY:
            row[f] = Decimal(str(row[f] or 0)).quantize(FEN)
    return out


def queue_rebuild(path: str, year: int) -> None:
    """Queue the background rebuild of the subtree's stale figures of ``year`` (once per ten minutes
    per subtree and year), after the current transaction commits."""
    from django.core.cache import cache

    if not cache.add(f"dues-figures-rebuild:{path}:{year}", 1, timeout=600):
        return

    def enqueue() -> None:
        from .tasks import rebuild_figures

        try:
            rebuild_figures.enqueue(path, [year], True)
        except Exception:  # a queue that cannot take it must not break the report
            log.exception("could not queue the rebuild of the dues figures")

    transaction.on_commit(enqueue)
