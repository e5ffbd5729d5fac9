"""Every write of residents' requests: intake, the handler's steps, the resident's word.

Each is one atomic function: it locks the request, checks that the step is allowed from the current
state type (``models.TRANSITIONS``), writes the event the resident reads and the change record
(``core.audit``) in the same transaction. Handlers' steps carry the version they were based on
(``core.concurrency``). The resident acts without an account, by the secret link of their request:
those writes are audited with no user.

"The first receiver is responsible": the handler chosen at intake (by the community's route for the
category, else the community itself) stays responsible until it hands the request over with a
recorded reason.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, concurrency, crypto, scope
from jiceng.core.normalize import phone as normalize_phone
from jiceng.life import services as life_services
from jiceng.orgs.models import Organization
from jiceng.partners.models import PartnerUnit

from . import figures, notify
from .models import (
    FINAL_TYPES,
    TRANSITIONS,
    Category,
    Channel,
    CoHandler,
    Desk,
    Event,
    EventKind,
    Resolution,
    Route,
    ServiceRequest,
    State,
    StateType,
    Urgency,
)
from .seed import ensure_shipped

MAX_TEXT = 2000
MAX_ADDRESS = 200
MAX_NAME = 40
MAX_WORDS = 1000
MAX_INFO = 20  # additions by the resident to one request (the tracking link is not rate-limited by address)
COMMUNITY_KINDS = ("community", "village")
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone


# Reading what the services need -----------------------------------------------------------------------


def desk_open(org: Organization) -> bool:
    """Communities and villages take requests unless a desk closes them; others when one opens them.

    An organization read by ``selectors.intake_desk`` carries its desk's ``open`` already (None: no
    desk row), read in the same query: no second look-up in the same request."""
    if hasattr(org, "intake_desk_open"):
        opened = org.intake_desk_open
    else:
        desk = Desk.objects.filter(org=org).first()
        opened = desk.open if desk is not None else None
    if opened is not None:
        return bool(opened)  # SQLite answers the written-out query's subquery with 0 or 1
    return org.unit_kind in COMMUNITY_KINDS


def state_of(type_: str) -> State:
    """The shipped state of a type (admins' sub-states are chosen explicitly)."""
    state = _first_state(type_)
    if state is None:
        ensure_shipped()
        state = _first_state(type_)
    return state


def _first_state(type_: str) -> State | None:
    """``State.objects.filter(type=…).order_by("-shipped", "order", "id").first()`` written out: read on
    every intake, where the ORM's building of it cost more than running it."""
    table = connection.ops.quote_name(State._meta.db_table)
    order = connection.ops.quote_name("order")
    sql = f"SELECT * FROM {table} WHERE type = %s ORDER BY shipped DESC, {order}, id LIMIT 1"  # noqa: S608 (our own names)
    return next(iter(State.objects.raw(sql, [type_])), None)


def route_for(org: Organization, category: Category) -> tuple[Organization | None, PartnerUnit | None]:
    """The community's route for the category or its nearest ancestor; else the community itself."""
    lineage = category.lineage()
    # Written out (read on every intake, most often to find no route); the route found is then read
    # with its handler and unit in one query.
    route = connection.ops.quote_name(Route._meta.db_table)
    unit = connection.ops.quote_name(PartnerUnit._meta.db_table)
    marks = ", ".join(["%s"] * len(lineage))
    sql = (
        f"SELECT r.category_id, r.id, r.handler_partner_id, u.active FROM {route} r "  # noqa: S608 (our own names)
        f"LEFT JOIN {unit} u ON u.id = r.handler_partner_id WHERE r.org_id = %s AND r.category_id IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [org.pk, *lineage])
        routes = {cid: (rid, partner_id, active) for cid, rid, partner_id, active in cursor.fetchall()}
    for cid in lineage:
        found = routes.get(cid)
        if found is not None:
            rid, partner_id, active = found
            if partner_id and not active:
                break  # a deactivated unit takes nothing new: the community handles it
            r = Route.objects.select_related("handler_org", "handler_partner").get(pk=rid)
            return r.handler_org, r.handler_partner
    return org, None


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def mask_name(name: str) -> str:
    return name[:1] + "*" * min(len(name) - 1, 3) if name else ""


def token_digest(token: str) -> str:
    return crypto.digest("service-request-token:" + token)


def sms_phone(phone: str) -> str:
    """A phone as an SMS gateway or the form may write it, reduced to its digits without China's
    country code (``+86 139-1234-5678`` → ``13912345678``), so the two digests meet."""
    digits = "".join(ch for ch in normalize_phone(phone) if ch.isascii() and ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11 and digits[len(prefix)] == "1":
            return digits[len(prefix) :]
    return digits


def phone_digest(phone: str) -> str:
    """The keyed digest an SMS reply is matched by (never the number itself)."""
    key = sms_phone(phone)
    return crypto.digest("sms-phone:" + key) if key else ""


def address_digest(address: str | None) -> str:
    return crypto.digest("intake-address:" + address) if address else ""


def can_handle(user: Any, req: ServiceRequest) -> bool:
    """Whether ``user`` may take a handler's step: change right on where it was made or who handles
    it, or a contact of the responsible or a co-handling partner unit."""
    if scope.can(user, scope.CHANGE, req.org_path) or scope.can(user, scope.CHANGE, req.handler_path):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    units = set(user.partner_units.values_list("pk", flat=True))
    if req.handler_partner_id in units:
        return True
    return CoHandler.objects.filter(request=req, partner_id__in=units).exists()


def _required(value: str, field: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: ValidationError(_("请填写此项"), code="required")})
    if len(text) > limit:
        raise ValidationError(
            {field: ValidationError(_("不能超过%(n)d个字") % {"n": limit}, code="max_length")}
        )
    return text


def _new_code() -> str:
    table = connection.ops.quote_name(ServiceRequest._meta.db_table)
    for _attempt in range(10):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        with connection.cursor() as cursor:  # written out: read on every intake (see ``_first_state``)
            cursor.execute(f"SELECT 1 FROM {table} WHERE code = %s", [code])  # noqa: S608 (our own name)
            if cursor.fetchone() is None:
                return code
    raise RuntimeError("no free tracking code")  # pragma: no cover (31^8 codes)


def _event(
    req: ServiceRequest,
    kind: str,
    *,
    actor: Any = None,
    public_text: str = "",
    note: str = "",
    by_resident: bool = False,
) -> Event:
    unit = "" if by_resident else (req.handler_name or "")
    return Event.objects.create(
        request=req,
        kind=kind,
        state=req.state,
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_unit=unit,
        public_text=public_text,
        note=note,
        by_resident=by_resident,
    )


def _handler_path(handler_org: Organization | None, org: Organization) -> str:
    return handler_org.path if handler_org is not None else org.path


# Intake ---------------------------------------------------------------------------------------------


@transaction.atomic
def submit_request(
    *,
    org: Organization,
    category: Category,
    text: str,
    address: str,
    name: str = "",
    phone: str = "",
    channel: str = Channel.WEB,
    client_address: str | None = None,
    actor: Any = None,
    photo: Any = None,
    sms_consent: bool = False,
    hotline: dict[str, Any] | None = None,
    received_at: dt.datetime | None = None,
) -> tuple[ServiceRequest, str]:
    """A resident's request at ``org``'s desk: the request and the secret token of its tracking link
    (shown once; only its digest is kept). ``sms_consent``: the resident agreed to SMS on changes of
    state (kept only with a phone). ``hotline``: the 12345 work order's ``no``, ``deadline`` and
    ``unit`` (see ``hotline.py``), with ``received_at`` the hotline's call time."""
    if actor is not None:
        scope.ensure(actor, scope.CHANGE, org.path)  # a handler enters a request taken by phone or visit
    if not desk_open(org):
        raise ValidationError(_("该组织暂不接收群众诉求"), code="closed")
    if not category.active:
        raise ValidationError({"category": ValidationError(_("请选择类别"), code="invalid")})
    text = _required(text, "text", MAX_TEXT)
    address = _required(address, "address", MAX_ADDRESS)
    name = (name or "").strip()
    if len(name) > MAX_NAME:
        raise ValidationError(
            {"name": ValidationError(_("不能超过%(n)d个字") % {"n": MAX_NAME}, code="max_length")}
        )
    phone = normalize_phone(phone)
    if phone and not (phone.isascii() and phone.isdigit() and 7 <= len(phone) <= 15):
        raise ValidationError({"phone": ValidationError(_("请填写正确的电话号码"), code="invalid")})
    photo_type = check_photo(photo) if photo else ""
    handler_org, handler_partner = route_for(org, category)
    token = secrets.token_urlsafe(18)
    state = state_of(StateType.RECEIVED)
    req = ServiceRequest.objects.create(
        code=_new_code(),
        token_digest=token_digest(token),
        org=org,
        org_path=org.path,
        category=category,
        urgency=category.urgency,
        channel=channel,
        text=text,
        address=address,
        name_cipher=crypto.encrypt(name) if name else "",
        name_masked=mask_name(name),
        phone_cipher=crypto.encrypt(phone) if phone else "",
        phone_masked=mask_phone(phone) if phone else "",
        address_digest=address_digest(client_address),
        sms_consent=bool(sms_consent and phone),
        phone_digest=phone_digest(phone) if sms_consent and phone else "",
        hotline_no=(hotline or {}).get("no", ""),
        hotline_deadline=(hotline or {}).get("deadline"),
        hotline_unit=(hotline or {}).get("unit", ""),
        state=state,
        state_type=state.type,
        handler_org=handler_org,
        handler_partner=handler_partner,
        handler_path=_handler_path(handler_org, org),
        received_at=received_at or timezone.now(),
        photo_type=photo_type,
    )
    if photo:
        photo.seek(0)
        req.photo.save(uuid.uuid4().hex + PHOTO_TYPES[photo_type], photo, save=True)
    submitted = _event(req, EventKind.SUBMITTED, by_resident=actor is None, actor=actor)
    if received_at is not None:  # a hotline's call: the history starts when the resident called
        Event.objects.filter(pk=submitted.pk).update(at=req.received_at)
    audit.created(actor=actor, obj=req, message=_("受理群众诉求"))
    figures.apply_change(None, figures.contribution(req, was_answered=False))
    return req, token


MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png"}


def check_photo(upload: Any) -> str:
    """The photo's content type, checked as meeting attachments are (not empty, content and name
    agree), images only, at most 5 MB; else a ValidationError on ``photo``."""
    if (upload.size or 0) > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": ValidationError(_("照片不能超过5 MB"), code="file_too_large")})
    problems = life_services.attachment_problems(upload)
    if problems:
        raise ValidationError({"photo": [ValidationError(m, code=c) for m, c in problems]})
    detected = life_services.detect_type(life_services._read_head(upload))
    if detected not in PHOTO_TYPES:
        raise ValidationError({"photo": ValidationError(_("照片只能是JPEG或PNG格式"), code="file_type")})
    return detected


def find_by_token(token: str) -> ServiceRequest | None:
    token = (token or "").strip()
    if not token or len(token) > 64 or not token.isascii():
        return None
    return (
        ServiceRequest.objects.select_related("org", "category", "state", "handler_org", "handler_partner")
        .filter(token_digest=token_digest(token))
        .first()
    )


# The handler's steps ----------------------------------------------------------------------------------


def _locked(req: ServiceRequest) -> ServiceRequest:
    return (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("org", "state", "handler_org", "handler_partner", "category")
        .get(pk=req.pk)
    )


def ensure_handler(actor: Any, req: ServiceRequest) -> None:
    """404 when the request is not visible to ``actor``, 403 when visible but not theirs to handle."""
    if can_handle(actor, req):
        return
    if ServiceRequest.objects.restrict(actor).filter(pk=req.pk).exists():
        raise PermissionDenied(_("您没有办理此诉求的权限"))
    from django.http import Http404

    raise Http404


def _allowed(req: ServiceRequest, to_type: str) -> None:
    if to_type not in TRANSITIONS[req.state_type]:
        raise ValidationError(
            _("当前状态为“%(state)s”，不能执行此操作") % {"state": req.state.name}, code="transition"
        )


def _state(to_type: str, state_code: str | None) -> State:
    if state_code:
        state = State.objects.filter(code=state_code, type=to_type).first()
        if state is None:
            raise ValidationError({"state": ValidationError(_("该状态不适用于此操作"), code="invalid")})
        return state
    return state_of(to_type)


_KIND_OF_TYPE = {
    StateType.ACCEPTED: EventKind.ACCEPTED,
    StateType.IN_PROGRESS: EventKind.PROGRESS,
    StateType.ANSWERED: EventKind.ANSWERED,
    StateType.CLOSED: EventKind.CLOSED,
    StateType.REFERRED: EventKind.REFERRED,
    StateType.MERGED: EventKind.MERGED,
}

# Steps that must explain themselves to the resident.
NEEDS_TEXT = frozenset({StateType.ANSWERED, StateType.REFERRED})


@transaction.atomic
def move(
    *,
    actor: Any,
    request: ServiceRequest,
    to_type: str,
    public_text: str = "",
    note: str = "",
    state_code: str | None = None,
    duplicate_of: ServiceRequest | None = None,
    urgency: str | None = None,
    version: Any = None,
) -> ServiceRequest:
    """A handler's step: accept (响应), progress, answer (办结), close, refer out, merge as duplicate.
    ``urgency``: the handler's judgement at triage (before the answer), which sets the time limits."""
    ensure_handler(actor, request)
    req = _locked(request)
    concurrency.ensure_current(req, version)
    tracked = figures.Tracked(req)
    if to_type not in _KIND_OF_TYPE:
        raise ValidationError(_("不能执行此操作"), code="transition")
    _allowed(req, to_type)
    public_text = (public_text or "").strip()[:MAX_WORDS]
    note = (note or "").strip()[:MAX_WORDS]
    if to_type in NEEDS_TEXT and not public_text:
        raise ValidationError({"public_text": ValidationError(_("请填写对居民的说明"), code="required")})
    now = timezone.now()
    before = audit.snapshot(req)
    if to_type == StateType.MERGED:
        if duplicate_of is None or duplicate_of.pk == req.pk:
            raise ValidationError({"duplicate_of": ValidationError(_("请选择重复的诉求"), code="required")})
        if not ServiceRequest.objects.restrict(actor).filter(pk=duplicate_of.pk).exists():
            raise ValidationError({"duplicate_of": ValidationError(_("请选择重复的诉求"), code="invalid")})
        req.duplicate_of = duplicate_of
        public_text = public_text or _("与受理编号%(code)s的诉求相同，合并办理") % {"code": duplicate_of.code}
    if to_type == StateType.CLOSED and req.state_type == StateType.ANSWERED:
        # Closing without the resident's word: only after the waiting time, and it counts as "no answer".
        if req.answered_at and now - req.answered_at < dt.timedelta(days=NO_ANSWER_DAYS):
            raise ValidationError(
                _("办结后%(days)d天内居民未评价的，才能关闭") % {"days": NO_ANSWER_DAYS}, code="too_early"
            )
        req.resolution = Resolution.NO_ANSWER
    if urgency:
        if urgency not in Urgency.values:
            raise ValidationError({"urgency": ValidationError(_("请选择紧急程度"), code="invalid")})
        if req.answered_at is not None or to_type not in (StateType.ACCEPTED, StateType.IN_PROGRESS):
            raise ValidationError(
                {"urgency": ValidationError(_("只能在响应或办理时调整紧急程度"), code="invalid")}
            )
        req.urgency = urgency
    from_type = req.state_type
    req.state = _state(to_type, state_code)
    req.state_type = to_type
    if req.responded_at is None and to_type != StateType.MERGED:
        req.responded_at = now
    if to_type == StateType.ANSWERED:
        req.answered_at = now
        req.resolution = ""
        req.satisfaction = None
    if to_type in FINAL_TYPES:
        req.closed_at = now
    req.save()
    _event(req, _KIND_OF_TYPE[to_type], actor=actor, public_text=public_text, note=note)
    audit.updated(actor=actor, obj=req, before=before, message=str(_KIND_OF_TYPE[to_type].label))
    tracked.done(req)
    notify.state_changed(req, to_type, from_type=from_type)
    return req


NO_ANSWER_DAYS = 7


@transaction.atomic
def hand_over(
    *,
    actor: Any,
    request: ServiceRequest,
    reason: str,
    handler_org: Organization | None = None,
    handler_partner: PartnerUnit | None = None,
    version: Any = None,
) -> ServiceRequest:
    """The responsible handler passes the request on, with a recorded reason."""
    ensure_handler(actor, request)
    req = _locked(request)
    concurrency.ensure_current(req, version)
    if req.state_type in FINAL_TYPES or req.state_type == StateType.RESOLVED:
        raise ValidationError(_("已结束的诉求不能转交"), code="transition")
    reason = _required(reason, "reason", MAX_WORDS)
    if (handler_org is None) == (handler_partner is None):
        raise ValidationError({"handler": ValidationError(_("请选择一个承办单位"), code="required")})
    if handler_org is not None and not Organization.objects.filter(pk=handler_org.pk).exists():
        raise ValidationError({"handler": ValidationError(_("请选择一个承办单位"), code="invalid")})
    tracked = figures.Tracked(req)
    before = audit.snapshot(req)
    req.handler_org, req.handler_partner = handler_org, handler_partner
    req.handler_path = _handler_path(handler_org, req.org)
    req.save()
    _event(
        req,
        EventKind.HANDED_OVER,
        actor=actor,
        public_text=_("已转交%(unit)s办理") % {"unit": req.handler_name},
        note=reason,
    )
    audit.updated(actor=actor, obj=req, before=before, message=_("转交：%(reason)s") % {"reason": reason})
    tracked.done(req)
    return req


@transaction.atomic
def add_cohandler(
    *,
    actor: Any,
    request: ServiceRequest,
    org: Organization | None = None,
    partner: PartnerUnit | None = None,
) -> CoHandler:
    ensure_handler(actor, request)
    req = _locked(request)
    if (org is None) == (partner is None):
        raise ValidationError({"cohandler": ValidationError(_("请选择一个协办单位"), code="required")})
    exists = CoHandler.objects.filter(request=req, org=org, partner=partner).exists()
    if exists:
        raise ValidationError({"cohandler": ValidationError(_("该单位已是协办单位"), code="duplicate")})
    co = CoHandler.objects.create(request=req, org=org, partner=partner)
    _event(req, EventKind.COHANDLER, actor=actor, public_text=_("%(unit)s协助办理") % {"unit": str(co)})
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=req,
        after={"cohandler": str(co)},
        message=_("增加协办单位"),
    )
    return co


@transaction.atomic
def moderate(
    *,
    actor: Any,
    request: ServiceRequest,
    public_text: str,
    public_address: str = "",
    reason: str,
    version: Any = None,
) -> ServiceRequest:
    """Set the public version of the request's text and place (personal data or abusive words taken
    out), with the reason recorded; the original is kept untouched. A version equal to the original, or
    blank, shows the original again. Who: the change right where the request was made (the community
    whose public page took it), not a handler elsewhere nor a partner unit."""
    if not scope.can(actor, scope.CHANGE, request.org_path):
        if ServiceRequest.objects.restrict(actor).filter(pk=request.pk).exists():
            raise PermissionDenied(_("只有受理社区的管理员或书记可以处理公开内容"))
        from django.http import Http404

        raise Http404
    req = _locked(request)
    concurrency.ensure_current(req, version)
    public_text = (public_text or "").strip()
    public_address = (public_address or "").strip()
    if len(public_text) > MAX_TEXT:
        raise ValidationError(
            {"public_text": ValidationError(_("不能超过%(n)d个字") % {"n": MAX_TEXT}, code="max_length")}
        )
    if len(public_address) > MAX_ADDRESS:
        raise ValidationError(
            {
                "public_address": ValidationError(
                    _("不能超过%(n)d个字") % {"n": MAX_ADDRESS}, code="max_length"
                )
            }
        )
    reason = _required(reason, "reason", MAX_WORDS)
    public_text = "" if public_text == req.text else public_text
    public_address = "" if public_address == req.address else public_address
    if (public_text, public_address) == (req.public_text, req.public_address):
        raise ValidationError(_("公开内容没有变化"), code="unchanged")
    before = audit.snapshot(req)
    req.public_text, req.public_address = public_text, public_address
    req.save(update_fields=["public_text", "public_address"])
    restored = not (public_text or public_address)
    _event(
        req,
        EventKind.MODERATED,
        actor=actor,
        public_text=_("公开显示的内容已恢复为原文")
        if restored
        else _("公开显示的内容已由社区处理（原文保留）"),
        note=reason,
    )
    audit.updated(
        actor=actor, obj=req, before=before, message=_("处理公开内容：%(reason)s") % {"reason": reason}
    )
    return req


@transaction.atomic
def moderate_words(
    *,
    actor: Any,
    request: ServiceRequest,
    event: Event | int,
    public_text: str,
    reason: str,
    version: Any = None,
) -> Event:
    """Moderate the resident's later words (an addition, a dispute, the words of their evaluation) like
    the request's text: public pages show ``public_text`` instead (blank: hidden); the words as written
    stay for the handlers; the reason is recorded (an event's internal note and the change record).
    Equal to what they wrote: shown as written again. Who: as ``moderate``."""
    if not scope.can(actor, scope.CHANGE, request.org_path):
        if ServiceRequest.objects.restrict(actor).filter(pk=request.pk).exists():
            raise PermissionDenied(_("只有受理社区的管理员或书记可以处理公开内容"))
        from django.http import Http404

        raise Http404
    req = _locked(request)
    concurrency.ensure_current(req, version)
    event_id = event.pk if isinstance(event, Event) else event
    ev = Event.objects.select_for_update(of=("self",)).filter(pk=event_id, request=req).first()
    if ev is None or not ev.moderatable:
        raise ValidationError({"event": ValidationError(_("只能处理居民本人写的内容"), code="invalid")})
    public_text = (public_text or "").strip()
    if len(public_text) > MAX_WORDS:
        raise ValidationError(
            {"public_text": ValidationError(_("不能超过%(n)d个字") % {"n": MAX_WORDS}, code="max_length")}
        )
    reason = _required(reason, "reason", MAX_WORDS)
    restored = public_text == ev.public_text
    moderated, version_text = (False, "") if restored else (True, public_text)
    if (moderated, version_text) == (ev.moderated, ev.public_version):
        raise ValidationError(_("公开内容没有变化"), code="unchanged")
    before = {"event": ev.pk, "moderated": ev.moderated, "public_version": ev.public_version}
    ev.moderated, ev.public_version = moderated, version_text
    ev.save(update_fields=["moderated", "public_version"])
    _event(
        req,
        EventKind.MODERATED,
        actor=actor,
        public_text=_("居民补充的内容已恢复原文公开显示")
        if restored
        else _("居民补充的内容已由社区处理（原文保留）"),
        note=reason,
    )
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=req,
        before=before,
        after={"event": ev.pk, "moderated": ev.moderated, "public_version": ev.public_version},
        message=_("处理居民补充内容的公开版本：%(reason)s") % {"reason": reason},
    )
    return ev


