"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2/), JSON and XML, at ``/open311/v2/``.

- ``GET services.json``: the public categories (``service_code`` is the category's id);
- ``GET services/<code>.json``: a service definition: no category has attributes (``metadata`` false),
  so it answers 404 in the spec's error shape, as the spec allows for a service without metadata;
- ``POST requests.json``: a resident's request through a client app holding an ``api_key``
  (``SERVICE_OPEN311_API_KEYS``): the same validation, per-address limit and consent as the public form
  (``services.submit_request``); answers ``service_request_id`` at once, so ``GET tokens/<id>`` knows no
  token and answers 404 (the spec: tokens are "unnecessary if the response from creating a service
  request does not contain a token");
- ``GET requests.json`` and ``GET requests/<id>.json``: public, no personal data: the public version of
  the text, the category, the status (open/closed, with the state's public name as ``status_notes``), the
  responsible unit's name and dates; never a name, phone, place, photo or coordinates (the public pages
  show no place to anyone but the resident).

Every URL ends in ``.json`` or ``.xml`` (the format). XML follows the spec's elements: ``<services>``
of ``<service>``, ``<service_requests>`` of ``<request>``, ``<errors>`` of ``<error>``; a value that
is null is an empty element. Errors are the spec's list ``[{"code": 400, "description": "…"}]`` with
that HTTP status. The views use no session: no cookie is read or set.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.core.access import client_ip
from jiceng.orgs.models import Organization

from . import public, selectors, services
from .models import OPEN_TYPES, Category, Event, ServiceRequest

WINDOW_DAYS = 90  # the spec's default window, and the widest one asked for
MAX_RESULTS = 1000  # the spec's suggested cap on one answer
MAX_IDS = 50  # service_request_id / service_code lists
MAX_PARAM = 400  # characters of any one query parameter
NOT_PUBLIC = ("withdrawn",)  # the resident took their words back: not listed


# The spec's XML elements: (root, item) of each kind of answer.
SERVICES = ("services", "service")
REQUESTS = ("service_requests", "request")
ERRORS = ("errors", "error")


# Characters XML 1.0 cannot carry (C0 controls other than tab, newline and return; lone surrogates).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(rows: list[dict[str, Any]], kind: tuple[str, str], status: int) -> HttpResponse:
    root = ET.Element(kind[0])
    for row in rows:
        item = ET.SubElement(root, kind[1])
        for key, value in row.items():
            child = ET.SubElement(item, key)
            if isinstance(value, bool):
                child.text = "true" if value else "false"
            elif value is not None:
                child.text = NOT_XML.sub("", str(value))  # a stray control character would void the document
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _out(rows: list[dict[str, Any]], fmt: str, kind: tuple[str, str], status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return _xml(rows, kind, status)
    return JsonResponse(rows, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def error(status: int, description: str, fmt: str = "json") -> HttpResponse:
    response = _out([{"code": status, "description": description}], fmt, ERRORS, status)
    response["Cache-Control"] = "no-store"
    return response


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def public_categories() -> list[Category]:
    return list(Category.objects.filter(active=True).select_related("parent").order_by("order", "id"))


def _service(cat: Category) -> dict[str, Any]:
    return {
        "service_code": str(cat.pk),
        "service_name": str(cat),
        "description": "",
        "metadata": False,
        "type": "realtime",
        "keywords": cat.name,
        "group": cat.parent.name if cat.parent_id else cat.name,
    }


@never_cache
@require_GET
def service_list(request: HttpRequest, fmt: str = "json") -> HttpResponse:
    return _out([_service(c) for c in public_categories()], fmt, SERVICES)


@never_cache
@require_GET
def service_definition(request: HttpRequest, service_code: str, fmt: str = "json") -> HttpResponse:
    if not service_code.isascii() or not service_code.isdigit() or len(service_code) > 12:
        return error(404, "service_code not found", fmt)
    if not Category.objects.filter(pk=int(service_code), active=True).exists():
        return error(404, "service_code not found", fmt)
    return error(404, "this service has no attributes (metadata is false): no service definition", fmt)


# Reading requests ------------------------------------------------------------------------------------


def _public_requests() -> Any:
    return ServiceRequest.objects.exclude(state_type__in=NOT_PUBLIC)


def _row(req: ServiceRequest, updated: dt.datetime | None) -> dict[str, Any]:
    is_open = req.state_type in OPEN_TYPES
    return {
        "service_request_id": req.code,
        "status": "open" if is_open else "closed",
        "status_notes": req.state.public_name,
        "service_name": str(req.category),
        "service_code": str(req.category_id),
        "description": req.public_description,
        "agency_responsible": req.handler_name,
        "service_notice": "",
        "requested_datetime": _iso(req.received_at),
        "updated_datetime": _iso(updated or req.received_at),
        "expected_datetime": _iso(getattr(req, "completion_due", None)) if is_open else None,
        # No place, no coordinates, no photo: none of them is public (docs/services.md).
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _rows(qs: Any) -> list[dict[str, Any]]:
    reqs = list(
        selectors.with_deadlines(qs).select_related(
            "state", "category", "category__parent", "handler_org", "handler_partner"
        )
    )
    from django.db.models import Max

    last = dict(
        Event.objects.filter(request__in=[r.pk for r in reqs])
        .order_by()
        .values("request_id")
        .annotate(at=Max("at"))
        .values_list("request_id", "at")
    )
    return [_row(r, last.get(r.pk)) for r in reqs]


def _param(request: HttpRequest, name: str) -> str:
    value = request.GET.get(name, "")
    if len(value) > MAX_PARAM:
        raise ValueError(f"{name} is too long")
    return value.strip()


def _list(value: str, name: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if len(items) > MAX_IDS:
        raise ValueError(f"{name}: at most {MAX_IDS} values")
    return items


def _when(value: str, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = parse_datetime(value)
    except ValueError:
        when = None
    if when is None or timezone.is_naive(when):
        raise ValueError(f"{name} must be a W3C date-time with its time zone, e.g. 2026-03-01T00:00:00+08:00")
    return when


@csrf_exempt  # a client app's POST carries an api_key, not a session: no cookie is read
@never_cache
@require_http_methods(["GET", "POST"])
def requests_view(request: HttpRequest, fmt: str = "json") -> HttpResponse:
    if request.method == "POST":
        return _post(request, fmt)
    try:
        ids = _list(_param(request, "service_request_id"), "service_request_id")
        codes = _list(_param(request, "service_code"), "service_code")
        status = _param(request, "status")
        start = _when(_param(request, "start_date"), "start_date")
        end = _when(_param(request, "end_date"), "end_date")
        jurisdiction = _param(request, "jurisdiction_id")
    except ValueError as e:
        return error(400, str(e), fmt)
    if any(not c.isascii() or not c.isdigit() or len(c) > 12 for c in codes):
        return error(400, "service_code must be codes from services.json", fmt)
    if status and status not in ("open", "closed"):
        return error(400, "status must be open or closed", fmt)
    qs = _public_requests()
    if ids:  # the spec: service_request_id overrides every other parameter
        qs = qs.filter(code__in=[i.upper() for i in ids if len(i) <= 16])
    else:
        now = timezone.now()
        end = end or now
        start = start or (end - dt.timedelta(days=WINDOW_DAYS))
        if start > end:
            return error(400, "start_date is after end_date", fmt)
        if end - start > dt.timedelta(days=WINDOW_DAYS):
            return error(400, f"the window from start_date to end_date is at most {WINDOW_DAYS} days", fmt)
        qs = qs.filter(received_at__gte=start, received_at__lte=end)
        if codes:
            qs = qs.filter(category_id__in=[int(c) for c in codes])
        if status:
            open_q = {"state_type__in": OPEN_TYPES}
            qs = qs.filter(**open_q) if status == "open" else qs.exclude(**open_q)
        if jurisdiction:
            org = Organization.objects.filter(code=jurisdiction).first() if len(jurisdiction) <= 32 else None
            if org is None:
                return error(404, "jurisdiction_id not found", fmt)
            qs = qs.filter(org_path__startswith=org.path)
    return _out(_rows(qs.order_by("-received_at", "-id")[:MAX_RESULTS]), fmt, REQUESTS)


@never_cache
@require_GET
def request_detail(request: HttpRequest, service_request_id: str, fmt: str = "json") -> HttpResponse:
    code = service_request_id.strip().upper()
    if not code or len(code) > 16 or not code.isascii():
        return error(404, "service_request_id not found", fmt)
    rows = _rows(_public_requests().filter(code=code))
    if not rows:
        return error(404, "service_request_id not found", fmt)
    return _out(rows, fmt, REQUESTS)


@never_cache
@require_GET
def token(request: HttpRequest, token_id: str, fmt: str = "json") -> HttpResponse:
    """No token is ever handed out (POST answers the service_request_id itself): every token is unknown."""
    return error(404, "token not found: this server answers service_request_id when a request is posted", fmt)


# Posting a request -----------------------------------------------------------------------------------


def _api_key_ok(key: str) -> bool:
    keys = getattr(settings, "SERVICE_OPEN311_API_KEYS", []) or []
    key = key or ""
    return bool(key) and any(hmac.compare_digest(key.encode(), k.strip().encode()) for k in keys)


def _posted(request: HttpRequest) -> dict[str, str]:
    """The spec posts form fields; a JSON object is taken too."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError) as e:
            raise ValueError("the body is not JSON") from e
        if not isinstance(data, dict):
            raise ValueError("the body must be an object")
        return {str(k): v if isinstance(v, str) else str(v) for k, v in data.items() if v is not None}
    return {k: request.POST.get(k, "") for k in request.POST}


def _clean(data: dict[str, str]) -> dict[str, str]:
    if len(data) > 40 or any(len(k) > 60 for k in data):
        raise ValueError("too many or too long field names")
    if any("\x00" in v or "\x00" in k for k, v in data.items()):
        raise ValueError("NUL characters are not accepted")
    return data


def _post(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        data = _clean(_posted(request))
    except ValueError as e:
        return error(400, str(e), fmt)
    if not _api_key_ok(data.get("api_key", "")):
        return error(403, "api_key is missing or not valid", fmt)
    digest = services.address_digest(client_ip(request))
    recent = selectors.recent_from_address(digest, since=timezone.now() - dt.timedelta(hours=1))
    if recent >= public.intake_limit():
        response = error(429, "too many requests from this address; try again in an hour", fmt)
        response["Retry-After"] = "3600"
        return response
    code = (data.get("service_code") or "").strip()
    if not code:
        return error(400, "service_code is required", fmt)
    cat = (
        Category.objects.filter(pk=int(code), active=True).first()
        if code.isascii() and code.isdigit() and len(code) <= 12
        else None
    )
    if cat is None:
        return error(404, "service_code not found", fmt)
    jurisdiction = (data.get("jurisdiction_id") or "").strip()
    if not jurisdiction:
        return error(
            400, "jurisdiction_id is required: the code of the community that takes the request", fmt
        )
    org = Organization.objects.filter(code=jurisdiction).first() if len(jurisdiction) <= 32 else None
    if org is None or not services.desk_open(org):
        return error(404, "jurisdiction_id not found or not taking requests", fmt)
    address = data.get("address_string") or ""
    if not address.strip():
        return error(400, "address_string is required (lat/long and address_id are not used)", fmt)
    parts = [p.strip() for p in (data.get("last_name", ""), data.get("first_name", "")) if p.strip()]
    name = (" " if all(p.isascii() for p in parts) else "").join(parts)  # 李 + 大妈 → 李大妈
    try:
        req, _token = services.submit_request(
            org=org,
            category=cat,
            text=data.get("description", ""),
            address=address,
            name=name,
            phone=data.get("phone", ""),
            client_address=client_ip(request),
            sms_consent=False,  # the spec has no consent field: no SMS, as on the form without the box
        )
    except ValidationError as e:
        messages = []
        for field, errors in getattr(e, "message_dict", {"": e.messages}).items():
            messages += [f"{field}: {m}" if field and field != "__all__" else m for m in errors]
        return error(400, "; ".join(messages) or "invalid request", fmt)
    return _out(
        [{"service_request_id": req.code, "service_notice": "", "account_id": None}], fmt, REQUESTS, 201
    )
