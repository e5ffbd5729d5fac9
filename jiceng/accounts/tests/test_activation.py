"""Members open their own account with their identity number and a code from their branch: codes
expire, are single use and stored hashed; failures are rate limited per identity number and per
address; a wrong number or code never tells whether the person is a member."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from conftest import make_id
from jiceng.accounts import services
from jiceng.accounts.models import ActivationAttempt, ActivationCode
from jiceng.core.models import ObjectChange, RoleAssignment, User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Hongqi-Piaopiao-2026"


def _id_of(member) -> str:
    return member.reveal_id_number()


def _activate(member_or_number, code, *, username="wangfang", ip="10.0.0.1"):
    number = member_or_number if isinstance(member_or_number, str) else _id_of(member_or_number)
    return services.activate_account(
        id_number=number, code=code, username=username, password=NEW_PASSWORD, ip_address=ip
    )


def test_a_member_activates_with_a_code_from_their_branch(world):
    member = world.members_a[1]
    activation, code = services.issue_activation_code(actor=world.alice, member=member)
    assert code not in activation.code_digest and len(activation.code_digest) == 64
    assert code not in str(
        ObjectChange.objects.filter(object_id=activation.pk).values_list("postchange_data")
    )
    user = _activate(member, code.lower().replace("-", ""))  # case and dash do not matter
    member.refresh_from_db()
    assert member.user == user and user.check_password(NEW_PASSWORD)
    assert RoleAssignment.objects.filter(user=user, org=world.branch_a, role="member").exists()
    assert not services.must_change_password(user)
    with pytest.raises(ValidationError):  # single use
        _activate(member, code, username="other")


def test_codes_expire(world):
    member = world.members_a[1]
    activation, code = services.issue_activation_code(actor=world.alice, member=member)
    ActivationCode.objects.filter(pk=activation.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(ValidationError) as caught:
        _activate(member, code)
    assert caught.value.error_dict["code"][0].code == "activation_invalid"
    assert not User.objects.filter(username="wangfang").exists()


def test_a_new_code_ends_the_earlier_one(world):
    member = world.members_a[1]
    _first, old = services.issue_activation_code(actor=world.alice, member=member)
    _second, new = services.issue_activation_code(actor=world.alice, member=member)
    with pytest.raises(ValidationError):
        _activate(member, old)
    assert _activate(member, new).username == "wangfang"


def test_only_the_branch_may_issue_codes_and_only_for_members_without_an_account(world):
    with pytest.raises(Http404):  # a member sees no one else's record
        services.issue_activation_code(actor=world.dora, member=world.members_a[1])
    with pytest.raises(PermissionDenied):  # a viewer sees, but may not change
        services.issue_activation_code(actor=world.viewer, member=world.members_a[1])
    with pytest.raises(Http404):
        services.issue_activation_code(actor=world.bob, member=world.members_a[1])
    with pytest.raises(ValidationError) as caught:
        services.issue_activation_code(actor=world.alice, member=world.members_a[0])  # alice's own record
    assert caught.value.error_dict["member"][0].code == "member_has_account"


def test_a_wrong_number_and_a_non_member_read_alike(world):
    _activation, code = services.issue_activation_code(actor=world.alice, member=world.members_a[1])
    outsider = make_id(dt.date(1990, 1, 1), 777)
    messages = []
    for number, attempt in [(_id_of(world.members_a[1]), "AAAA-AAAA"), (outsider, code), ("123", code)]:
        with pytest.raises(ValidationError) as caught:
            _activate(number, attempt)
        messages.append(caught.value.message_dict)
    assert messages[0] == messages[1] == messages[2]


def test_failures_are_rate_limited_per_identity_number(world):
    member = world.members_a[1]
    _activation, code = services.issue_activation_code(actor=world.alice, member=member)
    for i in range(services.ATTEMPTS_PER_ID):
        with pytest.raises(ValidationError):
            _activate(member, "WRONG-CODE", ip=f"10.0.1.{i}")
    with pytest.raises(services.ActivationRefused):  # even the right code, from another address
        _activate(member, code, ip="10.0.2.1")
    # A number that belongs to no member is limited exactly alike.
    outsider = make_id(dt.date(1990, 1, 1), 777)
    for i in range(services.ATTEMPTS_PER_ID):
        with pytest.raises(ValidationError):
            _activate(outsider, "WRONG-CODE", ip=f"10.0.3.{i}")
    with pytest.raises(services.ActivationRefused):
        _activate(outsider, "WRONG-CODE", ip="10.0.4.1")
    # The window passes: the member may try again.
    ActivationAttempt.objects.update(at=timezone.now() - services.ATTEMPT_WINDOW - dt.timedelta(minutes=1))
    assert _activate(member, code).username == "wangfang"


def test_failures_are_rate_limited_per_address(world):
    for i in range(services.ATTEMPTS_PER_ADDRESS):
        with pytest.raises(ValidationError):
            _activate(make_id(dt.date(1990, 1, 1), 100 + i), "WRONG-CODE", ip="10.9.9.9")
    with pytest.raises(services.ActivationRefused):
        _activate(make_id(dt.date(1990, 1, 1), 200), "WRONG-CODE", ip="10.9.9.9")


def test_a_recorded_secretary_who_activates_gains_the_secretary_role(world):
    from .helpers import elect

    elect(world, secretary=world.members_a[1])
    _activation, code = services.issue_activation_code(actor=world.alice, member=world.members_a[1])
    user = _activate(world.members_a[1], code)
    assert RoleAssignment.objects.filter(user=user, org=world.branch_a, role="secretary").exists()


def test_activation_page_and_api(world, client):
    member = world.members_a[1]
    _activation, code = services.issue_activation_code(actor=world.alice, member=member)
    page = reverse("accounts:activate")
    bad = {
        "id_number": _id_of(member),
        "code": "XXXX-XXXX",
        "username": "wf",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    response = client.post(page, bad)
    assert response.status_code == 400 and "激活码不正确" in response.content.decode()
    response = client.post(page, {**bad, "code": code, "password1": "12345", "password2": "12345"})
    assert response.status_code == 400 and not User.objects.filter(username="wf").exists()
    response = client.post(page, {**bad, "code": code})
    assert response.status_code == 302 and User.objects.get(username="wf").member == member
    api = client.post(
        "/api/v1/accounts/activate/",
        {"id_number": _id_of(member), "code": code, "username": "wf2", "password": NEW_PASSWORD},
        content_type="application/json",
    )
    assert api.status_code == 400 and api.json()["errors"]["code"][0]["code"] == "activation_invalid"
    for _ in range(services.ATTEMPTS_PER_ID):
        client.post(page, bad)
    response = client.post(page, bad)
    assert response.status_code == 429
