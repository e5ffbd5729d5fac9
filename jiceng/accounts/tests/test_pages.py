"""The account pages and API endpoints: what an organization admin can do through them, and that no
one sees an account, organization or member outside their subtree through any of them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.accounts import services
from jiceng.accounts.models import AdminNotice
from jiceng.core.models import RoleAssignment, User
from jiceng.orgs import services as orgs

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch_admin(world):
    """An organization admin of the general branch 0103 (and so of 010301 only)."""
    user = User.objects.create_user("ga", full_name="总支管理员")
    RoleAssignment.objects.create(user=user, org=world.general, role="org_admin")
    return user


def _pages(world):
    role = RoleAssignment.objects.get(user=world.bob, role="secretary")
    return [
        ("get", reverse("accounts:user", args=[world.bob.pk]), {}),
        ("post", reverse("accounts:grant", args=[world.bob.pk]), {"org": "0102", "role": "viewer"}),
        ("post", reverse("accounts:reset", args=[world.bob.pk]), {}),
        ("post", reverse("accounts:active", args=[world.bob.pk]), {"active": "0"}),
        ("post", reverse("accounts:withdraw", args=[role.pk]), {}),
        ("get", f"/api/v1/accounts/users/{world.bob.pk}/", {}),
        ("post", f"/api/v1/accounts/users/{world.bob.pk}/roles/", {"org": "0102", "role": "viewer"}),
        ("post", f"/api/v1/accounts/users/{world.bob.pk}/reset-password/", {}),
        ("post", f"/api/v1/accounts/users/{world.bob.pk}/active/", {"active": False}),
        ("delete", f"/api/v1/accounts/roles/{role.pk}/", {}),
    ]


def test_nothing_outside_the_subtree_answers_anything_but_404(world, client, branch_admin):
    client.force_login(branch_admin)
    for method, url, data in _pages(world):
        kwargs = {"content_type": "application/json"} if url.startswith("/api/") else {}
        response = (
            getattr(client, method)(url, data, **kwargs) if data or method != "delete" else client.delete(url)
        )
        assert response.status_code == 404, (method, url, response.status_code)
    world.bob.refresh_from_db()
    assert world.bob.is_active and RoleAssignment.objects.filter(user=world.bob).count() == 1
    listing = client.get(reverse("accounts:users")).content.decode()
    assert "bob" not in listing and "alice" not in listing
    listed = [u["username"] for u in client.get("/api/v1/accounts/users/").json()["results"]]
    assert listed == ["ga"]  # only accounts of its own subtree: itself
    assert client.get("/api/v1/accounts/users/?q=bob").json()["count"] == 0
    # Organizations and members outside: reported as unknown, never named.
    response = client.post(
        "/api/v1/accounts/users/", {"username": "x", "org": "0102"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["errors"]["org"][0]["code"] == "unknown_org"
    assert "新华村" not in response.content.decode()
    response = client.post(
        "/api/v1/accounts/activation-codes/",
        {"member": world.members_a[1].pk},
        content_type="application/json",
    )
    assert response.status_code in (400, 404) and "王芳" not in response.content.decode()
    assert client.get("/api/v1/accounts/secretaries/?org=01").status_code == 400
    assert client.post(reverse("accounts:secretaries"), {"org": "01"}).status_code == 404


def test_users_without_the_manage_right_get_404_on_the_management_pages(world, client):
    for user in (world.alice, world.viewer, world.dora, world.charlie):
        client.force_login(user)
        for name in ("users", "create", "secretaries"):
            assert client.get(reverse(f"accounts:{name}")).status_code == 404, (user, name)
        assert client.get(reverse("accounts:user", args=[world.bob.pk])).status_code == 404


def test_notices_reach_only_admins_over_the_branch(world, client, branch_admin):
    services.sync_secretary_roles(org_ids=[world.branch_b.pk])  # known, without a secretary
    orgs.set_secretary(
        actor=world.county_admin, org=world.branch_b, member=world.members_b[2], since=dt.date(2025, 1, 1)
    )
    services.sync_secretary_roles(org_ids=[world.branch_b.pk])
    client.force_login(world.county_admin)
    assert "吴霞" in client.get(reverse("accounts:users")).content.decode()
    assert [n["org"] for n in client.get("/api/v1/accounts/notices/").json()["results"]] == ["0102"]
    client.force_login(branch_admin)
    assert "吴霞" not in client.get(reverse("accounts:users")).content.decode()
    assert client.get("/api/v1/accounts/notices/").json()["count"] == 0
    assert client.post("/api/v1/accounts/notices/dismiss/", {}, content_type="application/json").json() == {
        "count": 0
    }
    assert AdminNotice.objects.filter(dismissed_at__isnull=True).count() == 1
    client.force_login(world.county_admin)
    client.post(reverse("accounts:dismiss"))
    assert not AdminNotice.objects.filter(dismissed_at__isnull=True).exists()


def test_an_admin_creates_grants_resets_and_deactivates_through_the_pages(world, client):
    client.force_login(world.county_admin)
    response = client.post(
        reverse("accounts:create"), {"username": "lisi", "full_name": "李四", "org": "0102", "role": "viewer"}
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    user = User.objects.get(username="lisi")
    password = response.context["password"]
    assert user.check_password(password) and password in response.content.decode()
    response = client.post(
        reverse("accounts:create"),
        {"username": "lisi2", "full_name": "李四", "org": "0103", "role": "secretary"},
    )
    assert "只能授予在党支部上" in response.content.decode()
    assert not User.objects.filter(username="lisi2").exists()  # nothing partial saved
    response = client.post(
        reverse("accounts:create"), {"username": "lisi3", "full_name": "李四", "org": "9999"}
    )
    assert "没有找到您可管理的组织编码" in response.content.decode()
    response = client.post(reverse("accounts:grant", args=[user.pk]), {"org": "0103", "role": "secretary"})
    assert response.status_code == 400 and "只能授予在党支部上" in response.content.decode()
    client.post(reverse("accounts:grant", args=[user.pk]), {"org": "0103", "role": "org_admin"})
    assert RoleAssignment.objects.filter(user=user, org=world.general, role="org_admin").exists()
    page = client.get(reverse("accounts:user", args=[user.pk])).content.decode()
    assert "机关第一党总支" in page and "重置为一次性密码" in page
    client.post(reverse("accounts:active", args=[user.pk]), {"active": "0"})
    user.refresh_from_db()
    assert not user.is_active


def test_the_secretary_sheet_is_the_answer_to_the_post(world, client):
    from .helpers import elect

    elect(world, secretary=world.members_a[1])
    client.force_login(world.county_admin)
    overview = client.get(reverse("accounts:secretaries")).content.decode()
    assert "王芳" in overview and "尚无账号的书记 1 人" in overview
    response = client.post(reverse("accounts:secretaries"), {"org": "01"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in response["Cache-Control"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][2:4] == ("王芳", "wangfang")
    again = client.post(reverse("accounts:secretaries"), {"org": "01"})
    assert again.status_code == 302  # nothing left to create: no second sheet


def test_the_api_creates_and_lists(world, client):
    client.force_login(world.county_admin)
    response = client.post(
        "/api/v1/accounts/users/",
        {"username": "wf", "org": "0101", "member": world.members_a[1].pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["member"]["name"] == "王芳" and body["user"]["must_change_password"] is True
    assert "no-store" in response["Cache-Control"]
    user = User.objects.get(username="wf")
    assert user.check_password(body["one_time_password"])
    names = [u["username"] for u in client.get("/api/v1/accounts/users/").json()["results"]]
    assert "wf" in names and "root" not in names and "charlie" not in names
    from .helpers import elect

    elect(world, secretary=world.members_b[1])
    response = client.post("/api/v1/accounts/secretaries/", {"org": "0102"}, content_type="application/json")
    assert response.status_code == 201 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    assert (
        client.post(
            "/api/v1/accounts/secretaries/", {"org": "0102"}, content_type="application/json"
        ).status_code
        == 400
    )


def test_the_account_list_asks_a_fixed_number_of_queries(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.county_admin)
    url = reverse("accounts:users")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(10):
        services.create_user(
            actor=world.county_admin, username=f"u{i}", full_name="某人", org=world.branch_a, role="viewer"
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
