"""Health endpoints for a load balancer or a monitor: ``/healthz`` (liveness), ``/readyz`` (readiness).

They are answered by the first middleware, before host validation, the HTTPS redirect, sessions and
authentication: a balancer probes the application server directly (``http://127.0.0.1:8000/readyz``,
often with an address for a host name), and a probe must never create a session or touch the audit.
Neither says anything about the data: only whether the process answers, whether the database
answers, and how long ago the background worker last beat.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

PATHS = ("/healthz", "/readyz")


def readiness() -> tuple[bool, dict[str, Any]]:
    """(ready, report): the database answers a query, and a worker beat within the allowed age."""
    from .models import WorkerBeat

    report: dict[str, Any] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        report["database"] = "ok"
    except Exception:  # noqa: BLE001 (any failure of the database is "not ready", never a 500)
        report["database"] = "unavailable"
        report["worker"] = "unknown"
        return False, report
    latest = WorkerBeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    if latest is None:
        report["worker"] = "never seen"
        return False, report
    age = (timezone.now() - latest).total_seconds()
    report["worker_beat_age_seconds"] = round(age, 1)
    fresh = age <= settings.JICENG_WORKER_STALE_SECONDS
    report["worker"] = "ok" if fresh else "silent"
    return fresh, report


class HealthMiddleware:
    """Answers GET/HEAD of the health paths itself; every other request passes through untouched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/") or "/"
        if path not in PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405)
            response["Allow"] = "GET, HEAD"
        elif path == "/healthz":
            response = HttpResponse("ok\n", content_type="text/plain")
        else:
            ready, report = readiness()
            response = HttpResponse(
                json.dumps({"ready": ready, **report}) + "\n",
                status=200 if ready else 503,
                content_type="application/json",
            )
        response["Cache-Control"] = "no-store"
        return response
