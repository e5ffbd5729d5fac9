"""Issue 11, item 4: one person registered twice through Unicode digits.

``\\d`` matched any Unicode digit, so the same number in full-width digits registered again in
another branch, and Arabic-Indic digits let a member open a development file. Every identity number,
code, phone and date is normalized (NFKC, ASCII digits) before validation and digest; existing
duplicates are found and reported by a data migration, never deleted.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from jiceng.core import crypto, idnumber, normalize
from jiceng.core.duplicates import renormalize
from jiceng.core.models import ObjectChange
from jiceng.development import services as development_services
from jiceng.members import services as member_services
from jiceng.members.models import Member
from jiceng.orgs import services as org_services

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_normalization_gives_one_spelling():
    number = "11010519760606109X"
    assert idnumber.normalize(number.translate(FULL_WIDTH)) == number
    assert idnumber.normalize(number.translate(ARABIC_INDIC)) == number
    assert idnumber.normalize(" 11010519760606109x\u3000") == number
    assert idnumber.validate(number.translate(FULL_WIDTH)) == number
    assert crypto.digest(idnumber.normalize(number.translate(ARABIC_INDIC))) == crypto.digest(number)
    assert normalize.phone("１３８ ００１３ ８０００") == "138 0013 8000"
    assert normalize.identifier("０１０２") == "0102"
    assert normalize.date_text("２０２４-０５-０１") == "2024-05-01"
    # A character that is no digit in any script stays, and validation refuses it.
    with pytest.raises(ValidationError) as refused:
        idnumber.validate("1101051976060610９Ⅹ".replace("Ⅹ", "Ж"))
    assert refused.value.code == "id_format"


def _body(world, number: str) -> dict:  # noqa: ANN001
    return {
        "org": "0101",
        "id_number": number,
        "name": "孙强",
        # The gender the number states (a mismatch is refused before the duplicate is found).
        "gender": idnumber.gender_of(idnumber.normalize(number)),
        "education": "college",
        "category": "employed",
        "status": "full",
        "joined_on": "2015-07-01",
        "full_member_on": "2016-07-01",
    }


def test_a_member_in_full_width_digits_is_refused_as_a_duplicate(world):
    """The attack: bob's member registered again in alice's branch with full-width digits (was 201)."""
    taken = world.members_b[0].reveal_id_number()
    client = APIClient()
    client.force_login(world.alice)
    for spelling in (taken.translate(FULL_WIDTH), taken.translate(ARABIC_INDIC)):
        response = client.post("/api/v1/members/", _body(world, spelling), format="json")
        assert response.status_code == 400, response.content
        assert [e["code"] for e in response.json()["errors"]["id_number"]] == ["id_duplicate"]
    assert Member.objects.filter(name="孙强").count() == 1


def test_a_new_member_typed_in_full_width_is_stored_in_ascii(world):
    number = "11010519760606109X"
    member = member_services.create_member(
        actor=world.alice,
        org=world.branch_a,
        id_number=number.translate(FULL_WIDTH),
        name="钱进",
        gender="male",
        education="college",
        category="employed",
        status="full",
        joined_on=dt.date(2015, 7, 1),
        full_member_on=dt.date(2016, 7, 1),
        phone="１３８００１３８０００",
    )
    assert member.reveal_id_number() == number
    assert member.id_number_digest == crypto.digest(number)
    assert member.phone == "13800138000"


def test_a_member_cannot_open_a_development_file_in_arabic_indic_digits(world):
    taken = world.members_a[1].reveal_id_number()
    with pytest.raises(ValidationError) as refused:
        development_services.apply(
            actor=world.alice,
            org=world.branch_a,
            id_number=taken.translate(ARABIC_INDIC),
            on=dt.date(2024, 3, 1),
            name="王芳",
            gender="female",
            education="bachelor",
            category="employed",
        )
    assert refused.value.error_dict["id_number"][0].code == "already_member"


def test_an_organization_code_in_full_width_digits_is_the_same_code(world):
    with pytest.raises(ValidationError) as refused:
        org_services.create_org(
            actor=world.county_admin,
            parent=world.root,
            code="０１０２",
            name="重复支部",
            kind="branch",
            unit_kind="village",
        )
    assert refused.value.error_dict["code"][0].code == "code_taken"


def test_existing_duplicates_are_reported_not_deleted(world, caplog):
    """What the data migration does with numbers stored before normalization."""
    original = world.members_b[0]
    number = original.reveal_id_number()
    wide = number.translate(FULL_WIDTH)
    # The second registration as it was stored before the fix: the wide spelling and its digest.
    twin = Member.objects.get(pk=world.members_a[0].pk)
    Member.objects.filter(pk=twin.pk).update(
        id_number_cipher=crypto.encrypt(wide), id_number_digest=crypto.digest(wide)
    )
    # A lone number stored wide is rewritten in ASCII.
    lone = world.members_a[2]
    lone_number = lone.reveal_id_number()
    Member.objects.filter(pk=lone.pk).update(
        id_number_cipher=crypto.encrypt(lone_number.translate(FULL_WIDTH)),
        id_number_digest=crypto.digest(lone_number.translate(FULL_WIDTH)),
    )
    with caplog.at_level(logging.WARNING, logger="jiceng.duplicates"):
        groups = renormalize(
            Member, object_change=ObjectChange, content_type=ContentType.objects.get_for_model(Member)
        )
    assert [sorted(g) for g in groups] == [sorted([original.pk, twin.pk])]
    assert Member.objects.filter(pk__in=[original.pk, twin.pk]).count() == 2  # nothing deleted
    reports = ObjectChange.objects.filter(action="id_duplicate").order_by("object_id")
    assert {r.object_id for r in reports} == {original.pk, twin.pk}
    assert {r.org_path for r in reports} == {world.branch_a.path, world.branch_b.path}
    assert all(r.postchange_data["id_number_digest"] == crypto.digest(number) for r in reports)
    assert number not in str(list(reports.values()))  # the digest only, never the number
    assert "duplicate identity number" in caplog.text
    # The county admin sees both in the audit search.
    assert (
        ObjectChange.objects.restrict(world.county_admin, "audit").filter(action="id_duplicate").count() == 2
    )
    lone.refresh_from_db()
    assert lone.id_number_digest == crypto.digest(lone_number)
    assert lone.reveal_id_number() == lone_number
