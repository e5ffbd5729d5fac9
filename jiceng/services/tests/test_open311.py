"""Open311 GeoReport v2 (JSON and XML) at /open311/v2/: the spec's field names, the public categories, POST with an
api_key under the public form's validation, limits and consent, bounded reads, and no personal data."""

from __future__ import annotations

import datetime as dt
import json
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from jiceng.services import services
from jiceng.services.models import Category, EventKind, ServiceRequest

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
KEY = "client-app-key-123"
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


@pytest.fixture(autouse=True)
def _keys(settings):  # noqa: ANN001
    settings.SERVICE_OPEN311_API_KEYS = [KEY]
    settings.SERVICE_INTAKE_LIMIT = 3


def post(data: dict, *, ip: str = "198.51.100.7", as_json: bool = False):  # noqa: ANN201
    client = Client(REMOTE_ADDR=ip, enforce_csrf_checks=True)  # a client app has no CSRF token
    if as_json:
        return client.post(f"{BASE}/requests.json", json.dumps(data), content_type="application/json")
    return client.post(f"{BASE}/requests.json", data)


def good(**kw) -> dict:  # noqa: ANN003
    cat = Category.objects.get(name="环境卫生", parent=None)
    return {
        "api_key": KEY,
        "jurisdiction_id": "0101",
        "service_code": str(cat.pk),
        "description": "路灯坏了三天",
        "address_string": "南门3号楼",
        "first_name": "大妈",
        "last_name": "李",
        "phone": "13912345678",
        "email": "li@example.org",
        **kw,
    }


