"""`jiceng compliance`: the JSON contract, the table, and the exit status for bad input."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from jiceng.core.management.commands.compliance import Command
from jiceng.life.models import Meeting


@pytest.fixture(autouse=True)
def _in_chinese() -> Any:
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


KEYS = {"org_code", "rule", "period", "member", "params", "citation", "message"}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("compliance", *args, stdout=out)
    return out.getvalue()


def test_json_is_an_array_of_findings_with_exactly_the_contract_keys(world: Any) -> None:
    data = json.loads(run("--org", "01", "--period", "2027-06"))
    assert isinstance(data, list) and data
    for item in data:
        assert set(item) == KEYS
        assert isinstance(item["params"], dict) and item["citation"] and item["message"]
    probation = [d for d in data if d["rule"] == "member.probation_overdue"]
    dora = world.members_a[0].__class__.objects.get(name="赵敏")
    assert probation == [
        {
            "org_code": "0101",
            "rule": "member.probation_overdue",
            "period": "2027-06-30",
            "member": dora.pk,
            "params": {"probation_years": 1},
            "citation": "中国共产党章程第七条；中国共产党发展党员工作细则",
            "message": "赵敏于2026年3月1日入党，预备期已于2027年3月1日届满，截至2027年6月30日尚未讨论其转正",
        }
    ]
    assert {d["period"] for d in data if d["rule"] == "life.theme_day_monthly"} == {"2027-06"}
    assert {d["org_code"] for d in data} <= {"01", "0101", "0102", "0103", "010301"}


def test_a_subtree_only_and_an_empty_array_without_findings(world: Any) -> None:
    codes = {d["org_code"] for d in json.loads(run("--org", "0103", "--period", "2026-Q1"))}
    assert codes == {"010301"}
    # A day before the branch existed in any rule's eyes: nothing to find for the working committee itself.
    from jiceng.orgs.models import Organization

    Organization.objects.filter(code="010301").update(founded_on=dt.date(2030, 1, 1))
    assert json.loads(run("--org", "0103", "--period", "2026-Q1")) == []


def test_table_format(world: Any) -> None:
    a = world.branch_a
    Meeting.objects.create(org=a, org_path=a.path, kind="theme_day", held_on=dt.date(2026, 1, 31), topic="t")
    text = run("--org", "0101", "--period", "2026-Q1", "--format", "table")
    lines = text.strip().splitlines()
    assert lines[0].split()[:3] == ["组织编码", "规则", "期间"]
    assert any("2026年2月未开展主题党日" in line for line in lines)
    assert not any("2026年1月未开展主题党日" in line for line in lines)
    assert lines[-1].startswith("共 ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "01", "--period", "2026-13"], "无法识别的期间"),
        (["--org", "01", "--period", "2026-02-30"], "无效的日期"),
        (["--org", "99", "--period", "2026-Q1"], "找不到组织编码为 99 的党组织"),
        (["--org", "01", "--period", "9999-12"], "期间超出范围"),
    ],
)
def test_bad_input_exits_non_zero_with_a_chinese_message(
    world: Any, args: list[str], message: str, capsys: Any
) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(["jiceng", "compliance", *args])
    assert exit_info.value.code != 0
    assert message in capsys.readouterr().err


def test_exit_zero_with_findings(world: Any, capsys: Any) -> None:
    """run_from_argv returns normally (exit status 0) rather than raising SystemExit."""
    Command().run_from_argv(["jiceng", "compliance", "--org", "01", "--period", "2026-Q1"])
    assert json.loads(capsys.readouterr().out)
