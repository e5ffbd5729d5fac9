"""One-time passwords force a change: until the account chooses its own password every page leads to
the password page, the API refuses the session and no API token is issued."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.accounts import services
from jiceng.accounts.models import AccountState
from jiceng.core.models import ObjectChange

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Hongqi-Piaopiao-2026"


def _login(client, username, password):
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def test_a_one_time_password_must_be_changed_before_anything_else(world, client):
    password = services.reset_password(actor=world.county_admin, user=world.bob)
    _login(client, "bob", password)
    page = reverse("accounts:password_change")
    for url in ("/", "/members/", "/orgs/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(page)
    api = client.get("/api/v1/members/")
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"
    # The same password again is refused; a weak one too; each error names its field.
    response = client.post(
        page, {"old_password": password, "new_password1": password, "new_password2": password}
    )
    assert response.status_code == 200 and "新密码不能与当前密码相同" in response.content.decode()
    response = client.post(
        page, {"old_password": password, "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200
    response = client.post(
        page + "?next=/members/",
        {
            "old_password": password,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "next": "/members/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/members/"
    assert client.get("/members/").status_code == 200  # still signed in, free to go
    world.bob.refresh_from_db()
    assert world.bob.check_password(NEW_PASSWORD)
    assert not AccountState.objects.get(user=world.bob).must_change_password
    assert ObjectChange.objects.filter(user=world.bob, message="修改密码").exists()


def test_the_flag_holds_for_a_new_session_too(world, client):
    password = services.reset_password(actor=world.county_admin, user=world.bob)
    _login(client, "bob", password)
    client.post(reverse("logout"))
    _login(client, "bob", password)
    assert client.get("/").status_code == 302


def test_no_api_token_for_a_one_time_password(world, client):
    password = services.reset_password(actor=world.county_admin, user=world.bob)
    response = client.post(
        "/api/v1/auth/token/", {"username": "bob", "password": password}, content_type="application/json"
    )
    assert response.status_code == 403 and "token" not in response.json()
    from jiceng.core.models import ApiToken as Token

    assert not Token.objects.filter(user=world.bob).exists()


def test_a_reset_ends_the_accounts_open_sessions(world, client):
    client.force_login(world.bob)
    assert client.get("/members/").status_code == 200
    services.reset_password(actor=world.county_admin, user=world.bob)
    assert client.get("/members/").status_code == 302  # to the login page: the hash changed