def reveal_contact(*, actor: Any, request: ServiceRequest) -> dict[str, str]:
    """The resident's full name and phone, for a handler who must call back; audited."""
    ensure_handler(actor, request)
    audit.record(actor=actor, action=audit.Action.REVEAL, obj=request, message=_("查看居民联系方式"))
    return {
        "name": crypto.decrypt(request.name_cipher) if request.name_cipher else "",
        "phone": crypto.decrypt(request.phone_cipher) if request.phone_cipher else "",
    }


# The resident's word ------------------------------------------------------------------------------------


@transaction.atomic
def add_information(*, request: ServiceRequest, text: str) -> ServiceRequest:
    req = _locked(request)
    if req.state_type in FINAL_TYPES:
        raise ValidationError(_("此诉求已结束，不能再补充"), code="transition")
    text = _required(text, "text", MAX_WORDS)
    if req.events.filter(kind=EventKind.INFO).count() >= MAX_INFO:
        raise ValidationError(_("补充信息已达%(n)d条，请直接联系社区") % {"n": MAX_INFO}, code="too_many")
    _event(req, EventKind.INFO, public_text=text, by_resident=True)
    audit.record(actor=None, action=audit.Action.UPDATE, obj=req, message=_("居民补充信息"))
    return req


@transaction.atomic
def give_feedback(
    *,
    request: ServiceRequest,
    resolution: str,
    satisfaction: int | None,
    words: str = "",
    by_sms: bool = False,
) -> ServiceRequest:
    """The resident's word on an answer: solved or partly confirms it (解决 counts only "solved");
    not solved reopens it with their words (required then). ``by_sms``: the word came as an SMS
    reply (``services/sms.py``), which must come within ``NO_ANSWER_DAYS`` of the answer."""
    req = _locked(request)
    _allowed(req, StateType.RESOLVED)
    if by_sms and (
        req.answered_at is None or req.answered_at < timezone.now() - dt.timedelta(days=NO_ANSWER_DAYS)
    ):
        raise ValidationError(_("评价期已过"), code="expired")
    if resolution not in (Resolution.SOLVED, Resolution.PARTLY, Resolution.NOT_SOLVED):
        raise ValidationError({"resolution": ValidationError(_("请选择是否解决"), code="required")})
    if satisfaction is not None and not 1 <= int(satisfaction) <= 5:
        raise ValidationError({"satisfaction": ValidationError(_("满意度为1至5"), code="invalid")})
    words = (words or "").strip()
    if len(words) > MAX_WORDS:
        raise ValidationError(
            {"words": ValidationError(_("不能超过%(n)d个字") % {"n": MAX_WORDS}, code="max_length")}
        )
    if resolution == Resolution.NOT_SOLVED and not words:
        raise ValidationError({"words": ValidationError(_("请说明哪里还没有解决"), code="required")})
    tracked = figures.Tracked(req)
    before = audit.snapshot(req)
    req.resolution = resolution
    req.satisfaction = int(satisfaction) if satisfaction is not None else None
    if resolution == Resolution.NOT_SOLVED:
        req.state = state_of(StateType.REOPENED)
        req.answered_at = None
        kind = EventKind.DISPUTED
    else:
        req.state = state_of(StateType.RESOLVED)
        kind = EventKind.CONFIRMED
    req.state_type = req.state.type
    req.save()
    _event(req, kind, public_text=words, by_resident=True, note=_("短信回复") if by_sms else "")
    message = str(kind.label) + (_("（短信回复）") if by_sms else "")
    audit.updated(actor=None, obj=req, before=before, message=message)
    tracked.done(req)
    return req


