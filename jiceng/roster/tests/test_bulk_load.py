"""A first load into an empty roster builds the member tables' indexes after the load (``BulkLoad``):
the same records, counts and indexes as the row-by-row way, still all or nothing, and only then."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from jiceng.core import crypto
from jiceng.members.models import Member, Membership
from jiceng.orgs import tallies
from jiceng.orgs.models import CommitteePost, Organization
from jiceng.roster import writer
from jiceng.roster.handlers import members as members_handler

from .helpers import (
    MEMBER_HEADERS,
    ORG_HEADERS,
    member,
    org,
    reading,  # noqa: F401 (the fixture)
    run,
    write_csv,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reading")]

TABLES = (Member._meta.db_table, Membership._meta.db_table, CommitteePost._meta.db_table)


def schema() -> dict[str, dict]:
    """Every index and constraint of the member tables, as the database describes them."""
    with connection.cursor() as cur:
        return {t: connection.introspection.get_constraints(cur, t) for t in TABLES}


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 4 rows, and the bulk mode from the first full one; records whether it ran."""
    monkeypatch.setattr(members_handler, "BATCH", 4)
    monkeypatch.setattr(members_handler, "BULK_LOAD_MIN_ROWS", 4)
    used: list[bool] = []
    start = writer.BulkLoad.start_if_empty

    def spy(self):
        used.append(start(self))
        return used[-1]

    monkeypatch.setattr(writer.BulkLoad, "start_if_empty", spy)
    return used


def files(tmp_path, n=11, **overrides):
    orgs = write_csv(
        tmp_path / "orgs.csv",
        [
            org("01", "某县委", "", kind="党委", unit="机关"),
            org("0101", "一支部", "01", elected="2024-01-01"),
            org("0102", "二支部", "01", unit="农村"),
        ],
        ORG_HEADERS,
    )
    rows = [
        member(f"党员{i}", i, "0101" if i % 3 else "0102", birth=dt.date(1960 + i, 1 + i % 12, 1 + i))
        for i in range(1, n + 1)
    ]
    rows[0]["党内职务"] = "书记"
    for i, changes in overrides.items():
        rows[int(i.removeprefix("row"))].update(changes)
    return orgs, write_csv(tmp_path / "members.csv", rows, MEMBER_HEADERS)


