"""Issue 11, item 10: the membership probe.

A secretary could learn whether any identity number belongs to a member anywhere by trying to
register it (``id_duplicate``, or ``already_member`` on a development file), leaving no trace. The
refusal stays; every such refusal is audited with the number's digest, limited per user, and shown
to the higher committee's admins in their audit view.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from conftest import make_id
from jiceng.core import crypto, idnumber
from jiceng.core.models import ObjectChange
from jiceng.development import services as development_services
from jiceng.members.models import Member


def _body(number: str) -> dict:
    return {
        "org": "0101",
        "id_number": number,
        "name": "某人",
        "gender": idnumber.gender_of(number),
        "education": "college",
        "category": "employed",
        "status": "full",
        "joined_on": "2015-07-01",
        "full_member_on": "2016-07-01",
    }


@pytest.fixture
def alice_api(world):  # noqa: ANN001
    client = APIClient()
    client.force_login(world.alice)
    return client


def test_a_probe_is_refused_and_audited_for_the_higher_committee(world, alice_api, client):
    """alice tries a number held in bob's branch, which she cannot see."""
    number = world.members_b[0].reveal_id_number()
    response = alice_api.post("/api/v1/members/", _body(number), format="json")
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]["id_number"]] == ["id_duplicate"]
    record = ObjectChange.objects.get(action="id_refused")
    assert record.user == world.alice and record.source == "api"
    assert record.org_path == world.branch_a.path  # where it was tried
    assert record.postchange_data == {"code": "id_duplicate", "id_number_digest": crypto.digest(number)}
    assert number not in str(ObjectChange.objects.filter(pk=record.pk).values().get())
    # The street's organization admin sees it in the audit view; alice (no audit right) does not.
    assert ObjectChange.objects.restrict(world.county_admin, "audit").filter(action="id_refused").exists()
    client.force_login(world.county_admin)
    page = client.get("/core/audit/", {"action": "id_refused"})
    assert page.status_code == 200
    assert "身份号码重复被拒" in page.content.decode() and "alice" in page.content.decode()
    client.force_login(world.alice)
    assert client.get("/core/audit/").status_code == 404


def test_a_development_file_for_a_member_is_audited_too(world):
    number = world.members_b[1].reveal_id_number()
    with pytest.raises(ValidationError) as refused:
        development_services.apply(
            actor=world.alice,
            org=world.branch_a,
            id_number=number,
            on=dt.date(2024, 3, 1),
            name="周杰",
            gender=idnumber.gender_of(number),
            education="bachelor",
            category="employed",
        )
    assert refused.value.error_dict["id_number"][0].code == "already_member"
    record = ObjectChange.objects.get(action="id_refused")
    assert record.postchange_data["code"] == "already_member"
    assert record.postchange_data["id_number_digest"] == crypto.digest(number)


def test_refusals_are_limited_per_user(world, alice_api, settings):
    settings.ID_REFUSAL_LIMIT = 3
    taken = [m.reveal_id_number() for m in world.members_b] + [world.member_c.reveal_id_number()]
    for number in taken[:3]:
        response = alice_api.post("/api/v1/members/", _body(number), format="json")
        assert response.json()["errors"]["id_number"][0]["code"] == "id_duplicate"
    # Over the limit, every registration is refused: a held number and a free one answer alike.
    for number in (taken[3], make_id(dt.date(1991, 1, 1), 301)):
        response = alice_api.post("/api/v1/members/", _body(number), format="json")
        assert response.status_code == 400
        assert response.json()["errors"]["id_number"][0]["code"] == "too_many_refusals"
    assert not Member.objects.filter(name="某人").exists()
    assert ObjectChange.objects.filter(action="id_refused", user=world.alice).count() == 5
    # Another secretary is not limited by alice's refusals.
    bob = APIClient()
    bob.force_login(world.bob)
    response = bob.post(
        "/api/v1/members/", _body(make_id(dt.date(1991, 1, 1), 302)) | {"org": "0102"}, format="json"
    )
    assert response.status_code == 201, response.content