@transaction.atomic
def withdraw(*, request: ServiceRequest, words: str = "") -> ServiceRequest:
    req = _locked(request)
    _allowed(req, StateType.WITHDRAWN)
    tracked = figures.Tracked(req)
    before = audit.snapshot(req)
    req.state = state_of(StateType.WITHDRAWN)
    req.state_type = req.state.type
    req.closed_at = timezone.now()
    req.save()
    _event(req, EventKind.WITHDRAWN, public_text=(words or "").strip()[:MAX_WORDS], by_resident=True)
    audit.updated(actor=None, obj=req, before=before, message=str(EventKind.WITHDRAWN.label))
    tracked.done(req)
    return req


# Routing and desks (organization administrators of the community) ------------------------------------


@transaction.atomic
def set_route(
    *,
    actor: Any,
    org: Organization,
    category: Category,
    handler_org: Organization | None = None,
    handler_partner: PartnerUnit | None = None,
) -> Route | None:
    """Route the community's requests of ``category`` (and its sub-categories) to a handler; neither
    handler: the community handles them itself (the route is removed)."""
    scope.ensure(actor, scope.MANAGE, org.path)
    if handler_org is not None and handler_partner is not None:
        raise ValidationError({"handler": ValidationError(_("请选择一个承办单位"), code="invalid")})
    route = Route.objects.filter(org=org, category=category).first()
    if handler_org is None and handler_partner is None:
        if route is not None:
            audit.deleted(actor=actor, obj=route, message=_("删除派单规则"))
            route.delete()
        return None
    if route is None:
        route = Route.objects.create(
            org=org, category=category, handler_org=handler_org, handler_partner=handler_partner
        )
        audit.created(actor=actor, obj=route, message=_("设置派单规则"))
        return route
    before = audit.snapshot(route)
    route.handler_org, route.handler_partner = handler_org, handler_partner
    route.save()
    audit.updated(actor=actor, obj=route, before=before, message=_("修改派单规则"))
    return route


