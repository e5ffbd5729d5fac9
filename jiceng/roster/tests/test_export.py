"""Export: the import format, masked unless full numbers are asked for and allowed, audited, formula-safe;
export with full numbers → import is an exact round trip (same database: nothing changes; a fresh one:
the same records)."""

import csv
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.http import Http404
from openpyxl import load_workbook

from jiceng.core.models import ObjectChange
from jiceng.members.models import Member, Membership
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs import services as org_services
from jiceng.orgs.models import Committee, CommitteePost, Organization, OrgTally
from jiceng.roster import services
from jiceng.roster.formats import neutralize, restore

from .helpers import MEMBER_HEADERS, member, run, write_csv

pytestmark = pytest.mark.django_db

TRICKY = {
    "工作单位及职务": '=HYPERLINK("http://x","点我")',
    "联系电话": "+8613800000000",
    "民族": "@族",
    "学位": "-",
    "工作岗位": "'=已转义",
    "户籍所在地": "\t前面有制表符",
    "现居住地": "-1+2",
    "党龄校正值": "-1",
}


def add_tricky(world, tmp_path):
    """Members whose values need neutralizing, a committee with posts, a 党工委's appointment, a
    记录起始日期, a committee-less branch's secretary with a 任职日期: what a round trip must carry."""
    org_services.record_election(actor=world.county_admin, org=world.root, elected_on=dt.date(2022, 5, 1))
    org_services.update_org(actor=world.county_admin, org=world.branch_b, records_since=dt.date(2024, 1, 1))
    org_services.set_secretary(
        actor=world.county_admin, org=world.branch_c, member=world.member_c, since=dt.date(2023, 3, 1)
    )
    org_services.record_election(
        actor=world.county_admin,
        org=world.branch_a,
        elected_on=dt.date(2024, 5, 1),
        posts=[(world.members_a[0], "secretary"), (world.members_a[1], "organization_member")],
    )
    headers = [*MEMBER_HEADERS, "学位", "工作岗位", "户籍所在地", "现居住地", "党龄校正值"]
    # Written as an export writes them, so that the database holds exactly TRICKY's values.
    neutral = {k: neutralize(v) for k, v in TRICKY.items()}
    rows = [member("=1+1", 101, "0102", **neutral), member("+张", 103, "010301", 学位="学士")]
    result = run(write_csv(tmp_path / "tricky.csv", rows, headers))
    assert result.ok, list(result.all_problems())
    stored = Member.objects.get(name="=1+1")
    assert (stored.work_unit, stored.job_post, stored.household_registration, stored.standing_correction) == (
        TRICKY["工作单位及职务"],
        "'=已转义",
        "\t前面有制表符",
        -1,
    )


def state():
    """Everything the format carries, keyed by codes and identity numbers (not database ids)."""
    orgs = {}
    for o in Organization.objects.all():
        parent = Organization.objects.get_parent(o)
        committee = o.current_committee
        orgs[o.code] = (
            o.name,
            parent.code if parent else "",
            o.kind,
            o.unit_kind,
            o.founded_on,
            committee and (committee.elected_on, committee.formation, committee.term_years),
            o.records_since,
            o.secretary and o.secretary.reveal_id_number(),
            o.secretary_since,
        )
    posts = dict(
        CommitteePost.objects.filter(committee__ended_on__isnull=True).values_list("member_id", "post")
    )
    members = {}
    for m in Member.objects.filter(closed_on__isnull=True).select_related("org"):
        members[m.reveal_id_number()] = (
            m.org.code, m.name, m.gender, m.ethnicity, m.birth_date, m.education, m.degree, m.category, m.status,
            m.joined_on, m.full_member_on, m.standing_correction, m.work_unit, m.job_post, m.phone,
            m.household_registration, m.residence, m.name_pinyin, m.name_initials, posts.get(m.pk, ""),
        )  # fmt: skip
    return orgs, members


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_with_full_ids_then_import_is_an_exact_round_trip(world, tmp_path, fmt):
    add_tricky(world, tmp_path)
    before = state()
    out = tmp_path / ("roster.xlsx" if fmt == "xlsx" else "roster")
    services.export_roster(actor=world.county_admin, org=world.root, fmt=fmt, full_id=True, output=out)

    same = run(out) if fmt == "xlsx" else run(out / "orgs.csv", out / "members.csv")
    assert same.ok, list(same.all_problems())
    assert same.counts["orgs"] == {"created": 0, "updated": 0, "unchanged": 5}
    assert same.counts["members"] == {"created": 0, "updated": 0, "unchanged": 12}
    assert state() == before

    # A fresh database: nothing of the tree left, then the export imported by the console.
    CommitteePost.objects.all().delete()
    Membership.objects.all().delete()
    Member.objects.all().delete()
    Committee.objects.all().delete()
    OrgTally.objects.all().delete()
    Organization.objects.all().delete()
    fresh = run(out) if fmt == "xlsx" else run(out / "orgs.csv", out / "members.csv")
    assert fresh.ok, list(fresh.all_problems())
    assert fresh.counts["members"]["created"] == 12
    assert state() == before


