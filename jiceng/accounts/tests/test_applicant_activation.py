"""An applicant for membership (入党申请人, 积极分子, 发展对象: a development file, no member record) opens
their own account with the identity number on their file and a code the branch made from the file's
page: single use, expiring, rate limited as the members' codes; the account is linked to the file, holds
no role, and follows the person to their member record when the branch admits them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from conftest import make_id
from jiceng.accounts import services
from jiceng.accounts.models import AccountState, ActivationAttempt, ActivationCode
from jiceng.core.models import ObjectChange, RoleAssignment, User
from jiceng.development import services as development_services
from jiceng.development.models import Development, StepKind
from jiceng.development.tests.helpers import person, walk

from .helpers import committed

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Hongqi-Piaopiao-2026"


def applicant(world, seq: int = 1, days: int = 10) -> Development:  # noqa: ANN001
    return development_services.apply(
        actor=world.alice,
        org=world.branch_a,
        on=timezone.localdate() - dt.timedelta(days=days),
        **person(seq, name=f"申请人{seq}"),
    )


def _activate(number: str, code: str, *, username: str = "shenqing", ip: str = "10.0.0.1") -> User:
    return services.activate_account(
        id_number=number, code=code, username=username, password=NEW_PASSWORD, ip_address=ip
    )


def test_an_applicant_activates_with_the_number_on_their_file(world) -> None:  # noqa: ANN001
    development = applicant(world)
    activation, code = services.issue_development_code(actor=world.alice, development=development)
    assert activation.development == development and activation.member is None
    assert code not in activation.code_digest and len(activation.code_digest) == 64
    assert code not in str(
        ObjectChange.objects.filter(object_id=activation.pk).values_list("postchange_data")
    )
    user = _activate(development.reveal_id_number(), code.lower().replace("-", ""))
    development.refresh_from_db()
    assert development.user == user and user.check_password(NEW_PASSWORD)
    assert user.full_name == development.name
    # No role: what the account sees is the person's own file; administrators of the branch see it.
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert AccountState.objects.get(user=user).home_org == world.branch_a
    assert ActivationCode.objects.get(pk=activation.pk).used_at is not None
    assert ObjectChange.objects.filter(message="入党申请人凭激活码开通账号", object_id=user.pk).exists()


def test_a_wrong_number_an_expired_or_a_used_code_is_refused_alike(world) -> None:  # noqa: ANN001
    development = applicant(world)
    number = development.reveal_id_number()
    activation, code = services.issue_development_code(actor=world.alice, development=development)
    messages = []
    for typed, attempt in [
        (make_id(dt.date(1990, 1, 1), 777), code),  # a number that is on no file
        (world.members_a[1].reveal_id_number(), code),  # a member's number with the applicant's code
        (number, "AAAA-AAAA"),  # the right number, a wrong code
    ]:
        with pytest.raises(ValidationError) as caught:
            _activate(typed, attempt)
        assert caught.value.error_dict["code"][0].code == "activation_invalid"
        messages.append(caught.value.message_dict)
    assert messages[0] == messages[1] == messages[2]
    # expired
    ActivationCode.objects.filter(pk=activation.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(ValidationError):
        _activate(number, code)
    # a new code ends the earlier one; once used, it is spent
    _first, old = services.issue_development_code(actor=world.alice, development=development)
    _second, new = services.issue_development_code(actor=world.alice, development=development)
    with pytest.raises(ValidationError):
        _activate(number, old)
    assert _activate(number, new).username == "shenqing"
    with pytest.raises(ValidationError):
        _activate(number, new, username="other")
    assert not User.objects.filter(username="other").exists()


def test_failures_are_rate_limited_per_identity_number(world) -> None:  # noqa: ANN001
    development = applicant(world)
    number = development.reveal_id_number()
    _activation, code = services.issue_development_code(actor=world.alice, development=development)
    for i in range(services.ATTEMPTS_PER_ID):
        with pytest.raises(ValidationError):
            _activate(number, "WRONG-CODE", ip=f"10.0.1.{i}")
    with pytest.raises(services.ActivationRefused):  # even the right code, from another address
        _activate(number, code, ip="10.0.2.1")
    ActivationAttempt.objects.update(at=timezone.now() - services.ATTEMPT_WINDOW - dt.timedelta(minutes=1))
    assert _activate(number, code).username == "shenqing"


def test_only_the_branch_may_make_codes_and_only_for_an_open_file_without_an_account(world) -> None:  # noqa: ANN001
    development = applicant(world)
    with pytest.raises(Http404):  # another branch's secretary
        services.issue_development_code(actor=world.bob, development=development)
    with pytest.raises(Http404):  # a member
        services.issue_development_code(actor=world.dora, development=development)
    with pytest.raises(PermissionDenied):  # a viewer sees, but may not change
        services.issue_development_code(actor=world.viewer, development=development)
    _activation, code = services.issue_development_code(actor=world.alice, development=development)
    _activate(development.reveal_id_number(), code)
    with pytest.raises(ValidationError) as caught:
        services.issue_development_code(actor=world.alice, development=development)
    assert caught.value.error_dict["development"][0].code == "development_has_account"
    withdrawn = applicant(world, seq=2)
    development_services.record_step(
        actor=world.alice, development=withdrawn, kind=StepKind.WITHDRAWAL, on=timezone.localdate()
    )
    with pytest.raises(ValidationError) as caught:
        services.issue_development_code(actor=world.alice, development=withdrawn)
    assert caught.value.error_dict["development"][0].code == "development_closed"


def test_a_code_made_before_the_file_closed_no_longer_opens_an_account(world) -> None:  # noqa: ANN001
    development = applicant(world)
    _activation, code = services.issue_development_code(actor=world.alice, development=development)
    development_services.record_step(
        actor=world.alice, development=development, kind=StepKind.WITHDRAWAL, on=timezone.localdate()
    )
    with pytest.raises(ValidationError):
        _activate(development.reveal_id_number(), code)


def test_the_account_follows_the_person_to_their_member_record(world) -> None:  # noqa: ANN001
    """Admission makes the member record: the applicant's account is linked to it with the member role
    on the branch, and keeps working (the home shows the member's record and the timeline)."""
    development = walk(world, until=StepKind.PRE_REVIEW, name="钱发展")
    _activation, code = services.issue_development_code(actor=world.alice, development=development)
    user = _activate(development.reveal_id_number(), code)
    assert not RoleAssignment.objects.filter(user=user).exists()
    with committed():
        development_services.record_step(
            actor=world.alice,
            development=development,
            kind=StepKind.ADMISSION,
            on=development.stage_since + dt.timedelta(days=60),
            voting_members=5,
            voters_present=5,
            votes_yes=5,
        )
    development.refresh_from_db()
    assert development.member.user == user
    assert RoleAssignment.objects.filter(user=user, org=world.branch_a, role="member").exists()
    from django.test import Client

    client = Client()
    client.force_login(user)
    home = client.get("/").content.decode()
    assert "我的党员信息" in home and "我的入党进程" in home and "预备党员" in home
    assert client.get(reverse("members:me")).status_code == 200


def test_a_probationary_member_without_an_account_activates_through_their_file(world) -> None:  # noqa: ANN001
    development = walk(world, until=StepKind.ADMISSION, name="钱预备")
    _activation, code = services.issue_development_code(actor=world.alice, development=development)
    user = _activate(development.reveal_id_number(), code)
    development.refresh_from_db()
    assert development.user == user and development.member.user == user
    assert RoleAssignment.objects.filter(user=user, org=world.branch_a, role="member").exists()


def test_the_file_page_makes_a_code_shown_once(world, client_for) -> None:  # noqa: ANN001
    development = applicant(world)
    detail = reverse("development:detail", args=[development.pk])
    url = reverse("accounts:development_code", args=[development.pk])
    page = client_for(world.alice).get(detail).content.decode()
    assert url in page and "生成激活码" in page
    response = client_for(world.alice).post(url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert 'id="issued-code"' in text and development.name in text
    code = text.split("<strong>", 1)[1].split("</strong>", 1)[0]
    assert _activate(development.reveal_id_number(), code).username == "shenqing"
    page = client_for(world.alice).get(detail).content.decode()
    assert 'id="account-state"' in page and url not in page
    # Once the account exists, a new code is refused with the reason on the file's page.
    response = client_for(world.alice).post(url, follow=True)
    assert "已有登录账号" in response.content.decode()
    # Scope: 404 outside the subtree, 403 where the user may view but not change, GET not allowed.
    other = applicant(world, seq=2)
    other_url = reverse("accounts:development_code", args=[other.pk])
    assert client_for(world.bob).post(other_url).status_code == 404
    assert client_for(world.dora).post(other_url).status_code == 404
    assert client_for(world.viewer).post(other_url).status_code == 403
    assert client_for(world.alice).get(other_url).status_code == 405
    assert not ActivationCode.objects.filter(development=other).exists()


def test_the_api_makes_codes_for_files_and_activates_applicants(world, api) -> None:  # noqa: ANN001
    development = applicant(world)
    url = "/api/v1/accounts/activation-codes/"
    assert api("bob").post(url, {"development": development.pk}, format="json").status_code == 400
    assert api("viewer").post(url, {"development": development.pk}, format="json").status_code == 403
    both = api("alice").post(url, {"development": development.pk, "member": 1}, format="json")
    assert both.status_code == 400
    assert api("alice").post(url, {}, format="json").status_code == 400
    made = api("alice").post(url, {"development": development.pk}, format="json")
    assert made.status_code == 201 and made["Cache-Control"] == "no-store"
    body = made.json()
    assert body["development"] == development.pk and body["member"] is None
    anonymous = api("anonymous")
    opened = anonymous.post(
        "/api/v1/accounts/activate/",
        {
            "id_number": development.reveal_id_number(),
            "code": body["code"],
            "username": "shenqing",
            "password": NEW_PASSWORD,
        },
        format="json",
    )
    assert opened.status_code == 201 and opened.json()["username"] == "shenqing"
    development.refresh_from_db()
    assert development.user.username == "shenqing"


def test_the_activation_page_opens_an_applicants_account(world, client) -> None:  # noqa: ANN001
    development = applicant(world)
    _activation, code = services.issue_development_code(actor=world.alice, development=development)
    data = {
        "id_number": development.reveal_id_number(),
        "code": "XXXX-XXXX",
        "username": "shenqing",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    response = client.post(reverse("accounts:activate"), data)
    assert response.status_code == 400 and "激活码不正确" in response.content.decode()
    response = client.post(reverse("accounts:activate"), {**data, "code": code})
    assert response.status_code == 302
    client.force_login(User.objects.get(username="shenqing"))
    home = client.get("/").content.decode()
    assert "我的入党进程" in home and "入党申请人" in home


def test_applying_again_keeps_the_account(world) -> None:  # noqa: ANN001
    development = applicant(world, days=40)
    _activation, code = services.issue_development_code(actor=world.alice, development=development)
    user = _activate(development.reveal_id_number(), code)
    development_services.record_step(
        actor=world.alice, development=development, kind=StepKind.WITHDRAWAL, on=timezone.localdate()
    )
    again = development_services.apply(
        actor=world.alice, org=world.branch_a, on=timezone.localdate(), **person(1, name="申请人1")
    )
    assert again.user == user
    with pytest.raises(ValidationError) as caught:
        services.issue_development_code(actor=world.alice, development=again)
    assert caught.value.error_dict["development"][0].code == "development_has_account"