def test_services_json_lists_the_public_categories_in_the_specs_fields(world):
    response = Client().get(f"{BASE}/services.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    rows = response.json()
    active = Category.objects.filter(active=True)
    assert len(rows) == active.count()
    assert all(set(r) == SERVICE_FIELDS for r in rows)
    assert all(r["metadata"] is False and r["type"] == "realtime" for r in rows)
    sub = active.filter(parent__isnull=False).first()
    [row] = [r for r in rows if r["service_code"] == str(sub.pk)]
    assert row["group"] == sub.parent.name and row["service_name"] == f"{sub.parent.name} / {sub.name}"
    Category.objects.filter(pk=sub.pk).update(active=False)
    assert str(sub.pk) not in {r["service_code"] for r in Client().get(f"{BASE}/services.json").json()}


def test_a_service_definition_is_404_in_the_specs_error_shape(world):
    cat = Category.objects.first()
    for code in (str(cat.pk), "999999", "abc", "9" * 40):
        response = Client().get(f"{BASE}/services/{code}.json")
        assert response.status_code == 404
        [err] = response.json()
        assert err["code"] == 404 and err["description"]


def xml_items(response, root: str, item: str) -> list[dict]:  # noqa: ANN001
    """The spec's XML: ``<root>`` of ``<item>`` elements, each child a field (empty: null)."""
    assert response["Content-Type"].startswith("text/xml")
    tree = ET.fromstring(response.content)  # noqa: S314 (our own answer, in a test)
    assert tree.tag == root
    assert all(el.tag == item for el in tree)
    return [{child.tag: child.text for child in el} for el in tree]


def test_xml_carries_the_same_fields_as_json(world):
    [service, *_] = xml_items(Client().get(f"{BASE}/services.xml"), "services", "service")
    assert set(service) == SERVICE_FIELDS and service["metadata"] == "false"
    assert service == {
        # an empty text and a null are both an empty element
        k: ("false" if v is False else (v or None))
        for k, v in Client().get(f"{BASE}/services.json").json()[0].items()
    }
    req, _token = _made(world)
    [row] = xml_items(Client().get(f"{BASE}/requests.xml"), "service_requests", "request")
    assert set(row) == REQUEST_FIELDS and row["service_request_id"] == req.code
    assert row["lat"] is None and row["address"] is None  # null: an empty element
    [one] = xml_items(Client().get(f"{BASE}/requests/{req.code}.xml"), "service_requests", "request")
    assert one == row
    [err] = xml_items(Client().get(f"{BASE}/requests/NOPE.xml"), "errors", "error")
    assert err["code"] == "404" and err["description"]
    response = Client(REMOTE_ADDR="198.51.100.9", enforce_csrf_checks=True).post(
        f"{BASE}/requests.xml", good()
    )
    assert response.status_code == 201
    [made] = xml_items(response, "service_requests", "request")
    assert ServiceRequest.objects.filter(code=made["service_request_id"]).exists()
    assert Client().get(f"{BASE}/requests.html").status_code == 404  # two formats only


def test_xml_stays_well_formed_whatever_the_text_holds(world):
    req, _token = _made(world)
    ServiceRequest.objects.filter(pk=req.pk).update(text="灯\x01坏了\x0b<b>&", public_text="")
    [row] = xml_items(Client().get(f"{BASE}/requests/{req.code}.xml"), "service_requests", "request")
    assert row["description"] == "灯坏了<b>&"


def test_tokens_are_never_handed_out_so_every_token_is_unknown(world):
    response = post(good())
    assert "token" not in response.json()[0]  # the id comes at once
    for fmt in ("json", "xml"):
        assert Client().get(f"{BASE}/tokens/abc123.{fmt}").status_code == 404
    [err] = Client().get(f"{BASE}/tokens/abc123.json").json()
    assert err["code"] == 404 and "service_request_id" in err["description"]


def test_post_creates_a_request_like_the_public_form(world):
    response = post(good())
    assert response.status_code == 201, response.content
    [row] = response.json()
    assert set(row) == {"service_request_id", "service_notice", "account_id"}
    req = ServiceRequest.objects.get(code=row["service_request_id"])
    assert req.org == world.branch_a and req.text == "路灯坏了三天" and req.address == "南门3号楼"
    assert req.name_masked == "李**" and req.phone_masked == "139****5678" and "李大妈" not in req.name_cipher
    assert req.sms_consent is False  # no consent field in the spec: no SMS
    assert req.channel == "web" and req.events.get().kind == EventKind.SUBMITTED
    # JSON bodies are taken too
    assert post(good(description="井盖松动"), as_json=True, ip="198.51.100.8").status_code == 201


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"api_key": ""}, 403),
        ({"api_key": "guess"}, 403),
        ({"service_code": ""}, 400),
        ({"service_code": "999999"}, 404),
        ({"service_code": "1; drop"}, 404),
        ({"jurisdiction_id": ""}, 400),
        ({"jurisdiction_id": "nowhere"}, 404),
        ({"jurisdiction_id": "01"}, 404),  # a street committee: no desk
        ({"address_string": ""}, 400),
        ({"description": ""}, 400),
        ({"description": "字" * 2001}, 400),
        ({"phone": "12"}, 400),
        ({"description": "a\x00b"}, 400),
    ],
)
def test_post_refuses_what_the_form_refuses(world, change, status):
    response = post(good(**change), as_json=True)
    assert response.status_code == status
    [err] = response.json()
    assert err["code"] == status and isinstance(err["description"], str)
    assert not ServiceRequest.objects.exists()


def test_post_without_configured_keys_is_refused(world, settings):
    settings.SERVICE_OPEN311_API_KEYS = []
    assert post(good()).status_code == 403


def test_post_is_rate_limited_per_address_with_the_public_forms_limit(world):
    for _ in range(3):
        assert post(good()).status_code == 201
    limited = post(good())
    assert limited.status_code == 429 and limited["Retry-After"] == "3600"
    assert post(good(), ip="198.51.100.99").status_code == 201  # another address


def _made(world, **kw):  # noqa: ANN001, ANN003, ANN202
    cat = Category.objects.get(name="环境卫生", parent=None)
    args = {
        "org": world.branch_a,
        "category": cat,
        "text": "隔壁王五（13700001234）家漏水",
        "address": "3号楼201室",
        "name": "李大妈",
        "phone": "13912345678",
    }
    args.update(kw)
    return services.submit_request(**args)