def test_export_masks_identity_numbers_unless_asked_and_allowed_and_is_audited(world, tmp_path):
    out = tmp_path / "masked"
    services.export_roster(actor=world.viewer, org=world.root, fmt="csv", full_id=False, output=out)
    with open(out / "members.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 10
    assert all("*" in r["公民身份号码"] for r in rows)
    assert {r["公民身份号码"] for r in rows} == set(Member.objects.values_list("id_number_masked", flat=True))
    record = ObjectChange.objects.get(action="export")
    assert record.user == world.viewer and record.org_path == world.root.path
    assert record.postchange_data["full_id"] is False

    with pytest.raises(PermissionDenied):
        services.export_roster(
            actor=world.viewer, org=world.root, fmt="csv", full_id=True, output=tmp_path / "x"
        )
    services.export_roster(
        actor=world.alice, org=world.branch_a, fmt="csv", full_id=True, output=tmp_path / "full"
    )
    with open(tmp_path / "full" / "members.csv", encoding="utf-8-sig") as f:
        numbers = {r["公民身份号码"] for r in csv.DictReader(f)}
    assert numbers == {m.reveal_id_number() for m in Member.objects.filter(org=world.branch_a)}
    assert ObjectChange.objects.filter(
        action="export", user=world.alice, postchange_data__full_id=True
    ).exists()


def test_export_scope_holds(world, tmp_path):
    with pytest.raises(Http404):
        org_selectors.get_org(world.alice, code="0102")
    with pytest.raises(Http404):
        services.export_roster(
            actor=world.alice, org=world.branch_b, fmt="xlsx", full_id=False, output=tmp_path / "x.xlsx"
        )
    services.export_roster(
        actor=world.alice, org=world.branch_a, fmt="csv", full_id=False, output=tmp_path / "a"
    )
    with open(tmp_path / "a" / "orgs.csv", encoding="utf-8-sig") as f:
        orgs = list(csv.DictReader(f))
    # Alice cannot see the parent 01: its code is not disclosed, and only her branch is exported.
    assert [(o["组织编码"], o["上级组织编码"]) for o in orgs] == [("0101", "")]
    with open(tmp_path / "a" / "members.csv", encoding="utf-8-sig") as f:
        assert {r["所在党组织编码"] for r in csv.DictReader(f)} == {"0101"}


def test_cells_that_could_be_formulas_are_neutralized_and_restored(world, tmp_path):
    add_tricky(world, tmp_path)
    out = tmp_path / "roster.xlsx"
    services.export_roster(actor=None, org=world.root, fmt="xlsx", full_id=True, output=out)
    sheet = load_workbook(out, read_only=True)["党员花名册"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    tricky = next(r for r in rows if r[0] == "'=1+1")
    cell = dict(zip(header, tricky, strict=True))
    assert cell["工作单位及职务"] == '\'=HYPERLINK("http://x","点我")'
    assert cell["民族"] == "'@族"
    assert cell["工作岗位"] == "''=已转义"
    assert cell["户籍所在地"] == "'\t前面有制表符"
    assert cell["现居住地"] == "'-1+2"
    assert cell["联系电话"] == "+8613800000000"  # a plain number is no formula
    assert cell["学位"] == "'-"
    assert cell["党龄校正值"] == -1  # a number cell
    assert next(r for r in rows if r[0] == "'+张")
    for value in TRICKY.values():
        assert restore(neutralize(value)) == value


def test_export_command_and_its_scope(world, tmp_path):
    call_command(
        "export", "--org", "01", "--format", "xlsx", "--output", str(tmp_path / "a.xlsx"), "--full-id"
    )
    assert load_workbook(tmp_path / "a.xlsx", read_only=True).sheetnames == ["组织", "党员花名册"]
    record = ObjectChange.objects.get(action="export")
    assert record.source == "cli" and record.postchange_data["full_id"] is True
    with pytest.raises(CommandError, match="不在您的管理范围内"):
        call_command(
            "export", "--org", "0102", "--format", "csv", "--output", str(tmp_path / "b"), "--actor", "alice"
        )
    with pytest.raises(CommandError, match="权限"):
        call_command(
            "export",
            "--org",
            "01",
            "--format",
            "csv",
            "--output",
            str(tmp_path / "c"),
            "--actor",
            "viewer",
            "--full-id",
        )
    call_command(
        "export", "--org", "01", "--format", "csv", "--output", str(tmp_path / "d"), "--actor", "viewer"
    )
    assert (tmp_path / "d" / "members.csv").exists()
