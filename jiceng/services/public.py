"""The public pages: a community's intake page, its printable QR poster, the resident's tracking page.

No account and no personal data on them: the intake page shows the community's name and the
categories; the tracking page, reached only by the secret link given at submission, shows the
resident's own request and its history in plain words (units, never handlers' names).

Abuse: the intake counts submissions per client address (``core.access.client_ip``, which trusts
``X-Forwarded-For`` only from ``TRUSTED_PROXIES``; only a keyed digest of the address is stored):
after ``SERVICE_INTAKE_CAPTCHA_AFTER`` within an hour a small local arithmetic question is asked,
after ``SERVICE_INTAKE_LIMIT`` the address is refused (429) until the hour has passed. A filled
honeypot field is refused. Sizes are bounded by the form and ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.core.access import client_ip
from jiceng.core.forms import add_service_errors
from jiceng.orgs.models import Organization

from . import selectors, services, sms
from .forms import FeedbackForm, InfoForm, IntakeForm, WithdrawForm
from .models import FINAL_TYPES, StateType


def captcha_after() -> int:
    return int(getattr(settings, "SERVICE_INTAKE_CAPTCHA_AFTER", 2))


def intake_limit() -> int:
    return int(getattr(settings, "SERVICE_INTAKE_LIMIT", 10))


def _desk(code: str, digest: str = "") -> Organization:
    """The organization whose public desk is open at ``code`` (else 404), read with its desk and with
    ``intake_recent``, the submissions from the address of ``digest`` within the hour (one query)."""
    code = (code or "").strip()
    if not code or len(code) > 32 or not code.isascii():
        raise Http404
    org = selectors.intake_desk(code, digest, since=timezone.now() - dt.timedelta(hours=1))
    if org is None or not services.desk_open(org):
        raise Http404
    return org


@never_cache
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest, code: str) -> HttpResponse:
    org = _desk(code, services.address_digest(client_ip(request)))
    recent = org.intake_recent
    if recent >= intake_limit():
        response = render(request, "services/public/limited.html", {"org": org}, status=429)
        response["Retry-After"] = "3600"
        return response
    captcha = recent >= captcha_after()
    posted = request.method == "POST"
    form = IntakeForm(request.POST if posted else None, request.FILES if posted else None, captcha=captcha)
    if posted and form.robot:
        return render(request, "services/public/limited.html", {"org": org}, status=400)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            req, token = services.submit_request(
                org=org,
                category=data["category"],
                text=data["text"],
                address=data["address"],
                name=data["name"],
                phone=data["phone"],
                photo=data.get("photo"),
                client_address=client_ip(request),
                sms_consent=bool(data.get("sms_consent")),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("已收到您的诉求，受理编号%(code)s。请收藏或截图保存本页链接，以便查询办理进展。")
                % {"code": req.code},
            )
            return redirect("requests:track", token=token)
    return render(request, "services/public/intake.html", {"org": org, "form": form})


def _qr(url: str) -> str:
    # segno writes presentation attributes only (no style=""), so the inline SVG passes the CSP.
    svg = segno.make(url, error="m").svg_inline(scale=8, light="white", title=_("扫码反映诉求"))
    return mark_safe(svg.replace("<svg ", '<svg role="img" class="jc-poster-qr" ', 1))  # noqa: S308 (segno's own markup)


@require_GET
def poster(request: HttpRequest, code: str) -> HttpResponse:
    """An A4 poster with the QR code of the community's intake page, to print and put up."""
    org = _desk(code)
    url = request.build_absolute_uri(reverse("requests:intake", kwargs={"code": org.code}))
    return render(request, "services/public/poster.html", {"org": org, "url": url, "qr": _qr(url)})


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, token: str) -> HttpResponse:
    req = services.find_by_token(token)
    if req is None:
        raise Http404
    info, feedback, withdraw = InfoForm(prefix="info"), FeedbackForm(prefix="fb"), WithdrawForm(prefix="wd")
    if request.method == "POST":
        what = request.POST.get("what")
        try:
            if what == "info":
                info = InfoForm(request.POST, prefix="info")
                if info.is_valid():
                    services.add_information(request=req, text=info.cleaned_data["text"])
                    messages.success(request, _("补充信息已送达办理单位"))
                    return redirect("requests:track", token=token)
            elif what == "feedback":
                feedback = FeedbackForm(request.POST, prefix="fb")
                if feedback.is_valid():
                    d = feedback.cleaned_data
                    services.give_feedback(
                        request=req,
                        resolution=d["resolution"],
                        satisfaction=d["satisfaction"],
                        words=d["words"],
                    )
                    messages.success(request, _("感谢您的评价"))
                    return redirect("requests:track", token=token)
            elif what == "withdraw":
                withdraw = WithdrawForm(request.POST, prefix="wd")
                if withdraw.is_valid():
                    services.withdraw(request=req, words=withdraw.cleaned_data["words"])
                    messages.success(request, _("诉求已撤回"))
                    return redirect("requests:track", token=token)
            else:
                return HttpResponse(status=400)
        except ValidationError as error:
            target = {"info": info, "feedback": feedback, "withdraw": withdraw}[what]
            add_service_errors(target, error)
    return render(request, "services/public/track.html", _track_context(req, info, feedback, withdraw))


