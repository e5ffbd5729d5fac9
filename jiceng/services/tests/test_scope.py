"""Every handler page and endpoint of residents' requests answers by scope, for every named user; a
partner unit's contact sees only what is assigned to the unit; nobody outside learns of a request
through a page, the API, a count, a search or an error."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from jiceng.core.scope import CHANGE, MANAGE
from jiceng.core.testing import Case, coverage_test, scope_test
from jiceng.life.tests.factories import PNG, upload
from jiceng.services import services
from jiceng.services.models import Category


def branch_a(world):  # noqa: ANN001, ANN201
    return world.branch_a


def made_in_a(world):  # noqa: ANN001, ANN201
    """One request made at 和平社区 (branch A), made once for the test."""
    if not hasattr(world, "req"):
        world.req, _token = services.submit_request(
            org=world.branch_a,
            category=Category.objects.get(name="环境卫生", parent=None),
            text="路灯不亮",
            address="南门",
            phone="13900000000",
            photo=upload("路灯.png", PNG, "image/png"),
        )
    return {"code": world.req.code}


CASES = [
    Case("services:list"),
    Case("services:list", org=branch_a, query="org=0101"),
    Case("services:create", action=CHANGE),
    Case("services:create", action=CHANGE, method="post", ok=(200,)),
    Case("services:figures"),
    Case("services:desks"),
    Case("services:hotline_export"),
    Case("services:routes", lambda w: {"code": "0101"}, org=branch_a, action=MANAGE),
    Case(
        "services:routes", lambda w: {"code": "0101"}, org=branch_a, action=MANAGE, method="post", ok=(302,)
    ),
    Case("services:detail", made_in_a, org=branch_a),
    Case("services:photo", made_in_a, org=branch_a),
    Case("services:reveal", made_in_a, org=branch_a, action=CHANGE, method="post"),
    Case("services:moderate", made_in_a, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("api-service-request-moderate", made_in_a, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("services:moderate_words", made_in_a, org=branch_a, action=CHANGE, method="post", ok=(302,)),
    Case(
        "api-service-request-moderate-words", made_in_a, org=branch_a, action=CHANGE, method="post", ok=(400,)
    ),
    Case("services:hand_over", made_in_a, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case("services:cohandler", made_in_a, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case(
        "services:step",
        made_in_a,
        org=branch_a,
        action=CHANGE,
        method="post",
        data={"step": "accepted"},
        ok=(302,),
    ),
    Case("api-service-request-list"),
    Case("api-service-request-list", org=branch_a, query="org=0101"),
    Case("api-service-request-figures"),
    Case("api-service-request-figures", org=branch_a, query="org=0101&period=2026-Q1"),
    Case("api-service-request-figures-monthly"),
    Case("api-service-request-figures-monthly", org=branch_a, query="org=0101"),
    Case("services:figures", org=branch_a, query="org=0101&year=2026&part=03"),
    Case("api-service-request-detail", made_in_a, org=branch_a),
    Case("api-service-request-events", made_in_a, org=branch_a),
    Case("api-service-request-hand-over", made_in_a, org=branch_a, action=CHANGE, method="post", ok=(400,)),
    Case(
        "api-service-request-step",
        made_in_a,
        org=branch_a,
        action=CHANGE,
        method="post",
        data={"step": "accepted", "public_text": "收到"},
    ),
]

test_scope = scope_test(CASES)
test_every_page_has_a_case = coverage_test("services", CASES)
test_every_endpoint_has_a_case = coverage_test("api-service-request", CASES)


def _sees(client, world, code: str) -> dict[str, object]:  # noqa: ANN001
    """What a signed-in client learns of ``code`` by every way in."""
    page = client.get(reverse("services:list"), {"q": code}).content.decode()
    api_list = client.get(reverse("api-service-request-list"), {"q": code}).json()
    detail = client.get(reverse("services:detail", kwargs={"code": code}))
    api_detail = client.get(reverse("api-service-request-detail", kwargs={"code": code}))
    figures = client.get(reverse("api-service-request-figures")).json()
    step = client.post(
        reverse("api-service-request-step", kwargs={"code": code}), {"step": "accepted"}, format="json"
    )
    return {
        "page": f'data-code="{code}"' in page,
        "api_count": api_list["count"],
        "detail": detail.status_code,
        "api_detail": api_detail.status_code,
        "received": figures[-1]["received"],
        "step": step.status_code,
        # The code itself is what the user typed; the request's content must not come back.
        "leak": any(
            secret in r.content.decode()
            for r in (detail, api_detail, step)
            for secret in ("路灯不亮", "南门")
        ),
    }


@pytest.mark.django_db
def test_another_subtree_never_learns_of_a_request(world):
    code = made_in_a(world)["code"]
    client = APIClient()
    client.force_login(world.bob)
    assert _sees(client, world, code) == {
        "page": False,
        "api_count": 0,
        "detail": 404,
        "api_detail": 404,
        "received": 0,
        "step": 404,
        "leak": False,
    }


@pytest.mark.django_db
def test_a_partner_contact_sees_only_what_is_assigned_to_the_unit(world, partner):
    code = made_in_a(world)["code"]
    client = APIClient()
    client.force_login(world.erin)
    assert _sees(client, world, code)["detail"] == 404
    services.add_cohandler(actor=world.alice, request=world.req, partner=partner)
    other, _ = services.submit_request(
        org=world.branch_a, category=world.req.category, text="另一件", address="北门"
    )
    seen = _sees(client, world, code)
    assert seen["page"] and seen["api_count"] == 1 and seen["detail"] == 200 and seen["step"] == 200
    assert _sees(client, world, other.code)["detail"] == 404
    # The contact has no view of the tree or the roster.
    assert client.get(reverse("members:list")).status_code in (200, 403)
    assert "和平社区党支部" not in client.get(reverse("api-org-list")).content.decode()
    # Phone stays masked in what the contact reads.
    assert (
        "13900000000"
        not in client.get(reverse("api-service-request-detail", kwargs={"code": code})).content.decode()
    )
