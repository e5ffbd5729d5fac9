"""`jiceng import`: exit 0 with a summary per table; non-zero with every error listed and nothing written."""

import datetime as dt
import sys

import pytest
from django.core.management import CommandError, call_command

from conftest import make_id
from jiceng.core.models import ObjectChange
from jiceng.members.models import Member

from .helpers import MEMBER_HEADERS, ORG_HEADERS, member, org, write_csv

pytestmark = pytest.mark.django_db


def jiceng(*args):
    """Run a console command, returning the exit status the shell would see (and printing, as the
    shell would, a refusal's message to stderr). ``execute_from_command_line`` itself would close the
    test's database connection when done."""
    try:
        call_command(*map(str, args))
    except CommandError as e:
        sys.stderr.write(f"CommandError: {e}\n")
        return e.returncode
    return 0


def test_import_command_summary_and_reimport(world, tmp_path, capsys):
    write_csv(tmp_path / "orgs.csv", [org("0104", "龙泉社区党支部", "01", elected="2024-01-01")], ORG_HEADERS)
    write_csv(
        tmp_path / "members.csv",
        [member("甲", 1, "0104", 党内职务="书记"), member("乙", 3, "0101")],
        MEMBER_HEADERS,
    )
    assert jiceng("import", tmp_path) == 0  # a folder: every CSV in it
    out = capsys.readouterr().out
    assert "党组织：新建 1，更新 0，未变 0" in out and "党员：新建 2，更新 0，未变 0" in out
    assert jiceng("import", tmp_path / "orgs.csv", tmp_path / "members.csv") == 0
    assert "党员：新建 0，更新 0，未变 2" in capsys.readouterr().out
    record = ObjectChange.objects.get(action="import")
    assert record.source == "cli" and record.user is None


def test_import_command_lists_every_error_and_writes_nothing(world, tmp_path, capsys):
    bad_id = make_id(dt.date(1985, 3, 9), 5, region="320106")[:-1] + "0"
    write_csv(
        tmp_path / "members.csv",
        [
            member("甲", 1, "0101"),
            member("乙", 5, "0101", 公民身份号码=bad_id),
            member("丙", 7, "0101", 学历="博士后"),
            member("丁", 9, "0101", 入党日期=""),
        ],
        MEMBER_HEADERS,
    )
    before = Member.objects.count(), ObjectChange.objects.count()
    assert jiceng("import", tmp_path / "members.csv") == 1
    err = capsys.readouterr().err
    assert "members.csv 第3行 [公民身份号码] “" + bad_id + "”：公民身份号码校验码不正确 (id_checksum)" in err
    assert "第4行 [学历] “博士后”" in err and "(choice_invalid)" in err
    assert "第5行 [入党日期]" in err and "(required)" in err
    assert "发现3处错误，未写入任何数据" in err
    assert (Member.objects.count(), ObjectChange.objects.count()) == before


def test_check_validates_only(world, tmp_path, capsys):
    write_csv(tmp_path / "members.csv", [member("甲", 1, "0101")], MEMBER_HEADERS)
    assert jiceng("import", "--check", tmp_path / "members.csv") == 0
    assert "校验通过（未写入）" in capsys.readouterr().out
    assert not Member.objects.filter(name="甲").exists()


def test_actor_limits_the_import_to_their_scope(world, tmp_path, capsys):
    write_csv(tmp_path / "members.csv", [member("甲", 1, "0101"), member("乙", 3, "0102")], MEMBER_HEADERS)
    assert jiceng("import", "--actor", "alice", tmp_path / "members.csv") == 1
    err = capsys.readouterr().err
    assert "第3行 [所在党组织编码] “0102”" in err and "(org_unknown)" in err
    assert not Member.objects.filter(name="甲").exists()
    assert jiceng("import", "--actor", "county", tmp_path / "members.csv") == 0
    assert ObjectChange.objects.get(action="import").user == world.county_admin
    assert jiceng("import", "--actor", "nobody", tmp_path / "members.csv") == 1


def test_call_command_form(world, tmp_path):
    write_csv(tmp_path / "members.csv", [member("甲", 1, "0101")], MEMBER_HEADERS)
    call_command("import", str(tmp_path / "members.csv"), "--actor", "alice")
    assert Member.objects.get(name="甲").org == world.branch_a
