"""Moderation of the public version (the original kept, the reason recorded) and the resident's SMS on
changes of state (only with a sender, a phone and consent; the phone never queued in clear)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.core.models import ObjectChange
from jiceng.core.testing import page
from jiceng.notifications.tests import fakes
from jiceng.services import services
from jiceng.services.models import Category, EventKind, ServiceRequest

pytestmark = pytest.mark.django_db


def _track(token: str) -> str:
    return reverse("requests:track", kwargs={"token": token})


def test_moderation_hides_personal_data_from_the_tracking_page_and_keeps_the_original(
    world, submit, client_for
):  # noqa: ANN001
    req, token = submit(text="隔壁王五（电话13700001234）天天半夜吵闹，这个混蛋", address="3号楼201王五家")
    client = client_for(world.alice)
    detail = page(client.get(reverse("services:detail", kwargs={"code": req.code})), unique_ids=True)
    assert "处理公开内容" in detail
    response = client.post(
        reverse("services:moderate", kwargs={"code": req.code}),
        {"mod-public_text": "邻居半夜吵闹", "mod-public_address": "3号楼", "mod-reason": ""},
    )
    assert response.status_code == 400 and "id_mod-reason_error" in response.content.decode()
    response = client.post(
        reverse("services:moderate", kwargs={"code": req.code}),
        {
            "mod-public_text": "邻居半夜吵闹",
            "mod-public_address": "3号楼",
            "mod-reason": "含他人姓名电话和骂人话",
        },
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert (
        req.text.startswith("隔壁王五")
        and req.public_text == "邻居半夜吵闹"
        and req.public_address == "3号楼"
    )
    public = page(Client().get(_track(token)), one_h1=True)
    assert "王五" not in public and "13700001234" not in public and "混蛋" not in public
    assert "邻居半夜吵闹" in public and 'data-moderated="1"' in public
    assert "含他人姓名电话" not in public  # the reason is for handlers only
    event = req.events.get(kind=EventKind.MODERATED)
    assert event.note == "含他人姓名电话和骂人话" and event.actor == world.alice
    change = ObjectChange.objects.filter(object_id=req.pk, message__contains="处理公开内容").get()
    assert change.postchange_data == {"public_text": "邻居半夜吵闹", "public_address": "3号楼"}
    # The same again is refused; blank restores the original.
    again = client.post(
        reverse("services:moderate", kwargs={"code": req.code}),
        {"mod-public_text": "邻居半夜吵闹", "mod-public_address": "3号楼", "mod-reason": "再次"},
    )
    assert again.status_code == 400 and "公开内容没有变化" in again.content.decode()
    services.moderate(actor=world.alice, request=req, public_text="", public_address="", reason="恢复")
    req.refresh_from_db()
    assert not req.moderated and "隔壁王五" in Client().get(_track(token)).content.decode()


def test_only_the_community_moderates(world, submit, partner, api):  # noqa: ANN001
    req, _token = submit()
    services.hand_over(actor=world.alice, request=req, reason="物业的事", handler_partner=partner)
    # The partner's contact handles it but does not moderate the community's public page.
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(world.erin)
    url = reverse("api-service-request-moderate", kwargs={"code": req.code})
    assert client.post(url, {"public_text": "x", "reason": "y"}, format="json").status_code == 403
    assert api("bob").post(url, {"public_text": "x", "reason": "y"}, format="json").status_code == 404
    ok = api("alice").post(url, {"public_text": "门口有垃圾", "reason": "去掉门牌号"}, format="json")
    assert ok.status_code == 200 and ok.json()["public_text"] == "门口有垃圾"
    assert ok.json()["text"] == "3号楼门口垃圾两天没人清运"


@pytest.fixture
def sms(settings):  # noqa: ANN001, ANN201
    settings.SMS_SENDER = "jiceng.notifications.tests.fakes.FakeSms"
    fakes.SENT.clear()
    yield fakes.SENT
    fakes.SENT.clear()


def test_the_resident_gets_an_sms_on_each_change_of_state_when_they_consented(
    world, submit, sms, django_capture_on_commit_callbacks
):  # noqa: ANN001
    req, _token = submit(sms_consent=True)
    assert req.sms_consent
    for step, text in (("accepted", ""), ("in_progress", ""), ("in_progress", ""), ("answered", "已清运")):
        with django_capture_on_commit_callbacks(execute=True):
            req = services.move(actor=world.alice, request=req, to_type=step, public_text=text)
    assert [phone for phone, _t in sms] == ["13912345678"] * 3  # a second progress note sends nothing
    assert req.code in sms[0][1] and "已受理" in sms[0][1]
    assert "已办结答复" in sms[2][1] and "是否解决" in sms[2][1]
    assert all("垃圾" not in t for _p, t in sms)  # never the request's content
    assert all("13912345678" not in t for _p, t in sms)


def test_no_sms_without_consent_a_phone_or_a_sender(
    world, submit, settings, django_capture_on_commit_callbacks
):  # noqa: ANN001
    fakes.SENT.clear()
    settings.SMS_SENDER = "jiceng.notifications.tests.fakes.FakeSms"
    no_consent, _t = submit()
    no_phone, _t = submit(phone="", sms_consent=True)
    assert not no_phone.sms_consent
    with django_capture_on_commit_callbacks(execute=True):
        services.move(actor=world.alice, request=no_consent, to_type="accepted")
        services.move(actor=world.alice, request=no_phone, to_type="accepted")
    settings.SMS_SENDER = ""
    consented, _t = submit(sms_consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.move(actor=world.alice, request=consented, to_type="accepted")
    assert fakes.SENT == []


def test_the_intake_form_asks_for_consent_only_with_a_sender(world, settings):  # noqa: ANN001
    url = reverse("requests:intake", kwargs={"code": world.branch_a.code})
    settings.SMS_SENDER = ""
    assert "sms_consent" not in Client().get(url).content.decode()
    settings.SMS_SENDER = "jiceng.notifications.tests.fakes.FakeSms"
    text = page(Client().get(url), one_h1=True, unique_ids=True)
    assert "同意通过短信接收办理进展" in text
    data = {
        "category": Category.objects.get(name="垃圾清运").pk,
        "text": "垃圾桶满了",
        "address": "5号楼",
        "phone": "13800001111",
        "sms_consent": "on",
        "website": "",
    }
    assert Client().post(url, data, REMOTE_ADDR="198.51.100.8").status_code == 302
    assert ServiceRequest.objects.get().sms_consent


def test_anonymizing_withdraws_consent(world, submit):  # noqa: ANN001
    import datetime as dt

    from django.utils import timezone

    req, _t = submit(sms_consent=True)
    services.withdraw(request=req)
    ServiceRequest.objects.filter(pk=req.pk).update(closed_at=timezone.now() - dt.timedelta(days=4 * 366))
    assert services.anonymize_closed(years=3) == 1
    req.refresh_from_db()
    assert not req.sms_consent and not req.phone_cipher
