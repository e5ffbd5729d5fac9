"""Core pages: the landing page per kind of user, sign-in with TOTP, the audit search, TOTP enrolment."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from jiceng.core.models import ObjectChange
from jiceng.core.testing import page
from jiceng.orgs import services


def check_page(response) -> str:
    """A full page: one h1, a label for every input, nothing inline that the CSP blocks, unique ids."""
    return page(response, one_h1=True, unique_ids=True)


def _token(device: TOTPDevice, *, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():0{device.digits}d}"


CORE_PAGES = {
    "/": dict(county_admin=200, alice=200, bob=200, viewer=200, charlie=200, dora=200),  # dora: her own home
    "/core/audit/": dict(county_admin=200, alice=404, bob=404, viewer=404, charlie=404, dora=404),
    # Two-step verification for every user (issue 11, item 3: it was 404 for organization admins).
    "/core/otp/": dict(county_admin=200, alice=200, bob=200, viewer=200, charlie=200, dora=200),
}


@pytest.mark.parametrize("who", ["county_admin", "alice", "bob", "viewer", "charlie", "dora"])
def test_every_core_page_answers_by_role(world, client_for, who):
    client = client_for(getattr(world, who))
    got = {url: client.get(url).status_code for url in CORE_PAGES}
    assert got == {url: expected[who] for url, expected in CORE_PAGES.items()}


# Home -------------------------------------------------------------------------------------------


def test_home_for_an_org_admin_links_the_scope_root_with_numbers(world, client_for):
    page = check_page(client_for(world.county_admin).get("/"))
    assert 'href="/orgs/01/"' in page and "东城街道党工委" in page
    main = page.split("<main", 1)[1]
    assert re.search(r"党员总数</dt>\s*<dd[^>]*>10<", main)
    assert re.search(r"预备党员</dt>\s*<dd[^>]*>1<", main)
    assert 'href="/core/audit/"' in main


def test_home_for_a_secretary_shows_only_her_branch(world, client_for):
    page = client_for(world.alice).get("/").content.decode()
    assert 'href="/orgs/0101/"' in page and re.search(r"党员总数</dt>\s*<dd[^>]*>6<", page)
    assert "/orgs/01/" not in page and "/orgs/0102/" not in page and "新华村" not in page
    assert 'href="/core/audit/"' not in page


def test_home_shows_a_member_her_own_things(world, client_for):
    response = client_for(world.dora).get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "我的党员信息" in page and "赵敏" in page and "我参加的组织生活" in page


@pytest.mark.parametrize("who", ["charlie", "sysadmin"])
def test_home_for_a_user_without_organization(world, client_for, who):
    page = check_page(client_for(getattr(world, who)).get("/"))
    assert "您还没有所属的党组织" in page and "联系系统管理员" in page
    assert "/orgs/01/" not in page and "东城街道党工委" not in page


def test_home_needs_a_login(db, client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# Sign-in and sign-out ---------------------------------------------------------------------------


def test_login_without_a_device_needs_only_the_password(world, client):
    page = client.get("/login/").content.decode()
    # no code field on the first step, for anyone
    assert (
        'name="otp_token"' not in page
        and 'name="otp_device"' not in page
        and 'name="otp_challenge"' not in page
    )
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/login/").status_code == 302  # already signed in


def test_login_with_a_wrong_password_fails(world, client):
    response = client.post("/login/", {"username": "alice", "password": "wrong-password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_with_a_confirmed_device_needs_the_token(world, client):
    device = TOTPDevice.objects.create(user=world.sysadmin, name="app", confirmed=True)

    response = client.post("/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 200 and "请输入验证器中的动态验证码" in response.content.decode()
    assert "_auth_user_id" not in client.session

    response = client.post("/login/", {"username": "root", "password": PASSWORD, "otp_token": "000000"})
    assert response.status_code == 200 and "动态验证码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session

    device.refresh_from_db()
    device.throttle_reset()
    response = client.post("/login/", {"username": "root", "password": PASSWORD, "otp_token": _token(device)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world.sysadmin.pk)
    assert client.session.get("otp_device_id") == device.persistent_id


def test_the_code_is_asked_as_a_second_step_after_the_password(world, client):
    device = TOTPDevice.objects.create(user=world.sysadmin, name="app", confirmed=True)
    # a wrong password: the first step again, nothing told about a device
    page = client.post("/login/", {"username": "root", "password": "wrong-password"}).content.decode()
    assert 'name="otp_token"' not in page and 'data-login-step="token"' not in page
    # the right password: the code field alone, the name and password carried hidden
    page = client.post("/login/", {"username": "root", "password": PASSWORD}).content.decode()
    assert 'data-login-step="token"' in page and 'name="otp_token"' in page
    assert re.search(r'<input type="hidden" name="username" value="root"', page)
    assert re.search(r'<input type="hidden" name="password"', page)
    assert 'type="password"' not in page
    assert "_auth_user_id" not in client.session
    device.refresh_from_db()
    device.throttle_reset()
    response = client.post("/login/", {"username": "root", "password": PASSWORD, "otp_token": _token(device)})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(world.sysadmin.pk)
    # a user without a device never sees the second step
    client.logout()
    page = client.post("/login/", {"username": "alice", "password": "wrong-password"}).content.decode()
    assert 'name="otp_token"' not in page


def test_an_unconfirmed_device_does_not_lock_the_user_out(world, client):
    TOTPDevice.objects.create(user=world.sysadmin, name="app", confirmed=False)
    response = client.post("/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 302


def test_logout_is_a_post(world, client_for):
    client = client_for(world.alice)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/").status_code == 302


# Audit search -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "viewer", "charlie", "dora", "sysadmin"])
def test_audit_is_hidden_without_the_audit_right(world, client_for, who):
    assert client_for(getattr(world, who)).get("/core/audit/").status_code == 404


def test_audit_lists_only_records_within_scope(world, client_for):
    outside = services.create_org(
        actor=world.sysadmin,
        parent=None,
        code="02",
        name="西城街道党工委",
        kind="working_committee",
        unit_kind="government",
    )
    assert ObjectChange.objects.filter(org_path=outside.path, object_repr="西城街道党工委").exists()
    services.update_org(actor=world.alice, org=world.branch_a, name="和平社区第一党支部")

    client = client_for(world.county_admin)
    page = check_page(client.get("/core/audit/"))
    assert "和平社区第一党支部" in page and "新华村党支部" in page
    assert "西城街道党工委" not in page
    # Sign-ins have no organization: they belong to the system administrators' view, not this one.
    assert "登录" not in page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]

    page = client.get("/core/audit/", {"user_name": "alice"}).content.decode()
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "和平社区第一党支部" in rows and "新华村党支部" not in rows

    page = client.get("/core/audit/", {"text": "西城"}).content.decode()
    assert "没有符合条件的记录" in page

    page = client.get("/core/audit/", {"action": "update", "text": "和平"}).content.decode()
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert rows.count("<tr>") == 1 and "组织名称" in rows


def test_audit_date_range(world, client_for):
    client = client_for(world.county_admin)
    today = dt.date.today()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    page = client.get("/core/audit/", {"since": tomorrow}).content.decode()
    assert "没有符合条件的记录" in page
    page = client.get("/core/audit/", {"since": tomorrow, "until": today.isoformat()}).content.decode()
    assert "截止日期不能早于起始日期" in page


def test_audit_paginates(world, client_for):
    for i in range(55):
        ObjectChange.objects.create(
            action="update", user_name="bulk", object_repr=f"批量{i}", org_path=world.branch_a.path
        )
    client = client_for(world.county_admin)
    first = client.get("/core/audit/", {"user_name": "bulk"}).content.decode()
    second = client.get("/core/audit/", {"user_name": "bulk", "page": 2}).content.decode()
    assert first.count("批量") == 50 and second.count("批量") == 5
    assert "user_name=bulk&amp;page=2" in first


# TOTP enrolment ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["county_admin", "alice", "viewer", "charlie", "dora"])
def test_otp_page_is_for_every_user(world, client_for, who):
    client = client_for(getattr(world, who))
    assert client.get("/core/otp/").status_code == 200
    assert client.post("/core/otp/", {"action": "start"}).status_code == 302
    assert TOTPDevice.objects.get(user=getattr(world, who)).confirmed is False


def test_superuser_enrolls_confirms_and_removes_a_device(world, client_for):
    client = client_for(world.sysadmin)
    assert "启用两步验证" in client.get("/core/otp/").content.decode()

    assert client.post("/core/otp/", {"action": "start"}).status_code == 302
    device = TOTPDevice.objects.get(user=world.sysadmin)
    assert not device.confirmed
    response = client.get("/core/otp/")
    page = check_page(response)
    assert response["Cache-Control"].startswith("max-age=0")
    from base64 import b32encode

    assert b32encode(device.bin_key).decode() in page
    assert (
        "<svg" in page
        and 'role="img"' in page
        and "style=" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    )

    response = client.post("/core/otp/", {"action": "confirm", "token": "123"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    device.throttle_reset()
    response = client.post("/core/otp/", {"action": "confirm", "token": _token(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert ObjectChange.objects.filter(action="create", object_id=device.pk, message="启用两步验证").exists()
    assert "两步验证已启用" in client.get("/core/otp/").content.decode()

    # A second enrolment is not offered while one is confirmed.
    client.post("/core/otp/", {"action": "start"})
    assert TOTPDevice.objects.filter(user=world.sysadmin).count() == 1

    assert client.post("/core/otp/", {"action": "remove"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=world.sysadmin).exists()
    assert ObjectChange.objects.filter(action="delete", message="停用两步验证").exists()


def test_otp_rejects_an_unknown_action(world, client_for):
    assert client_for(world.sysadmin).post("/core/otp/", {"action": "nonsense"}).status_code == 400
