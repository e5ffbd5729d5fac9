"""The public pages: intake without an account, the tracking link, the poster; and their abuse limits."""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiceng.core.testing import page
from jiceng.services.forms import CAPTCHA_SALT
from jiceng.services.models import Category, Desk, ServiceRequest

pytestmark = pytest.mark.django_db


def form_data(**kw):  # noqa: ANN003, ANN201
    data = {
        "category": Category.objects.get(name="垃圾清运").pk,
        "text": "垃圾桶满了没人清运",
        "address": "5号楼东侧",
        "name": "",
        "phone": "13800001111",
        "website": "",
    }
    data.update(kw)
    return data


def post(client: Client, org, data, ip="198.51.100.7"):  # noqa: ANN001, ANN201
    return client.post(reverse("requests:intake", kwargs={"code": org.code}), data, REMOTE_ADDR=ip)


def test_intake_page_is_public_and_clean(world):
    response = Client().get(reverse("requests:intake", kwargs={"code": world.branch_a.code}))
    text = page(response, one_h1=True, unique_ids=True)
    assert "和平社区党支部" in text and "环境卫生 · 垃圾清运" in text
    assert "<script" not in text  # nothing to run: works with no script at all
    # The directives come in no fixed order: read them one by one.
    directives = {d.strip() for d in response["Content-Security-Policy"].split(";")}
    assert "script-src 'self'" in directives
    # No person's data of the organization on the public page.
    assert "张伟" not in text and "alice" not in text


def test_a_branch_of_a_government_unit_has_no_public_page(world):
    assert Client().get(reverse("requests:intake", kwargs={"code": world.branch_c.code})).status_code == 404
    assert Client().get(reverse("requests:intake", kwargs={"code": "99"})).status_code == 404
    Desk.objects.create(org=world.branch_c, open=True)
    assert Client().get(reverse("requests:intake", kwargs={"code": world.branch_c.code})).status_code == 200


def test_submit_then_follow_by_the_link(world):
    client = Client()
    response = post(client, world.branch_a, form_data())
    assert response.status_code == 302
    link = response["Location"]
    req = ServiceRequest.objects.get()
    assert link.startswith("/requests/t/") and req.code not in link
    text = page(client.get(link), one_h1=True)
    assert req.code in text and "垃圾桶满了没人清运" in text and "已收到，等待响应" in text
    assert "13800001111" not in text and "138****1111" not in text  # the resident's page shows no phone
    # Another client with the link sees it too (the link is the credential); a wrong link 404s.
    assert Client().get(link).status_code == 200
    assert Client().get(link[:-3] + "xyz/").status_code == 404


def test_resident_adds_information_and_answers(world):
    from jiceng.services import services

    client = Client()
    link = post(client, world.branch_a, form_data())["Location"]
    req = ServiceRequest.objects.get()
    assert client.post(link, {"what": "info", "info-text": "晚上味道很大"}).status_code == 302
    services.move(actor=world.alice, request=req, to_type="accepted")
    services.move(actor=world.alice, request=req, to_type="answered", public_text="已安排清运")
    text = page(client.get(link))
    assert "请评价办理结果" in text and "已安排清运" in text and "和平社区党支部" in text
    assert "张伟" not in text  # a unit, never the handler's name
    response = client.post(link, {"what": "feedback", "fb-resolution": "not_solved", "fb-words": ""})
    assert response.status_code == 200 and "请说明哪里还没有解决" in response.content.decode()
    client.post(
        link, {"what": "feedback", "fb-resolution": "not_solved", "fb-satisfaction": "2", "fb-words": "还有"}
    )
    req.refresh_from_db()
    assert req.state_type == "reopened"


def test_honeypot_is_refused(world):
    response = post(Client(), world.branch_a, form_data(website="http://spam.example"))
    assert response.status_code == 400
    assert not ServiceRequest.objects.exists()


def test_size_limit(world):
    response = post(Client(), world.branch_a, form_data(text="字" * 2001))
    assert response.status_code == 200
    assert not ServiceRequest.objects.exists()


