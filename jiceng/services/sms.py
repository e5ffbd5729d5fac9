"""The resident's word by SMS (issue 14 §5): a reply to the answer's message, received through the SMS
gateway's callback (``public.sms_reply``), applied through the same service as the tracking page.

A reply names the resident's verdict and, optionally, their satisfaction and words: ``1 5``,
``解决 5``, ``2``, ``3 2 路灯还是不亮`` (1 已解决, 2 部分解决, 3 未解决; the words as well as the
digits may be written, with or without spaces, in full-width characters too). It applies to the most
recent answered request of that phone, found by the phone's keyed digest (``services.phone_digest``,
kept only for residents who agreed to SMS), within ``NO_ANSWER_DAYS`` of the answer. "Not solved"
reopens the request with the resident's words (a reply without words reopens it with a line saying
so: the handler calls back). Every reply is recorded (``SmsMessage``, direction "in": the request, the
text, applied or refused and why, the phone's digest), never the phone; so is the confirmation sent
back.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import notify, services
from .models import Resolution, ServiceRequest, SmsDirection, SmsMessage, SmsStatus, StateType

MAX_REPLY = 300  # characters of a reply considered (an SMS is 70 a segment; a few segments at most)

_VERDICTS = (
    # longest first: "未解决" must not be read as "解决"
    ("部分解决", Resolution.PARTLY),
    ("没有解决", Resolution.NOT_SOLVED),
    ("未解决", Resolution.NOT_SOLVED),
    ("没解决", Resolution.NOT_SOLVED),
    ("不满意", Resolution.NOT_SOLVED),
    ("已解决", Resolution.SOLVED),
    ("部分", Resolution.PARTLY),
    ("解决", Resolution.SOLVED),
    ("1", Resolution.SOLVED),
    ("2", Resolution.PARTLY),
    ("3", Resolution.NOT_SOLVED),
)
_SEPARATORS = " \t\r\n,，、.。;；:：/"
_SATISFACTION = re.compile(r"(?:满意度)?([1-5])(?:分)?(?![0-9])")


@dataclass(frozen=True)
class Reply:
    resolution: str
    satisfaction: int | None
    words: str


def parse_reply(text: str) -> Reply | None:
    """The verdict, satisfaction and words of a reply; ``None`` when it names no verdict."""
    text = unicodedata.normalize("NFKC", text or "").strip()[:MAX_REPLY]
    rest = text.lstrip(_SEPARATORS)
    found = next(((w, r) for w, r in _VERDICTS if rest.startswith(w)), None)
    if found is None:
        return None
    word, resolution = found
    rest = rest[len(word) :]
    if word.isdigit() and rest[:1].isdigit() and not _SATISFACTION.match(rest):
        return None  # "16", "35x" read as one number: not a verdict
    rest = rest.lstrip(_SEPARATORS)
    satisfaction = None
    match = _SATISFACTION.match(rest)
    if match:
        satisfaction = int(match.group(1))
        rest = rest[match.end() :]
    elif rest[:1].isdigit():
        return None  # "1 7", "2 0": a satisfaction out of range
    return Reply(resolution=resolution, satisfaction=satisfaction, words=rest.strip(_SEPARATORS))


@dataclass(frozen=True)
class Outcome:
    code: str  # applied, unparsable, no_request, expired, refused, limited
    reply: str  # the confirmation or explanation sent back (Chinese, short)
    request: ServiceRequest | None = None


def _latest_answered(digest: str) -> ServiceRequest | None:
    return (
        ServiceRequest.objects.filter(phone_digest=digest, sms_consent=True, answered_at__isnull=False)
        .filter(state_type=StateType.ANSWERED)
        .order_by("-answered_at", "-id")
        .first()
    )


@transaction.atomic
def receive_reply(*, phone: str, text: str, limit_per_hour: int) -> Outcome:
    """Apply a resident's SMS reply from ``phone`` (as the gateway gives it) and record it."""
    digest = services.phone_digest(phone)
    if not digest:
        return Outcome("no_request", _("未找到与本号码关联的待评价诉求。"))
    text = (text or "")[:MAX_REPLY]
    since = timezone.now() - dt.timedelta(hours=1)
    recent = SmsMessage.objects.filter(direction=SmsDirection.IN, phone_digest=digest, created_at__gte=since)
    if recent.count() >= limit_per_hour:
        return Outcome("limited", _("回复过于频繁，请稍后再试或打开查询链接评价。"))
    outcome = _apply(digest, text)
    SmsMessage.objects.create(
        request=outcome.request,
        direction=SmsDirection.IN,
        text=text,
        status=SmsStatus.APPLIED if outcome.code == "applied" else SmsStatus.REFUSED,
        outcome=outcome.code,
        phone_digest=digest,
        done_at=timezone.now(),
    )
    if outcome.request is not None and notify.replies_enabled():
        with transaction.atomic():
            notify.queue(outcome.request, outcome.reply, purpose="confirm")
    return outcome


def _apply(digest: str, text: str) -> Outcome:
    reply = parse_reply(text)
    req = _latest_answered(digest)
    if req is None:
        last = (
            ServiceRequest.objects.filter(phone_digest=digest, sms_consent=True, answered_at__isnull=False)
            .order_by("-answered_at", "-id")
            .first()
        )
        if last is not None and last.resolution == Resolution.NO_ANSWER:  # the upkeep closed it
            return Outcome(
                "expired",
                _("受理编号%(code)s的诉求已超过7天评价期，按“居民未回复”处理。") % {"code": last.code},
            )
        return Outcome("no_request", _("未找到与本号码关联的待评价诉求。"))
    code = req.code
    if reply is None:
        return Outcome(
            "unparsable",
            _(
                "未能识别您的回复。受理编号%(code)s的诉求是否解决，请回复：1已解决 2部分解决 3未解决，可加满意度1-5，如“1 5”。"
            )
            % {"code": code},
        )
    words = reply.words
    if reply.resolution == Resolution.NOT_SOLVED and not words:
        words = _("（居民短信回复“未解决”，未说明原因）")
    try:
        services.give_feedback(
            request=req,
            resolution=reply.resolution,
            satisfaction=reply.satisfaction,
            words=words,
            by_sms=True,
        )
    except ValidationError as error:
        if getattr(error, "code", None) == "expired":
            return Outcome(
                "expired",
                _("受理编号%(code)s的诉求已超过7天评价期，按“居民未回复”处理。") % {"code": code},
            )
        return Outcome("refused", _("您的回复未能采纳，请打开查询链接评价。"))
    if reply.resolution == Resolution.NOT_SOLVED:
        message = _("已收到：受理编号%(code)s的诉求未解决，已转回重新办理。")
    else:
        message = _("已收到您对受理编号%(code)s的诉求的评价，谢谢。")
    return Outcome("applied", message % {"code": code}, ServiceRequest.objects.get(pk=req.pk))
