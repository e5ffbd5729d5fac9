"""Authentication of the REST API: sessions (with CSRF), tokens, the token endpoint and its lockout.

Every endpoint refuses an anonymous caller with a JSON 401; POST /api/v1/auth/token/ signs in through
django.contrib.auth.authenticate, so failures are audited and django-axes locks a user name out.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from conftest import PASSWORD
from jiceng.core import tokens
from jiceng.core.models import ApiToken, ObjectChange

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:  # noqa: ANN001
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def endpoints(world) -> list[tuple[str, str]]:  # noqa: ANN001
    member = world.members_a[1].pk
    return [
        ("get", "/api/v1/orgs/"),
        ("post", "/api/v1/orgs/"),
        ("get", "/api/v1/orgs/0101/"),
        ("patch", "/api/v1/orgs/0101/"),
        ("get", "/api/v1/orgs/0101/summary/"),
        ("get", "/api/v1/orgs/0101/history/"),
        ("post", "/api/v1/orgs/0101/move/"),
        ("post", "/api/v1/orgs/0101/merge/"),
        ("post", "/api/v1/orgs/0101/elections/"),
        ("get", "/api/v1/members/"),
        ("post", "/api/v1/members/"),
        ("get", f"/api/v1/members/{member}/"),
        ("patch", f"/api/v1/members/{member}/"),
        ("get", f"/api/v1/members/{member}/history/"),
        ("post", f"/api/v1/members/{member}/reveal-id/"),
        ("post", f"/api/v1/members/{member}/transfer/"),
        ("get", "/api/v1/me/"),
        ("delete", TOKEN_URL),
    ]


def test_every_endpoint_refuses_an_anonymous_caller(world):
    client = APIClient()
    for method, url in endpoints(world):
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 401, (method, url)
        assert response.json()["code"] == "not_authenticated"
        assert response["WWW-Authenticate"] == "Token"
    assert not ObjectChange.objects.filter(action="reveal").exists()


def test_a_bad_token_is_refused_not_treated_as_anonymous(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get("/api/v1/orgs/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_unknown_api_urls_answer_json(world):
    response = APIClient().get("/api/v1/no/such/thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _obtain(client, username: str, password: str, **extra):  # noqa: ANN001, ANN003
    return client.post(TOKEN_URL, {"username": username, "password": password, **extra}, format="json")


def test_a_token_is_issued_for_the_right_password_and_works(world):
    response = _obtain(APIClient(), "alice", PASSWORD)
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    key = response.json()["token"]
    # Stored only as its digest; each sign-in issues another token.
    assert ApiToken.objects.get(user=world.alice).key_digest == tokens.digest(key)
    assert ObjectChange.objects.filter(action="login", user=world.alice, source="api").exists()
    assert _obtain(APIClient(), "alice", PASSWORD).json()["token"] != key
    assert ApiToken.objects.filter(user=world.alice).count() == 2
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").json()["name"] == "张伟"
    assert client.get(f"/api/v1/members/{world.members_b[0].pk}/").status_code == 404


def test_a_stale_token_does_not_block_obtaining_a_new_one(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token revoked-long-ago")
    assert _obtain(client, "alice", PASSWORD).status_code == 200


def test_a_wrong_password_is_refused_and_audited(world):
    response = _obtain(APIClient(), "alice", "wrong-password")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert [e["code"] for e in body["errors"]["non_field_errors"]] == ["invalid_credentials"]
    assert not ApiToken.objects.exists()
    failed = ObjectChange.objects.get(action="login_failed")
    assert failed.object_repr == "alice" and failed.source == "api"
    # An unknown user name gets the same answer.
    assert _obtain(APIClient(), "nobody", "wrong-password").json() == body


def test_missing_fields_are_a_400_with_field_codes(world):
    response = APIClient().post(TOKEN_URL, {"username": "alice"}, format="json")
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]["password"]] == ["required"]


def test_repeated_failures_lock_the_user_name_out(world):
    client = APIClient()
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        assert _obtain(client, "bob", "wrong-password").status_code in (400, 429)
    response = _obtain(client, "bob", PASSWORD)  # even the right password, now
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "locked_out"
    assert not ApiToken.objects.filter(user=world.bob).exists()
    # Another user name is not locked.
    assert _obtain(client, "alice", PASSWORD).status_code == 200


def test_two_step_accounts_must_send_their_code(world):
    device = TOTPDevice.objects.create(user=world.sysadmin, name="app", confirmed=True)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    client = APIClient()
    response = _obtain(client, "root", PASSWORD)
    assert [e["code"] for e in response.json()["errors"]["otp_token"]] == ["required"]
    response = _obtain(client, "root", PASSWORD, otp_token=wrong)
    assert [e["code"] for e in response.json()["errors"]["otp_token"]] == ["invalid_token"]
    assert ObjectChange.objects.filter(action="login_failed", object_repr="root").exists()
    assert not ApiToken.objects.exists()
    # django-otp throttles the device after a failure; a later attempt with the right code passes.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    response = _obtain(client, "root", PASSWORD, otp_token=code)
    assert response.status_code == 200, response.content
    assert ApiToken.objects.filter(user=world.sysadmin).exists()


def test_a_token_can_be_revoked(world):
    other = tokens.issue(user=world.alice)[1]
    key = tokens.issue(user=world.alice)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.delete(TOKEN_URL).status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    # Only the token the call was made with.
    client.credentials(HTTP_AUTHORIZATION=f"Token {other}")
    assert client.get("/api/v1/me/").status_code == 200


def test_token_writes_need_no_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(user=world.alice)[1]}")
    response = client.patch("/api/v1/orgs/0101/", {"name": "改名"}, format="json")
    assert response.status_code == 200


def test_session_writes_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    url = "/api/v1/orgs/0101/"
    refused = client.patch(url, '{"name": "改名"}', content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    # Reads need none; with the CSRF cookie and its header the write goes through.
    assert client.get(url).status_code == 200
    token = "a" * 32  # the CSRF cookie a page would have set, echoed in the header as app.js does
    client.cookies["csrftoken"] = token
    accepted = client.patch(url, '{"name": "改名"}', content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["name"] == "改名"


def test_the_openapi_schema_is_served(world):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert {"/api/v1/orgs/", "/api/v1/members/{id}/reveal-id/", "/api/v1/me/", TOKEN_URL} <= set(paths)
    ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
