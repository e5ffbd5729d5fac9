"""members.services: every bad input is refused with its field and code, and nothing is saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from conftest import make_id
from jiceng.core.models import ObjectChange, User
from jiceng.members import services
from jiceng.members.models import Member, Membership

BIRTH = dt.date(1985, 3, 12)


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:  # noqa: ANN001
    """The world fixture creates seven users; Argon2 makes that the slowest part of every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fields(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = dict(
        name="钱多多",
        gender="",  # read from the identity number
        birth_date=BIRTH,
        education="college",
        category="farmer",
        status="full",
        joined_on=dt.date(2010, 6, 30),
        full_member_on=dt.date(2011, 6, 30),
    )
    values.update(overrides)
    return values


def tally() -> tuple[int, int, int]:
    # A refused duplicate number is audited (id_refused, issue 11 item 10): nothing else is written.
    changes = ObjectChange.objects.exclude(action=ObjectChange.Action.ID_REFUSED).count()
    return Member.objects.count(), Membership.objects.count(), changes


def refused(call, field: str, code: str) -> ValidationError:  # noqa: ANN001
    """Run ``call``; it must raise a ValidationError naming ``field`` with ``code`` and write nothing."""
    before = tally()
    with pytest.raises(ValidationError) as info:
        call()
    assert field in info.value.error_dict, info.value
    assert code in [e.code for e in info.value.error_dict[field]], info.value
    assert tally() == before
    return info.value


def later(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


# --- create: each bad input -------------------------------------------------------------------------

GOOD_ID = make_id(BIRTH, 77)


@pytest.mark.parametrize(
    ("id_number", "overrides", "field", "code"),
    [
        pytest.param("11010119850312", {}, "id_number", "id_length", id="id-too-short"),
        pytest.param(GOOD_ID + "1", {}, "id_number", "id_length", id="id-too-long"),
        pytest.param("1101011985031207A" + "X", {}, "id_number", "id_format", id="id-letter-in-body"),
        pytest.param(
            GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1"),
            {},
            "id_number",
            "id_checksum",
            id="id-checksum",
        ),
        pytest.param(
            GOOD_ID,
            {"birth_date": dt.date(1985, 3, 13)},
            "id_number",
            "id_birth_mismatch",
            id="birth-date-not-the-number's",
        ),
        pytest.param(
            make_id(later(30), 1),
            {"birth_date": later(30), "joined_on": None, "full_member_on": None, "status": "probationary"},
            "birth_date",
            "date_in_future",
            id="birth-in-future",
        ),
        pytest.param(
            GOOD_ID,
            {"status": "probationary", "joined_on": later(1), "full_member_on": None},
            "joined_on",
            "date_in_future",
            id="joined-in-future",
        ),
        pytest.param(
            GOOD_ID, {"full_member_on": later(1)}, "full_member_on", "date_in_future", id="full-in-future"
        ),
        pytest.param(
            GOOD_ID,
            {"joined_on": dt.date(2003, 3, 11), "full_member_on": dt.date(2004, 3, 11)},
            "joined_on",
            "joined_under_age",
            id="joined-at-17",
        ),
        pytest.param(
            GOOD_ID, {"full_member_on": None}, "full_member_on", "full_date_missing", id="full-without-date"
        ),
        pytest.param(
            GOOD_ID,
            {"full_member_on": dt.date(2011, 6, 29)},
            "full_member_on",
            "probation_too_short",
            id="full-a-day-early",
        ),
        pytest.param(
            GOOD_ID,
            {"status": "probationary"},
            "full_member_on",
            "probationary_has_full_date",
            id="probationary-with-full-date",
        ),
    ],
)
def test_create_refuses_bad_input(world, id_number, overrides, field, code) -> None:
    error = refused(
        lambda: services.create_member(
            actor=world.alice, org=world.branch_a, id_number=id_number, **fields(**overrides)
        ),
        field,
        code,
    )
    assert all(str(m) for m in error.messages)  # every problem carries a message for the person


def test_the_same_input_with_good_values_is_saved(world) -> None:
    before = tally()
    member = services.create_member(actor=world.alice, org=world.branch_a, id_number=GOOD_ID, **fields())
    assert tally() == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert member.id_number_masked == GOOD_ID[:4] + "*" * 10 + GOOD_ID[-4:]
    assert member.name_initials == "qdd"


def test_birth_date_is_taken_from_the_number_when_left_blank(world) -> None:
    member = services.create_member(
        actor=world.alice, org=world.branch_a, id_number=GOOD_ID, **fields(birth_date=None)
    )
    assert member.birth_date == BIRTH


def test_member_only_in_a_branch(world) -> None:
    for org in (world.root, world.general):
        refused(
            lambda org=org: services.create_member(
                actor=world.county_admin, org=org, id_number=GOOD_ID, **fields()
            ),
            "org",
            "not_branch",
        )


def test_create_outside_scope_is_404_and_without_change_right_403(world) -> None:
    before = tally()
    with pytest.raises(Http404):
        services.create_member(actor=world.alice, org=world.branch_b, id_number=GOOD_ID, **fields())
    with pytest.raises(PermissionDenied):
        services.create_member(actor=world.viewer, org=world.branch_a, id_number=GOOD_ID, **fields())
    assert tally() == before


# --- duplicate identity numbers: never disclose an organization outside the actor's scope ------------


def test_duplicate_outside_scope_names_no_organization(world) -> None:
    other = world.members_b[0]  # 孙强 in 新华村党支部 (0102), outside alice's scope
    error = refused(
        lambda: services.create_member(
            actor=world.alice,
            org=world.branch_a,
            id_number=other.reveal_id_number(),
            **fields(birth_date=dt.date(1980, 5, 17)),
        ),
        "id_number",
        "id_duplicate",
    )
    text = " ".join(error.messages)
    assert "新华村" not in text and other.name not in text and "0102" not in text
    assert "其他党组织" in text


def test_duplicate_inside_scope_names_the_branch(world) -> None:
    other = world.members_b[0]
    error = refused(
        lambda: services.create_member(
            actor=world.county_admin,
            org=world.branch_a,
            id_number=other.reveal_id_number(),
            **fields(birth_date=dt.date(1980, 5, 17)),
        ),
        "id_number",
        "id_duplicate",
    )
    assert "新华村党支部" in " ".join(error.messages)


def test_duplicate_in_own_branch_names_it(world) -> None:
    other = world.members_a[1]
    error = refused(
        lambda: services.create_member(
            actor=world.alice,
            org=world.branch_a,
            id_number=other.reveal_id_number(),
            **fields(birth_date=dt.date(1980, 5, 17)),
        ),
        "id_number",
        "id_duplicate",
    )
    assert "和平社区党支部" in " ".join(error.messages)


def test_duplicate_typed_in_lower_case_or_with_spaces_is_still_a_duplicate(world) -> None:
    number = make_id(dt.date(1980, 5, 17), 20)  # 孙强's; pick a seq whose check char may be X
    for seq in range(1, 100):
        candidate = make_id(dt.date(1990, 1, 1), seq)
        if candidate.endswith("X"):
            number = candidate
            break
    services.create_member(
        actor=world.alice, org=world.branch_a, id_number=number, **fields(birth_date=dt.date(1990, 1, 1))
    )
    typed = number[:6] + " " + number[6:-1] + number[-1].lower()
    refused(
        lambda: services.create_member(
            actor=world.alice,
            org=world.branch_a,
            id_number=typed,
            **fields(name="另一人", birth_date=dt.date(1990, 1, 1)),
        ),
        "id_number",
        "id_duplicate",
    )


# --- update -----------------------------------------------------------------------------------------


def _unchanged(member: Member) -> None:
    stored = Member.objects.get(pk=member.pk)
    for f in (
        "name",
        "status",
        "joined_on",
        "full_member_on",
        "birth_date",
        "id_number_digest",
        "id_number_masked",
        "org_path",
    ):
        assert getattr(stored, f) == getattr(member, f), f


@pytest.mark.parametrize(
    ("id_number", "changes", "field", "code"),
    [
        pytest.param("123", {}, "id_number", "id_length", id="id-length"),
        pytest.param("11010119800517001A", {}, "id_number", "id_format", id="id-format"),
        pytest.param("bad-checksum", {}, "id_number", "id_checksum", id="id-checksum"),
        pytest.param(
            None,
            {"birth_date": dt.date(1980, 5, 18)},
            "id_number",
            "id_birth_mismatch",
            id="birth-no-longer-matches-stored-number",
        ),
        pytest.param(None, {"joined_on": later(3)}, "joined_on", "date_in_future", id="joined-in-future"),
        pytest.param(
            None, {"full_member_on": later(3)}, "full_member_on", "date_in_future", id="full-in-future"
        ),
        pytest.param(
            None,
            {"joined_on": dt.date(1998, 5, 16), "full_member_on": dt.date(1999, 5, 16)},
            "joined_on",
            "joined_under_age",
            id="joined-day-before-18",
        ),
        pytest.param(
            None, {"full_member_on": None}, "full_member_on", "full_date_missing", id="full-no-date"
        ),
        pytest.param(
            None,
            {"full_member_on": dt.date(2011, 6, 30)},
            "full_member_on",
            "probation_too_short",
            id="full-early",
        ),
        pytest.param(
            None,
            {"status": "probationary"},
            "full_member_on",
            "probationary_has_full_date",
            id="probationary-with-date",
        ),
    ],
)
def test_update_refuses_bad_input(world, id_number, changes, field, code) -> None:
    member = world.members_a[1]  # born 1980-05-17, joined 2010-07-01, full 2011-07-01
    if id_number == "bad-checksum":
        good = member.reveal_id_number()
        id_number = good[:17] + ("1" if good[17] != "1" else "2")
    refused(
        lambda: services.update_member(actor=world.alice, member=member, id_number=id_number, **changes),
        field,
        code,
    )
    _unchanged(member)


def test_update_to_a_duplicate_number_is_refused_without_naming_an_unseen_branch(world) -> None:
    member = world.members_a[1]
    error = refused(
        lambda: services.update_member(
            actor=world.alice, member=member, id_number=world.members_b[0].reveal_id_number()
        ),
        "id_number",
        "id_duplicate",
    )
    assert "新华村" not in " ".join(error.messages)
    _unchanged(member)


def test_update_with_blank_number_keeps_it_and_audits_the_change(world) -> None:
    member = world.members_a[1]
    number = member.reveal_id_number()
    services.update_member(actor=world.alice, member=member, id_number="  ", phone="13800000000")
    stored = Member.objects.get(pk=member.pk)
    assert stored.reveal_id_number() == number and stored.phone == "13800000000"
    change = ObjectChange.objects.filter(object_id=member.pk, action="update").latest("id")
    assert ("phone", "", "13800000000") in change.diff()


def test_update_outside_scope_404_and_viewer_403(world) -> None:
    with pytest.raises(Http404):
        services.update_member(actor=world.alice, member=world.members_b[0], phone="1")
    with pytest.raises(PermissionDenied):
        services.update_member(actor=world.viewer, member=world.members_a[1], phone="1")
    assert Member.objects.get(pk=world.members_a[1].pk).phone == ""


# --- transfer ---------------------------------------------------------------------------------------


def test_transfer_writes_membership_history(world) -> None:
    member = world.members_a[2]
    today = timezone.localdate()
    services.transfer_member(actor=world.county_admin, member=member, to_org=world.branch_c)
    member.refresh_from_db()
    assert member.org == world.branch_c and member.org_path == world.branch_c.path
    rows = list(Membership.objects.filter(member=member).order_by("id"))
    assert [(r.org_code, r.ended_on, r.end_reason) for r in rows] == [
        ("0101", today, "transfer"),
        ("010301", None, ""),
    ]
    assert (
        rows[1].start_reason == "transfer"
        and rows[1].org_name == "财政所党支部"
        and rows[1].started_on == today
    )
    change = ObjectChange.objects.filter(object_id=member.pk, action="update").latest("id")
    assert dict((f, (a, b)) for f, a, b in change.diff())["org"] == (world.branch_a.pk, world.branch_c.pk)


def test_transfer_on_a_past_date(world) -> None:
    member = world.members_a[2]
    day = dt.date(2025, 1, 2)
    # Registered in the fixture today: its period in the branch starts, as recorded, before the day.
    Membership.objects.filter(member=member).update(started_on=dt.date(2010, 7, 1))
    services.transfer_member(actor=world.county_admin, member=member, to_org=world.branch_b, on=day)
    assert Membership.objects.get(member=member, ended_on__isnull=True).started_on == day


def test_transfer_refusals(world) -> None:
    member = world.members_a[2]
    refused(
        lambda: services.transfer_member(actor=world.county_admin, member=member, to_org=world.branch_a),
        "org",
        "same_branch",
    )
    refused(
        lambda: services.transfer_member(actor=world.county_admin, member=member, to_org=world.general),
        "org",
        "not_branch",
    )
    refused(
        lambda: services.transfer_member(
            actor=world.county_admin, member=member, to_org=world.branch_b, on=later(1)
        ),
        "on",
        "date_in_future",
    )
    before = tally()
    with pytest.raises(Http404):  # alice cannot see 0102, so it cannot be a target
        services.transfer_member(actor=world.alice, member=member, to_org=world.branch_b)
    with pytest.raises(PermissionDenied):
        services.transfer_member(actor=world.viewer, member=member, to_org=world.branch_b)
    assert tally() == before
    assert Member.objects.get(pk=member.pk).org == world.branch_a


# --- reveal -----------------------------------------------------------------------------------------


def test_reveal_is_audited(world) -> None:
    member = world.members_a[3]
    expected = make_id(dt.date(1980, 5, 17), 4)
    assert services.reveal_id_number(actor=world.alice, member=member) == expected
    record = ObjectChange.objects.filter(action="reveal").latest("id")
    assert (record.user, record.object_id, record.object_repr, record.org_path) == (
        world.alice,
        member.pk,
        member.name,
        world.branch_a.path,
    )
    assert expected not in str(record.prechange_data) + str(record.postchange_data) + record.message


def test_member_may_reveal_their_own_number(world) -> None:
    dora = Member.objects.get(user=world.dora)
    assert services.reveal_id_number(actor=world.dora, member=dora) == make_id(dt.date(1999, 2, 3), 9)
    assert ObjectChange.objects.filter(action="reveal", user=world.dora, object_id=dora.pk).exists()


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("viewer", PermissionDenied),
        ("charlie", Http404),
        ("bob", Http404),
        ("dora", Http404),
        ("sysadmin", Http404),
    ],
)
def test_reveal_refused_for_those_who_cannot_change(world, who, error) -> None:
    member = world.members_a[3]
    with pytest.raises(error):
        # A fresh copy: the fixture's sysadmin object still caches the temporary grant it built the tree with.
        actor = User.objects.get(pk=getattr(world, who).pk)
        services.reveal_id_number(actor=actor, member=member)
    assert not ObjectChange.objects.filter(action="reveal").exists()


# --- encryption at rest -----------------------------------------------------------------------------


def _all_stored_text() -> str:
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                chunks.extend(
                    bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview) else str(v) for v in row
                )
    return "\n".join(chunks)


def test_identity_numbers_never_stored_in_clear(world) -> None:
    member = services.create_member(actor=world.alice, org=world.branch_a, id_number=GOOD_ID, **fields())
    new_number = make_id(dt.date(1985, 3, 12), 79)  # the same sex digit parity as GOOD_ID
    services.update_member(actor=world.alice, member=member, id_number=new_number)  # audited update
    services.reveal_id_number(actor=world.alice, member=member)
    services.transfer_member(actor=world.county_admin, member=member, to_org=world.branch_b)
    plain = [GOOD_ID, new_number] + [m.reveal_id_number() for m in Member.objects.all()]
    assert len(plain) == Member.objects.count() + 2
    stored = _all_stored_text()
    assert "钱多多" in stored and member.id_number_masked in stored  # the dump does see the data
    for number in plain:
        assert number not in stored
        assert number[6:] not in stored  # nor the birth date + sequence part on its own
