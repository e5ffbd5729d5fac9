"""Login: lockout after repeated failures, argon2 hashes, and every attempt in the audit trail."""

import pytest
from django.test import override_settings

from conftest import PASSWORD
from jiceng.core.models import ObjectChange


def post_login(client, username, password):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR="10.0.0.7")


def test_successful_and_failed_logins_are_audited(world, client):
    post_login(client, "alice", "not-her-password")
    failed = ObjectChange.objects.get(action="login_failed")
    assert failed.object_repr == "alice" and failed.user is None
    response = post_login(client, "alice", PASSWORD)
    assert response.status_code == 302
    ok = ObjectChange.objects.get(action="login")
    assert ok.user == world.alice and ok.source == "web" and ok.request_id


def test_lockout_after_five_failures_even_with_the_right_password(world, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_login(client, "bob", "wrong-wrong-wrong").status_code == 200
    assert post_login(client, "bob", "wrong-wrong-wrong").status_code == 429  # the fifth failure locks
    response = post_login(client, "bob", PASSWORD)
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked out (lockout is per username and address).
    assert post_login(client, "alice", PASSWORD).status_code == 302


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"])
def test_passwords_are_stored_with_argon2():
    from jiceng.core.models import User

    user = User.objects.create_user("hashcheck", password="a-long-password-123")
    assert user.password.startswith("argon2$")
    assert user.check_password("a-long-password-123")
