"""``jiceng import`` of dues_base.csv: all or nothing, each error naming its row, column and reason;
idempotent; a changed amount updates the base (audited); scope of the importing user."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from conftest import make_id
from jiceng.core.models import ObjectChange
from jiceng.dues.models import IncomeBase
from jiceng.roster.importer import InputFile, run_import
from jiceng.roster.tests.helpers import write_csv

H = ["公民身份号码", "月收入基数", "起始月份"]


def number(world: Any, i: int) -> str:
    """The identity number of the i-th member of branch A (the fixture's make_id sequence)."""
    return make_id(dt.date(1980, 5, 17), i + 1)


def run(path: Path, actor: Any = None) -> Any:
    return run_import(actor=actor, files=[InputFile(path, path.name)])


def test_bases_import_all_or_nothing(world: Any, tmp_path: Path) -> None:
    rows = [
        {"公民身份号码": number(world, 1), "月收入基数": "3000.00", "起始月份": "2026-01"},
        {"公民身份号码": number(world, 2), "月收入基数": "5000.01", "起始月份": ""},
        {"公民身份号码": number(world, 3), "月收入基数": "", "起始月份": ""},  # no base: skipped
        {"公民身份号码": "110101198005170000", "月收入基数": "12", "起始月份": "2026-01"},  # bad checksum
        {"公民身份号码": number(world, 4), "月收入基数": "1.005", "起始月份": "2026-1"},
    ]
    result = run(write_csv(tmp_path / "dues_base.csv", rows, H))
    assert not result.ok
    problems = [(p.row, p.column, p.code) for p in result.all_problems()]
    assert problems == [
        (5, "公民身份号码", "id_checksum"),
        (6, "月收入基数", "amount_invalid"),
        (6, "起始月份", "month_invalid"),
    ]
    assert IncomeBase.objects.count() == 0
    good = write_csv(tmp_path / "dues_base.csv", rows[:3], H)
    result = run(good)
    assert result.ok, [p.message for p in result.all_problems()]
    january = dt.date(timezone.localdate().year, 1, 1)
    assert set(IncomeBase.objects.values_list("member__name", "amount", "applies_from")) == {
        (world.members_a[1].name, Decimal("3000.00"), dt.date(2026, 1, 1)),
        (world.members_a[2].name, Decimal("5000.01"), january),
    }
    assert ObjectChange.objects.filter(content_type__model="incomebase", action="create").count() == 2
    # Again: nothing changes; a new amount updates, audited.
    assert run(good).ok and IncomeBase.objects.count() == 2
    rows[0]["月收入基数"] = "3100"
    assert run(write_csv(tmp_path / "dues_base.csv", rows[:1], H)).ok
    assert IncomeBase.objects.get(member=world.members_a[1]).amount == Decimal("3100.00")
    assert ObjectChange.objects.filter(content_type__model="incomebase", action="update").count() == 1


def test_unknown_members_and_scope(world: Any, tmp_path: Path) -> None:
    rows = [
        {"公民身份号码": make_id(dt.date(1970, 1, 1), 555), "月收入基数": "100", "起始月份": "2026-01"},
        {"公民身份号码": number(world, 1), "月收入基数": "100", "起始月份": "2026-01"},
    ]
    path = write_csv(tmp_path / "dues_base.csv", rows, H)
    result = run(path)
    assert [(p.row, p.code) for p in result.all_problems()] == [(2, "member_unknown")]
    # Bob (secretary of branch B) may not enter branch A's bases: answered like an unknown member.
    result = run(write_csv(tmp_path / "b.csv", rows[1:], H), actor=world.bob)
    assert [(p.row, p.code) for p in result.all_problems()] == [(2, "member_unknown")]
    assert IncomeBase.objects.count() == 0


def test_the_console_reports_rows_and_fields(world: Any, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "dues_base.csv",
        [{"公民身份号码": number(world, 1), "月收入基数": "abc", "起始月份": ""}],
        H,
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import", str(path), stdout=StringIO(), stderr=err)
    assert "第2行" in err.getvalue() and "月收入基数" in err.getvalue()


def test_the_import_marks_the_branches_figures_stale(world: Any, tmp_path: Path) -> None:
    from jiceng.core.periods import parse
    from jiceng.dues import figures, selectors
    from jiceng.dues.models import DuesMonthFigure

    year = timezone.localdate().year
    figures.rebuild(years=[year])
    rows = [{"公民身份号码": number(world, 1), "月收入基数": "4000.00", "起始月份": f"{year}-01"}]
    assert run(write_csv(tmp_path / "dues_base.csv", rows, H)).ok
    stale = set(DuesMonthFigure.objects.filter(stale=True).values_list("org_id", flat=True))
    assert stale == {world.branch_a.pk}
    today = timezone.localdate()
    r = selectors.report(world.root, parse(str(year)), today=today)
    assert r.source == "figures" and r.total.due >= Decimal("40.00")
    assert r.as_json() == selectors.ledger_report(world.root, parse(str(year)), today=today).as_json()
