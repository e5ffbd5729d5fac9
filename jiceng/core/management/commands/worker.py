"""``jiceng worker``: the background worker (django-tasks' database worker) with a heartbeat.

Everything ``db_worker`` takes applies (``--interval``, ``--queue-name``, ``--max-tasks`` …). Beside
the worker loop a thread records the worker's beat every ``BEAT_SECONDS`` (also while a long task
runs), which ``/readyz`` reads; a worker that dies stops beating.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django_tasks_db.management.commands import db_worker

from jiceng.core.models import WorkerBeat

BEAT_SECONDS = 10.0


class Heartbeat(threading.Thread):
    def __init__(self, worker_id: str, every: float = BEAT_SECONDS) -> None:
        super().__init__(name="jiceng-worker-heartbeat", daemon=True)
        self.worker_id = worker_id[:64]
        self.every = every
        self.started_at = timezone.now()
        self.stopping = threading.Event()

    def beat(self) -> None:
        try:
            WorkerBeat.objects.update_or_create(
                worker_id=self.worker_id,
                defaults={
                    "host": socket.gethostname()[:255],
                    "pid": os.getpid(),
                    "started_at": self.started_at,
                    "beat_at": timezone.now(),
                },
            )
        except DatabaseError:
            # A busy SQLite file or a database restart: the next beat tries again.
            close_old_connections()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self.beat()
                self.stopping.wait(self.every)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()


class Command(db_worker.Command):
    help = "Run the background worker (imports, refreshes, …) and record its heartbeat for /readyz."

    def handle(self, *args: Any, **options: Any) -> None:
        heartbeat = Heartbeat(options["worker_id"])
        heartbeat.beat()  # ready at once, not only after the first interval
        heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            heartbeat.stop()
            # A stopped worker says so at once instead of waiting to be found silent.
            WorkerBeat.objects.filter(worker_id=heartbeat.worker_id).delete()
