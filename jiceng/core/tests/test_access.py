"""Issue 11, item 3: lockout, client address, API tokens, two-step verification, password change,
the field key's strength. Each test reproduces an attack as the tester saw it."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from conftest import PASSWORD
from jiceng.core import tokens
from jiceng.core.access import key_entropy_bits
from jiceng.core.models import ApiToken, ObjectChange
from jiceng.core.tests.test_settings import production_env, run_manage


def login(username: str, password: str, address: str, **headers: str):  # noqa: ANN201
    return Client().post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


# Lockout -----------------------------------------------------------------------------------------


def test_wrong_passwords_from_many_addresses_lock_the_user_name(world, settings):
    """The attack: 28 wrong passwords for one user from 7 addresses all went through, then the right
    one signed in. Now the fifth failure locks the name, from whatever address."""
    answers = [login("bob", "wrong-wrong-wrong", f"10.0.0.{1 + i % 7}").status_code for i in range(28)]
    assert answers[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(answers[settings.AXES_FAILURE_LIMIT - 1 :]) == {429}
    assert login("bob", PASSWORD, "10.0.0.99").status_code == 429  # even the right password, elsewhere
    # Other users, from the same addresses, are not locked.
    assert login("alice", PASSWORD, "10.0.0.1").status_code == 302


def test_one_address_trying_many_names_is_locked_more_slowly(world, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    for i in range(8):
        login(f"nobody{i}", "wrong-wrong-wrong", "10.9.9.9")
    assert login("alice", PASSWORD, "10.9.9.9").status_code == 429  # the address is locked
    assert login("alice", PASSWORD, "10.9.9.10").status_code == 302  # another address is not


# The client address behind a proxy ------------------------------------------------------------------


def test_the_audit_records_the_client_behind_a_trusted_proxy(world, settings):
    """The attack: behind the documented proxy every login was recorded from 127.0.0.1, and every user
    shared one address (anyone could lock everyone's address out)."""
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.1.0.0/16"]
    response = login("alice", PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.1.2.3")
    assert response.status_code == 302
    assert ObjectChange.objects.get(action="login").ip_address == "203.0.113.9"
    # From a peer that is not a trusted proxy the header is ignored (anyone can write it).
    login("alice", "wrong-wrong-wrong", "198.51.100.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert ObjectChange.objects.get(action="login_failed").ip_address == "198.51.100.7"


def test_clients_behind_the_proxy_are_counted_apart(world, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    for i in range(6):
        login(f"nobody{i}", "wrong-wrong-wrong", "127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert login("alice", PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66").status_code == 429
    assert login("alice", PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.67").status_code == 302


# API tokens --------------------------------------------------------------------------------------


def _api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_stolen_database_holds_no_usable_token(world):
    key = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}).json()["token"]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from the schema)
            assert key not in repr(cursor.fetchall()), table
    stored = ApiToken.objects.get(user=world.alice)
    assert _api(stored.key_digest).get("/api/v1/me/").status_code == 401  # the digest is no key
    assert _api(key).get("/api/v1/me/").status_code == 200


def test_tokens_expire(world, settings):
    settings.API_TOKEN_DAYS = 7
    token, key = tokens.issue(user=world.alice)
    assert token.expires_at - timezone.now() > dt.timedelta(days=6, hours=23)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = _api(key).get("/api/v1/me/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_owner_lists_and_revokes_tokens_on_a_page(world, client_for):
    mine, key = tokens.issue(user=world.alice)
    _, bobs = tokens.issue(user=world.bob)
    client = client_for(world.alice)
    page = client.get("/core/account/tokens/").content.decode()
    assert mine.prefix in page and bobs[:8] not in page and key not in page
    bob_token = ApiToken.objects.get(user=world.bob)
    assert (
        client.post("/core/account/tokens/", {"action": "revoke", "token": bob_token.pk}).status_code == 404
    )
    assert _api(bobs).get("/api/v1/orgs/").status_code == 200
    assert client.post("/core/account/tokens/", {"action": "revoke", "token": mine.pk}).status_code == 302
    assert _api(key).get("/api/v1/me/").status_code == 401
    assert ObjectChange.objects.filter(action="delete", message="撤销API令牌", user=world.alice).exists()


def test_a_password_change_revokes_every_token(world, client_for):
    _, key = tokens.issue(user=world.alice)
    client = client_for(world.alice)
    assert client.get("/core/account/password/").status_code == 200
    wrong = client.post(
        "/core/account/password/",
        {
            "old_password": "not-it",
            "new_password1": "a-new-long-pass-2026",
            "new_password2": "a-new-long-pass-2026",
        },
    )
    assert wrong.status_code == 200 and _api(key).get("/api/v1/me/").status_code == 200
    response = client.post(
        "/core/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-pass-2026",
            "new_password2": "a-new-long-pass-2026",
        },
    )
    assert response.status_code == 302
    assert _api(key).get("/api/v1/me/").status_code == 401
    world.alice.refresh_from_db()
    assert world.alice.check_password("a-new-long-pass-2026")
    assert client.get("/").status_code == 200  # this session stays signed in
    assert ObjectChange.objects.filter(action="update", message="修改密码", user=world.alice).exists()


def test_totp_enrolment_revokes_tokens_obtained_before_it(world, client_for):
    """The attack: a token obtained before TOTP enrolment kept working after it."""
    _, key = tokens.issue(user=world.county_admin)
    client = client_for(world.county_admin)  # an organization admin: /core/otp/ was 404 for them
    assert client.post("/core/otp/", {"action": "start"}).status_code == 302
    device = TOTPDevice.objects.get(user=world.county_admin)
    assert client.post("/core/otp/", {"action": "confirm", "token": code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert _api(key).get("/api/v1/me/").status_code == 401
    assert not ApiToken.objects.filter(user=world.county_admin).exists()


# Two-step verification required ---------------------------------------------------------------------


def test_totp_is_required_of_those_who_can_reveal_numbers(world, settings, client_for):
    settings.REQUIRE_TOTP = True
    client = client_for(world.alice)  # a secretary: may reveal her branch's numbers
    response = client.get(f"/members/{world.members_a[0].pk}/")
    assert response.status_code == 302 and response["Location"] == "/core/otp/"
    assert client.post(f"/members/{world.members_a[0].pk}/reveal/").status_code == 302
    assert not ObjectChange.objects.filter(action="reveal").exists()
    api = client.get("/api/v1/members/")
    assert api.status_code == 403 and api.json()["code"] == "two_factor_required"
    # No token either, until a device is enrolled.
    refused = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD})
    assert refused.json()["errors"]["otp_token"][0]["code"] == "two_factor_required"
    assert not ApiToken.objects.exists()
    # The enrolment page answers; a viewer (who cannot reveal) is not held.
    assert client.get("/core/otp/").status_code == 200
    assert client_for(world.viewer).get("/members/").status_code == 200
    # Once enrolled and verified, the pages open, and the device cannot be removed.
    client = client_for(world.alice)
    client.post("/core/otp/", {"action": "start"})
    device = TOTPDevice.objects.get(user=world.alice)
    client.post("/core/otp/", {"action": "confirm", "token": code(device)})
    assert client.get(f"/members/{world.members_a[0].pk}/").status_code == 200
    assert client.post("/core/otp/", {"action": "remove"}).status_code == 400
    assert TOTPDevice.objects.filter(user=world.alice, confirmed=True).exists()


# The field key -----------------------------------------------------------------------------------


def test_key_entropy_estimate():
    assert key_entropy_bits(secrets.token_urlsafe(32)) >= 256
    assert key_entropy_bits(secrets.token_hex(32)) >= 256
    assert key_entropy_bits(secrets.token_urlsafe(16)) < 256
    assert key_entropy_bits("a" * 100) < 256
    assert key_entropy_bits("jiceng-field-key-" * 4) < 256


@pytest.mark.sqlite_pass
@pytest.mark.parametrize(
    "weak", ["changeme", "jiceng-jiceng-jiceng-jiceng-jiceng-jiceng", "9c1e5b7a04d3f2e86b0a9c1d7e3f5a2b"]
)
def test_check_deploy_refuses_a_weak_field_key(tmp_path, weak):
    env = production_env(tmp_path) | {"JICENG_FIELD_KEY": weak}
    result = run_manage(["check", "--deploy"], env)
    assert result.returncode != 0
    assert "JICENG_FIELD_KEY" in result.stderr and "jiceng.E001" in result.stderr
