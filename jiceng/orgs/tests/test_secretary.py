"""The secretary of a branch without a committee (支部条例: fewer than 7 full members may elect only a
secretary): the service's rules and scope, the compliance engine, the organization page and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from rest_framework.test import APIClient

from jiceng.core import compliance
from jiceng.core.models import ObjectChange
from jiceng.members import services as member_services
from jiceng.members.models import Member, Membership
from jiceng.orgs import services
from jiceng.orgs.models import Organization

SINCE = dt.date(2024, 5, 1)


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _codes(error: ValidationError, field: str) -> list[str]:
    return [e.code for e in error.error_dict[field]]


def _branch(world, code: str = "0101") -> Organization:
    return Organization.objects.get(code=code)


# Service ------------------------------------------------------------------------------------------


def test_set_and_clear_the_secretary_is_recorded_with_its_change(world):
    member = world.members_a[1]
    org = services.set_secretary(actor=world.alice, org=world.branch_a, member=member, since=SINCE)
    stored = _branch(world)
    assert (stored.secretary_id, stored.secretary_since) == (member.pk, SINCE)
    assert org.secretary_id == member.pk
    change = ObjectChange.objects.filter(
        object_id=world.branch_a.pk, action=ObjectChange.Action.UPDATE
    ).latest("id")
    assert (change.prechange_data["secretary"], change.postchange_data["secretary"]) == (None, member.pk)
    assert change.postchange_data["secretary_since"] == "2024-05-01"

    services.set_secretary(actor=world.alice, org=world.branch_a, member=None, since=None)
    stored = _branch(world)
    assert (stored.secretary_id, stored.secretary_since) == (None, None)
    cleared = ObjectChange.objects.filter(
        object_id=world.branch_a.pk, action=ObjectChange.Action.UPDATE
    ).latest("id")
    assert (cleared.prechange_data["secretary"], cleared.postchange_data["secretary"]) == (member.pk, None)


def test_set_secretary_refusals_save_nothing(world):
    def refused(field: str, **kwargs) -> list[str]:  # noqa: ANN003
        args = {
            "actor": world.county_admin,
            "org": world.branch_a,
            "member": world.members_a[1],
            "since": SINCE,
        }
        args.update(kwargs)
        with pytest.raises(ValidationError) as caught:
            services.set_secretary(**args)
        return _codes(caught.value, field)

    dora = Member.objects.get(user=world.dora)
    assert refused("member", member=dora) == ["probationary"]
    assert refused("member", member=world.members_b[0]) == ["not_in_branch"]
    assert refused("since", since=dt.date(2999, 1, 1)) == ["date_in_future"]
    assert refused("since", since=None) == ["required"]
    assert refused("since", since=dt.date(2010, 6, 30)) == ["before_joined"]  # joined 2010-07-01
    assert refused("org", org=world.general) == ["not_branch"]
    closed = member_services.close_member(
        actor=world.county_admin, member=world.members_a[4], on=dt.date(2025, 1, 1), reason="death"
    )
    assert refused("member", member=closed) == ["not_in_branch"]
    services.record_election(
        actor=world.county_admin,
        org=world.branch_a,
        elected_on=dt.date(2023, 3, 1),
        posts=[(world.members_a[0], "secretary")],
    )
    assert refused("member") == ["has_committee"]
    assert _branch(world).secretary_id is None


def test_set_secretary_is_scoped(world):
    args = {"org": world.branch_a, "member": world.members_a[1], "since": SINCE}
    with pytest.raises(Http404):
        services.set_secretary(actor=world.bob, **args)
    with pytest.raises(PermissionDenied):
        services.set_secretary(actor=world.viewer, **args)
    assert _branch(world).secretary_id is None


# Engine -------------------------------------------------------------------------------------------


def _findings(world, rule: str, label: str = "2026-Q1") -> list[compliance.Finding]:
    return [f for f in compliance.evaluate(world.branch_a, label) if f.rule == rule and f.org_code == "0101"]


def test_a_committee_less_branch_with_a_secretary_has_one(world):
    assert len(_findings(world, "org.secretary_missing")) == 1
    services.set_secretary(actor=world.alice, org=world.branch_a, member=world.members_a[1], since=SINCE)
    assert _findings(world, "org.secretary_missing") == []
    # Joined 2010, full member since 2011: standing long enough.
    assert _findings(world, "org.secretary_standing_short") == []


def test_secretary_from_a_later_day_does_not_count_before(world):
    services.set_secretary(
        actor=world.alice, org=world.branch_a, member=world.members_a[1], since=dt.date(2026, 5, 1)
    )
    assert [f.period for f in _findings(world, "org.secretary_missing")] == ["2026-03-31"]
    assert _findings(world, "org.secretary_missing", "2026-06") == []


def test_a_committee_less_branch_secretary_with_short_standing(world):
    member = world.members_a[2]
    Member.objects.filter(pk=member.pk).update(
        joined_on=dt.date(2024, 6, 1), full_member_on=dt.date(2025, 6, 1)
    )
    services.set_secretary(actor=world.alice, org=world.branch_a, member=member, since=dt.date(2025, 7, 1))
    assert _findings(world, "org.secretary_missing") == []
    short = _findings(world, "org.secretary_standing_short")
    assert [(f.member, f.member_name, f.period) for f in short] == [(member.pk, member.name, "2026-03-31")]


def test_a_secretary_who_transferred_away_no_longer_counts(world):
    member = world.members_a[1]
    services.set_secretary(actor=world.alice, org=world.branch_a, member=member, since=SINCE)
    # Registered in the fixture today: its period in the branch starts, as recorded, before the day.
    Membership.objects.filter(member=member).update(started_on=dt.date(2010, 7, 1))
    member_services.transfer_member(
        actor=world.county_admin, member=member, to_org=world.branch_b, on=dt.date(2025, 1, 1)
    )
    assert len(_findings(world, "org.secretary_missing")) == 1
    # Nor does one whose membership ended before the day judged.
    other = world.members_a[2]
    services.set_secretary(actor=world.alice, org=world.branch_a, member=other, since=SINCE)
    assert _findings(world, "org.secretary_missing") == []
    member_services.close_member(
        actor=world.county_admin, member=other, on=dt.date(2026, 2, 1), reason="death"
    )
    assert len(_findings(world, "org.secretary_missing")) == 1


def test_a_committee_in_force_takes_precedence(world):
    """The branch's own secretary counts only while no committee is in force."""
    services.set_secretary(actor=world.alice, org=world.branch_a, member=world.members_a[1], since=SINCE)
    services.record_election(actor=world.alice, org=world.branch_a, elected_on=dt.date(2025, 1, 1))
    assert len(_findings(world, "org.secretary_missing")) == 1  # a committee without a secretary post
    assert _findings(world, "org.secretary_missing", "2024-12") == []  # before the election


