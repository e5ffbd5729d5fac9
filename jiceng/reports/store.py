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
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Sum

from jiceng.core import bulk, compliance
from jiceng.core.models import ObjectChange, RuleVersion
from jiceng.core.periods import Period
from jiceng.orgs.models import Organization

from .models import ChangeStamp, ComplianceRun, StoredFinding

GLOBAL = ""


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


def evaluate_and_store(org: Organization, period: Period) -> ComplianceRun:
    """Evaluate now and replace the stored run of (org, period)."""
    seen = stamps(org.path)  # before reading any data
    digest = rules_digest()
    findings = compliance.evaluate(org, period)
    try:
        with transaction.atomic():
            ComplianceRun.objects.filter(org=org, period=period.label).delete()
            run = ComplianceRun.objects.create(
                org=org,
                org_path=org.path,
                period=period.label,
                engine_version=compliance.ENGINE_VERSION,
                stamps=seen,
                rules_digest=digest,
                finding_count=len(findings),
            )
            _insert_findings(run, findings)
    except IntegrityError:  # another request stored the same evaluation at the same moment
        run = ComplianceRun.objects.get(org=org, period=period.label)
    return run


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
    """The run to read ``org``'s findings from: a fresh stored one, or a new evaluation."""
    return fresh_run(org, period) or evaluate_and_store(org, period)


def findings_of(run: ComplianceRun, org: Organization):  # noqa: ANN201 (a queryset of StoredFinding)
    """The stored findings of ``org``'s subtree in ``run`` (which may be an ancestor's)."""
    qs = StoredFinding.objects.filter(run=run)
    if org.path != run.org_path:
        qs = qs.filter(org_path__prefix=org.path)
    return qs
