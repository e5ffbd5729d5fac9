"""Optional single sign-on (OpenID Connect) with a mocked identity provider: no network.

The provider's token and userinfo answers are replaced by the claims each test names; the rest of the
flow (state, session, matching, login, audit) is mozilla-django-oidc's and jiceng's own.
"""

from __future__ import annotations

from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from conftest import PASSWORD
from jiceng.accounts.oidc import Backend
from jiceng.core.models import ObjectChange, RoleAssignment, User

AUTHORIZE = "https://id.example.gov.cn/oauth2/authorize"


@pytest.fixture
def sso(settings):
    settings.OIDC_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "jiceng.accounts.oidc.Backend"]
    settings.OIDC_RP_CLIENT_ID = "jiceng"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = AUTHORIZE
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://id.example.gov.cn/oauth2/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://id.example.gov.cn/oauth2/userinfo"
    settings.OIDC_RP_SIGN_ALGO = "HS256"
    settings.OIDC_CREATE_USER = False
    settings.JICENG_OIDC_CLAIM = "preferred_username"
    return settings


def sign_in(client, claims):
    """The whole round trip: jiceng → provider (mocked) → jiceng's callback. Returns the last answer."""
    start = client.get(reverse("oidc_authentication_init"))
    assert start.status_code == 302 and start["Location"].startswith(AUTHORIZE)
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["client_id"] == ["jiceng"] and "code_challenge" in query  # PKCE
    with (
        mock.patch.object(Backend, "get_token", return_value={"id_token": "id", "access_token": "at"}),
        mock.patch.object(Backend, "verify_token", return_value={"sub": "42"}),
        mock.patch.object(Backend, "get_userinfo", return_value=claims),
    ):
        return client.get(reverse("oidc_authentication_callback"), {"code": "c", "state": query["state"][0]})


def test_off_by_default_no_button_and_no_address(world, client):
    assert "统一身份认证登录" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback"), {"code": "c", "state": "s"}).status_code == 404


def test_a_known_user_signs_in_through_the_platform(world, client, sso):
    assert "统一身份认证登录" in client.get(reverse("login")).content.decode()
    answer = sign_in(client, {"preferred_username": "alice", "email": "x@example.org"})
    assert answer.status_code == 302 and answer["Location"] == reverse("home")
    assert int(client.session["_auth_user_id"]) == world.alice.pk
    assert ObjectChange.objects.filter(user=world.alice, action="login").exists()


def test_matching_uses_the_configured_claim_never_the_email(world, client, sso):
    sso.JICENG_OIDC_CLAIM = "employee_no"
    world.bob.email = "bob@example.org"
    world.bob.save()
    answer = sign_in(
        client, {"preferred_username": "alice", "email": "bob@example.org", "employee_no": "bob"}
    )
    assert answer.status_code == 302
    assert int(client.session["_auth_user_id"]) == world.bob.pk


def test_an_unknown_person_is_refused_by_default(world, client, sso):
    count = User.objects.count()
    answer = sign_in(client, {"preferred_username": "stranger"})
    assert answer["Location"] == reverse("oidc_failed")
    assert "_auth_user_id" not in client.session and User.objects.count() == count
    page = client.get(answer["Location"], follow=True).content.decode()
    assert "统一身份认证登录失败" in page


def test_a_missing_claim_is_refused(world, client, sso):
    answer = sign_in(client, {"email": "alice@example.org"})
    assert answer["Location"] == reverse("oidc_failed") and "_auth_user_id" not in client.session


def test_an_unknown_person_gets_an_account_without_roles_when_configured(world, client, sso):
    sso.OIDC_CREATE_USER = True
    sign_in(client, {"preferred_username": "newcomer", "name": "新来的", "email": "n@example.org"})
    user = User.objects.get(username="newcomer")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert user.full_name == "新来的" and not user.has_usable_password()
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert ObjectChange.objects.filter(action="create", object_repr="newcomer").exists()


def test_a_deactivated_account_is_refused(world, client, sso):
    world.alice.is_active = False
    world.alice.save()
    answer = sign_in(client, {"preferred_username": "alice"})
    assert answer["Location"] == reverse("oidc_failed") and "_auth_user_id" not in client.session


def test_local_accounts_keep_signing_in_with_a_password(world, client, sso):
    answer = client.post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert answer.status_code == 302 and int(client.session["_auth_user_id"]) == world.bob.pk


def test_the_totp_policy_applies_after_single_sign_on(world, client, sso):
    sso.REQUIRE_TOTP = True
    sign_in(client, {"preferred_username": "county"})
    answer = client.get(reverse("home"))
    assert answer.status_code == 302 and answer["Location"] == reverse("core:otp")


def test_a_refused_sign_in_is_audited_and_counts_only_against_the_address(world, client, sso):
    from axes.models import AccessAttempt

    sign_in(client, {"preferred_username": "alice", "email": "a@example.org"})  # fine: nothing counted
    assert not AccessAttempt.objects.exists()
    client.logout()
    sign_in(client, {"preferred_username": "stranger"})
    [attempt] = AccessAttempt.objects.all()
    assert attempt.username is None and attempt.failures_since_start == 1
    assert ObjectChange.objects.filter(action="login_failed", object_repr="").count() == 1
