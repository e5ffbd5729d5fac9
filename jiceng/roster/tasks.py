"""Background work of the import page, run by ``jiceng db_worker`` (django-tasks' database backend)."""

from __future__ import annotations

from django_tasks import task


@task()
def check_import(job_id: int) -> None:
    """Validate an uploaded job: every error with its row, column, value and reason; nothing written."""
    from . import services

    services.check_job(job_id)


@task()
def run_import_job(job_id: int) -> None:
    """Import a confirmed job in one transaction, reporting progress as it goes."""
    from . import services

    services.run_job(job_id)
