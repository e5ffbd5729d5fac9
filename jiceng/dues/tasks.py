"""Background work of the dues app, run by ``jiceng db_worker`` (django-tasks' database backend)."""

from __future__ import annotations

from django_tasks import task


@task()
def rebuild_figures(path: str, years: list[int], only_stale: bool = True) -> int:
    """Recompute the maintained figures (``figures.rebuild``) of the subtree ``path`` for ``years``."""
    from . import figures

    return figures.rebuild(years=years, path=path, only_stale=only_stale)
