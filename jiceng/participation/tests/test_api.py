"""/api/v1/participation/: the same flows as the pages, JSON errors, and the OpenAPI schema."""

from __future__ import annotations

import datetime as dt

import pytest

from jiceng.participation.models import Activity

from .conftest import later

pytestmark = pytest.mark.django_db
BASE = "/api/v1/participation"


def test_report_accept_task_claim_report(world, zheng, api):
    from rest_framework.test import APIClient

    me = APIClient()
    me.force_login(zheng)
    r = me.post(f"{BASE}/registrations/", {"community": "0101", "residence": "幸福里"}, format="json")
    assert r.status_code == 201, r.json()
    reg = r.json()
    assert (reg["member_name"], reg["community"], reg["status"], reg["branch"]) == (
        "郑明",
        "0101",
        "pending",
        "010301",
    )
    r = me.post(f"{BASE}/registrations/", {"community": "0101"}, format="json")
    assert r.status_code == 400 and r.json()["errors"]["community"]
    r = api("bob").post(f"{BASE}/registrations/{reg['id']}/decide/", {"accept": True}, format="json")
    assert r.status_code == 404
    r = api("alice").post(f"{BASE}/registrations/{reg['id']}/decide/", {"accept": False}, format="json")
    assert r.status_code == 400 and "reason" in r.json()["errors"]
    r = api("alice").post(f"{BASE}/registrations/{reg['id']}/decide/", {"accept": True}, format="json")
    assert r.json()["status"] == "accepted"
    r = api("county_admin").get(f"{BASE}/registrations/?org=0103&side=home")
    assert [x["member_name"] for x in r.json()["results"]] == ["郑明"]
    r = api("alice").post(
        f"{BASE}/tasks/", {"community": "0101", "kind": "small_wish", "title": "修收音机"}, format="json"
    )
    assert r.status_code == 201
    task = r.json()["id"]
    r = me.post(f"{BASE}/tasks/{task}/claim/")
    assert r.status_code == 201
    claim = r.json()["id"]
    r = me.post(f"{BASE}/claims/{claim}/report/", {"report": "修好了"}, format="json")
    assert r.json()["done_on"] == dt.date.today().isoformat()
    r = me.get(f"{BASE}/me/")
    assert [x["community"] for x in r.json()["registrations"]] == ["0101"]


def test_activity_sign_up_residents_attendance(world, api):
    start = later(days=2)
    r = api("alice").post(
        f"{BASE}/activities/",
        {
            "org": "0101",
            "title": "清洁家园",
            "place": "中心广场",
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
            "needed": 3,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    a = r.json()
    assert a["hours"] == "2.0"
    r = api("bob").post(f"{BASE}/activities/", {**a, "org": "0101"}, format="json")
    assert r.status_code == 404
    dora = api("dora").post(f"{BASE}/activities/{a['id']}/sign-up/")
    assert dora.status_code == 201
    r = api("alice").post(
        f"{BASE}/activities/{a['id']}/residents/", {"name": "王秀英", "phone": "13900001111"}, format="json"
    )
    assert r.json()["name"] == "王**" and r.json()["phone_masked"] == "139****1111"
    r = api("alice").post(
        f"{BASE}/activities/{a['id']}/residents/", {"name": "李", "phone": "1"}, format="json"
    )
    assert r.status_code == 400 and "phone" in r.json()["errors"]
    r = api("alice").post(
        f"{BASE}/activities/{a['id']}/attendance/", {"present": [dora.json()["id"]]}, format="json"
    )
    assert r.status_code == 400  # not started yet
    Activity.objects.filter(pk=a["id"]).update(starts_at=later(hours=-3), ends_at=later(hours=-1))
    r = api("alice").post(
        f"{BASE}/activities/{a['id']}/attendance/", {"present": [dora.json()["id"]]}, format="json"
    )
    assert r.status_code == 200
    assert {(v["name"], v["attended"], v["hours"]) for v in r.json()} == {
        ("赵敏", True, "2.0"),
        ("王**", False, "0.0"),
    }
    r = api("alice").post(f"{BASE}/activities/{a['id']}/attendance/", {"present": []}, format="json")
    assert r.status_code == 400
    year = dt.date.today().year
    r = api("county_admin").get(f"{BASE}/figures/?org=01&year={year}")
    assert (r.json()["attendances"], r.json()["hours"]) == (1, "2.0")
    r = api("dora").get(f"{BASE}/me/")
    assert r.json()["hours_total"] == "2.0"


def test_the_schema_names_every_endpoint(api):
    r = api("alice").get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for p in (
        "/api/v1/participation/registrations/",
        "/api/v1/participation/registrations/{id}/decide/",
        "/api/v1/participation/activities/{id}/attendance/",
        "/api/v1/participation/figures/",
        "/api/v1/participation/me/",
    ):
        assert p in paths, p
    names = r.json()["components"]["schemas"]
    assert "ParticipationRegistration" in names and "ParticipationActivity" in names


def test_the_api_pages_activities_in_a_stable_order(world, api):
    """The list is a grouped query (counts of sign-ups), which drops Meta.ordering: every
    row must appear exactly once across the pages, in the documented order."""
    start = later(days=2)
    for i in range(5):
        r = api("alice").post(
            f"{BASE}/activities/",
            {
                "org": "0101",
                "title": f"活动{i}",
                "place": "中心广场",
                "starts_at": (start + dt.timedelta(days=i % 2)).isoformat(),
                "ends_at": (start + dt.timedelta(days=i % 2, hours=2)).isoformat(),
                "needed": 3,
            },
            format="json",
        )
        assert r.status_code == 201, r.json()
    seen = []
    url = f"{BASE}/activities/?page_size=2"
    while url:
        body = api("alice").get(url).json()
        seen += [(a["starts_at"], a["id"]) for a in body["results"]]
        url = body["next"]
    assert len(seen) == 5 == len(set(seen))
    assert seen == sorted(seen, key=lambda x: (x[0], x[1]), reverse=True)
