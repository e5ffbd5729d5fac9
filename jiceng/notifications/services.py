"""Every write of the notifications app: delivering a published event, marking read, choices.

``deliver`` is the subscriber of ``core.events``: it runs after the publishing write committed, in its
own transaction, and never raises into the publisher (``events._dispatch`` logs a failure). Marking
read and a user's own choices are personal state of the signed-in user, not records of the
organization: they are not written to the change log (the log would fill with clicks).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jiceng.core import events
from jiceng.core.models import User

from . import channels
from .models import Announced, Contact, Digest, Notification, Preference
from .tasks import send_emails, send_sms

log = logging.getLogger(__name__)

MAX_TEXT = 2000
PHONE_CHARS = set("0123456789+- ")


# Choices ---------------------------------------------------------------------------------------------


def choices_of(user_ids: Iterable[int], event_key: str) -> dict[tuple[int, str], bool]:
    return {
        (p.user_id, p.channel): p.enabled
        for p in Preference.objects.filter(user_id__in=list(user_ids), event_key=event_key)
    }


def wants(
    choices: Mapping[tuple[int, str], bool], event_type: events.EventType, user_id: int, channel: str
) -> bool:
    return choices.get((user_id, channel), event_type.default(channel))


# Delivery --------------------------------------------------------------------------------------------


def _first_time(batch: list[events.Event]) -> list[events.Event]:
    """The events of ``batch`` not delivered before (by dedupe key); they are recorded as delivered."""
    keyed = [e for e in batch if e.dedupe_key]
    if not keyed:
        return batch
    seen: set[tuple[str, str]] = set()
    by_key: dict[str, list[str]] = {}
    for e in keyed:
        by_key.setdefault(e.key, []).append(e.dedupe_key[:200])
    for key, dedupe_keys in by_key.items():
        for i in range(0, len(dedupe_keys), 1000):
            chunk = dedupe_keys[i : i + 1000]
            seen |= {
                (key, d)
                for d in Announced.objects.filter(event_key=key, dedupe_key__in=chunk).values_list(
                    "dedupe_key", flat=True
                )
            }
    out, new = [], []
    for e in batch:
        if e.dedupe_key:
            k = (e.key, e.dedupe_key[:200])
            if k in seen:
                continue
            seen.add(k)  # twice in one batch: once
            new.append(Announced(event_key=e.key, dedupe_key=k[1], org_path=e.org_path))
        out.append(e)
    Announced.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return out


@transaction.atomic
def deliver(batch: list[events.Event]) -> list[Notification]:
    """Tell each event's recipients (within scope) through the channels each chose. An event whose
    dedupe key was delivered before is dropped. E-mail and SMS are queued as background tasks."""
    batch = _first_time([e for e in batch if e.key in events.event_types])
    available = set(channels.available())
    rows: list[Notification] = []
    emails: list[list[str]] = []
    texts: list[list[str]] = []
    recipients: dict[tuple, list[User]] = {}
    choices: dict[tuple, dict[tuple[int, str], bool]] = {}
    phones: dict[int, str] | None = None
    for event in batch:
        event_type = events.event_types[event.key]
        who = (event.key, event.org_path, event.recipients)
        if who not in recipients:
            recipients[who] = list(events.recipients_of(event).only("pk", "email"))
        users = recipients[who]
        if not users:
            continue
        if who not in choices:
            choices[who] = choices_of([u.pk for u in users], event.key)
        with translation.override(settings.LANGUAGE_CODE):
            title = str(event_type.title)[:200]
            inbox = event_type.render(events.INBOX, event)
            mail = event_type.render(events.EMAIL, event) if events.EMAIL in available else None
            short = event_type.render(events.SMS, event).text if events.SMS in available else ""
        for user in users:
            on = {c: c in available and wants(choices[who], event_type, user.pk, c) for c in events.CHANNELS}
            digest = on[events.DIGEST] and bool(user.email)
            if on[events.INBOX] or digest:
                rows.append(
                    Notification(
                        user=user,
                        event_key=event.key,
                        title=title,
                        text=inbox.text[:MAX_TEXT],
                        link=inbox.link[:500],
                        org_id=event.org_id,
                        org_path=event.org_path,
                        context=dict(event.context),
                        inbox=on[events.INBOX],
                        digest_pending=digest,
                    )
                )
            if on[events.EMAIL] and user.email and mail is not None:
                emails.append([user.email, mail.subject or title, _mail_body(mail)])
            if on[events.SMS] and short:
                if phones is None:
                    phones = dict(Contact.objects.exclude(phone="").values_list("user_id", "phone"))
                if phones.get(user.pk):
                    texts.append([phones[user.pk], short[:200]])
    made = Notification.objects.bulk_create(rows, batch_size=1000)
    if emails:
        transaction.on_commit(lambda: send_emails.enqueue(emails))
    if texts:
        transaction.on_commit(lambda: send_sms.enqueue(texts))
    return made


def _absolute(link: str) -> str:
    base = getattr(settings, "JICENG_BASE_URL", "").rstrip("/")
    return f"{base}{link}" if link.startswith("/") and base else link


def _mail_body(message: events.Message) -> str:
    lines = [message.text]
    if message.link:
        lines += ["", _absolute(message.link)]
    return "\n".join(lines)


# The inbox ---------------------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, inbox=True, read_at__isnull=True).count()


def unread_flag(user: User) -> int:
    """The header's badge (a navigation flag): one count over a partial index."""
    return unread_count(user)


