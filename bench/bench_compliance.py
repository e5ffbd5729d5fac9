"""The compliance engine at scale: one quarter for the whole tree, beside the equivalent raw SQL.

Needs DATABASE_URL pointing at a database with a gen_roster.py dataset imported, meetings included
(``bench/load_province.py`` loads one; with ``BENCH_DATASET=<folder>`` this script loads the meetings
itself when the database has none). Prints one JSON object:

- ``engine_ms``: ``compliance.evaluate(root, quarter)`` (load, judge, build findings), median;
- ``raw_ms``: the same rules as hand-written SQL, rows fetched (the dates arithmetic of terms and
  probations done on the fetched rows), median; ``ratio`` = engine / raw (target: at most 3);
- ``raw_committee_month_ms``: the single query "branches without a committee meeting in a month";
- ``counts``: findings per rule by the engine and by the raw SQL (they must agree);
- the root's health-check page (server time, target under 1 s in every state; no request evaluates a
  subtree this large, see ``reports/store.py``): ``page_cold_ms`` with nothing stored (it answers "being
  computed" and queues the refresh), ``page_fresh_ms`` from the stored run, ``page_stale_ms`` from
  the stored run after a write made it stale (it shows it with its time and queues the refresh);
- ``refresh_ms``: the background refresh the worker runs for the root (``store.refresh``: evaluate
  and store), and ``store_evaluate_ms`` the same evaluate-and-store called directly.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from jiceng.core import compliance, periods  # noqa: E402
from jiceng.core.models import RoleAssignment, User  # noqa: E402
from jiceng.life.models import Meeting  # noqa: E402
from jiceng.members.models import Member  # noqa: E402
from jiceng.orgs import rules  # noqa: E402
from jiceng.orgs.models import Organization  # noqa: E402
from jiceng.reports import store  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
QUARTER = os.environ.get("BENCH_QUARTER", "2026-Q3")


def timed(fn: Any, repeat: int = REPEAT) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1), result


def fetch(sql: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


BRANCHES = "FROM orgs_organization o WHERE o.kind = 'branch' AND o.path LIKE %s AND (o.founded_on IS NULL OR o.founded_on <= %s)"


def day_branch(like: str, d: Any) -> tuple[str, list[Any]]:
    """(member_id, org_id): each member's branch on day ``d`` in the subtree (docs/compliance.md,
    "Membership of the day"): the membership record started latest by ``d``; before the first record,
    that record's branch; members without any record, their current branch."""
    return (
        "(SELECT ms.member_id AS member_id, ms.org_id AS org_id FROM members_membership ms"
        " JOIN orgs_organization mo ON mo.id = ms.org_id WHERE mo.path LIKE %s AND ((ms.started_on <= %s"
        " AND NOT EXISTS (SELECT 1 FROM members_membership l WHERE l.member_id = ms.member_id"
        " AND l.started_on <= %s AND (l.started_on > ms.started_on OR (l.started_on = ms.started_on"
        " AND l.id > ms.id)))) OR (ms.started_on > %s AND NOT EXISTS (SELECT 1 FROM members_membership e"
        " WHERE e.member_id = ms.member_id AND (e.started_on < ms.started_on OR (e.started_on = ms.started_on"
        " AND e.id < ms.id)))))"
        " UNION ALL SELECT m0.id, m0.org_id FROM members_member m0 WHERE m0.org_path LIKE %s"
        " AND NOT EXISTS (SELECT 1 FROM members_membership x WHERE x.member_id = m0.id))",
        [like, d, d, d, like],
    )


def day_counts(like: str, d: Any) -> tuple[str, list[Any]]:
    """(org_id, total, full_members) of each branch on ``d``, each member in their branch of the day."""
    branch, params = day_branch(like, d)
    return (
        "(SELECT b.org_id AS org_id, COUNT(*) AS total, SUM(CASE WHEN m.status = 'full'"
        " AND (m.full_member_on IS NULL OR m.full_member_on <= %s) THEN 1 ELSE 0 END) AS full_members"
        f" FROM {branch} b JOIN members_member m ON m.id = b.member_id WHERE m.joined_on <= %s"
        " AND (m.closed_on IS NULL OR m.closed_on > %s) GROUP BY b.org_id)",
        [d, *params, d, d],
    )


