"""Background computation of large assessment runs, run by ``jiceng worker`` (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def compute_assessment(run_id: int) -> str:
    """Compute a recorded run; its page shows the progress (steps done) meanwhile."""
    from . import services
    from .models import AssessmentRun

    run = AssessmentRun.objects.filter(pk=run_id).select_related("scheme", "version").first()
    if run is None:
        return "gone"
    services.compute(run)
    return "done"
