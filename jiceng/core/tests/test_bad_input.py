"""Issue 11 item 7: inputs that answered 500 now answer 400 with a clear message, and a database that
goes away mid-request answers 503 "请稍后重试" (JSON under /api/), with nothing partial written."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from rest_framework.test import APIClient

from jiceng.orgs.models import Organization

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("url", ["/orgs/%00/", "/life/?kind=%00", "/members/?q=a%00b", "/orgs/?%00=1"])
def test_a_nul_byte_in_a_page_address_is_a_clear_400(world, client_for, url):
    response = client_for(world.county_admin).get(url)
    assert response.status_code == 400
    assert "不允许的字符" in response.content.decode()


@pytest.mark.parametrize("url", ["/api/v1/orgs/%00/", "/api/v1/meetings/?kind=%00", "/api/v1/members/?q=%00"])
def test_a_nul_byte_in_an_api_address_is_a_clear_400(world, url):
    response = api(world.county_admin).get(url)
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character"


def test_json_nested_a_hundred_thousand_deep_is_a_clear_400(world):
    """The attack: 100,000 nested ``[`` made the JSON parser raise RecursionError (500)."""
    for body in ("[" * 100_000, '{"a":' * 100_000):
        response = api(world.county_admin).post("/api/v1/orgs/", body, content_type="application/json")
        assert response.status_code == 400, response.content[:300]
        assert response.json()["code"] == "too_deep"
    assert not Organization.objects.filter(code="").exists()


def test_a_calendar_month_of_year_zero_is_refused_with_a_message(world, client_for):
    """``month=0000-01`` answered 500; the calendar says what a month looks like and shows this one."""
    from jiceng.core import periods

    for month in ("0000-01", "0001-01", "9999-12"):
        response = client_for(world.alice).get(f"/life/calendar/?org=0101&month={month}")
        assert response.status_code == 200
        assert "月份应写作YYYY-MM" in response.content.decode()
    for text in ("0000-01", "0000", "0000-Q1", "0000-01-01"):
        with pytest.raises(periods.PeriodError):
            periods.parse(text)
    response = api(world.county_admin).get("/api/v1/findings/?org=01&period=0000-01")
    assert response.status_code == 400


def _database_gone(*args, **kwargs):
    raise OperationalError("server closed the connection unexpectedly")


def test_a_database_gone_mid_request_is_a_chinese_503_page(world, client_for):
    client = client_for(world.alice)
    with mock.patch.object(CursorWrapper, "execute", _database_gone):
        response = client.get("/orgs/0101/")
    assert response.status_code == 503
    assert "请稍后重试" in response.content.decode()
    assert response["Retry-After"]


def test_a_database_gone_mid_request_is_a_json_503_for_the_api(world):
    with mock.patch.object(CursorWrapper, "execute", _database_gone):
        response = api(world.county_admin).get("/api/v1/orgs/")
    assert response.status_code == 503
    assert response.json() == {"code": "unavailable", "message": "系统暂时无法访问数据库，请稍后重试"}


def test_a_write_cut_off_by_the_database_leaves_nothing_behind(world):
    """The organization is created, then the connection drops while its change record is written:
    503, and the organization is not there (the service is atomic)."""
    from jiceng.core import audit

    with mock.patch.object(audit, "record", side_effect=OperationalError("connection lost")):
        response = api(world.county_admin).post(
            "/api/v1/orgs/",
            {
                "code": "0199",
                "name": "新建党支部",
                "parent": "01",
                "kind": "branch",
                "unit_kind": "community",
            },
            format="json",
        )
    assert response.status_code == 503
    assert not Organization.objects.filter(code="0199").exists()


def test_handler500_answers_503_when_the_database_is_away(rf):
    from jiceng.core.middleware import server_error

    request = rf.get("/orgs/")
    try:
        raise OperationalError("could not connect to server")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    try:
        raise KeyError("a bug")
    except KeyError:
        response = server_error(request)
    assert response.status_code == 500