def mark_read(*, user: User, notification_ids: Iterable[int]) -> int:
    """Mark the user's own notifications read; ids of anyone else's are ignored. Returns how many."""
    return Notification.objects.filter(user=user, pk__in=list(notification_ids), read_at__isnull=True).update(
        read_at=timezone.now()
    )


def mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, inbox=True, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# Choices -------------------------------------------------------------------------------------------------


@transaction.atomic
def set_preferences(*, user: User, choices: Mapping[tuple[str, str], bool]) -> int:
    """Record the user's choices ``{(event_key, channel): on}``; unknown types or channels are refused
    (nothing saved). A choice equal to the default is stored too: a later change of default does not
    change what a user chose."""
    for key, channel in choices:
        if key not in events.event_types:
            raise ValidationError(_("未知的通知类别：%(key)s") % {"key": key[:64]}, code="unknown_event")
        if channel not in events.CHANNELS:
            raise ValidationError(_("未知的通知方式：%(c)s") % {"c": channel[:16]}, code="unknown_channel")
    for (key, channel), enabled in choices.items():
        Preference.objects.update_or_create(
            user=user, event_key=key, channel=channel, defaults={"enabled": bool(enabled)}
        )
    return len(choices)


def set_phone(*, user: User, phone: str) -> str:
    """The user's own mobile number for SMS (blank: none). Digits, ``+``, ``-`` and spaces only."""
    phone = (phone or "").strip()
    if len(phone) > 20 or not set(phone) <= PHONE_CHARS or (phone and sum(c.isdigit() for c in phone) < 5):
        raise ValidationError({"phone": _("手机号码格式不正确")}, code="bad_phone")
    Contact.objects.update_or_create(user=user, defaults={"phone": phone})
    return phone


def phone_of(user: User) -> str:
    return Contact.objects.filter(user=user).values_list("phone", flat=True).first() or ""


# The daily digest ------------------------------------------------------------------------------------


def send_digests(*, day: dt.date | None = None) -> int:
    """One e-mail a day to each user with notifications waiting for the digest; returns how many were
    sent. A user already sent today's digest gets nothing more today (the pending rows wait)."""
    day = day or timezone.localdate()
    if not channels.email_enabled():
        return 0
    user_ids = sorted(set(Notification.objects.filter(digest_pending=True).values_list("user_id", flat=True)))
    sent = 0
    for user in User.objects.filter(pk__in=user_ids, is_active=True).exclude(email=""):
        with transaction.atomic():
            try:
                with transaction.atomic():
                    digest = Digest.objects.create(user=user, day=day)
            except IntegrityError:
                continue
            pending = list(
                Notification.objects.select_for_update().filter(user=user, digest_pending=True).order_by("id")
            )
            if not pending:
                digest.delete()
                continue
            digest.count = len(pending)
            digest.save(update_fields=["count"])
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(digest_pending=False)
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("基层工作平台每日汇总：%(n)d条通知") % {"n": len(pending)}
                lines = []
                for n in pending:
                    lines.append(f"· {n.title}：{n.text}")
                    if n.link:
                        lines.append(f"  {_absolute(n.link)}")
                body = "\n".join(lines)
            transaction.on_commit(lambda u=user, s=subject, b=body: send_emails.enqueue([[u.email, s, b]]))
            sent += 1
    return sent
