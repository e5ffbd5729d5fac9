"""A consultation through the API, from the topic to the tree's progress."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from .conftest import today

pytestmark = pytest.mark.django_db


def test_a_consultation_through_the_api(world, liaison):
    api = APIClient()
    api.force_login(world.alice)
    r = api.post(
        reverse("api-consultation-topic-list"),
        {"org": "0101", "title": "楼道照明", "source": "members"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    day = today().isoformat()
    r = api.post(
        reverse("api-consultation-topic-notice", args=[pk]),
        {
            "meeting_on": day,
            "meeting_place": "议事厅",
            "groups": ["members", "liaisons"],
            "partners": [world.partner.pk],
        },
        format="json",
    )
    assert (
        r.status_code == 200
        and r.json()["status"] == "noticed"
        and r.json()["partners"] == [world.partner.pk]
    )
    r = api.post(
        reverse("api-consultation-topic-meeting", args=[pk]),
        {
            "held_on": day,
            "place": "议事厅",
            "minutes": "记录",
            "decision": "更换灯具",
            "counts": {"members_count": 5, "liaisons": 1},
            "votes": {"votes_for": 6, "votes_against": 0, "votes_abstain": 0},
        },
        format="json",
    )
    assert r.status_code == 201 and r.json()["status"] == "decided" and r.json()["meeting"]["votes_for"] == 6
    r = api.post(
        reverse("api-consultation-topic-items", args=[pk]),
        {"title": "采购", "owner_org": "0101", "weight": 1},
        format="json",
    )
    assert r.status_code == 201
    a = r.json()["id"]
    r = api.post(
        reverse("api-consultation-topic-items", args=[pk]),
        {
            "title": "安装",
            "owner_partner": world.partner.pk,
            "weight": 3,
            "milestones": [{"title": "到货", "due_on": day}],
        },
        format="json",
    )
    b = r.json()["id"]
    assert r.status_code == 201 and r.json()["milestones"][0]["title"] == "到货"
    assert (
        api.post(
            reverse("api-consultation-item-updates", args=[a]),
            {"progress": 100, "text": "已采购"},
            format="json",
        ).status_code
        == 201
    )
    lapi = APIClient()
    lapi.force_login(liaison)
    assert (
        lapi.post(
            reverse("api-consultation-item-updates", args=[b]),
            {"progress": 20, "text": "安装中"},
            format="json",
        ).status_code
        == 201
    )
    detail = api.get(reverse("api-consultation-topic-detail", args=[pk])).json()
    assert detail["progress"] == 40.0  # (100·1 + 20·3) / 4
    assert [n["progress"] for n in detail["tree"]] == [100.0, 20.0]
    r = api.post(
        reverse("api-consultation-item-updates", args=[b]), {"progress": 101, "text": "x"}, format="json"
    )
    assert r.status_code == 400
    item = api.get(reverse("api-consultation-item-detail", args=[b])).json()
    assert item["updates"][0]["text"] == "安装中" and item["owner_name"] == "华联超市"
