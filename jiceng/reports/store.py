"""Stored evaluations and their freshness.

A stored run of organization R for period P is **fresh** when all of these hold, and only then is it
shown as current:

- the engine version is the running one (``compliance.ENGINE_VERSION``);
- R's path is the one it had when evaluated (a moved subtree is evaluated again);
- the rule versions are the ones the evaluation used (a digest of the whole ``RuleVersion`` table);
- the change stamps of R's subtree, of R's ancestors and of the unplaced path ``""`` have the count and
  sum they had *before* the evaluation read any data, and the number of ``import`` change records is
  unchanged.

Every audited change (``ObjectChange``, written in the same transaction as the change: the project's
invariant) raises the stamp of the organization path it is recorded under, in that same transaction
(``signals.py``); moves and transfers raise the old path too. Stamps are counters that only grow, so a
change committed at any time after the stamps were read (or still in flight then) makes the sums
differ. Reading the stamps before the data makes the test conservative: a change committed in between
is seen by the evaluation *and* makes the run stale, never the reverse. An evaluation does not depend
on today's date, only on the records and the period, so time alone never makes a run stale.

**No request waits for a recomputation** (``serve``): a page gets the organization's own stored run,
fresh or not, and a stale one is refreshed in the background (``tasks.refresh_compliance``, run by
``jiceng db_worker``). Subtrees small enough to evaluate in a few milliseconds (``inline_max_members``)
are evaluated on the request instead. Refreshes are coalesced in one ``ComplianceRefresh`` row per
organization and period, which is also the lock that keeps two refreshes from both writing. After the
writes of a transaction commit, the runs viewed lately that the writes made stale are queued
(``schedule_refreshes``): one task per run, whatever the number of writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from jiceng.core import bulk, compliance
from jiceng.core.models import ObjectChange, RuleVersion
from jiceng.core.periods import Period
from jiceng.orgs.models import Organization

from .models import ChangeStamp, ComplianceRefresh, ComplianceRun, StoredFinding

GLOBAL = ""
LEASE = dt.timedelta(minutes=15)  # a claim older than this belongs to a worker that died
NO_WORKER_AFTER = dt.timedelta(minutes=2)  # queued this long and not started: say the worker is not running
WATCH = dt.timedelta(days=14)  # runs viewed within this are refreshed after writes, the others on view
VIEW_MARK_EVERY = dt.timedelta(hours=1)

log = logging.getLogger(__name__)


class Superseded(Exception):
    """The refresh lost its claim (taken over after its lease ran out): it must not write."""


def ancestor_paths(path: str) -> list[str]:
    step = Organization.steplen
    return [path[:i] for i in range(step, len(path), step)]


def bump(paths: Iterable[str]) -> None:
    """Raise the stamps of ``paths`` (in a stable order, so two writers never wait on each other in a cycle)."""
    table = connection.ops.quote_name(ChangeStamp._meta.db_table)
    rows = [(p,) for p in sorted(set(paths))]
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (path, version) VALUES (%s, 1) "  # noqa: S608 (our own table name)
            f"ON CONFLICT (path) DO UPDATE SET version = {table}.version + 1",
            rows,
        )


def touch_everything() -> None:
    """For writes that bypass the change record (bulk loads in benchmarks, data repairs): every stored
    run becomes stale."""
    bump([GLOBAL])


def stamps(path: str) -> str:
    """Count and sum of the stamps that can make a run of ``path`` stale, and the number of imports.

    Imports write their change records in bulk (no ``post_save``), each with one ``import`` record in
    the same transaction; audit rows are never deleted, so their count only grows: any import anywhere
    makes every run stale (imports are rare).
    """
    got = ChangeStamp.objects.filter(
        Q(path__prefix=path) | Q(path__in=[GLOBAL, *ancestor_paths(path)])
    ).aggregate(n=Count("path"), s=Sum("version"))
    imports = ObjectChange.objects.filter(action=ObjectChange.Action.IMPORT).count()
    return f"{got['n']}:{got['s'] or 0}:{imports}"


def rules_digest() -> str:
    rows = RuleVersion.objects.order_by("code", "effective_from", "id").values_list(
        "id", "code", "effective_from", "enabled", "params", "citation"
    )
    blob = json.dumps([list(r) for r in rows], default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def is_fresh(run: ComplianceRun, org: Organization, *, digest: str | None = None) -> bool:
    return (
        run.engine_version == compliance.ENGINE_VERSION
        and run.org_path == org.path
        and run.rules_digest == (digest if digest is not None else rules_digest())
        and run.stamps == stamps(org.path)
    )


def fresh_run(org: Organization, period: Period) -> ComplianceRun | None:
    """A fresh stored run covering ``org``'s subtree: its own, or failing that its nearest ancestor's."""
    digest = rules_digest()
    candidates = {
        r.org_id: r
        for r in ComplianceRun.objects.filter(
            period=period.label, org_path__in=[org.path, *ancestor_paths(org.path)]
        ).select_related("org")
    }
    for run in sorted(candidates.values(), key=lambda r: -len(r.org_path)):
        if is_fresh(run, run.org, digest=digest):
            return run
    return None


def evaluate_and_store(
    org: Organization, period: Period, *, guard: Callable[[], bool] | None = None
) -> ComplianceRun:
    """Evaluate now and replace the stored run of (org, period).

    ``guard`` runs inside the storing transaction before anything is written; when it answers False
    (a refresh that lost its claim) nothing is written and ``Superseded`` is raised.
    """
    seen = stamps(org.path)  # before reading any data
    digest = rules_digest()
    findings = compliance.evaluate(org, period)
    try:
        with transaction.atomic():
            run = _replace_run(
                org,
                period,
                guard,
                engine_version=compliance.ENGINE_VERSION,
                stamps=seen,
                rules_digest=digest,
                finding_count=len(findings),
            )
            _insert_findings(run, findings)
    except IntegrityError:  # another request stored the same evaluation at the same moment
        run = ComplianceRun.objects.get(org=org, period=period.label)
    return run


def _replace_run(
    org: Organization, period: Period, guard: Callable[[], bool] | None, **fields: object
) -> ComplianceRun:
    """Inside the storing transaction: the run of (org, period) replaced by a new, empty one, unless
    ``guard`` says this writer lost its claim (``Superseded``: nothing written)."""
    if guard is not None and not guard():
        raise Superseded
    ComplianceRun.objects.filter(org=org, period=period.label).delete()
    return ComplianceRun.objects.create(org=org, org_path=org.path, period=period.label, **fields)


_COLUMNS = (
    "run_id",
    "org_path",
    "org_code",
    "org_name",
    "rule",
    "period",
    "member",
    "member_name",
    "subject",
    "params",
    "citation",
    "facts",
    "due_on",
)


def _insert_findings(run: ComplianceRun, findings: list[compliance.Finding]) -> None:
    """Write the findings of a run: COPY on PostgreSQL, one prepared INSERT otherwise.

    A province's quarter has over 100,000 findings; ``bulk_create`` spends most of its time preparing
    values field by field, which this cache table (plain columns, JSON written as text) does not need.
    """
    rows = (
        (
            run.pk,
            f.org_path,
            f.org_code,
            f.org_name,
            f.rule,
            f.period,
            f.member,
            f.member_name,
            f.subject,
            json.dumps(f.params, ensure_ascii=False),
            f.citation,
            json.dumps(f.facts, ensure_ascii=False),
            f.due_on.isoformat() if f.due_on else None,
        )
        for f in findings
    )
    bulk.insert_rows(StoredFinding, _COLUMNS, rows)


def run_for(org: Organization, period: Period) -> ComplianceRun:
    """A fresh run covering ``org``, evaluating now if there is none: the blocking form, for tools and
    tests. Pages and the API use ``serve``, which never evaluates a large subtree on the request."""
    return fresh_run(org, period) or evaluate_and_store(org, period)


def findings_of(run: ComplianceRun, org: Organization):  # noqa: ANN201 (a queryset of StoredFinding)
    """The stored findings of ``org``'s subtree in ``run`` (which may be an ancestor's)."""
    qs = StoredFinding.objects.filter(run=run)
    if org.path != run.org_path:
        qs = qs.filter(org_path__prefix=org.path)
    return qs


# Serving without waiting ---------------------------------------------------------------------------------

FRESH, STALE, COMPUTING = "fresh", "stale", "computing"


@dataclass
class Served:
    """What a page shows: the organization's own stored run (None while the first one is computed),
    whether it is current, and the refresh under way if not.

    Everything here is about the organization's own subtree (its run, its refresh): the status never
    depends on writes outside it, except those recorded above it (which may change it) and rule or
    engine changes.
    """

    run: ComplianceRun | None
    state: str
    refresh: ComplianceRefresh | None = None

    @property
    def as_of(self) -> dt.datetime | None:
        return self.run.created_at if self.run is not None else None

    @property
    def fresh(self) -> bool:
        return self.state == FRESH

    @property
    def worker_idle(self) -> bool:
        """Queued for a while and not started: no background worker seems to be running."""
        r = self.refresh
        return r is not None and not r.claimed_by and r.requested_at < timezone.now() - NO_WORKER_AFTER


def inline_max_members() -> int:
    """Subtrees with at most this many members are evaluated on the request (a few milliseconds)."""
    return int(getattr(settings, "JICENG_COMPLIANCE_INLINE_MAX_MEMBERS", 3000))


def is_small(org: Organization) -> bool:
    from jiceng.orgs.models import OrgTally

    counts = OrgTally.objects.filter(org=org).values_list("counts", flat=True).first() or {}
    return int(counts.get("members", 0)) <= inline_max_members()


def _usable(run: ComplianceRun, org: Organization) -> bool:
    """A stale run may still be shown: same engine (its stored facts render) and same place in the tree."""
    return run.engine_version == compliance.ENGINE_VERSION and run.org_path == org.path


def _mark_viewed(run: ComplianceRun) -> None:
    now = timezone.now()
    if run.viewed_at is None or run.viewed_at < now - VIEW_MARK_EVERY:
        ComplianceRun.objects.filter(pk=run.pk).update(viewed_at=now)
        run.viewed_at = now


def serve(org: Organization, period: Period) -> Served:
    """The results to show for ``org``'s subtree now, without waiting for an evaluation of a large one.

    1. its own run, when fresh;
    2. a small subtree: evaluated now (a few milliseconds);
    3. its own run, stale: shown, and a refresh queued;
    4. no usable run of its own but a fresh one of an ancestor: its part copied as the organization's
       own run (its stamps read first, then the ancestor found unchanged: nothing under it changed);
    5. nothing: a refresh queued, no results yet.
    """
    own = ComplianceRun.objects.filter(org=org, period=period.label).first()
    if own is not None and _usable(own, org):
        if is_fresh(own, org):
            _mark_viewed(own)
            return Served(own, FRESH)
        if is_small(org):
            return Served(_viewed(evaluate_and_store(org, period)), FRESH)
        _mark_viewed(own)
        return Served(own, STALE, request_refresh(org, period))
    derived = _derive_from_ancestor(org, period)
    if derived is not None:
        return Served(_viewed(derived), FRESH)
    if is_small(org):
        return Served(_viewed(evaluate_and_store(org, period)), FRESH)
    return Served(None, COMPUTING, request_refresh(org, period))


def _viewed(run: ComplianceRun) -> ComplianceRun:
    _mark_viewed(run)
    return run


def _derive_from_ancestor(
    org: Organization, period: Period, *, guard: Callable[[], bool] | None = None
) -> ComplianceRun | None:
    """``org``'s own run copied from a fresh ancestor's run, or None when no ancestor's run is fresh.

    ``org``'s stamps are read first; an ancestor's run found fresh afterwards proves that nothing under
    the ancestor (``org``'s stamps included) changed since it was evaluated, so its findings under
    ``org`` are ``org``'s findings as of those stamps. One ``INSERT … SELECT``: no evaluation.
    """
    ancestors = ancestor_paths(org.path)
    if not ancestors:
        return None
    seen = stamps(org.path)
    digest = rules_digest()
    runs = ComplianceRun.objects.filter(period=period.label, org_path__in=ancestors).select_related("org")
    source = next(
        (r for r in sorted(runs, key=lambda r: -len(r.org_path)) if is_fresh(r, r.org, digest=digest)), None
    )
    if source is None:
        return None
    subset = StoredFinding.objects.filter(run=source, org_path__prefix=org.path).values_list(*_COLUMNS[1:])
    sql, params = subset.query.sql_with_params()
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in _COLUMNS)
    try:
        with transaction.atomic():
            run = _replace_run(
                org,
                period,
                guard,
                engine_version=source.engine_version,
                stamps=seen,
                rules_digest=source.rules_digest,
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {qn(StoredFinding._meta.db_table)} ({names}) "  # noqa: S608 (our table)
                    f"SELECT %s, sub.* FROM ({sql}) sub",
                    (run.pk, *params),
                )
                run.finding_count = max(cursor.rowcount, 0)
            ComplianceRun.objects.filter(pk=run.pk).update(finding_count=run.finding_count)
    except IntegrityError:  # another request stored (org, period) at the same moment
        return ComplianceRun.objects.filter(org=org, period=period.label).first()
    return run


# Background refresh ---------------------------------------------------------------------------------------


def _enqueue(org_id: int, label: str) -> None:
    from .tasks import refresh_compliance

    transaction.on_commit(lambda: refresh_compliance.enqueue(org_id, label))


def request_refresh(org: Organization, period: Period | str) -> ComplianceRefresh:
    """Ask for (org, period) to be evaluated in the background: one queued task however often asked.

    A new request on a row already queued or running only raises its generation (the worker runs again
    when it finishes); a task is enqueued (after commit) for a new row, or when the claim of a worker
    has outlived ``LEASE`` (the worker died).
    """
    label = period if isinstance(period, str) else period.label
    now = timezone.now()
    try:
        with transaction.atomic():
            row, created = ComplianceRefresh.objects.get_or_create(
                org=org, period=label, defaults={"requested_at": now}
            )
    except IntegrityError:  # created by a concurrent request between get and create
        row, created = ComplianceRefresh.objects.get(org=org, period=label), False
    if created:
        _enqueue(org.pk, label)
        return row
    ComplianceRefresh.objects.filter(pk=row.pk).update(generation=F("generation") + 1)
    if row.claimed_by and row.claimed_at is not None and row.claimed_at < now - LEASE:
        ComplianceRefresh.objects.filter(pk=row.pk).update(requested_at=now)
        row.requested_at = now
        _enqueue(org.pk, label)
    return row


def refresh(*, org_id: int, period_label: str) -> str:
    """The background task's work: claim the (org, period) request, bring its run up to date, release.

    Returns what happened (``done``, ``again``: asked again meanwhile and queued anew, ``busy``: another
    worker holds the claim, ``nothing``: no request or no such organization). A refresh that fails
    leaves the row claimed as ``failed``: the next request after ``LEASE`` queues it again.
    """
    row = ComplianceRefresh.objects.filter(org_id=org_id, period=period_label).first()
    if row is None:
        return "nothing"
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = (
        ComplianceRefresh.objects.filter(pk=row.pk)
        .filter(Q(claimed_by="") | Q(claimed_at__lt=now - LEASE))
        .update(claimed_by=token, claimed_at=now)
    )
    if not claimed:
        return "busy"
    generation = ComplianceRefresh.objects.filter(pk=row.pk).values_list("generation", flat=True).first()
    mine = ComplianceRefresh.objects.filter(pk=row.pk, claimed_by=token)

    def guard() -> bool:  # inside the storing transaction: takes the row's lock, proves the claim
        return mine.update(claimed_at=timezone.now()) == 1

    try:
        org = Organization.objects.filter(pk=org_id).first()
        if org is None:
            mine.delete()
            return "nothing"
        period = compliance.parse_period(period_label)
        own = ComplianceRun.objects.filter(org=org, period=period_label).first()
        current = own is not None and _usable(own, org) and is_fresh(own, org)
        if not current and _derive_from_ancestor(org, period, guard=guard) is None:
            evaluate_and_store(org, period, guard=guard)
    except Superseded:
        return "busy"
    except BaseException:
        # Left claimed by nobody alive: asked again after LEASE, not on every poll of an open page.
        mine.update(claimed_by="failed", claimed_at=timezone.now())
        raise
    if mine.filter(generation=generation).delete()[0]:
        return "done"
    if mine.update(claimed_by="", claimed_at=None, requested_at=timezone.now()):
        _enqueue(org_id, period_label)  # asked again while evaluating: queue behind the others
        return "again"
    return "busy"


def schedule_refreshes(paths: Iterable[str]) -> int:
    """After writes under ``paths`` committed: queue a refresh of each run viewed within ``WATCH`` that
    they made stale (its organization above, at or below a path; all of them for ``GLOBAL``). Small
    subtrees are left to their next view, which evaluates them at once (and are most of the runs: one
    per branch viewed). Returns how many were asked."""
    paths = set(paths)
    if not paths:
        return 0
    # Written out: the ORM's building of this query (a prefix per path, the tally's JSON) cost about a
    # millisecond after every committed write, most often to find nothing. The organizations' size is
    # asked only of the few runs found.
    with connection.cursor() as cursor:
        cursor.execute(*_watched_runs_sql(paths, timezone.now() - WATCH))
        found = cursor.fetchall()
    if not found:
        return 0
    big = {
        org.pk: org
        for org in Organization.objects.filter(
            pk__in={org_id for org_id, _ in found}, tally__counts__members__gt=inline_max_members()
        )
    }
    asked = 0
    for org_id, period in found:
        if org_id in big:
            request_refresh(big[org_id], period)
            asked += 1
    return asked


def _watched_runs_sql(paths: set[str], since: dt.datetime) -> tuple[str, list[object]]:
    """The (organization, period) of the runs viewed since ``since`` at, above or below one of ``paths``
    (all of them for ``GLOBAL``), in the order of their paths and periods."""
    table = connection.ops.quote_name(ComplianceRun._meta.db_table)
    where = ["viewed_at >= %s"]
    params: list[object] = [connection.ops.adapt_datetimefield_value(since)]
    if GLOBAL not in paths:
        near = sorted({a for p in paths for a in (*ancestor_paths(p), p)})
        alternatives = [f"org_path IN ({', '.join(['%s'] * len(near))})"]
        params.extend(near)
        for p in sorted(paths):
            if connection.vendor == "sqlite":  # as ``core.lookups.PathPrefix``: a range the index serves
                alternatives.append("(org_path >= %s AND org_path < %s)")
                params.extend([p, f"{p}~"])
            else:
                alternatives.append("org_path LIKE %s")
                params.append(p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        where.append(f"({' OR '.join(alternatives)})")
    sql = (
        f"SELECT org_id, period FROM {table} WHERE {' AND '.join(where)} "  # noqa: S608 (our own table, placeholders)
        "ORDER BY org_path, period"
    )
    return sql, params


def stale_after_commit(paths: Iterable[str]) -> None:
    """Collect the paths a transaction's writes touch; after it commits, ``schedule_refreshes`` once.

    A burst of writes (an import: thousands of records in one transaction) thus asks for each affected
    run once. Outside a transaction the writes are committed already.
    """
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        _schedule_safely(set(paths))
        return
    state = getattr(conn, "_jiceng_stale_paths", None)
    if state is None or not any(entry[1] is state[0] for entry in conn.run_on_commit):
        pending: set[str] = set()

        def flush() -> None:
            conn._jiceng_stale_paths = None
            _schedule_safely(pending)

        state = conn._jiceng_stale_paths = (flush, pending)
        transaction.on_commit(flush)
    state[1].update(paths)


def _schedule_safely(paths: set[str]) -> None:
    """The writes are committed: a failure to queue a refresh must not turn them into an error page (the
    next view of a stale run queues it again)."""
    try:
        schedule_refreshes(paths)
    except Exception:
        log.exception("could not queue compliance refreshes")
