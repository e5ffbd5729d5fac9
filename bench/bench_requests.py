"""Residents' requests at scale: a year of generated requests over the tree's communities, then the
figures and the queue (issue 14's benchmark; not wired into ``bench/run.py``).

Needs DATABASE_URL pointing at a database with a gen_roster.py dataset imported (``bench/run.py``
makes one), or any jiceng database with communities (``jiceng demo`` will do for a smoke run). Prints
one JSON object:

- ``requests``: how many were generated (``BENCH_REQUESTS``, default 200,000; the issue's province
  figure is about 2M), spread over the communities and villages of the tree and over the last 365
  days, in every state type, bulk-inserted (``insert_ms``);
- ``rebuild_ms``: ``jiceng requests_figures --rebuild`` after the bulk insert (which bypassed the
  services), and ``rebuild_rows`` the maintained monthly rows written;
- ``figures_root_ms`` / ``figures_county_ms``: the three rates for the root and for one committee one
  level down, for this year, **from the maintained monthly figures** (``selectors.total_figures``: the
  node's twelve rows summed), median of ``BENCH_REPEAT`` (target 50 ms); ``figures_root_raw_ms`` the
  same computed from the requests (``selectors.figures``, as before the figures were maintained), and
  ``figures_equal`` whether both give the same counts;
- ``figures_monthly_ms``: the twelve months of the root (the chart) from the maintained rows, and
  ``figures_monthly_raw_ms`` the one grouped query over the requests;
- ``queue_ms``: the first page (20) of a community's queue (``selectors.request_list``, sorted by
  time left in the database), and ``queue_page_ms`` the page over HTTP in-process (server time), for
  the root's administrator (target 50 ms);
- ``intake_per_s``: ``services.submit_request`` in-process, sequential, maintained figures included
  (the issue's target is over HTTP on the production server: ≥ 200/s on 2 cores; ``make bench-http``
  is the harness for that).

The generated requests (text "bench:") are deleted at the end and the figures rebuilt: the database is
left as found.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from jiceng.core.models import ObjectChange, RoleAssignment, User  # noqa: E402
from jiceng.members.models import Member  # noqa: E402
from jiceng.orgs.models import Organization  # noqa: E402
from jiceng.services import figures, selectors, services  # noqa: E402
from jiceng.services.models import Category, Event, ServiceRequest, State  # noqa: E402
from jiceng.services.seed import ensure_shipped  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
N = int(os.environ.get("BENCH_REQUESTS", "0"))  # 0: two per member of the loaded dataset
KEEP = os.environ.get("BENCH_KEEP") == "1"  # leave the generated requests (for BENCH_REUSE, the HTTP bench)
REUSE = os.environ.get("BENCH_REUSE") == "1"
INTAKE = int(os.environ.get("BENCH_INTAKE", "200"))
BATCH = 5000
MARK = "bench:"


def timed(fn: Any, repeat: int = REPEAT) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1), result


COLUMNS = (
    "code", "token_digest", "org_id", "org_path", "category_id", "urgency", "channel", "text", "public_text",
    "address", "public_address", "name_cipher", "name_masked", "phone_cipher", "phone_masked",
    "address_digest", "sms_consent", "phone_digest", "hotline_no", "hotline_unit", "state_id", "state_type",
    "handler_org_id", "handler_path", "received_at", "responded_at", "answered_at", "closed_at",
    "resolution", "satisfaction", "photo", "photo_type",
)  # fmt: skip


def spread(communities: list[Organization]) -> list[int]:
    """Each community's weight: its members (a few requests per member household), at least one."""
    counts = dict(
        Member.objects.filter(org_id__in=[c.pk for c in communities])
        .values_list("org_id")
        .annotate(n=Count("id"))
        .values_list("org_id", "n")
    )
    return [max(1, counts.get(c.pk, 0)) for c in communities]


def rows(communities: list[Organization], rng: random.Random) -> Iterator[tuple]:
    """``N`` requests over the last 365 days in every state type, as tuples of ``COLUMNS``."""
    ensure_shipped()
    states = {s.type: s.pk for s in State.objects.filter(shipped=True)}
    cats = [(c.pk, c.urgency) for c in Category.objects.filter(active=True)]
    now = timezone.now()
    weights = [("received", 3), ("accepted", 3), ("in_progress", 8), ("answered", 6), ("resolved", 30)]
    weights += [("closed", 40), ("reopened", 2), ("merged", 3), ("withdrawn", 2), ("referred", 3)]
    types = [t for t, w in weights for _ in range(w)]
    picks = rng.choices(range(len(communities)), weights=spread(communities), k=N)
    minutes = 365 * 24 * 60
    for i, k in enumerate(picks):
        org = communities[k]
        received = now - dt.timedelta(minutes=rng.randrange(minutes))
        kind = rng.choice(types)
        done = kind in ("answered", "resolved", "closed", "reopened")
        answered = received + dt.timedelta(days=rng.randrange(1, 10)) if done else None
        if answered is not None and answered > now:
            answered = now
        cat, urgency = rng.choice(cats)
        yield (
            f"B{i:07d}", f"bench-{i}", org.pk, org.path, cat, urgency, "web", MARK + " 路灯不亮", "",
            "某处", "", "", "", "", "", "", False, "", "", "", states[kind], kind, org.pk, org.path, received,
            received + dt.timedelta(hours=rng.choice([1, 5, 30])) if kind != "received" else None,
            answered,
            answered if kind in ("closed", "merged", "withdrawn", "referred") and answered else None,
            rng.choice(["solved", "solved", "partly", "no_answer"]) if kind in ("resolved", "closed") else "",
            rng.choice([None, 3, 4, 5, 5]) if kind == "resolved" else None,
            "", "",
        )  # fmt: skip