def test_captcha_after_repeated_submissions_then_the_limit(world, settings):
    settings.SERVICE_INTAKE_CAPTCHA_AFTER = 2
    settings.SERVICE_INTAKE_LIMIT = 4
    client = Client()
    for _ in range(2):
        assert post(client, world.branch_a, form_data()).status_code == 302
    # The third asks a question: without the answer nothing is saved.
    response = post(client, world.branch_a, form_data())
    text = response.content.decode()
    assert response.status_code == 200 and "请计算" in text
    assert ServiceRequest.objects.count() == 2
    challenge = re.search(r'name="challenge" value="([^"]+)"', text).group(1)
    answer = signing.loads(challenge, salt=CAPTCHA_SALT)
    wrong = post(client, world.branch_a, form_data(challenge=challenge, answer=answer + 1))
    assert wrong.status_code == 200 and ServiceRequest.objects.count() == 2
    # A forged challenge does not pass either.
    forged = post(client, world.branch_a, form_data(challenge="3:forged", answer=3))
    assert forged.status_code == 200 and ServiceRequest.objects.count() == 2
    assert post(client, world.branch_a, form_data(challenge=challenge, answer=answer)).status_code == 302
    challenge = re.search(
        r'name="challenge" value="([^"]+)"', post(client, world.branch_a, form_data()).content.decode()
    ).group(1)
    assert (
        post(
            client,
            world.branch_a,
            form_data(challenge=challenge, answer=signing.loads(challenge, salt=CAPTCHA_SALT)),
        ).status_code
        == 302
    )
    # Over the limit: refused outright, whatever is sent, until the hour has passed.
    limited = post(client, world.branch_a, form_data())
    assert limited.status_code == 429 and limited["Retry-After"] == "3600"
    assert ServiceRequest.objects.count() == 4
    # Another address is not affected.
    assert post(client, world.branch_a, form_data(), ip="198.51.100.8").status_code == 302


def test_forwarded_for_is_ignored_without_a_trusted_proxy(world, settings):
    settings.SERVICE_INTAKE_CAPTCHA_AFTER = 5
    settings.SERVICE_INTAKE_LIMIT = 1
    client = Client()
    assert post(client, world.branch_a, form_data()).status_code == 302
    url = reverse("requests:intake", kwargs={"code": world.branch_a.code})
    # A forged header from an untrusted peer changes nothing: still the same address, still limited.
    response = client.post(url, form_data(), REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert response.status_code == 429


def test_poster_is_a_local_qr(world):
    response = Client().get(reverse("requests:poster", kwargs={"code": world.branch_a.code}))
    text = page(response, one_h1=True)
    assert "<svg" in text and "和平社区党支部" in text
    assert "/requests/new/0101/" in text
    assert "http" not in text.split("<svg", 1)[1].split("</svg>")[0].replace("http://www.w3.org", "")


@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("门口.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, True),
        ("门口.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, True),
        ("门口.pdf", b"%PDF-1.4\n%%EOF\n", False),  # an attachment type, but not a photo
        ("门口.png", b"MZ\x90\x00" + b"\x00" * 64, False),  # a program named as an image
        ("门口.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024), False),  # over 5 MB
    ],
)
def test_an_optional_photo_checked_by_content(world, name, content, ok):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile(name, content, content_type="image/png")
    response = post(Client(), world.branch_a, form_data(photo=photo))
    assert (response.status_code == 302) == ok
    assert ServiceRequest.objects.exists() == ok
    if ok:
        req = ServiceRequest.objects.get()
        assert req.photo and req.photo_type.startswith("image/")
        # Not at a public address: only through the handler's page.
        assert Client().get(reverse("services:photo", kwargs={"code": req.code})).status_code == 302


def test_intake_reads_the_desk_and_the_address_in_one_query(world):
    """The organization, its desk and the address's count of the hour come in one query; the service
    does not ask for the desk again. A post is then the category, the route, the state, the code's
    uniqueness and the writes (the request, its event, its change record, the change stamp, the figures):
    ten queries and no more (the compliance refresh's look-up runs after the commit)."""
    client = Client()
    post(client, world.branch_a, form_data())  # the content types and the like, read once per process
    data = form_data()
    with CaptureQueriesContext(connection) as few:
        response = post(client, world.branch_a, data, ip="198.51.100.8")
    assert response.status_code == 302
    transaction_control = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT")
    reads = [q["sql"] for q in few.captured_queries if not q["sql"].startswith(transaction_control)]
    assert len(reads) <= 10, "\n".join(reads)
    assert sum('"services_desk"' in sql for sql in reads) == 1
    assert sum('FROM "orgs_organization" o WHERE' in sql for sql in reads) == 1
    assert ServiceRequest.objects.count() == 2


def test_intake_sees_a_desk_closed_and_the_limit_of_the_address(world, settings):
    """The one query still closes the page with the desk and counts the address's hour."""
    settings.SERVICE_INTAKE_CAPTCHA_AFTER = 100
    settings.SERVICE_INTAKE_LIMIT = 2
    client = Client()
    assert post(client, world.branch_a, form_data()).status_code == 302
    assert post(client, world.branch_a, form_data()).status_code == 302
    assert post(client, world.branch_a, form_data()).status_code == 429
    assert post(client, world.branch_a, form_data(), ip="198.51.100.9").status_code == 302
    desk = Desk.objects.create(org=world.branch_a, open=False)
    assert post(client, world.branch_a, form_data(), ip="198.51.100.10").status_code == 404
    desk.open = True
    desk.save()
    assert post(client, world.branch_a, form_data(), ip="198.51.100.10").status_code == 302