def missing_meeting(prefix: str, kind: str, start: Any, end: Any, *, committee: bool = False) -> list[tuple]:
    """Branches without a meeting of ``kind`` in [start, end] (with a committee on ``start``, if asked)."""
    extra = (
        " AND EXISTS (SELECT 1 FROM orgs_committee c WHERE c.org_id = o.id AND c.elected_on <= %s"
        " AND (c.ended_on IS NULL OR c.ended_on > %s))"
        if committee
        else ""
    )
    params = [prefix + "%", start, *([start, start] if committee else []), kind, start, end]
    return fetch(
        f"SELECT o.code {BRANCHES}{extra} AND NOT EXISTS (SELECT 1 FROM life_meeting m WHERE m.org_id = o.id"
        " AND m.kind = %s AND m.held_on >= %s AND m.held_on <= %s)",
        params,
    )


def raw(prefix: str, label: str) -> Counter:
    """Every rule of the quarter in SQL, counted per rule."""
    p = periods.parse(label)
    d = p.end
    like = prefix + "%"
    n: Counter = Counter()
    for month in p.months():
        n["life.theme_day_monthly"] += len(missing_meeting(prefix, "theme_day", month.start, month.end))
        n["life.committee_meeting_monthly"] += len(
            missing_meeting(prefix, "committee_meeting", month.start, month.end, committee=True)
        )
        n["life.group_meeting_monthly"] += len(
            fetch(
                "SELECT g.id FROM orgs_partygroup g JOIN orgs_organization o ON o.id = g.org_id"
                " WHERE o.path LIKE %s AND (o.founded_on IS NULL OR o.founded_on <= %s) AND NOT EXISTS"
                " (SELECT 1 FROM life_meeting m WHERE m.org_id = g.org_id AND m.kind = 'group_meeting'"
                " AND (m.group_id = g.id OR m.group_id IS NULL) AND m.held_on >= %s AND m.held_on <= %s)",
                [like, month.start, month.start, month.end],
            )
        )
    for q in p.quarters():
        n["life.general_meeting_quarterly"] += len(missing_meeting(prefix, "general_meeting", q.start, q.end))
        n["life.party_lecture_quarterly"] += len(missing_meeting(prefix, "party_lecture", q.start, q.end))
    n["life.quorum"] += len(
        fetch(
            "SELECT m.id FROM life_meeting m WHERE m.org_path LIKE %s AND m.held_on >= %s AND m.held_on <= %s"
            " AND m.voted AND m.voting_members > 0 AND 2 * COALESCE(m.voters_present, 0) <= m.voting_members",
            [like, p.start, p.end],
        )
    )
    # State on the quarter's last day: member counts with the committee in force.
    counts_sql, counts_params = day_counts(like, d)
    for _code, total, full, committee in fetch(
        "SELECT o.code, COALESCE(t.total, 0), COALESCE(t.full_members, 0), c.id"
        f" {BRANCHES.replace('FROM orgs_organization o WHERE', f'FROM orgs_organization o LEFT JOIN {counts_sql} t ON t.org_id = o.id LEFT JOIN orgs_committee c ON c.org_id = o.id AND c.elected_on <= %s AND (c.ended_on IS NULL OR c.ended_on > %s) WHERE')}",
        [*counts_params, d, d, like, d],
    ):
        n["org.branch_too_small"] += full < 3
        n["org.branch_too_large"] += total > 50
        n["org.committee_missing"] += full >= 7 and committee is None
    for (
        kind,
        _total,
        full,
        elected,
        years,
        extended,
        posts,
        sec_joined,
        sec_closed,
        sec_full,
        correction,
    ) in fetch(
        "SELECT o.kind, COALESCE(t.total, 0), COALESCE(t.full_members, 0), c.elected_on, c.term_years, c.extended_to,"
        " (SELECT COUNT(*) FROM orgs_committeepost p WHERE p.committee_id = c.id),"
        " s.joined_on, s.closed_on, s.full_member_on, s.standing_correction"
        " FROM orgs_committee c JOIN orgs_organization o ON o.id = c.org_id"
        f" LEFT JOIN {counts_sql} t ON t.org_id = o.id"
        " LEFT JOIN orgs_committeepost sp ON sp.committee_id = c.id AND sp.post = 'secretary'"
        " LEFT JOIN members_member s ON s.id = sp.member_id"
        " WHERE o.path LIKE %s AND (o.founded_on IS NULL OR o.founded_on <= %s)"
        " AND c.elected_on <= %s AND (c.ended_on IS NULL OR c.ended_on > %s)",
        [*counts_params, like, d, d, d],
    ):
        elected, extended = _date(elected), _date(extended)
        if kind != "working_committee":  # 党工委 are appointed: no term
            ends = extended or rules.add_years(elected, years)
            n["org.committee_term_expired"] += ends <= d
            n["org.committee_term_due"] += d < ends <= rules.add_months(d, 6)
        if kind != "branch":
            continue
        if not 3 <= posts <= 7 and (full >= 7 or posts > 2):
            n["org.committee_size"] += 1
        secretary_active = (
            sec_joined is not None
            and _date(sec_joined) <= d
            and (sec_closed is None or _date(sec_closed) > d)
        )
        if secretary_active and sec_full is not None:
            f = _date(sec_full)
            years_standing = 0 if f > d else d.year - f.year - ((d.month, d.day) < (f.month, f.day))
            n["org.secretary_standing_short"] += years_standing + correction < 1
    n["org.secretary_missing"] += len(
        fetch(
            f"SELECT o.code {BRANCHES} AND NOT EXISTS (SELECT 1 FROM orgs_committee c"
            " JOIN orgs_committeepost sp ON sp.committee_id = c.id AND sp.post = 'secretary'"
            " JOIN members_member s ON s.id = sp.member_id"
            " WHERE c.org_id = o.id AND c.elected_on <= %s AND (c.ended_on IS NULL OR c.ended_on > %s)"
            " AND s.joined_on <= %s AND (s.closed_on IS NULL OR s.closed_on > %s))",
            [like, d, d, d, d, d],
        )
    )
    branch_sql, branch_params = day_branch(like, d)
    for (joined,) in fetch(
        f"SELECT m.joined_on FROM {branch_sql} b JOIN members_member m ON m.id = b.member_id"
        " JOIN orgs_organization o ON o.id = b.org_id"
        " WHERE (o.founded_on IS NULL OR o.founded_on <= %s) AND m.joined_on <= %s"
        " AND (m.closed_on IS NULL OR m.closed_on > %s) AND (m.status = 'probationary' OR m.full_member_on > %s)",
        [*branch_params, d, d, d, d],
    ):
        n["member.probation_overdue"] += rules.add_years(_date(joined), 1) <= d
    since = rules.add_months(d, -6)
    n["member.no_life_6_months"] += len(
        fetch(
            "SELECT a.member_id FROM life_attendance a JOIN life_meeting mt ON mt.id = a.meeting_id"
            f" JOIN members_member m ON m.id = a.member_id JOIN {branch_sql} b ON b.member_id = a.member_id"
            " WHERE mt.held_on > %s"
            " AND mt.held_on <= %s AND m.joined_on <= %s AND (m.closed_on IS NULL OR m.closed_on > %s)"
            " GROUP BY a.member_id HAVING SUM(CASE WHEN a.presence = 'present' THEN 1 ELSE 0 END) = 0"
            " AND SUM(CASE WHEN a.presence = 'absent' THEN 1 ELSE 0 END) > 0",
            [*branch_params, since, d, since, d],
        )
    )
    return +n


