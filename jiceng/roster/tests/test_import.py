"""What an import writes: new records, updates with their change records, idempotence, committees, posts,
moves, the subtree counts; and what it refuses, with every error named and nothing written."""

import datetime as dt

import pytest

from conftest import make_id
from jiceng.core import crypto
from jiceng.core.models import ObjectChange
from jiceng.members.models import Member, Membership
from jiceng.orgs import tallies
from jiceng.orgs.models import Committee, CommitteePost, Organization, OrgTally

from .helpers import (
    MEMBER_HEADERS,
    ORG_HEADERS,
    codes,
    member,
    org,
    reading,  # noqa: F401 (the fixture)
    run,
    write_csv,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reading")]


def by_id(number: str) -> Member:
    return Member.objects.get(id_number_digest=crypto.digest(number))


def tree(tmp_path, *extra_orgs):
    rows = [
        org("0104", "新建社区党支部", "01", unit="社区", founded="2001-05-01", elected="2023-06-01"),
        org("0105", "新建机关党总支", "01", kind="党总支", unit="机关"),
        org("010501", "新建机关第一党支部", "0105", unit="机关", elected="2024-01-10"),
        *extra_orgs,
    ]
    return write_csv(tmp_path / "orgs.csv", rows, ORG_HEADERS)


def test_created_organizations_and_committees_are_recorded_as_saved(world, tmp_path):
    """The change record of each organization and committee an import creates holds what
    ``audit.snapshot`` gives of it as saved (the importer builds it without model instances)."""
    from jiceng.core import audit

    assert run(tree(tmp_path)).ok
    created = ["0104", "0105", "010501"]
    for model, objects in ((Organization, Organization.objects.filter(code__in=created)),
                           (Committee, Committee.objects.filter(org__code__in=created))):  # fmt: skip
        assert len(objects) >= 2
        for obj in objects:
            record = ObjectChange.objects.get(action="create", content_type__model=model._meta.model_name,
                                              object_id=obj.pk)  # fmt: skip
            assert record.postchange_data == audit.snapshot(obj), obj


def test_an_imported_committee_takes_its_term_from_the_rule_book_of_its_election_day(world, tmp_path):
    """As for an election recorded on its page: `org.committee_term_expired`'s parameters in force
    on the election day (a province's own rule from 2024 on gives 社区 branches four years)."""
    from jiceng.core.models import RuleVersion

    RuleVersion.objects.create(
        code="org.committee_term_expired",
        effective_from=dt.date(2024, 1, 1),
        params={"term_years_community_village": 4},
        citation="某省实施办法",
    )
    assert run(tree(tmp_path, org("0106", "另一社区党支部", "01", unit="社区", elected="2024-01-01"))).ok
    terms = dict(Committee.objects.values_list("org__code", "term_years"))
    assert (terms["0104"], terms["0106"], terms["010501"]) == (5, 4, 3)  # 2023, 2024, 机关 unchanged


def test_creates_organizations_members_memberships_committees_and_posts(world, tmp_path):
    orgs = tree(tmp_path)
    members = write_csv(
        tmp_path / "members.csv",
        [
            member("李书记", 1, "0104", 党内职务="书记"),
            member("王委员", 3, "0104", 党内职务="组织委员"),
            member("赵党员", 5, "010501"),
            member("钱预备", 7, "010501", 党员状态="预备党员", 入党日期="2026-03-01", 转正日期=""),
        ],
        MEMBER_HEADERS,
    )
    result = run(orgs, members)
    assert result.ok, list(result.all_problems())
    assert result.counts["orgs"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert result.counts["members"] == {"created": 4, "updated": 0, "unchanged": 0}

    general = Organization.objects.get(code="0105")
    branch = Organization.objects.get(code="010501")
    assert Organization.objects.get_parent(branch) == general
    assert general.kind == "general_branch" and branch.kind == "branch" and branch.unit_kind == "government"
    assert Organization.objects.find_problems() == ([], [], [], [], [])  # treebeard's own consistency check
    assert Organization.objects.get(pk=world.root.pk).numchild == 5

    li = by_id(make_id(dt.date(1985, 3, 9), 1, region="320106"))
    assert li.org.code == "0104" and li.org_path == li.org.path
    assert (li.gender, li.education, li.category, li.status) == ("male", "bachelor", "employed", "full")
    assert li.name_pinyin == "lishuji" and li.name_initials == "lsj"
    assert li.reveal_id_number() == make_id(dt.date(1985, 3, 9), 1, region="320106")
    assert li.id_number_masked == "3201**********" + li.reveal_id_number()[-4:]
    membership = Membership.objects.get(member=li)
    assert (membership.start_reason, membership.org_code, membership.ended_on) == ("imported", "0104", None)

    committee = Committee.objects.get(org__code="0104", ended_on__isnull=True)
    assert committee.elected_on == dt.date(2023, 6, 1)
    assert committee.term_years == 5  # a community branch
    assert Committee.objects.get(org__code="010501").term_years == 3  # a government-organ branch
    assert dict(CommitteePost.objects.filter(committee=committee).values_list("member__name", "post")) == {
        "李书记": "secretary",
        "王委员": "organization_member",
    }
    created = ObjectChange.objects.get(action="create", content_type__model="member", org_path=li.org_path)
    assert created.object_id is None
    assert {
        "id": li.pk,
        "name": "李书记",
        "id_number_masked": li.id_number_masked,
    } in created.postchange_data["members"]
    posts = ObjectChange.objects.get(
        action="create", content_type__model="committeepost", org_path=li.org_path
    )
    assert sorted((p["name"], p["post"], p["committee"]) for p in posts.postchange_data["posts"]) == [
        ("李书记", "secretary", committee.pk),
        ("王委员", "organization_member", committee.pk),
    ]
    assert ObjectChange.objects.filter(action="import").count() == 1


def test_created_members_are_recorded_per_branch_with_who_when_and_which(world, tmp_path):
    rows = [member("孙兰", 11, "0101"), member("钱芳", 13, "0102"), member("周强", 15, "0101")]
    members = write_csv(tmp_path / "m.csv", rows)
    result = run(members, actor=world.county_admin)
    assert result.ok, list(result.all_problems())
    created = {
        m.name: m for m in Member.objects.filter(name__in=["孙兰", "钱芳", "周强"]).select_related("org")
    }
    import_record = ObjectChange.objects.get(action="import")
    records = ObjectChange.objects.filter(
        action="create", content_type__model="member", time=import_record.time
    )
    assert sorted(r.org_path for r in records) == [world.branch_a.path, world.branch_b.path]  # one each
    for record in records:
        assert (record.user, record.request_id, record.time) == (
            world.county_admin,
            import_record.request_id,
            import_record.time,
        )
        assert record.object_id is None and record.message == "导入"
        listed = record.postchange_data["members"]
        here = sorted((m for m in created.values() if m.org_path == record.org_path), key=lambda m: m.pk)
        assert listed == [{"id": m.pk, "name": m.name, "id_number_masked": m.id_number_masked} for m in here]
        assert str(len(here)) in record.object_repr and here[0].org.name in record.object_repr
        assert all(m.reveal_id_number() not in str(record.postchange_data) for m in here)


def test_reimport_changes_nothing_and_changed_values_update_with_before_and_after(world, tmp_path):
    orgs = tree(tmp_path)
    rows = [member("李书记", 1, "0104", 党内职务="书记"), member("周明", 9, "0101")]
    members = write_csv(tmp_path / "members.csv", rows, MEMBER_HEADERS)
    assert run(orgs, members).ok
    changes = ObjectChange.objects.count()
    counts = {o.org_id: o.counts for o in OrgTally.objects.all()}

    again = run(orgs, members)
    assert again.ok
    assert again.counts["orgs"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert again.counts["members"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert ObjectChange.objects.count() == changes  # not even an import record: nothing changed
    assert {o.org_id: o.counts for o in OrgTally.objects.all()} == counts

    rows[1] = member("周明", 9, "0101", 学历="研究生", 联系电话="13911112222")
    write_csv(tmp_path / "members.csv", rows, MEMBER_HEADERS)
    third = run(members)
    assert third.ok and third.counts["members"] == {"created": 0, "updated": 1, "unchanged": 1}
    zhou = by_id(make_id(dt.date(1985, 3, 9), 9, region="320106"))
    assert (zhou.education, zhou.phone) == ("postgraduate", "13911112222")
    record = ObjectChange.objects.filter(
        action="update", content_type__model="member", object_id=zhou.pk
    ).get()
    assert (
        record.prechange_data["education"] == "bachelor"
        and record.postchange_data["education"] == "postgraduate"
    )
    assert (
        record.prechange_data["phone"] == "13800000000" and record.postchange_data["phone"] == "13911112222"
    )
    for org_ in Organization.objects.all():
        assert tallies.read(org_) == tallies.count_fresh(org_), org_.code


def test_a_later_election_date_starts_a_new_committee_and_an_earlier_one_is_refused(world, tmp_path):
    orgs = tree(tmp_path)
    assert run(orgs).ok
    first = Committee.objects.get(org__code="0104", ended_on__isnull=True)
    write_csv(
        tmp_path / "orgs.csv",
        [org("0104", "新建社区党支部", "01", founded="2001-05-01", elected="2026-05-01")],
        ORG_HEADERS,
    )
    result = run(orgs)
    assert result.ok and result.counts["orgs"]["updated"] == 1
    first.refresh_from_db()
    assert first.ended_on == dt.date(2026, 5, 1)
    assert Committee.objects.get(org__code="0104", ended_on__isnull=True).elected_on == dt.date(2026, 5, 1)

    write_csv(
        tmp_path / "orgs.csv",
        [org("0104", "新建社区党支部", "01", founded="2001-05-01", elected="2022-01-01")],
        ORG_HEADERS,
    )
    refused = run(orgs)
    assert codes(refused) == ["election_order"]
    assert Committee.objects.filter(org__code="0104").count() == 2


def test_every_error_is_reported_with_row_column_value_and_code(world, tmp_path):
    orgs = write_csv(
        tmp_path / "orgs.csv",
        [
            org("0106", "甲支部", "0107"),  # cycle with 0107
            org("0107", "乙支部", "0106"),
            org("0108", "丙支部", "9999"),  # unknown parent
            org("0109", "丁支部", "01", kind="支委"),  # unknown kind
            org("0109", "重复", "01"),  # duplicate code
        ],
        ORG_HEADERS,
    )
    good = member("正常", 21, "0101")
    members = write_csv(
        tmp_path / "members.csv",
        [
            good,
            member(
                "校验码错",
                23,
                "0101",
                公民身份号码=make_id(dt.date(1985, 3, 9), 23, region="320106")[:-1] + "0",
            ),
            member("重复号码", 21, "0102"),  # same id as row 2
            member(
                "预备书记",
                25,
                "0101",
                党员状态="预备党员",
                入党日期="2026-01-01",
                转正日期="",
                党内职务="书记",
            ),
            member("不在", 27, "5555"),
            member("", 29, "0101", 性别="未知"),
            member("转正太早", 31, "0101", 转正日期="2010-12-01"),
            member(
                "未满十八",
                33,
                "0101",
                birth=dt.date(2000, 1, 1),
                入党日期="2017-06-01",
                转正日期="2018-06-01",
            ),
            member("总支", 35, "0103"),
        ],
        MEMBER_HEADERS,
    )
    before = (Organization.objects.count(), Member.objects.count(), ObjectChange.objects.count())
    result = run(orgs, members)
    assert not result.ok
    found = {(p.file, p.row, p.column, p.code) for p in result.all_problems()}
    assert ("orgs.csv", 2, "上级组织编码", "cycle") in found
    assert ("orgs.csv", 3, "上级组织编码", "cycle") in found
    assert ("orgs.csv", 4, "上级组织编码", "parent_unknown") in found
    assert ("orgs.csv", 5, "组织类别", "choice_invalid") in found
    assert ("orgs.csv", 6, "组织编码", "code_duplicate") in found
    assert ("members.csv", 3, "公民身份号码", "id_checksum") in found
    assert ("members.csv", 4, "公民身份号码", "id_duplicate_in_file") in found
    assert ("members.csv", 5, "党内职务", "post_probationary") in found
    assert ("members.csv", 6, "所在党组织编码", "org_unknown") in found
    assert ("members.csv", 7, "姓名", "required") in found
    assert ("members.csv", 7, "性别", "choice_invalid") in found
    assert ("members.csv", 8, "转正日期", "probation_too_short") in found
    assert ("members.csv", 9, "入党日期", "joined_under_age") in found
    assert ("members.csv", 10, "所在党组织编码", "not_branch") in found
    problem = next(p for p in result.all_problems() if p.code == "choice_invalid" and p.column == "性别")
    assert problem.value == "未知" and "男" in problem.message
    assert (Organization.objects.count(), Member.objects.count(), ObjectChange.objects.count()) == before


def test_one_bad_row_among_thousands_writes_nothing_and_names_that_row(world, tmp_path):
    rows = [
        member(
            f"党员{i}",
            i % 1000,
            "0102",
            birth=dt.date(1950 + i % 40, 1 + i % 12, 1 + i % 28),
            region="440106",
        )
        for i in range(3000)
    ]
    rows[2345]["入党日期"] = "2031-02-30"
    members = write_csv(tmp_path / "members.csv", rows, MEMBER_HEADERS)
    before = (
        Member.objects.count(),
        Membership.objects.count(),
        ObjectChange.objects.count(),
        OrgTally.objects.count(),
    )
    result = run(members)
    assert [(p.row, p.column, p.value, p.code) for p in result.all_problems()] == [
        (2347, "入党日期", "2031-02-30", "date_invalid")
    ]
    assert (
        Member.objects.count(),
        Membership.objects.count(),
        ObjectChange.objects.count(),
        OrgTally.objects.count(),
    ) == before


def test_check_only_writes_nothing_but_counts_what_would_happen(world, tmp_path):
    members = write_csv(
        tmp_path / "members.csv", [member("甲", 41, "0101"), member("乙", 43, "0102")], MEMBER_HEADERS
    )
    result = run(members, check=True)
    assert result.ok and result.counts["members"]["created"] == 2
    assert not Member.objects.filter(name__in=["甲", "乙"]).exists()


def test_a_member_held_by_a_branch_the_files_do_not_name_is_an_error_not_a_move(world, tmp_path):
    existing = world.members_b[0]
    number = existing.reveal_id_number()
    row = member(
        existing.name,
        1,
        "0101",
        公民身份号码=number,
        出生日期=existing.birth_date.isoformat(),
        性别="男" if existing.gender == "male" else "女",
    )
    members = write_csv(tmp_path / "members.csv", [row], MEMBER_HEADERS)
    result = run(members, actor=world.county_admin)
    problems = list(result.all_problems())
    assert [p.code for p in problems] == ["member_elsewhere"]
    assert "新华村党支部" in problems[0].message  # visible to the county admin: named
    existing.refresh_from_db()
    assert existing.org_id == world.branch_b.pk

    # Alice (secretary of 0101) cannot see 0102: the branch is not named.
    result = run(members, actor=world.alice)
    problems = list(result.all_problems())
    assert [p.code for p in problems] == ["member_elsewhere"]
    assert "新华村" not in problems[0].message and "0102" not in problems[0].message


def test_a_member_the_files_move_between_named_branches_is_transferred(world, tmp_path):
    moving = world.members_b[0]
    stays = world.members_b[1]
    rows = [
        member(moving.name, 1, "0101", 公民身份号码=moving.reveal_id_number(), 出生日期=moving.birth_date.isoformat(),
               性别="男" if moving.gender == "male" else "女", 工作单位及职务="", 联系电话=""),
        member(stays.name, 1, "0102", 公民身份号码=stays.reveal_id_number(), 出生日期=stays.birth_date.isoformat(),
               性别="男" if stays.gender == "male" else "女", 工作单位及职务="", 联系电话=""),
    ]  # fmt: skip
    result = run(write_csv(tmp_path / "members.csv", rows, MEMBER_HEADERS), actor=world.county_admin)
    assert result.ok, list(result.all_problems())
    moving.refresh_from_db()
    assert moving.org_id == world.branch_a.pk and moving.org_path == world.branch_a.path
    assert list(
        Membership.objects.filter(member=moving)
        .order_by("id")
        .values_list("org_code", "end_reason", "start_reason")
    ) == [
        ("0102", "transfer", "registered"),
        ("0101", "", "transfer"),
    ]
    for o in Organization.objects.all():
        assert tallies.read(o) == tallies.count_fresh(o), o.code


def test_scope_rows_outside_the_actors_subtree_are_errors(world, tmp_path):
    members = write_csv(
        tmp_path / "members.csv", [member("甲", 51, "0101"), member("乙", 53, "0102")], MEMBER_HEADERS
    )
    result = run(members, actor=world.alice)  # secretary of 0101 only
    assert [(p.row, p.code) for p in result.all_problems()] == [(3, "org_unknown")]
    assert "不在您的管理范围内" in next(iter(result.all_problems())).message
    assert not Member.objects.filter(name__in=["甲", "乙"]).exists()

    orgs = write_csv(tmp_path / "orgs.csv", [org("010101", "下级", "0101")], ORG_HEADERS)
    assert codes(run(orgs, actor=world.alice)) == ["not_allowed"]  # a secretary cannot create organizations
    assert codes(run(orgs, actor=world.viewer)) == ["not_allowed"]
    root = write_csv(
        tmp_path / "root.csv", [org("99", "另一个党委", "", kind="党委", unit="机关")], ORG_HEADERS
    )
    assert codes(run(root, actor=world.county_admin)) == ["root_not_allowed"]
    assert run(root).ok  # the console's system import may add a root

    viewer_change = write_csv(tmp_path / "v.csv", [member("丙", 55, "0101")], MEMBER_HEADERS)
    assert codes(run(viewer_change, actor=world.viewer)) == ["not_allowed"]
    assert codes(run(viewer_change, actor=world.charlie)) == ["org_unknown"]


def test_headers_in_any_order_extra_columns_ignored_and_national_columns_mapped(world, tmp_path):
    headers = ["备注", *reversed(MEMBER_HEADERS), "学位", "工作岗位", "户籍所在地", "现居住地", "党龄校正值"]
    row = member(
        "吴敏", 61, "0101", 民族="回族", 学位="硕士", 工作岗位="会计", 户籍所在地="江苏省南京市", 现居住地="南京市鼓楼区",
        党龄校正值="-2", 备注="随便写",
    )  # fmt: skip
    row["手机号码"] = row.pop("联系电话")
    headers[headers.index("联系电话")] = "手机号码"
    result = run(write_csv(tmp_path / "members.csv", [row], headers))
    assert result.ok, list(result.all_problems())
    assert any("备注" in n for n in result.notices)
    m = by_id(row["公民身份号码"])
    assert (
        m.ethnicity,
        m.degree,
        m.job_post,
        m.household_registration,
        m.residence,
        m.standing_correction,
        m.phone,
    ) == (
        "回族",
        "硕士",
        "会计",
        "江苏省南京市",
        "南京市鼓楼区",
        -2,
        "13800000000",
    )


def test_missing_required_column_is_a_file_error(world, tmp_path):
    headers = [h for h in MEMBER_HEADERS if h != "党员状态"]
    result = run(write_csv(tmp_path / "members.csv", [member("甲", 71, "0101")], headers))
    assert [(p.row, p.column, p.code) for p in result.all_problems()] == [(1, "党员状态", "header_missing")]


def test_unrecognized_file_and_placeholder_tables(world, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("甲,乙\n1,2\n", encoding="utf-8")
    assert codes(run(other)) == ["file_unknown"]
    # dues_base.csv was a placeholder until the dues app registered its handler: now it is checked.
    dues = write_csv(tmp_path / "dues_base.csv", [{"公民身份号码": "x", "月收入基数": "1"}])
    result = run(dues)
    assert not result.ok and [(p.row, p.column) for p in result.all_problems()] == [(2, "公民身份号码")]


def test_a_second_secretary_beside_one_the_files_leave_in_place_is_refused(world, tmp_path):
    orgs = tree(tmp_path)
    assert run(
        orgs, write_csv(tmp_path / "m1.csv", [member("李书记", 1, "0104", 党内职务="书记")], MEMBER_HEADERS)
    ).ok
    second = write_csv(tmp_path / "m2.csv", [member("新书记", 81, "0104", 党内职务="书记")], MEMBER_HEADERS)
    result = run(second)
    assert codes(result) == ["two_secretaries"]
    assert "李书记" in next(iter(result.all_problems())).message
    # Listing both, with the old secretary's post changed, is a handover.
    both = write_csv(
        tmp_path / "m3.csv",
        [member("李书记", 1, "0104", 党内职务="副书记"), member("新书记", 81, "0104", 党内职务="书记")],
        MEMBER_HEADERS,
    )
    assert run(both).ok
    posts = dict(
        CommitteePost.objects.filter(
            committee__org__code="0104", committee__ended_on__isnull=True
        ).values_list("member__name", "post")
    )
    assert posts == {"李书记": "deputy_secretary", "新书记": "secretary"}
    # A blank post removes it (audited).
    assert run(write_csv(tmp_path / "m4.csv", [member("李书记", 1, "0104")], MEMBER_HEADERS)).ok
    assert not CommitteePost.objects.filter(member__name="李书记", committee__ended_on__isnull=True).exists()
    assert ObjectChange.objects.filter(action="delete", content_type__model="committeepost").exists()


def test_the_secretary_of_a_branch_without_committee_is_recorded_on_the_branch(world, tmp_path):
    """A branch of fewer than 7 full members may elect only a secretary (支部条例): 书记 there is the
    branch's recorded secretary (without 任职日期: since the branch's 记录起始日期, here today), as on its
    secretary page, and the export writes it back; other posts have no place there (a notice)."""
    from django.utils import timezone

    from jiceng.roster.handlers.members import MembersHandler

    Organization.objects.filter(code="0102").update(records_since=timezone.localdate())
    rows = [member("甲", 91, "0102", 党内职务="书记"), member("乙", 93, "0102", 党内职务="组织委员")]
    first = write_csv(tmp_path / "m.csv", rows, MEMBER_HEADERS)
    result = run(first)
    assert result.ok, list(result.all_problems())
    branch = Organization.objects.get(code="0102")
    assert (branch.secretary.name, branch.secretary_since) == ("甲", timezone.localdate())
    assert any("没有本届委员会" in n for n in result.notices)  # 乙's post
    assert not CommitteePost.objects.filter(member__name__in=["甲", "乙"]).exists()

    def recorded():
        return ObjectChange.objects.filter(
            action="update", content_type__model="organization", object_id=branch.pk, message="导入"
        ).order_by("pk")

    assert [r.postchange_data["secretary"] for r in recorded()] == [branch.secretary_id]
    exported = {r[0]: r[11] for r in MembersHandler.export_rows(actor=None, org=branch, full_id=False)}
    assert exported["甲"] == "书记" and exported["乙"] == ""

    assert run(first).ok and recorded().count() == 1  # the same files again: nothing changes
    # Another secretary, the recorded one not in the files: refused, as for a committee's.
    other = write_csv(tmp_path / "m2.csv", [member("丙", 95, "0102", 党内职务="书记")], MEMBER_HEADERS)
    result = run(other)
    assert codes(result) == ["two_secretaries"] and "甲" in next(iter(result.all_problems())).message
    # Both listed, the old one without the post: a handover; then a blank post clears it.
    both = [member("甲", 91, "0102"), member("丙", 95, "0102", 党内职务="书记")]
    assert run(write_csv(tmp_path / "m3.csv", both, MEMBER_HEADERS)).ok
    branch.refresh_from_db()
    assert branch.secretary.name == "丙"
    assert run(write_csv(tmp_path / "m4.csv", [member("丙", 95, "0102")], MEMBER_HEADERS)).ok
    branch.refresh_from_db()
    assert branch.secretary is None and branch.secretary_since is None
    assert [r.postchange_data["secretary"] for r in recorded()] == [
        Member.objects.get(name="甲").pk,
        Member.objects.get(name="丙").pk,
        None,
    ]


def test_organization_updates_and_the_changes_an_import_may_not_make(world, tmp_path):
    rows = [
        org("0101", "和平社区第一党支部", "01", unit="社区", founded="2000-03-01"),  # renamed
        org("0102", "新华村党支部", "0103", unit="农村", founded="2001-03-01"),  # moved: refused
        org("010301", "财政所党支部", "0103", kind="党总支", unit="机关"),  # kind changed: refused
    ]
    result = run(write_csv(tmp_path / "orgs.csv", rows, ORG_HEADERS))
    assert [(p.row, p.code) for p in result.all_problems()] == [
        (3, "org_parent_changed"),
        (4, "org_kind_changed"),
    ]
    assert Organization.objects.get(code="0101").name == "和平社区党支部"

    # Alice cannot see 01: naming it is "unknown" (no oracle for codes outside her scope); her own
    # export leaves the parent of her subtree blank, which means "where it is".
    assert codes(run(write_csv(tmp_path / "orgs.csv", rows[:1], ORG_HEADERS), actor=world.alice)) == [
        "parent_unknown"
    ]
    mine = [org("0101", "和平社区第一党支部", "", unit="社区", founded="2000-03-01")]
    result = run(write_csv(tmp_path / "orgs.csv", mine, ORG_HEADERS), actor=world.alice)
    assert result.ok and result.counts["orgs"] == {"created": 0, "updated": 1, "unchanged": 0}
    record = ObjectChange.objects.get(action="update", content_type__model="organization")
    assert (record.prechange_data, record.postchange_data) == (
        {"name": "和平社区党支部"},
        {"name": "和平社区第一党支部"},
    )
    assert record.user == world.alice

    # Alice's scope is her branch: another branch's row is refused without saying whose it is.
    other = write_csv(tmp_path / "other.csv", [org("0102", "改名", "")], ORG_HEADERS)
    assert codes(run(other, actor=world.alice)) == ["out_of_scope"]
    # A viewer may re-import what is unchanged, but not change it.
    same = write_csv(
        tmp_path / "same.csv",
        [org("0102", "新华村党支部", "01", unit="农村", founded="2001-03-01")],
        ORG_HEADERS,
    )
    assert run(same, actor=world.viewer).ok
    renamed = write_csv(
        tmp_path / "renamed.csv", [org("0102", "新华村第二党支部", "01", unit="农村")], ORG_HEADERS
    )
    assert codes(run(renamed, actor=world.viewer)) == ["not_allowed"]


def test_duplicates_and_secretaries_are_checked_across_members_files(world, tmp_path):
    """Two members files in one import are one roster: an identity number or a branch's secretary
    met again in the second file is refused there (read in a child process, the first file's
    numbers come back from it for the second)."""
    orgs = tree(tmp_path)
    first = write_csv(
        tmp_path / "m1.csv",
        [member("李书记", 1, "0104", 党内职务="书记"), member("王党员", 3, "0104")],
        MEMBER_HEADERS,
    )
    second = write_csv(
        tmp_path / "m2.csv",
        [
            member("赵党员", 5, "0104"),
            member("王二", 3, "0104"),
            member("钱书记", 7, "0104", 党内职务="书记"),
        ],
        MEMBER_HEADERS,
    )
    result = run(orgs, first, second)
    assert [(p.file, p.row, p.code) for p in result.all_problems()] == [
        ("m2.csv", 3, "id_duplicate_in_file"),
        ("m2.csv", 4, "two_secretaries"),
    ]
    assert not Member.objects.filter(name__in=["李书记", "赵党员"]).exists()


def test_a_viewer_cannot_change_posts_by_reimporting_unchanged_members(world, tmp_path):
    """Re-importing members whose fields are unchanged is allowed to a viewer, but a changed 党内职务
    is a change of the branch (a committee post, or the secretary of a branch without a committee):
    refused without the right to change it, and nothing is written."""
    assert run(write_csv(tmp_path / "m.csv", [member("甲", 91, "0102")], MEMBER_HEADERS)).ok
    assert run(
        write_csv(tmp_path / "m.csv", [member("甲", 91, "0102")], MEMBER_HEADERS), actor=world.viewer
    ).ok
    secretary = write_csv(tmp_path / "s.csv", [member("甲", 91, "0102", 党内职务="书记")], MEMBER_HEADERS)
    result = run(secretary, actor=world.viewer)
    assert [(p.row, p.column, p.code) for p in result.all_problems()] == [(2, "党内职务", "not_allowed")]
    assert Organization.objects.get(code="0102").secretary_id is None
    assert run(secretary, actor=world.county_admin).ok
    assert Organization.objects.get(code="0102").secretary.name == "甲"
