"""Every read of assessment, restricted to the user's scope.

- A **scheme** and its **runs** are seen by whoever may view the committee that owns them, and by the
  people of the organizations it assesses (a branch secretary sees the scheme and the run that assess
  the branch: the committee's path is a prefix of theirs).
- A **result** (one organization's score, with its trace) is seen by whoever may view that
  organization: a branch secretary sees their own branch's only, never a sibling's.
- Panel scores are seen by viewers of the organization scored.
Out of scope is 404 everywhere.

A run stores, per value, how many records it counted and a digest of their ids (``TraceKey``); the
records themselves are listed by ``trace`` when a score is read, for that organization's subtree only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import Http404

from jiceng.core import scope
from jiceng.orgs.models import Organization

from . import definition, indicators
from .indicators import TRACE_LIMIT, Context, RecordRef, Target
from .models import AssessmentRun, OrgResult, PanelScore, Scheme


def _owner_q(user: Any, field: str = "owner_path") -> Q:
    """Owned inside the user's subtrees, or by a committee above one of them."""
    prefixes = scope.paths_for(user, scope.VIEW)
    step = Organization.steplen
    above = {p[:end] for p in prefixes for end in range(step, len(p), step)}
    return scope.path_q(field, prefixes) | Q(**{f"{field}__in": sorted(above)})


def schemes(user: Any) -> QuerySet[Scheme]:
    return Scheme.objects.filter(_owner_q(user)).select_related("owner")


def get_scheme(user: Any, pk: Any) -> Scheme:
    found = schemes(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise Http404
    return found


def runs(user: Any) -> QuerySet[AssessmentRun]:
    return AssessmentRun.objects.filter(_owner_q(user)).select_related("scheme", "scheme__owner", "version")


def get_run(user: Any, pk: Any) -> AssessmentRun:
    found = runs(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise Http404
    return found


def results(user: Any, run: AssessmentRun, *, under: Organization | None = None) -> QuerySet[OrgResult]:
    """The run's results the user may see, under ``under`` if given; best score first (tree order for
    equal scores), organizations without a score last."""
    qs = OrgResult.objects.restrict(user, scope.VIEW).filter(run=run).select_related("org")
    if under is not None:
        qs = qs.filter(org_path__startswith=under.path)
    return qs.order_by(F("score").desc(nulls_last=True), "org_path")


def get_result(user: Any, pk: Any) -> OrgResult:
    found = (
        OrgResult.objects.restrict(user, scope.VIEW)
        .filter(pk=pk)
        .select_related("org", "run", "run__scheme", "run__version", "run__scheme__owner")
        .first()
        if str(pk).isdigit()
        else None
    )
    if found is None:
        raise Http404
    return found


def trace(result: OrgResult) -> dict[str, dict[str, Any]]:
    """Each leaf's records of a result (a score the caller may already see: ``get_result``), listed
    now by the indicator's ``trace`` for the organization's subtree, with the run's parameters: the
    first ``TRACE_LIMIT`` as JSON (``records``, ``more`` the others), the run's key (``count``,
    ``id_sum``) and whether the records listed are the ones the run counted (``same``: False when
    records were entered, changed or deleted since the run; the value shown stays the run's).

    Only records whose organization lies in the result's subtree are listed, whatever an indicator
    returns, so a trace never shows another organization's records. A result of an earlier engine
    that stored its records (``records`` in the stored trace) is returned as stored."""
    run = result.run
    org = result.org
    ctx = Context(
        year=run.year,
        start=dt.date(run.year, 1, 1),
        end=run.as_of,
        owner_path=result.org_path,
        targets=[Target(org.pk, org.code, org.name, result.org_path, org.kind)],
    )
    given = run.params.get("indicator_params") or {}
    out: dict[str, dict[str, Any]] = {}
    for leaf in definition.leaves(run.version.definition):
        stored = result.trace.get(leaf["key"]) or {}
        if "records" in stored:
            out[leaf["key"]] = {**stored, "same": True}
            continue
        if leaf["kind"] == definition.PANEL:
            records = _panel_records(run.scheme_id, leaf["key"], org.pk)
        else:
            spec = indicators.get(leaf.get("indicator", ""))
            records = []
            # An indicator without a ``trace`` lists the records its ``compute`` returns; where the run
            # counted none (dues: figures, no records) there is nothing to compute again.
            if spec is not None and (spec.trace is not None or stored.get("count", 1)):
                params = given.get(leaf["key"]) or spec.resolved_params(leaf.get("params"))
                value = (spec.trace or spec.compute)(ctx, params).get(org.pk)
                records = value.records if value is not None else []
        records = [r for r in records if r.org_path.startswith(result.org_path)]
        id_sum = sum(r.id for r in records if r.id is not None)
        count = stored.get("count", len(records))
        out[leaf["key"]] = {
            "records": [r.as_json() for r in records[:TRACE_LIMIT]],
            "more": max(0, len(records) - TRACE_LIMIT),
            "count": count,
            "id_sum": stored.get("id_sum"),
            "listed": len(records),
            "same": count == len(records) and stored.get("id_sum") in (None, id_sum),
        }
    return out


def _panel_records(scheme_id: int, node_key: str, org_id: int) -> list[RecordRef]:
    from django.utils import timezone

    out = []
    for p in PanelScore.objects.filter(scheme_id=scheme_id, node_key=node_key, org_id=org_id).select_related(
        "scored_by"
    ):
        who = (p.scored_by.get_full_name() or p.scored_by.username) if p.scored_by else ""
        out.append(
            RecordRef(
                kind="panel_score",
                label=p.justification,
                org_path=p.org_path,
                day=timezone.localtime(p.scored_at).date().isoformat(),
                status=who,
                id=p.pk,
            )
        )
    return out


def panel_scores(user: Any, scheme: Scheme) -> QuerySet[PanelScore]:
    return (
        PanelScore.objects.restrict(user, scope.VIEW).filter(scheme=scheme).select_related("org", "scored_by")
    )


def can_manage(user: Any, scheme: Scheme) -> bool:
    return scope.can(user, scope.MANAGE, scheme.owner_path)


def can_score(user: Any, scheme: Scheme) -> bool:
    return scope.can(user, scope.CHANGE, scheme.owner_path)


def owners(user: Any) -> QuerySet[Organization]:
    """Committees on which the user may define schemes."""
    return Organization.objects.restrict(user, scope.MANAGE).exclude(kind="branch")
