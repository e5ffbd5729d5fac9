"""Dues at scale: every member's amount for a month, and the root's monthly report.

Needs DATABASE_URL pointing at a database with a gen_roster.py dataset imported (``bench/run.py``
makes one), ideally with its ``dues_base.csv`` imported too (``BENCH_DUES_BASE=path`` imports it here
first, timed). Prints one JSON object:

- ``members``: members of the root's subtree; ``bases``: income bases recorded;
- ``import_rows_per_s`` (with ``BENCH_DUES_BASE``): ``jiceng import`` of dues_base.csv, rows per second;
- ``amounts_ms``: ``ledger.bulk`` of every member of the root's subtree for the month (members, the
  base in force, fixed amounts, payments, hardship, settings read as tuples; each amount computed by
  ``rules.amount_function``), best of three runs;
- ``raw_amounts_ms``: raw SQL computing the same amounts (the latest base by the month, the employed
  and retired brackets by CASE, the fixed amounts), best of three, for comparison (issue 15: ≤ 3× raw);
- ``amounts_differ``: members on whom the two disagree (those with a hardship reduction or exemption, or
  an amount fixed from an older base or rule version: the raw SQL knows neither);
- ``rebuild_figures_s``: ``figures.rebuild`` of the year's maintained figures (every branch, twelve
  months), after the import, timed on its own; ``figure_rows``: the rows it wrote;
- ``report_ms``: ``selectors.report`` of the root for the month from the maintained figures (the
  subtree sums of the root and its children), best of three (issue 15: ≤ 50 ms);
  ``report_month_first_ms`` (and quarter, year): the first read after the rebuild, which checks the
  branch rows, sums them over the subtree by path and keeps the sums;
  ``report_quarter_ms``, ``report_year_ms``: the same for the quarter and the year;
  ``report_page_ms``: what the report page reads (the month's report and the year's chart);
- ``report_ledger_ms``: the month's report computed from the ledger (``selectors.ledger_report``, every
  member's ledger by ``ledger.bulk``), for comparison; ``figures_equal``: the reports from figures equal
  those computed from the ledger, for the month, the quarter and (unless ``BENCH_DUES_YEAR_EQUAL=0``)
  the year;
- ``load_before``/``load_after``: ``os.getloadavg()`` at the start and the end.

``BENCH_RUNS`` (default 3): runs of each timing. Not wired into ``bench/run.py`` (the lead does that).
Writes only the optional import and the figures.
"""

from __future__ import annotations

import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from jiceng.core.periods import parse  # noqa: E402
from jiceng.dues import figures, ledger, rules, selectors  # noqa: E402
from jiceng.dues.models import BranchDuesSetting, IncomeBase  # noqa: E402
from jiceng.members.models import Member  # noqa: E402
from jiceng.orgs.models import Organization  # noqa: E402


def ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)


RAW = """
SELECT m.id, m.category,
  (SELECT b.amount FROM dues_incomebase b
    WHERE b.member_id = m.id AND b.applies_from <= %(month)s AND b.confirmed
    ORDER BY b.applies_from DESC, b.id DESC LIMIT 1) AS base,
  s.farmer_amount
FROM members_member m LEFT JOIN dues_branchduessetting s ON s.org_id = m.org_id
WHERE m.org_path LIKE %(prefix)s AND m.joined_on < %(next)s
  AND (m.closed_on IS NULL OR m.closed_on >= %(month)s)
"""


def raw_amounts(prefix: str, month: Any) -> dict[int, Decimal]:
    """The same amounts from raw rows: the brackets applied in Python over plain tuples."""
    params = {"month": month, "next": rules.add_months(month, 1), "prefix": prefix + "%"}
    with connection.cursor() as cur:
        cur.execute(RAW, params)
        rows = cur.fetchall()
    p = rules.AMOUNT_DEFAULTS
    out = {}
    for mid, category, base, farmer in rows:
        if category == "farmer":
            out[mid] = Decimal(str(farmer or "0.50")).quantize(rules.FEN)
            continue
        if category == "student" or (category == "other" and base is None):
            out[mid] = Decimal("0.20")
            continue
        b = Decimal(str(base or 0))
        table = p["retired"] if category == "retired" else p["employed"]
        rate = next(Decimal(r) for upper, r in table if upper is None or b <= Decimal(upper))
        out[mid] = rules.money(b * rate)
    return out