def generate(communities: list[Organization], rng: random.Random) -> int:
    """Insert ``N`` requests with their answered events (the 解决率 base): COPY on PostgreSQL (a
    province's two million in a few minutes), bulk_create elsewhere."""
    made = 0
    # The generator's own queries run before the COPY starts (the connection is busy during it).
    pending = rows(communities, rng)
    first = next(pending, None)
    pending = itertools.chain([first] if first else [], pending)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                copy_sql = f"COPY services_servicerequest ({', '.join(COLUMNS)}) FROM STDIN"
                with cursor.cursor.copy(copy_sql) as copy:
                    for row in pending:
                        copy.write_row(row)
                        made += 1
        else:
            batch = []
            for row in pending:
                batch.append(ServiceRequest(**dict(zip(COLUMNS, row, strict=True))))
                made += 1
                if len(batch) == BATCH:
                    ServiceRequest.objects.bulk_create(batch)
                    batch = []
            ServiceRequest.objects.bulk_create(batch)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO services_event (request_id, kind, state_id, at, by_resident, actor_unit,"
                " public_text, note, moderated, public_version)"
                " SELECT id, 'answered', state_id, answered_at, false, '', '', '', false, ''"
                " FROM services_servicerequest WHERE answered_at IS NOT NULL AND text LIKE %s",
                [MARK + "%"],
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE services_servicerequest")
            cursor.execute("ANALYZE services_event")
    return made


def main() -> None:
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        sys.exit("no organizations: import a dataset first")
    communities = list(
        Organization.objects.filter(unit_kind__in=("community", "village")).order_by("path")[:20000]
    )
    if not communities:
        sys.exit("no communities or villages in the tree")
    rng = random.Random(14)
    user, _ = User.objects.get_or_create(username="bench-requests", defaults={"full_name": "bench"})
    RoleAssignment.objects.get_or_create(user=user, org=root, role="org_admin")
    out: dict[str, Any] = {
        "db": connection.vendor,
        "scale": os.environ.get("BENCH_SCALE", ""),
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "communities": len(communities),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    global N
    N = N or 2 * Member.objects.count()  # about two a member (a few per member household)
    kept = ServiceRequest.objects.filter(text__startswith=MARK).count() if REUSE else 0
    try:
        if kept:  # BENCH_REUSE=1: the requests a BENCH_KEEP=1 run left, and their figures
            out["requests"], out["reused"] = kept, True
        else:
            t0 = time.perf_counter()
            out["requests"] = generate(communities, rng)
            out["insert_ms"] = round((time.perf_counter() - t0) * 1000, 1)
            t0 = time.perf_counter()
            out["rebuild_rows"] = figures.rebuild()
            out["rebuild_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        today = timezone.localdate()
        start, end = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
        scoped = selectors.visible_requests(user)
        out["figures_root_ms"], f = timed(lambda: selectors.total_figures(user, start=start, end=end))
        out["figures_root"] = {
            "received": f.received,
            "rates": [f.response_rate, f.resolution_rate, f.satisfaction_rate],
        }
        out["figures_root_raw_ms"], raw = timed(lambda: selectors.figures(scoped, start=start, end=end))
        out["figures_equal"] = f == raw
        # A county's committee (县委 / 区委) where the tree has them below the root (a province), else
        # the first committee one level down (a county's town).
        county = (
            Organization.objects.filter(depth__gt=root.depth, name__regex=r"(县|区)委$")
            .order_by("path")
            .first()
            or Organization.objects.filter(depth=root.depth + 1).order_by("path").first()
        )
        if county is not None:
            out["figures_county_org"] = f"{county.name} (depth {county.depth - root.depth})"
            out["figures_county_ms"], _f = timed(
                lambda: selectors.total_figures(user, start=start, end=end, org=county)
            )
        out["figures_monthly_ms"], _m = timed(lambda: selectors.monthly_figures(user, year=today.year))
        out["figures_monthly_raw_ms"], _m = timed(lambda: selectors.figures_by_month(scoped, year=today.year))
        community = communities[len(communities) // 2]
        out["queue_ms"], _q = timed(
            lambda: list(Paginator(selectors.request_list(user, org=community), 20).get_page(1).object_list)
        )
        setup_test_environment()
        client = Client()
        client.force_login(user)
        url = reverse("services:list") + f"?org={community.code}"
        client.get(url)
        out["queue_page_ms"], response = timed(lambda: client.get(url))
        out["queue_page_status"] = response.status_code
        cat = Category.objects.filter(active=True).first()
        t1 = time.perf_counter()
        for i in range(INTAKE):
            services.submit_request(
                org=communities[i % len(communities)], category=cat, text=f"{MARK} 受理{i}", address="某处"
            )
        out["intake_per_s"] = round(INTAKE / (time.perf_counter() - t1), 1)
    finally:
        out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        if not KEEP:
            t2 = time.perf_counter()
            bench = ServiceRequest.objects.filter(text__startswith=MARK)
            ObjectChange.objects.filter(
                content_type=ContentType.objects.get_for_model(ServiceRequest),
                object_id__in=bench.values("pk"),
            ).delete()
            Event.objects.filter(request__in=bench.values("pk")).delete()
            bench.delete()
            figures.rebuild()
            out["delete_ms"] = round((time.perf_counter() - t2) * 1000, 1)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