def _track_context(
    req: Any, info: InfoForm, feedback: FeedbackForm, withdraw: WithdrawForm
) -> dict[str, Any]:
    from .models import TRANSITIONS

    return {
        "req": req,
        "events": selectors.events(req),
        "info": info if req.state_type not in FINAL_TYPES else None,
        "feedback": feedback if req.state_type == StateType.ANSWERED else None,
        "withdraw": withdraw if StateType.WITHDRAWN in TRANSITIONS[req.state_type] else None,
    }


def request_section(org: Organization, year: int) -> tuple[str, dict[str, Any]] | None:
    """The public community page's block (``core.registry.public_sections``): the link to the intake
    form and the poster, when the community takes requests."""
    if not services.desk_open(org):
        return None
    return "services/public/_section.html", {}


MAX_REPLY_BODY = 4096  # bytes of a gateway's callback: a phone and a few SMS segments


@csrf_exempt
@never_cache
@require_http_methods(["POST"])
def sms_reply(request: HttpRequest) -> HttpResponse:
    """The SMS gateway's callback with a resident's reply (``services/sms.py``): ``Authorization:
    Bearer SMS_INBOUND_TOKEN``, a JSON object or form fields ``from`` (the phone) and ``text``. Answers
    ``{"code", "reply"}``: the confirmation or explanation to send back (jiceng also sends it, through
    the configured sender, when the reply matched a request). Off (404) without a token configured."""
    expected = getattr(settings, "SMS_INBOUND_TOKEN", "")
    if not expected:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return JsonResponse({"code": "forbidden", "message": _("令牌无效")}, status=403)
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = MAX_REPLY_BODY + 1
    if length > MAX_REPLY_BODY or len(request.body) > MAX_REPLY_BODY:
        return JsonResponse({"code": "too_large", "message": _("内容过长")}, status=413)
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            data = None
    else:
        data = request.POST
    phone = data.get("from") if hasattr(data, "get") else None
    text = data.get("text") if hasattr(data, "get") else None
    if not isinstance(phone, str) or not isinstance(text, str) or not phone.strip() or "\x00" in text:
        return JsonResponse({"code": "invalid", "message": _("缺少 from 或 text")}, status=400)
    if len(phone) > 32 or len(text) > sms.MAX_REPLY:
        return JsonResponse({"code": "too_large", "message": _("内容过长")}, status=413)
    limit = int(getattr(settings, "SMS_INBOUND_LIMIT", 10))
    outcome = sms.receive_reply(phone=phone, text=text, limit_per_hour=limit)
    response = JsonResponse(
        {"code": outcome.code, "reply": outcome.reply}, status=429 if outcome.code == "limited" else 200
    )
    if outcome.code == "limited":
        response["Retry-After"] = "3600"
    return response