def best(fn: Any, runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _run in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(ms(t0))
    return min(times), result


def main() -> None:
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        sys.exit("no organizations: import a dataset first")
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    out: dict[str, Any] = {"load_before": [round(x, 2) for x in os.getloadavg()]}
    path = os.environ.get("BENCH_DUES_BASE")
    if path:
        from jiceng.roster.importer import InputFile, run_import

        t0 = time.perf_counter()
        result = run_import(actor=None, files=[InputFile(Path(path), Path(path).name)])
        seconds = time.perf_counter() - t0
        out["import_ok"] = result.ok
        out["import_rows"] = result.rows
        out["import_s"] = round(seconds, 1)
        out["import_rows_per_s"] = round(result.rows / seconds) if seconds else None
    today = timezone.localdate()
    month = rules.month_start(today)
    t0 = time.perf_counter()
    out["figure_rows"] = figures.rebuild(years=[today.year])
    out["rebuild_figures_s"] = round(time.perf_counter() - t0, 1)
    members_qs = Member.objects.filter(org_path__prefix=root.path, joined_on__lt=rules.add_months(month, 1))
    out["members"] = members_qs.count()
    out["branches"] = len(figures.branches_under(root.path))
    out["bases"] = IncomeBase.objects.count()
    out["settings"] = BranchDuesSetting.objects.count()

    def amounts_now() -> dict[int, Any]:
        data = ledger.bulk(members_qs, month, month)
        return {mid: row[0] for mid, row in data.due.items() if row[0] is not None}

    out["amounts_ms"], amounts = best(amounts_now, runs)
    out["raw_amounts_ms"], raw = best(lambda: raw_amounts(root.path, month), runs)
    # The raw SQL knows no fixed amounts (年初核定 from an older base or rule version) and no hardship:
    # the members where the two differ should be those.
    out["amounts_differ"] = sum(1 for k, v in amounts.items() if raw.get(k) != v)
    out["ratio"] = round(out["amounts_ms"] / out["raw_amounts_ms"], 2) if out["raw_amounts_ms"] else None
    periods = {
        "month": parse(month.strftime("%Y-%m")),
        "quarter": parse(f"{today.year}-Q{(today.month - 1) // 3 + 1}"),
        "year": parse(str(today.year)),
    }
    reports = {}
    for kind, period in periods.items():
        # The first read after the rebuild sums the branch rows into the subtree sums and keeps them.
        t0 = time.perf_counter()
        selectors.report(root, period, today=today)
        out[f"report_{kind}_first_ms"] = ms(t0)
    for kind, period in periods.items():
        key = "report_ms" if kind == "month" else f"report_{kind}_ms"
        out[key], reports[kind] = best(lambda p=period: selectors.report(root, p, today=today), runs)
        out[f"report_{kind}_source"] = reports[kind].source

    def page() -> None:
        selectors.report(root, periods["month"], today=today)
        selectors.report(root, periods["year"], today=today, by_child=False)

    out["report_page_ms"], _none = best(page, runs)
    out["report_due"] = str(reports["month"].total.due)
    out["report_ledger_ms"], ledger_month = best(
        lambda: selectors.ledger_report(root, periods["month"], today=today), runs
    )
    out["report_ratio_ledger_to_figures"] = (
        round(out["report_ledger_ms"] / out["report_ms"]) if out["report_ms"] else None
    )
    equal = {"month": reports["month"].as_json() == ledger_month.as_json()}
    checked = ["quarter"] + (["year"] if os.environ.get("BENCH_DUES_YEAR_EQUAL", "1") != "0" else [])
    for kind in checked:
        t0 = time.perf_counter()
        equal[kind] = (
            reports[kind].as_json() == selectors.ledger_report(root, periods[kind], today=today).as_json()
        )
        out[f"report_ledger_{kind}_ms"] = ms(t0)
    out["figures_equal"] = all(equal.values())
    out["figures_equal_periods"] = sorted(equal)
    out["db"] = connection.vendor
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    out["cpus"] = os.cpu_count()
    out["when"] = timezone.now().strftime("%Y-%m-%dT%H:%M:%S")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