def test_a_first_load_builds_the_indexes_after_and_gives_the_same_records(tmp_path, small_batches):
    before = schema()
    result = run(*files(tmp_path))
    assert result.ok, list(result.all_problems())
    assert small_batches == [True]
    assert schema() == before  # every index and constraint back, with its name and definition
    assert result.counts["members"] == {"created": 11, "updated": 0, "unchanged": 0}
    assert Member.objects.count() == Membership.objects.filter(start_reason="imported").count() == 11
    for o in Organization.objects.all():
        assert tallies.read(o) == tallies.count_fresh(o), o.code
    first = Member.objects.get(name="党员1")
    assert first.memberships.get().org_code == "0101" and first.committee_posts.get().post == "secretary"

    # The restored constraints hold: a second record with the same identity number is refused.
    twin = Member.objects.filter(pk=first.pk).values()[0]
    del twin["id"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(**twin)

    # Not empty any more: the next import looks records up and keeps the indexes.
    again = run(*files(tmp_path))
    assert again.ok and again.counts["members"] == {"created": 0, "updated": 0, "unchanged": 11}
    assert small_batches == [True, False]


def test_an_error_after_the_load_began_writes_nothing_and_keeps_the_indexes(tmp_path, small_batches):
    before = schema()
    twin = member("x", 3, "0101", birth=dt.date(1963, 4, 4))  # the identity number of row 4
    result = run(
        *files(tmp_path, row9={"学历": "博士后"}, row10={k: twin[k] for k in ("公民身份号码", "出生日期")})
    )
    assert [(p.row, p.code) for p in result.all_problems()] == [
        (11, "choice_invalid"),
        (12, "id_duplicate_in_file"),
    ]
    assert small_batches == [True]  # the first batch was written before the errors were read
    assert not Member.objects.exists() and not Organization.objects.exists()
    assert schema() == before


def test_no_bulk_mode_for_a_roster_that_has_members(world, tmp_path, small_batches):
    rows = [member(f"新{i}", 100 + i, "0101") for i in range(6)]
    result = run(write_csv(tmp_path / "m.csv", rows, MEMBER_HEADERS))
    assert result.ok and small_batches == [False]
    assert Member.objects.filter(id_number_digest=crypto.digest(rows[0]["公民身份号码"])).exists()


def _records() -> dict:
    """Everything a first load writes about members, without keys and times (which differ by run)."""
    from jiceng.core.models import ObjectChange
    from jiceng.orgs.models import CommitteePost

    name_of = dict(Member.objects.values_list("pk", "name"))
    skip = {"id", "id_number_cipher", "created_at", "updated_at", "org_id"}
    members = {
        m.name: (
            {k: v for k, v in Member.objects.filter(pk=m.pk).values()[0].items() if k not in skip},
            m.reveal_id_number(),
            m.org.code,
        )
        for m in Member.objects.select_related("org")
    }
    memberships = sorted(
        (name_of[r[0]], *r[1:])
        for r in Membership.objects.values_list(
            "member_id", "org_code", "org_name", "started_on", "ended_on", "start_reason", "end_reason"
        )
    )
    changes = sorted(
        (
            c.object_repr,
            c.org_path,
            c.message,
            tuple(
                sorted(
                    (name_of[e["id"]], e["name"], e["id_number_masked"])
                    if "id_number_masked" in e
                    else (name_of[e["member"]], e["name"], e["post"])
                    for e in next(iter(c.postchange_data.values()))
                )
            ),
        )
        for c in ObjectChange.objects.filter(object_id__isnull=True, action="create")
    )
    posts = sorted(CommitteePost.objects.values_list("member__name", "committee__org__code", "post"))
    counts = {o.code: tallies.read(o) for o in Organization.objects.all()}
    return {
        "members": members,
        "memberships": memberships,
        "changes": changes,
        "posts": posts,
        "tallies": counts,
    }


def test_a_first_load_writes_the_same_whichever_process_prepares_the_rows(
    tmp_path, small_batches, monkeypatch
):
    """On PostgreSQL the reading process prepares a first load's rows in COPY's binary format
    (``_prepared_reader``); otherwise the importing process makes them from the values. Loaded
    both ways (the first rolled back), the members, memberships, change records, posts and tallies
    are the same, field by field, including the decrypted identity numbers and the search keys."""
    from jiceng.roster import parallel

    paths = files(tmp_path, n=13, row4={"党内职务": "支部委员"}, row6={"姓名": "欧阳 娜娜"})
    found = []
    for min_bytes in (0, 10**12):  # a reading process, then none
        monkeypatch.setattr(parallel, "MIN_BYTES", min_bytes)
        with transaction.atomic():
            result = run(*paths)
            assert result.ok, list(result.all_problems())
            found.append(_records())
            transaction.set_rollback(True)
    assert small_batches == [True, True]
    assert found[0]["members"]["欧阳 娜娜"][0]["name_pinyin"] == "ouyangnana"
    assert len(found[0]["members"]) == 13 and len(found[0]["posts"]) == 2
    assert found[0] == found[1]


def test_rows_naming_an_unknown_branch_are_each_reported_in_a_first_load(tmp_path, small_batches):
    orgs, _members = files(tmp_path)
    rows = [member(f"党员{i}", i, "0101") for i in range(1, 10)]
    rows[2]["所在党组织编码"] = rows[6]["所在党组织编码"] = "0199"
    rows[4]["所在党组织编码"] = "01"  # the county committee: not a branch
    result = run(orgs, write_csv(tmp_path / "m.csv", rows, MEMBER_HEADERS))
    assert [(p.row, p.column, p.code) for p in result.all_problems()] == [
        (4, "所在党组织编码", "org_unknown"),
        (6, "所在党组织编码", "not_branch"),
        (8, "所在党组织编码", "org_unknown"),
    ]
    assert not Member.objects.exists() and not Organization.objects.exists()


def test_a_failure_making_the_indexes_again_fails_the_import_and_writes_nothing(
    tmp_path, small_batches, monkeypatch
):
    """On PostgreSQL the indexes are made again in a thread while the import goes on; what fails
    there fails the import, the transaction is rolled back and the connection stays usable."""
    before = schema()
    finish = writer.BulkLoad.finish

    def failing(self, **kwargs):
        self._restore.append("SELECT * FROM no_such_table_for_this_test")
        return finish(self, **kwargs)

    monkeypatch.setattr(writer.BulkLoad, "finish", failing)
    with pytest.raises(Exception, match="no_such_table_for_this_test"):
        run(*files(tmp_path))
    assert small_batches == [True]
    assert not Member.objects.exists() and not Organization.objects.exists()
    assert schema() == before