def _date(value: Any) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def ensure_meetings() -> None:
    folder = os.environ.get("BENCH_DATASET")
    if Meeting.objects.exists() or not folder:
        return
    here = Path(__file__).resolve().parent
    subprocess.run([sys.executable, str(here / "load_province.py"), folder, "--only-meetings"], check=True)


def pages(client: Client, url: str, root: Organization, p: periods.Period) -> dict[str, Any]:
    """The root's health-check page with nothing stored, fresh and stale, and the background refresh.

    No worker runs here: the refresh is run in this process (``store.refresh``, the task's body), and
    the requests find the tasks they queue still waiting, as when the worker is busy elsewhere.
    """
    from django_tasks_db.models import DBTaskResult

    from jiceng.reports.models import ComplianceRefresh, ComplianceRun

    out: dict[str, Any] = {}
    queued_before = set(DBTaskResult.objects.values_list("id", flat=True))
    ComplianceRefresh.objects.filter(org=root, period=p.label).delete()
    ComplianceRun.objects.filter(org=root, period=p.label).delete()
    t0 = time.perf_counter()
    cold = client.get(url)
    out["page_cold_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    out["refresh_ms"], outcome = timed(lambda: store.refresh(org_id=root.pk, period_label=p.label), repeat=1)
    out["page_fresh_ms"], fresh = timed(lambda: client.get(url), repeat=max(REPEAT, 5))
    store.touch_everything()  # a write somewhere: the stored run is stale
    out["page_stale_ms"], stale = timed(lambda: client.get(url), repeat=max(REPEAT, 5))
    out["page_status"] = [cold.status_code, fresh.status_code, stale.status_code]
    out["page_states"] = [
        _state(cold.content.decode()),
        outcome,
        _state(fresh.content.decode()),
        _state(stale.content.decode()),
    ]
    ComplianceRefresh.objects.filter(org=root, period=p.label).delete()
    out["store_evaluate_ms"], _run = timed(lambda: store.evaluate_and_store(root, p), repeat=1)
    DBTaskResult.objects.exclude(id__in=queued_before).delete()  # the tasks the requests queued
    return out


def _state(html: str) -> str:
    marker = 'data-freshness="'
    at = html.find(marker)
    return html[at + len(marker) : html.find('"', at + len(marker))] if at >= 0 else "?"


def main() -> None:
    ensure_meetings()
    setup_test_environment()
    root = Organization.objects.get(depth=1)
    label = QUARTER
    out: dict[str, Any] = {
        "vendor": connection.vendor,
        "quarter": label,
        "orgs": Organization.objects.count(),
        "branches": Organization.objects.filter(kind="branch").count(),
        "members": Member.objects.count(),
        "meetings": Meeting.objects.count(),
    }
    p = periods.parse(label)
    month = p.months()[-1]
    out["raw_committee_month_ms"], _rows = timed(
        lambda: missing_meeting(root.path, "committee_meeting", month.start, month.end, committee=True)
    )
    out["raw_ms"], raw_counts = timed(lambda: raw(root.path, label))
    out["engine_ms"], findings = timed(lambda: compliance.evaluate(root, label))
    out["ratio"] = round(out["engine_ms"] / out["raw_ms"], 2)
    engine_counts = Counter(f.rule for f in findings)
    out["findings"] = len(findings)
    out["counts"] = {
        r: [engine_counts.get(r, 0), raw_counts.get(r, 0)]
        for r in sorted(set(engine_counts) | set(raw_counts))
    }
    out["counts_agree"] = engine_counts == raw_counts

    user, _ = User.objects.get_or_create(username="bench-compliance", defaults={"full_name": "bench"})
    RoleAssignment.objects.get_or_create(user=user, org=root, role="org_admin")
    client = Client()
    client.force_login(user)
    try:
        reverse("reports:health", args=[root.code])
    except NoReverseMatch:  # not wired into jiceng/urls.py yet: the test URLconf adds the pages
        from django.conf import settings
        from django.urls import clear_url_caches

        settings.ROOT_URLCONF = "jiceng.reports.tests.urls"
        clear_url_caches()
    url = reverse("reports:health", args=[root.code]) + f"?period={label}"
    if url:
        out.update(pages(client, url, root, p))
    json.dump(out, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