# Page ---------------------------------------------------------------------------------------------


def test_page_sets_and_clears_the_secretary(world, client_for):
    client = client_for(world.alice)
    page = client.get("/orgs/0101/").content.decode()
    assert "尚未记录书记" in page and "/orgs/0101/secretary/" in page
    form = client.get("/orgs/0101/secretary/").content.decode()
    assert world.members_a[1].name in form and "赵敏" not in form  # full members only
    member = world.members_a[1]
    response = client.post("/orgs/0101/secretary/", {"member": member.pk, "since": "2024-05-01"})
    assert response.status_code == 302 and response["Location"] == "/orgs/0101/"
    assert (_branch(world).secretary_id, _branch(world).secretary_since) == (member.pk, SINCE)
    page = client.get("/orgs/0101/").content.decode()
    assert member.name in page and "2024-05-01起任职" in page
    response = client.post("/orgs/0101/secretary/", {"member": "", "since": ""})
    assert response.status_code == 302
    assert _branch(world).secretary_id is None


def test_page_shows_the_service_refusal(world, client_for):
    response = client_for(world.alice).post(
        "/orgs/0101/secretary/", {"member": world.members_a[1].pk, "since": "2999-01-01"}
    )
    assert response.status_code == 200
    assert "任职日期不能晚于今天" in response.content.decode()
    assert _branch(world).secretary_id is None


