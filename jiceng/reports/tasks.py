"""Background refresh of stored compliance results, run by ``jiceng db_worker`` (django-tasks)."""

from __future__ import annotations

import logging

from django_tasks import task

log = logging.getLogger(__name__)


@task()
def refresh_compliance(org_id: int, period: str) -> str:
    """Evaluate (org, period) again and replace its stored run; see ``store.refresh``. New findings of
    the stored run are then announced to the branches' secretaries (``notices``)."""
    from . import notices, store
    from .models import ComplianceRun

    outcome = store.refresh(org_id=org_id, period_label=period)
    if outcome == "done":
        try:
            run = ComplianceRun.objects.filter(org_id=org_id, period=period).first()
            if run is not None:
                notices.announce_run(run)
        except Exception:  # noqa: BLE001 (telling people never fails the refresh)
            log.exception("findings of %s %s not announced", org_id, period)
    return outcome
