"""Background refresh of stored compliance results, run by ``jiceng db_worker`` (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def refresh_compliance(org_id: int, period: str) -> str:
    """Evaluate (org, period) again and replace its stored run; see ``store.refresh``."""
    from . import store

    return store.refresh(org_id=org_id, period_label=period)
