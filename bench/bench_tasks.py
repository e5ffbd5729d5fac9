"""Tasks at scale: a task to every branch of the tree, and the root's completion view.

Needs DATABASE_URL pointing at a database with a gen_roster.py dataset imported (``bench/run.py``
makes one). Prints one JSON object:

- ``branches``: the branches the task reaches; ``issue_ms``: ``services.issue_task`` from the root to
  all of them (assignments bulk-created, the counts of every committee of the tree written once), one
  run (target: 10 s for a province-wide task);
- ``answer_ms``: the median of ``ANSWERS`` text answers by branches (each updates the counts of its
  ancestors in the same transaction);
- ``completion_ms``: ``selectors.completion`` of the root (the root's counts and one level down, read
  from the maintained figures), median (target: 50 ms); ``completion_page_ms`` the task's page for the
  root's administrator (server time), median; ``drill_ms``: the completion of the first committee one
  level down;
- ``counts_exact``: the root's maintained figures equal a fresh count of the assignments;
- ``load_avg_before`` / ``load_avg_after``: ``os.getloadavg()`` around the measurement (a shared machine).

The task is deleted at the end (with its assignments and figures): the database is left as found.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.db.models import Count, Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from jiceng.core.models import RoleAssignment, User  # noqa: E402
from jiceng.orgs.models import Organization  # noqa: E402
from jiceng.tasks import selectors, services  # noqa: E402
from jiceng.tasks.models import Assignment, Task, TaskTally  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
ANSWERS = int(os.environ.get("BENCH_TASK_ANSWERS", "50"))


def timed(fn: Any, repeat: int = REPEAT) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1), result


def main() -> None:
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        sys.exit("no organizations: import a dataset first")
    user, _ = User.objects.get_or_create(username="bench-tasks", defaults={"full_name": "bench"})
    RoleAssignment.objects.get_or_create(user=user, org=root, role="org_admin")
    today = timezone.localdate()
    out: dict[str, Any] = {"load_avg_before": [round(x, 2) for x in os.getloadavg()]}
    t0 = time.perf_counter()
    task = services.issue_task(
        actor=user,
        issuer=root,
        title="bench: province-wide task",
        deadline=today + dt.timedelta(days=30),
        target="all_branches",
        answer_kind="text",
    )
    out["issue_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    out["branches"] = task.assigned
    try:
        sample = list(Assignment.objects.filter(task=task).order_by("?")[:ANSWERS])
        times = []
        for a in sample:
            t1 = time.perf_counter()
            services.answer(actor=user, assignment=a, text="已完成")
            times.append((time.perf_counter() - t1) * 1000)
        out["answers"] = len(times)
        out["answer_ms"] = round(statistics.median(times), 1) if times else None
        out["completion_ms"], done = timed(lambda: selectors.completion(user, task))
        out["children"] = len(done.rows)
        first = next((r.org for r in done.rows if r.tally is not None), None)
        if first is not None:
            out["drill_ms"], _ = timed(lambda: selectors.completion(user, task, node_code=first.code))
        setup_test_environment()
        client = Client()
        client.force_login(user)
        url = reverse("tasks:detail", kwargs={"pk": task.pk})
        client.get(url)
        out["completion_page_ms"], response = timed(lambda: client.get(url))
        out["completion_page_status"] = response.status_code
        fresh = Assignment.objects.filter(root=task, relay=False).aggregate(
            total=Count("id"), answered=Count("id", filter=Q(answered_on__isnull=False))
        )
        tally = TaskTally.objects.get(root=task, org=root)
        out["counts_exact"] = (tally.total, tally.answered) == (fresh["total"], fresh["answered"])
    finally:
        t2 = time.perf_counter()
        Task.objects.filter(pk=task.pk).delete()
        out["delete_ms"] = round((time.perf_counter() - t2) * 1000, 1)
    out["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    out["cpus"] = os.cpu_count()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