@transaction.atomic
def set_desk(*, actor: Any, org: Organization, open: bool) -> Desk:  # noqa: A002
    """Open an organization's public intake page, or close it."""
    scope.ensure(actor, scope.MANAGE, org.path)
    desk, created = Desk.objects.get_or_create(org=org, defaults={"open": open})
    if created:
        audit.created(actor=actor, obj=desk)
        return desk
    before = audit.snapshot(desk)
    desk.open = open
    desk.save()
    audit.updated(actor=actor, obj=desk, before=before)
    return desk


# Upkeep: the resident's silence, and forgetting who they were ------------------------------------------


def close_unanswered(*, now: dt.datetime | None = None) -> int:
    """Close requests answered ``NO_ANSWER_DAYS`` ago without the resident's word, as "居民未回复"
    (never as solved or satisfied). The system's own step: audited without a user."""
    now = now or timezone.now()
    due = ServiceRequest.objects.filter(
        state_type=StateType.ANSWERED, answered_at__lte=now - dt.timedelta(days=NO_ANSWER_DAYS)
    ).values_list("pk", flat=True)
    closed = 0
    for pk in list(due):
        with transaction.atomic():
            req = _locked(ServiceRequest(pk=pk))
            if req.state_type != StateType.ANSWERED:
                continue
            tracked = figures.Tracked(req)
            before = audit.snapshot(req)
            req.state = state_of(StateType.CLOSED)
            req.state_type = req.state.type
            req.resolution = Resolution.NO_ANSWER
            req.closed_at = now
            req.save()
            _event(
                req,
                EventKind.CLOSED,
                public_text=_("办结后%(days)d天内未收到您的评价，已关闭") % {"days": NO_ANSWER_DAYS},
            )
            audit.updated(actor=None, obj=req, before=before, message=_("居民未回复，自动关闭"))
            tracked.done(req)
            notify.state_changed(req, StateType.CLOSED)
            closed += 1
    return closed


