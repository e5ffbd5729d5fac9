"""``jiceng dues --org CODE --month YYYY-MM --format json|table|xlsx``."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jiceng.core.models import ObjectChange
from jiceng.dues import services


def test_each_members_amount_bracket_paid_and_arrears(world: Any, tmp_path: Path) -> None:
    zhang, wang = world.members_a[1], world.members_a[2]
    services.set_farmer_amount(
        actor=world.alice, branch=world.branch_a, amount=Decimal("0.5"), records_since=dt.date(2026, 1, 1)
    )
    services.record_income_base(
        actor=world.alice, member=zhang, amount=Decimal("10000.01"), applies_from=dt.date(2026, 1, 1)
    )
    for month in (1, 2, 3):
        services.record_payment(
            actor=world.alice, member=zhang, month=dt.date(2026, month, 1), paid_on=dt.date(2026, month, 9)
        )
    out = StringIO()
    call_command("dues", "--org", "0101", "--month", "2026-03", stdout=out)
    rows = {r["member"]: r for r in json.loads(out.getvalue())}
    assert rows[zhang.pk]["due"] == "200.00" and rows[zhang.pk]["bracket"] == 4 and rows[zhang.pk]["paid"]
    assert rows[zhang.pk]["arrears_months"] == []
    assert rows[wang.pk]["arrears_months"] == ["2026-01", "2026-02", "2026-03"]
    assert ObjectChange.objects.filter(action="export").exists()
    table = StringIO()
    call_command("dues", "--org", "01", "--month", "2026-03", "--format", "table", stdout=table)
    assert zhang.name in table.getvalue()
    target = tmp_path / "d.xlsx"
    call_command(
        "dues",
        "--org",
        "01",
        "--month",
        "2026-03",
        "--format",
        "xlsx",
        "--output",
        str(target),
        stdout=StringIO(),
    )
    assert target.read_bytes()[:2] == b"PK"
    with pytest.raises(CommandError):
        call_command("dues", "--org", "01", "--month", "2026-13", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("dues", "--org", "99", "--month", "2026-03", stdout=StringIO())
