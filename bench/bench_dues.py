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
- ``report_ms``: ``selectors.report`` of the root for the month (computed from the ledger on each
  request from ``ledger.bulk``: no maintained figures), best of three.

Not wired into ``bench/run.py`` (the lead does that). Reads only, except the optional import.
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
from jiceng.dues import ledger, rules, selectors  # noqa: E402
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


def main() -> None:
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        sys.exit("no organizations: import a dataset first")
    out: dict[str, Any] = {}
    path = os.environ.get("BENCH_DUES_BASE")
    if path:
        from jiceng.roster.importer import InputFile, run_import

        t0 = time.perf_counter()
        result = run_import(actor=None, files=[InputFile(Path(path), Path(path).name)])
        seconds = time.perf_counter() - t0
        out["import_ok"] = result.ok
        out["import_rows_per_s"] = round(result.rows / seconds) if seconds else None
    today = timezone.localdate()
    month = rules.month_start(today)
    members_qs = Member.objects.filter(org_path__prefix=root.path, joined_on__lt=rules.add_months(month, 1))
    out["members"] = members_qs.count()
    out["bases"] = IncomeBase.objects.count()
    out["settings"] = BranchDuesSetting.objects.count()
    runs = []
    for _run in range(3):
        t0 = time.perf_counter()
        data = ledger.bulk(members_qs, month, month)
        amounts = {mid: row[0] for mid, row in data.due.items() if row[0] is not None}
        runs.append(ms(t0))
    out["amounts_ms"] = min(runs)
    runs = []
    for _run in range(3):
        t0 = time.perf_counter()
        raw = raw_amounts(root.path, month)
        runs.append(ms(t0))
    out["raw_amounts_ms"] = min(runs)
    # The raw SQL knows no fixed amounts (年初核定 from an older base or rule version) and no hardship:
    # the members where the two differ should be those.
    out["amounts_differ"] = sum(1 for k, v in amounts.items() if raw.get(k) != v)
    out["ratio"] = round(out["amounts_ms"] / out["raw_amounts_ms"], 2) if out["raw_amounts_ms"] else None
    runs = []
    for _run in range(3):
        t0 = time.perf_counter()
        report = selectors.report(root, parse(month.strftime("%Y-%m")), today=today)
        runs.append(ms(t0))
    out["report_ms"] = min(runs)
    out["report_due"] = str(report.total.due)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
