"""Issue 11, item 9: personal data on error and cached pages.

With DEBUG on, 14 of 17 error pages showed the submitted identity number, and pages with personal
data carried no Cache-Control. Error reports now filter sensitive fields and mask identity numbers in
every mode; every signed-in page and API answer says ``Cache-Control: no-store``.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys

import pytest
from django.test import Client, RequestFactory
from django.views.debug import get_exception_reporter_class, get_exception_reporter_filter

from conftest import PASSWORD, make_id
from jiceng.core import idnumber
from jiceng.core.security import MaskingFormatter

NUMBER = make_id(dt.date(1990, 6, 1), 77)
CODE = "".join(map(str, range(3, 9)))  # a TOTP code (built, so the report's source lines lack it)


@pytest.fixture
def broken_validation(monkeypatch):
    """A fault deep in the stack, with the number in its local variables and its message."""

    def explode(value, *, birth_date=None):  # noqa: ANN001, ANN202
        number = idnumber.normalize(value)
        raise RuntimeError(f"unexpected failure for {number}")

    monkeypatch.setattr(idnumber, "validate", explode)


def _member_form(**extra: str) -> dict[str, str]:
    return {
        "org": "0101",
        "id_number": NUMBER,
        "name": "钱进",
        "gender": idnumber.gender_of(NUMBER),
        "education": "college",
        "category": "employed",
        "status": "full",
        "joined_on": "2015-07-01",
        "full_member_on": "2016-07-01",
        "password": "not-to-be-shown",
        **extra,
    }


@pytest.mark.parametrize("debug", [True, False])
def test_error_pages_never_show_the_identity_number(world, settings, broken_validation, debug):
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    client.force_login(world.alice)
    page = client.post(f"/members/new/?org=0101&q={NUMBER}", _member_form())
    api = client.post(f"/api/v1/members/?q={NUMBER}", _member_form(), content_type="application/json")
    for response in (page, api):
        assert response.status_code == 500
        body = response.content.decode()
        assert NUMBER not in body
        assert "not-to-be-shown" not in body
        if debug:
            assert "unexpected failure for " + NUMBER[:4] in body  # the report is still useful
            assert NUMBER[:4] + "**********" + NUMBER[-4:] in body


def test_the_mailed_and_logged_report_is_filtered_too(world, settings):
    """The text report (what AdminEmailHandler mails and logs carry) with DEBUG off."""
    settings.DEBUG = False
    request = RequestFactory().post("/members/new/", {"id_number": NUMBER, "otp_token": CODE, "name": "钱进"})
    request.user = world.alice
    assert get_exception_reporter_filter(request).get_post_parameters(request)["id_number"] != NUMBER
    try:
        id_number = NUMBER  # noqa: F841 (a local variable the report lists)
        raise ValueError(f"bad value {NUMBER}")
    except ValueError as e:
        reporter = get_exception_reporter_class(request)(request, type(e), e, e.__traceback__)
        text = reporter.get_traceback_text()
        html = reporter.get_traceback_html()
    for report in (text, html):
        assert NUMBER not in report
        assert CODE not in report
    # The log line of the same failure (the console handler's formatter).
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Error: %s", (NUMBER,), None)
    try:
        raise ValueError(f"bad value {NUMBER}")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = MaskingFormatter().format(record)
    assert NUMBER not in line and "bad value 1101" in line


def test_personal_pages_and_api_answers_are_not_stored(world, client):
    client.force_login(world.alice)
    member = world.members_a[0]
    for url in ("/", f"/members/{member.pk}/", "/members/", f"/api/v1/members/{member.pk}/", "/api/v1/me/"):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert "no-store" in response["Cache-Control"], url
    reveal = client.post(f"/members/{member.pk}/reveal/")
    assert "no-store" in reveal["Cache-Control"]
    # An anonymous API answer too; the sign-in page holds nothing personal.
    anonymous = Client()
    assert "no-store" in anonymous.get("/api/v1/members/")["Cache-Control"]
    assert anonymous.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
