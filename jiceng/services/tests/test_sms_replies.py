"""The resident's word by SMS: the answer's message through the shipped senders (file, a fake HTTP
gateway on 127.0.0.1), the gateway's callback with the reply, and what is (not) kept about the phone."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.core.models import ObjectChange
from jiceng.notifications.sms import check_sms_sender
from jiceng.services import services
from jiceng.services.models import EventKind, ServiceRequest, SmsMessage
from jiceng.services.sms import Reply, parse_reply

PHONE = "13912345678"
TOKEN = "inbound-secret-for-tests-0123456789"


@pytest.fixture
def file_sms(settings, tmp_path):  # noqa: ANN001, ANN201
    settings.SMS_SENDER = "jiceng.notifications.sms.FileSender"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_INBOUND_TOKEN = TOKEN
    return tmp_path / "sms"


def sent(folder) -> list[dict]:  # noqa: ANN001
    return (
        [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))] if folder.exists() else []
    )


def answered(world, submit, capture, **kw):  # noqa: ANN001, ANN003, ANN201
    req, _token = submit(sms_consent=True, **kw)
    with capture(execute=True):
        req = services.move(actor=world.alice, request=req, to_type="accepted")
        req = services.move(actor=world.alice, request=req, to_type="answered", public_text="已清运")
    return req


def reply(text: str, phone: str = "+86 139-1234-5678", token: str = TOKEN, **kw):  # noqa: ANN003, ANN201
    return Client().post(
        reverse("requests:sms_reply"),
        json.dumps({"from": phone, "text": text}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **kw,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 5", Reply("solved", 5, "")),
        ("解决 5", Reply("solved", 5, "")),
        ("已解决，满意度4分", Reply("solved", 4, "")),
        ("2", Reply("partly", None, "")),
        ("部分解决3", Reply("partly", 3, "")),
        ("１　５", Reply("solved", 5, "")),  # full-width
        ("15", Reply("solved", 5, "")),
        ("3 路灯还是不亮", Reply("not_solved", None, "路灯还是不亮")),
        ("3 1 路灯还是不亮", Reply("not_solved", 1, "路灯还是不亮")),
        ("未解决，没人来", Reply("not_solved", None, "没人来")),
        ("没解决", Reply("not_solved", None, "")),
        ("hello", None),
        ("", None),
        ("4", None),
        ("1 7", None),
        ("16", None),
        ("123", None),
        ("谢谢", None),
    ],
)
def test_parse_reply(text: str, expected: Reply | None) -> None:
    assert parse_reply(text) == expected


def test_the_whole_path_with_the_file_sender(
    world, submit, file_sms, django_capture_on_commit_callbacks, caplog
):  # noqa: ANN001
    caplog.set_level(logging.DEBUG)
    req = answered(world, submit, django_capture_on_commit_callbacks)
    messages = sent(file_sms)
    assert [m["to"] for m in messages] == [PHONE, PHONE]
    assert req.code in messages[1]["text"] and "1已解决" in messages[1]["text"]
    assert "垃圾" not in messages[1]["text"]
    rows = list(SmsMessage.objects.filter(request=req).order_by("id"))
    assert [(r.direction, r.purpose, r.status, r.attempts) for r in rows] == [
        ("out", "accepted", "sent", 1),
        ("out", "answered", "sent", 1),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = reply("1 5")
    assert response.status_code == 200
    assert response.json()["code"] == "applied" and req.code in response.json()["reply"]
    req.refresh_from_db()
    assert (req.state_type, req.resolution, req.satisfaction) == ("resolved", "solved", 5)
    event = req.events.filter(kind=EventKind.CONFIRMED).get()
    assert event.by_resident and event.note == "短信回复"
    confirmation = sent(file_sms)[-1]
    assert confirmation["to"] == PHONE and "谢谢" in confirmation["text"]
    inbound = SmsMessage.objects.get(direction="in")
    assert (inbound.request_id, inbound.status, inbound.outcome, inbound.text) == (
        req.pk,
        "applied",
        "applied",
        "1 5",
    )
    # Never the phone in clear: not in the records, the change records, nor the logs.
    for row in SmsMessage.objects.values():
        assert all(PHONE not in str(v) and "5678" not in str(v) for v in row.values())
    for change in ObjectChange.objects.all():
        dump = json.dumps([change.prechange_data, change.postchange_data, change.message], ensure_ascii=False)
        assert PHONE not in dump and "phone_digest" not in dump
    assert PHONE not in caplog.text and "1234-5678" not in caplog.text


def test_not_solved_reopens_with_the_residents_words(
    world, submit, file_sms, django_capture_on_commit_callbacks
):  # noqa: ANN001
    req = answered(world, submit, django_capture_on_commit_callbacks)
    assert reply("3 2 路灯还是不亮").json()["code"] == "applied"
    req.refresh_from_db()
    assert (req.state_type, req.resolution, req.satisfaction) == ("reopened", "not_solved", 2)
    assert req.events.get(kind=EventKind.DISPUTED).public_text == "路灯还是不亮"
    # Answered again, a bare "3" reopens it too, with a line saying no reason was given.
    with django_capture_on_commit_callbacks(execute=True):
        req = services.move(actor=world.alice, request=req, to_type="answered", public_text="已修好")
    assert reply("3").json()["code"] == "applied"
    req.refresh_from_db()
    assert req.state_type == "reopened"
    assert "未说明原因" in req.events.filter(kind=EventKind.DISPUTED).last().public_text


def test_the_most_recent_answered_request_of_the_phone_and_no_other(
    world, submit, file_sms, django_capture_on_commit_callbacks
):  # noqa: ANN001
    older = answered(world, submit, django_capture_on_commit_callbacks)
    ServiceRequest.objects.filter(pk=older.pk).update(answered_at=timezone.now() - dt.timedelta(days=2))
    newer = answered(world, submit, django_capture_on_commit_callbacks)
    other = answered(world, submit, django_capture_on_commit_callbacks, phone="13800001111")
    no_consent, _t = submit()
    services.move(actor=world.alice, request=no_consent, to_type="accepted")
    services.move(actor=world.alice, request=no_consent, to_type="answered", public_text="好了")
    assert reply("2").json()["code"] == "applied"
    assert ServiceRequest.objects.get(pk=newer.pk).resolution == "partly"
    assert ServiceRequest.objects.get(pk=older.pk).state_type == "answered"
    assert ServiceRequest.objects.get(pk=other.pk).state_type == "answered"
    assert reply("1").json()["code"] == "applied"  # then the older one
    assert ServiceRequest.objects.get(pk=older.pk).resolution == "solved"
    # Nothing left to evaluate for this phone; another phone, or one without consent, finds nothing.
    assert reply("1").json()["code"] == "no_request"
    assert reply("1", phone="13700000000").json()["code"] == "no_request"
    assert ServiceRequest.objects.get(pk=no_consent.pk).phone_digest == ""
    no_consent_phone = reply("1", phone="13912345678")
    assert no_consent_phone.json()["code"] == "no_request"
    assert ServiceRequest.objects.get(pk=no_consent.pk).state_type == "answered"


def test_bad_replies_change_nothing(world, submit, file_sms, django_capture_on_commit_callbacks):  # noqa: ANN001
    req = answered(world, submit, django_capture_on_commit_callbacks)
    for text in ("你好", "1 7", "5"):
        response = reply(text)
        assert response.status_code == 200 and response.json()["code"] == "unparsable"
        assert "1已解决" in response.json()["reply"]
    req.refresh_from_db()
    assert req.state_type == "answered"
    assert SmsMessage.objects.filter(direction="in", status="refused").count() == 3


def test_replies_after_seven_days_are_refused(world, submit, file_sms, django_capture_on_commit_callbacks):  # noqa: ANN001
    req = answered(world, submit, django_capture_on_commit_callbacks)
    ServiceRequest.objects.filter(pk=req.pk).update(
        answered_at=timezone.now() - dt.timedelta(days=7, hours=1)
    )
    assert reply("1 5").json()["code"] == "expired"
    req.refresh_from_db()
    assert req.state_type == "answered" and req.resolution == ""
    services.close_unanswered()  # the upkeep closes it as no answer: still too late
    response = reply("1 5")
    assert response.json()["code"] == "expired" and "7天" in response.json()["reply"]
    req.refresh_from_db()
    assert (req.state_type, req.resolution) == ("closed", "no_answer")


def test_the_callback_needs_its_token_and_bounded_input(
    world, submit, file_sms, settings, django_capture_on_commit_callbacks
):  # noqa: ANN001
    answered(world, submit, django_capture_on_commit_callbacks)
    assert reply("1", token="wrong").status_code == 403
    assert reply("1", token="").status_code == 403
    url = reverse("requests:sms_reply")
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405
    auth = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    assert Client().post(url, "{not json", content_type="application/json", **auth).status_code == 400
    assert Client().post(url, {"text": "1"}, **auth).status_code == 400  # form fields, no phone
    assert reply("1" * 400).status_code == 413
    assert reply("1", phone="1" * 40).status_code == 413
    big = json.dumps({"from": PHONE, "text": "1", "pad": "x" * 5000})
    assert Client().post(url, big, content_type="application/json", **auth).status_code == 413
    assert Client().post(url, {"from": PHONE, "text": "1 4"}, **auth).json()["code"] == "applied"
    settings.SMS_INBOUND_TOKEN = ""
    assert reply("1").status_code == 404  # no token configured: no callback at all


def test_replies_are_rate_limited_per_phone(
    world, submit, file_sms, settings, django_capture_on_commit_callbacks
):  # noqa: ANN001
    settings.SMS_INBOUND_LIMIT = 3
    answered(world, submit, django_capture_on_commit_callbacks)
    for _i in range(3):
        assert reply("你好").status_code == 200
    limited = reply("1 5")
    assert limited.status_code == 429 and limited["Retry-After"] == "3600"
    assert reply("1 5", phone="13800001111").status_code == 200  # another phone is not held back


class _Gateway(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            {
                "auth": self.headers["Authorization"],
                "type": self.headers["Content-Type"],
                "body": json.loads(body),
            }
        )
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture
def gateway(settings):  # noqa: ANN001, ANN201
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.received, _Gateway.status = [], 200
    settings.SMS_SENDER = "jiceng.notifications.sms.HttpGatewaySender"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_GATEWAY_TOKEN = "gateway-token"
    settings.SMS_GATEWAY_TIMEOUT = 5
    settings.SMS_INBOUND_TOKEN = TOKEN
    yield _Gateway
    server.shutdown()
    server.server_close()


def test_the_whole_path_through_a_fake_http_gateway(
    world, submit, gateway, django_capture_on_commit_callbacks
):  # noqa: ANN001
    req = answered(world, submit, django_capture_on_commit_callbacks)
    assert [g["body"]["to"] for g in gateway.received] == [PHONE, PHONE]
    first = gateway.received[1]
    assert first["auth"] == "Bearer gateway-token" and first["type"].startswith("application/json")
    assert set(first["body"]) == {"to", "text"} and req.code in first["body"]["text"]
    with django_capture_on_commit_callbacks(execute=True):
        response = reply("解决 4")
    assert response.json()["code"] == "applied"
    assert gateway.received[-1]["body"] == {"to": PHONE, "text": response.json()["reply"]}
    req.refresh_from_db()
    assert (req.state_type, req.satisfaction) == ("resolved", 4)


def test_a_failing_gateway_is_recorded_and_retried(
    world, submit, gateway, django_capture_on_commit_callbacks, caplog
):  # noqa: ANN001
    gateway.status = 503
    req, _t = submit(sms_consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.move(actor=world.alice, request=req, to_type="accepted")
    message = SmsMessage.objects.get(request=req)
    assert (message.status, message.attempts) == ("failed", 3)  # the immediate backend retries at once
    assert message.outcome == "SmsError: gateway answered 503"
    assert len(gateway.received) == 3
    assert PHONE not in caplog.text


def test_a_withdrawn_consent_skips_a_queued_message(world, submit, file_sms):  # noqa: ANN001
    from jiceng.services import notify
    from jiceng.services.tasks import deliver_sms

    req, _t = submit(sms_consent=True)
    message = notify.queue(req, "测试", purpose="accepted")
    ServiceRequest.objects.filter(pk=req.pk).update(sms_consent=False)
    assert deliver_sms.call(message.pk) is False
    message.refresh_from_db()
    assert message.status == "skipped" and sent(file_sms) == []


def test_anonymizing_forgets_the_phone_digest(world, submit, file_sms):  # noqa: ANN001
    req, _t = submit(sms_consent=True)
    assert req.phone_digest == services.phone_digest("0086 139 1234 5678")
    services.withdraw(request=req)
    ServiceRequest.objects.filter(pk=req.pk).update(closed_at=timezone.now() - dt.timedelta(days=4 * 366))
    services.anonymize_closed(years=3)
    req.refresh_from_db()
    assert req.phone_digest == ""


def test_deploy_check_warns_of_plain_http_and_development_senders(settings):  # noqa: ANN001
    settings.PRODUCTION = True
    settings.SMS_SENDER = "jiceng.notifications.sms.HttpGatewaySender"
    settings.SMS_GATEWAY_URL = "http://sms.example.gov.cn/send"
    assert [w.id for w in check_sms_sender()] == ["jiceng.W011"]
    settings.SMS_GATEWAY_URL = "https://sms.example.gov.cn/send"
    assert check_sms_sender() == []
    settings.SMS_SENDER = "jiceng.notifications.sms.FileSender"
    assert [w.id for w in check_sms_sender()] == ["jiceng.W010"]
    settings.PRODUCTION = False
    assert check_sms_sender() == []
    call_command("check")  # registered


def test_a_message_queued_before_the_upgrade_is_recorded_and_sent(world, submit, file_sms):  # noqa: ANN001
    from jiceng.services.tasks import sms_to_resident

    req, _t = submit(sms_consent=True)
    assert sms_to_resident.call(req.pk, "您的诉求已受理。") is True
    message = SmsMessage.objects.get(request=req)
    assert (message.status, message.attempts, message.text) == ("sent", 1, "您的诉求已受理。")
    assert [m["to"] for m in sent(file_sms)] == [PHONE]
    assert sms_to_resident.call(999999, "x") is False


def test_the_migration_gives_consenting_residents_a_digest(world, submit):  # noqa: ANN001
    import importlib

    from django.apps import apps

    migration = importlib.import_module("jiceng.services.migrations.0006_sms_replies")
    consented, _t = submit(sms_consent=True)
    silent, _t = submit()
    ServiceRequest.objects.update(phone_digest="")
    migration.digest_phones(apps, None)
    assert ServiceRequest.objects.get(pk=consented.pk).phone_digest == services.phone_digest(PHONE)
    assert ServiceRequest.objects.get(pk=silent.pk).phone_digest == ""