ANONYMIZED = "—"
PERSONAL_FIELDS = ("name_masked", "phone_masked", "address", "public_address")


def anonymize_closed(*, years: int, now: dt.datetime | None = None) -> int:
    """Forget the resident's name, phone and place of requests finished more than ``years`` ago
    (``SERVICE_ANONYMIZE_YEARS``); the request, its text and its figures stay."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=365 * years + years // 4)
    qs = ServiceRequest.objects.filter(closed_at__lte=cutoff, state_type__in=FINAL_TYPES).exclude(
        address=ANONYMIZED
    )
    n = 0
    for req in qs.iterator():
        with transaction.atomic():
            ServiceRequest.objects.filter(pk=req.pk).update(
                name_cipher="",
                name_masked="",
                phone_cipher="",
                phone_masked="",
                sms_consent=False,
                phone_digest="",
                address=ANONYMIZED,
                public_address="",
                address_digest="",
            )
            # The change records forget them too (they held the masked forms and the place).
            for change in audit.history(req).select_for_update(of=("self",)):
                for data in (change.prechange_data, change.postchange_data):
                    for key in PERSONAL_FIELDS:
                        if isinstance(data, dict) and key in data:
                            data[key] = ANONYMIZED
                change.save(update_fields=["prechange_data", "postchange_data"])
            audit.record(actor=None, action=audit.Action.UPDATE, obj=req, message=_("群众诉求已匿名化"))
            n += 1
    return n
