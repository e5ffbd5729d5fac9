"""Due or overdue: the SQL filter of the pages agrees with Finding.status on every kind of finding."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core import periods
from jiceng.core.compliance import Finding
from jiceng.reports import selectors
from jiceng.reports.models import ComplianceRun, StoredFinding

DAYS = st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31))
LABELS = st.one_of(
    DAYS.map(lambda d: periods.containing("month", d)),
    DAYS.map(lambda d: periods.containing("quarter", d)),
    DAYS.map(lambda d: periods.containing("year", d)),
    DAYS.map(periods.day),
)


@st.composite
def findings(draw: Any) -> Finding:
    p = draw(LABELS)
    # State findings have no deadline, but the term reminder has one; a period's deadline is its end.
    due_on = draw(st.one_of(st.none(), DAYS)) if p.kind == "day" else p.end
    return Finding(
        "0101", "life.theme_day_monthly", p.label, None, {}, "x", {}, "00010001", "支部", due_on=due_on
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(findings(), min_size=1, max_size=12), today=DAYS)
def test_sql_status_equals_python_status(world: Any, items: list[Finding], today: dt.date) -> None:
    ComplianceRun.objects.all().delete()
    run = ComplianceRun.objects.create(
        org=world.branch_a,
        org_path=world.branch_a.path,
        period="2026",
        engine_version="t",
        stamps="",
        rules_digest="",
    )
    rows = StoredFinding.objects.bulk_create(StoredFinding.of(run, f) for f in items)
    qs = StoredFinding.objects.filter(run=run)
    overdue = set(selectors.filter_findings(qs, status="overdue", today=today).values_list("id", flat=True))
    due = set(selectors.filter_findings(qs, status="due", today=today).values_list("id", flat=True))
    assert overdue | due == {r.pk for r in rows} and not overdue & due
    for row, f in zip(rows, items, strict=True):
        assert (row.pk in overdue) == (f.status(today) == "overdue")
