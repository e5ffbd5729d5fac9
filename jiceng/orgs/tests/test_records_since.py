"""记录起始日期 (``Organization.records_since``) on the organization page and in the API: set by those
who may change the organization, bounded (not in the future, not before 1921-07-01), audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import RECORDS_SINCE
from jiceng.core.models import ObjectChange
from jiceng.orgs.models import Organization

pytestmark = pytest.mark.django_db

EDIT = {"code": "0101", "name": "和平社区党支部", "unit_kind": "community", "founded_on": "2000-03-01"}


def records_since(code: str) -> dt.date:
    return Organization.objects.get(code=code).records_since


def test_a_new_organization_keeps_records_from_its_creation_day(world):
    from jiceng.orgs import services

    created = services.create_org(
        actor=world.county_admin,
        parent=world.root,
        code="0109",
        name="新建党支部",
        kind="branch",
        unit_kind="community",
    )
    assert records_since(created.code) == timezone.localdate()


def test_the_edit_page_sets_it_audited(world, client_for):
    alice = client_for(world.alice)
    form = alice.get("/orgs/0101/edit/").content.decode()
    assert 'name="records_since"' in form and 'min="1921-07-01"' in form
    assert alice.post("/orgs/0101/edit/", {**EDIT, "records_since": "2025-01-01"}).status_code == 302
    assert records_since("0101") == dt.date(2025, 1, 1)
    change = ObjectChange.objects.get(action="update", object_id=world.branch_a.pk)
    assert change.postchange_data["records_since"] == "2025-01-01" and change.user_name == "alice"
    assert "2025-01-01" in alice.get("/orgs/0101/").content.decode()
    # Left blank: unchanged.
    assert alice.post("/orgs/0101/edit/", {**EDIT, "name": "改名"}).status_code == 302
    assert records_since("0101") == dt.date(2025, 1, 1)


@pytest.mark.parametrize(
    ("value", "message"),
    [("2999-01-01", "记录起始日期不能晚于今天"), ("1921-06-30", "记录起始日期不能早于1921年7月1日")],
)
def test_the_edit_page_refuses_a_day_out_of_bounds(world, client_for, value, message):
    response = client_for(world.alice).post("/orgs/0101/edit/", {**EDIT, "records_since": value})
    assert response.status_code == 200 and message in response.content.decode()
    assert records_since("0101") == RECORDS_SINCE
    assert not ObjectChange.objects.filter(action="update", object_id=world.branch_a.pk).exists()


def test_the_edit_page_without_the_right_writes_nothing(world, client_for):
    data = {**EDIT, "records_since": "2025-01-01"}
    assert client_for(world.viewer).post("/orgs/0101/edit/", data).status_code == 403
    assert client_for(world.bob).post("/orgs/0101/edit/", data).status_code == 404
    assert records_since("0101") == RECORDS_SINCE


def test_the_api_reads_and_writes_it(world):
    def client(user):
        c = APIClient()
        c.force_login(user)
        return c

    assert client(world.viewer).get("/api/v1/orgs/0101/").json()["records_since"] == RECORDS_SINCE.isoformat()
    body = {"records_since": "2024-07-01"}
    assert client(world.viewer).patch("/api/v1/orgs/0101/", body, format="json").status_code == 403
    assert client(world.bob).patch("/api/v1/orgs/0101/", body, format="json").status_code == 404
    assert records_since("0101") == RECORDS_SINCE
    response = client(world.alice).patch("/api/v1/orgs/0101/", body, format="json")
    assert response.status_code == 200 and response.json()["records_since"] == "2024-07-01"
    change = ObjectChange.objects.get(action="update", object_id=world.branch_a.pk)
    assert (change.prechange_data["records_since"], change.postchange_data["records_since"]) == (
        RECORDS_SINCE.isoformat(),
        "2024-07-01",
    )
    bad = client(world.alice).patch("/api/v1/orgs/0101/", {"records_since": "1900-01-01"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"]["records_since"][0]["code"] == "date_too_early"
    assert records_since("0101") == dt.date(2024, 7, 1)
    schema = client(world.alice).get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert (
        "records_since" in schema["Org"]["properties"]
        and "records_since" in schema["PatchedOrgUpdateRequest"]["properties"]
    )
