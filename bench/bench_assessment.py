"""A year's assessment of every branch with computed indicators, beside raw SQL of the same indicators.

Needs DATABASE_URL pointing at a PostgreSQL database with a gen_roster.py dataset imported (``jiceng
import --records-since 1921-07-01`` of orgs.csv and members.csv, then ``bench/load_province.py
--only-meetings``). Prints one JSON object:

- ``orgs``: the branches assessed (every branch under the root); ``year``, ``as_of``;
- ``run_s``: ``services.start_run`` + ``services.compute`` of a scheme holding every computed indicator
  the app ships (三会一课 by month, tasks on time, the requests' three rates, development findings
  resolved, committee in term, dues collected), scores, ranks, grades and traces written; the median of
  ``BENCH_REPEAT`` runs (default 3), each a new run of the same version;
- ``raw_s``: the same indicators as raw SQL, one statement each, per branch (numerator, denominator),
  the rows fetched: the floor of reading the same records; the median of as many repeats;
- ``ratio``: run_s / raw_s (target of issue 16: ≤ 3);
- ``queries``: the statements the run issued; ``agree``: for the indicators whose raw SQL gives the
  same figure per branch (life, tasks, committees), how many branches' values are equal;
- ``steps_s``: the run's seconds per indicator (from one run with the progress callback);
- ``load_avg_before`` / ``load_avg_after``: ``os.getloadavg()`` around the measurement (a shared machine).

The scheme and its runs are deleted at the end: the database is left as found.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from jiceng.assessment import services  # noqa: E402
from jiceng.assessment.models import AssessmentRun, OrgResult, Scheme  # noqa: E402
from jiceng.life.models import Meeting  # noqa: E402
from jiceng.members.models import Member  # noqa: E402
from jiceng.orgs.models import Organization  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
TREE = {
    "total": 100,
    "indicators": [
        {"name": "三会一课按月落实", "weight": 30, "kind": "computed", "indicator": "life.months_complete"},
        {"name": "任务按时完成", "weight": 15, "kind": "computed", "indicator": "tasks.on_time"},
        {"name": "诉求响应", "weight": 10, "kind": "computed", "indicator": "services.response_rate"},
        {"name": "诉求解决", "weight": 10, "kind": "computed", "indicator": "services.resolution_rate"},
        {"name": "诉求满意", "weight": 5, "kind": "computed", "indicator": "services.satisfaction_rate"},
        {
            "name": "发展党员问题整改",
            "weight": 10,
            "kind": "computed",
            "indicator": "development.findings_resolved",
        },
        {"name": "班子按期换届", "weight": 10, "kind": "computed", "indicator": "orgs.committee_in_term"},
        {"name": "党费收缴", "weight": 10, "kind": "computed", "indicator": "dues.collection_rate"},
    ],
}

# The raw SQL: per branch of the root's subtree, each indicator's numerator and denominator, read from
# the same tables with the same definitions (PostgreSQL). %(root)s is the root's path prefix.
RAW = {
    "life.months_complete": """
        WITH months AS (
            SELECT m::date AS m, (m + interval '1 month' - interval '1 day')::date AS last
            FROM generate_series(%(start)s::date, %(last_month)s::date, interval '1 month') m
        ), b AS (
            SELECT id, records_since, founded_on FROM orgs_organization
            WHERE kind = 'branch' AND path LIKE %(root)s
        ), held AS (
            SELECT org_id, date_trunc('month', held_on)::date AS m,
                   bool_or(kind = 'theme_day') AS theme, bool_or(kind = 'committee_meeting') AS committee,
                   bool_or(kind = 'group_meeting') AS grp
            FROM life_meeting WHERE org_path LIKE %(root)s AND held_on BETWEEN %(start)s AND %(end)s
            GROUP BY 1, 2
        ), quarterly AS (
            SELECT org_id, date_trunc('quarter', held_on)::date AS q,
                   bool_or(kind = 'general_meeting') AS general, bool_or(kind = 'party_lecture') AS lecture
            FROM life_meeting WHERE org_path LIKE %(root)s AND held_on BETWEEN %(start)s AND %(end)s
            GROUP BY 1, 2
        ), grid AS (
            SELECT b.id, months.m, months.last,
                   EXISTS (SELECT 1 FROM orgs_committee c WHERE c.org_id = b.id AND c.elected_on <= months.m
                           AND (c.ended_on IS NULL OR c.ended_on > months.m)) AS has_committee,
                   EXISTS (SELECT 1 FROM orgs_partygroup g WHERE g.org_id = b.id) AS has_groups
            FROM b CROSS JOIN months
            WHERE (b.records_since IS NULL OR b.records_since <= months.m)
              AND (b.founded_on IS NULL OR b.founded_on <= months.m)
        )
        SELECT grid.id,
               count(*) FILTER (WHERE coalesce(h.theme, false)
                   AND (NOT grid.has_committee OR coalesce(h.committee, false))
                   AND (NOT grid.has_groups OR coalesce(h.grp, false))
                   AND (extract(month FROM grid.m)::int %% 3 <> 0
                        OR (coalesce(q.general, false) AND coalesce(q.lecture, false)))),
               count(*)
        FROM grid
        LEFT JOIN held h ON h.org_id = grid.id AND h.m = grid.m
        LEFT JOIN quarterly q ON q.org_id = grid.id AND q.q = date_trunc('quarter', grid.m)::date
        GROUP BY grid.id
    """,
    "tasks.on_time": """
        SELECT org_id, count(*) FILTER (WHERE answered_on IS NOT NULL AND answered_on <= deadline), count(*)
        FROM tasks_assignment
        WHERE org_path LIKE %(root)s AND deadline BETWEEN %(start)s AND %(end)s
        GROUP BY org_id
    """,
    "services.rates": """
        SELECT org_id, count(*) FILTER (WHERE responded_at IS NOT NULL), count(*),
               count(*) FILTER (WHERE satisfaction >= 4), count(*) FILTER (WHERE satisfaction IS NOT NULL)
        FROM services_servicerequest
        WHERE org_path LIKE %(root)s AND received_at >= %(start)s AND received_at < %(after)s
          AND state_type NOT IN ('merged', 'withdrawn', 'referred')
        GROUP BY org_id
    """,
    "development.findings_resolved": """
        SELECT d.org_id, count(DISTINCT d.id), count(s.id)
        FROM development_development d LEFT JOIN development_step s ON s.development_id = d.id
        WHERE d.org_path LIKE %(root)s GROUP BY d.org_id
    """,
    "orgs.committee_in_term": """
        WITH days AS (
            SELECT d::date AS day FROM unnest(%(days)s::date[]) d
        ), o AS (
            SELECT id, records_since, founded_on FROM orgs_organization
            WHERE kind = 'branch' AND path LIKE %(root)s
        )
        SELECT o.id,
               count(*) FILTER (WHERE NOT EXISTS (
                   SELECT 1 FROM orgs_committee c
                   WHERE c.org_id = o.id AND c.elected_on <= days.day
                     AND (c.ended_on IS NULL OR c.ended_on > days.day) AND c.term_years IS NOT NULL
                     AND coalesce(c.extended_to, (c.elected_on + make_interval(years => c.term_years))::date)
                         < days.day)),
               count(*)
        FROM o CROSS JOIN days
        WHERE (o.records_since IS NULL OR o.records_since <= days.day)
          AND (o.founded_on IS NULL OR o.founded_on <= days.day)
        GROUP BY o.id
    """,
    "dues.collection_rate": """
        SELECT m.org_id, coalesce(sum(p.amount), 0), count(DISTINCT m.id)
        FROM members_member m
        JOIN dues_branchduessetting s ON s.org_id = m.org_id AND s.records_since <= %(end)s
        LEFT JOIN dues_payment p ON p.member_id = m.id AND p.month BETWEEN %(start)s AND %(end)s
        WHERE m.org_path LIKE %(root)s
        GROUP BY m.org_id
    """,
}


def raw(params: dict[str, Any]) -> dict[str, dict[int, tuple]]:
    out: dict[str, dict[int, tuple]] = {}
    with connection.cursor() as cursor:
        for key, sql in RAW.items():
            cursor.execute(sql, params)
            out[key] = {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
    return out


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench_assessment needs PostgreSQL (the raw SQL is PostgreSQL's)")
    # PostgreSQL's JIT off for both sides: once the tables are analysed, the cost estimate of the raw
    # 三会一课 statement passes jit_above_cost and compiling it took 0.33 s of a 0.02 s query (county),
    # which would flatter the ratio. Without JIT the raw SQL is the lower, honest floor.
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    root = Organization.objects.filter(depth=1).order_by("path").first()
    if root is None:
        sys.exit("no organizations: import a dataset first")
    today = timezone.localdate()
    year = int(os.environ.get("BENCH_YEAR", today.year))
    as_of = min(today, dt.date(year, 12, 31))
    load_before = [round(x, 2) for x in os.getloadavg()]
    scheme = services.create_scheme(
        actor=None, owner=root, name="bench", year=year, tree=TREE, rank_siblings=True
    )
    try:
        # One run with the progress callback and the query count, then the timed ones.
        steps: list[tuple[str, float]] = []
        last = [time.perf_counter()]

        def progress(done: int, total: int, label: str) -> None:
            now = time.perf_counter()
            steps.append((label, round(now - last[0], 2)))
            last[0] = now

        with CaptureQueriesContext(connection) as captured:
            run = services.start_run(actor=None, scheme=scheme, as_of=as_of, mode="caller")
            last[0] = time.perf_counter()
            run = services.compute(run, progress=progress)
        queries = len(captured.captured_queries)
        run_times = []
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            r = services.start_run(actor=None, scheme=scheme, as_of=as_of, mode="caller")
            services.compute(r)
            run_times.append(time.perf_counter() - t0)
        months = [
            dt.date(year, m, 1)
            for m in range(1, 13)
            if dt.date(year + (m == 12), m % 12 + 1, 1) <= as_of + dt.timedelta(days=1)
        ]
        days = [(dt.date(year + (m.month == 12), m.month % 12 + 1, 1) - dt.timedelta(days=1)) for m in months]
        if not days or days[-1] != as_of:
            days.append(as_of)
        params = {
            "root": root.path + "%",
            "start": dt.date(year, 1, 1),
            "end": as_of,
            "after": as_of + dt.timedelta(days=1),
            "last_month": months[-1] if months else dt.date(year, 1, 1),
            "days": days,
        }
        raw_times, figures = [], {}
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            figures = raw(params)
            raw_times.append(time.perf_counter() - t0)
        results = {r.org_id: r.values for r in OrgResult.objects.filter(run=run).only("org_id", "values")}
        agree: dict[str, list[int]] = {}
        for key, node in (
            ("life.months_complete", "1"),
            ("tasks.on_time", "2"),
            ("orgs.committee_in_term", "7"),
        ):
            equal = total = 0
            for org_id, values in results.items():
                mine = (values.get(node) or {}).get("share")
                num, den = figures[key].get(org_id, (0, 0))
                theirs = None if not den else Fraction(num, den)
                total += 1
                if (mine is None and theirs is None) or (
                    mine is not None
                    and theirs is not None
                    and abs(Fraction(str(mine)) - theirs) < Fraction(1, 10000)
                ):
                    equal += 1
            agree[key] = [equal, total]
        run_s, raw_s = statistics.median(run_times), statistics.median(raw_times)
        out = {
            "bench": "assessment",
            "database": connection.vendor,
            "scale": os.environ.get("BENCH_SCALE", "county"),
            "members": Member.objects.count(),
            "meetings": Meeting.objects.count(),
            "orgs": len(results),
            "year": year,
            "as_of": as_of.isoformat(),
            "run_s": round(run_s, 3),
            "raw_s": round(raw_s, 3),
            "ratio": round(run_s / raw_s, 2) if raw_s else None,
            "target_ratio": 3,
            "queries": queries,
            "agree": agree,
            "steps_s": steps,
            "repeat": REPEAT,
            "load_avg_before": load_before,
            "load_avg_after": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "jit": "off",
        }
    finally:
        AssessmentRun.objects.filter(scheme=scheme).delete()  # runs protect their version
        Scheme.objects.filter(pk=scheme.pk).delete()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