def test_page_scope_and_branch_with_committee(world, client_for):
    assert client_for(world.bob).get("/orgs/0101/secretary/").status_code == 404
    viewer = client_for(world.viewer)
    assert viewer.get("/orgs/0101/secretary/").status_code == 403
    assert (
        viewer.post(
            "/orgs/0101/secretary/", {"member": world.members_a[1].pk, "since": "2024-05-01"}
        ).status_code
        == 403
    )
    assert "/orgs/0101/secretary/" not in viewer.get("/orgs/0101/").content.decode()
    assert client_for(world.county_admin).get("/orgs/0103/secretary/").status_code == 404  # not a branch
    assert _branch(world).secretary_id is None
    services.record_election(actor=world.alice, org=world.branch_a, elected_on=dt.date(2023, 3, 1))
    client = client_for(world.alice)
    assert "/orgs/0101/secretary/" not in client.get("/orgs/0101/").content.decode()
    response = client.get("/orgs/0101/secretary/")
    assert response.status_code == 302 and response["Location"] == "/orgs/0101/"


def test_secretary_form_page_is_accessible(world, client_for):
    from jiceng.core.tests.test_pages import check_page

    check_page(client_for(world.alice).get("/orgs/0101/secretary/"))


# API ----------------------------------------------------------------------------------------------


def _api(user) -> APIClient:  # noqa: ANN001
    client = APIClient()
    client.force_login(user)
    return client


def test_api_sets_shows_and_clears_the_secretary(world):
    client = _api(world.alice)
    member = world.members_a[1]
    response = client.post(
        "/api/v1/orgs/0101/secretary/", {"member": member.pk, "since": "2024-05-01"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["secretary"] == {"id": member.pk, "name": member.name}
    assert body["secretary_since"] == "2024-05-01"
    assert client.get("/api/v1/orgs/0101/").json()["secretary"] == {"id": member.pk, "name": member.name}
    listed = {o["code"]: o for o in _api(world.county_admin).get("/api/v1/orgs/").json()["results"]}
    assert listed["0101"]["secretary"]["id"] == member.pk and listed["0102"]["secretary"] is None

    response = client.post("/api/v1/orgs/0101/secretary/", {"member": None}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["secretary"], response.json()["secretary_since"]) == (None, None)


def test_api_refusals_and_scope(world):
    client = _api(world.alice)

    def post(who_client, body, code="0101"):  # noqa: ANN001, ANN202
        return who_client.post(f"/api/v1/orgs/{code}/secretary/", body, format="json")

    future = post(client, {"member": world.members_a[1].pk, "since": "2999-01-01"})
    assert future.status_code == 400 and [e["code"] for e in future.json()["errors"]["since"]] == [
        "date_in_future"
    ]
    hidden = post(client, {"member": world.members_b[0].pk, "since": "2024-05-01"})
    assert hidden.status_code == 400
    assert [e["code"] for e in hidden.json()["errors"]["member"]] == ["unknown_member"]
    assert "孙强" not in hidden.content.decode()
    assert post(_api(world.bob), {"member": world.members_a[1].pk, "since": "2024-05-01"}).status_code == 404
    assert (
        post(_api(world.viewer), {"member": world.members_a[1].pk, "since": "2024-05-01"}).status_code == 403
    )
    assert post(APIClient(), {"member": None}).status_code in (401, 403)
    assert _branch(world).secretary_id is None
