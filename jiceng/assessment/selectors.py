"""Every read of assessment, restricted to the user's scope.

- A **scheme** and its **runs** are seen by whoever may view the committee that owns them, and by the
  people of the organizations it assesses (a branch secretary sees the scheme and the run that assess
  the branch: the committee's path is a prefix of theirs).
- A **result** (one organization's score, with its trace) is seen by whoever may view that
  organization: a branch secretary sees their own branch's only, never a sibling's.
- Panel scores are seen by viewers of the organization scored.
Out of scope is 404 everywhere.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import Http404

from jiceng.core import scope
from jiceng.orgs.models import Organization

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