def test_get_requests_gives_public_fields_only(world):
    req, token = _made(world)
    services.moderate(actor=world.alice, request=req, public_text="邻居家漏水", reason="他人姓名电话")
    services.move(actor=world.alice, request=req, to_type="accepted")
    response = Client().get(f"{BASE}/requests.json")
    assert response.status_code == 200
    [row] = response.json()
    assert set(row) == REQUEST_FIELDS
    assert row["service_request_id"] == req.code and row["status"] == "open"
    assert row["description"] == "邻居家漏水" and row["status_notes"]
    assert row["agency_responsible"] == world.branch_a.name
    assert row["address"] is None and row["lat"] is None and row["media_url"] is None
    assert row["expected_datetime"] and row["requested_datetime"].startswith(str(timezone.localdate().year))
    body = response.content.decode()
    for secret in ("王五", "13700001234", "3号楼201", "李大妈", "139", "5678", token, "他人姓名电话"):
        assert secret not in body
    single = Client().get(f"{BASE}/requests/{req.code.lower()}.json")
    assert single.status_code == 200 and single.json() == [row]


def test_a_residents_later_words_never_appear(world):
    req, _ = _made(world)
    services.add_information(request=req, text="我的电话13800001111")
    body = Client().get(f"{BASE}/requests.json").content.decode()
    assert "13800001111" not in body


def test_get_requests_filters_and_bounds(world):
    open_req, _ = _made(world)
    closed_req, _ = _made(world, text="路面坑洼")
    services.move(actor=world.alice, request=closed_req, to_type="referred", public_text="属区交通委")
    withdrawn, _ = _made(world, text="撤回的")
    services.withdraw(request=withdrawn)
    old, _ = _made(world, text="很早以前")
    ServiceRequest.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(days=120))

    def codes(**params):  # noqa: ANN003, ANN202
        response = Client().get(f"{BASE}/requests.json", params)
        assert response.status_code == 200, response.content
        return {r["service_request_id"] for r in response.json()}

    assert codes() == {open_req.code, closed_req.code}  # 90 days, withdrawn not listed
    assert codes(status="open") == {open_req.code}
    assert codes(status="closed") == {closed_req.code}
    assert codes(jurisdiction_id="0102") == set()
    assert codes(service_request_id=f"{old.code},{withdrawn.code}") == {old.code}
    other = Category.objects.get(name="其他", parent=None)
    assert codes(service_code=str(other.pk)) == set()
    start = (timezone.now() - dt.timedelta(days=130)).isoformat()
    end = (timezone.now() - dt.timedelta(days=100)).isoformat()
    assert codes(start_date=start, end_date=end) == {old.code}
    for params, status in (
        ({"status": "pending"}, 400),
        ({"start_date": "2026-01-01"}, 400),  # no time zone
        ({"start_date": "yesterday"}, 400),
        ({"start_date": start}, 400),  # 130 days to now: wider than 90
        ({"start_date": end, "end_date": start}, 400),
        ({"service_code": "x"}, 400),
        ({"service_request_id": ",".join(["A"] * 51)}, 400),
        ({"service_code": "1" * 500}, 400),
        ({"jurisdiction_id": "nowhere"}, 404),
    ):
        response = Client().get(f"{BASE}/requests.json", params)
        assert response.status_code == status, params
        assert response.json()[0]["code"] == status
    assert Client().get(f"{BASE}/requests/{withdrawn.code}.json").status_code == 404
    assert Client().get(f"{BASE}/requests/{'X' * 40}.json").status_code == 404


def test_open311_sets_no_cookie_and_reads_no_session(world, client_for):
    client = client_for(world.alice)  # a signed-in browser sees no more than anyone
    response = client.get(f"{BASE}/requests.json")
    assert not response.cookies
    req, _ = _made(world)
    assert client.get(f"{BASE}/requests.json").json()[0]["description"] == req.text
    assert "13912345678" not in client.get(f"{BASE}/requests.json").content.decode()
