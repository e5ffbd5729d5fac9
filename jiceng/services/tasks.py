"""Background delivery of the resident's SMS (django-tasks, run by ``jiceng worker``)."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import task

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_AFTER = (dt.timedelta(minutes=1), dt.timedelta(minutes=10))  # after the 1st and 2nd failure


@task()
def deliver_sms(message_id: int) -> bool:
    """Send the recorded message ``message_id`` to the phone of its request, read and decrypted here
    (consent checked again: it may have been withdrawn, or the request anonymized, since it was
    queued). A failure is recorded (without the number) and retried up to ``MAX_ATTEMPTS`` times."""
    from jiceng.core import crypto
    from jiceng.notifications.channels import sms_enabled, sms_sender

    from .models import SmsMessage, SmsStatus

    message = SmsMessage.objects.select_related("request").filter(pk=message_id).first()
    if message is None or message.status not in (SmsStatus.QUEUED, SmsStatus.FAILED):
        return False
    req = message.request
    if req is None or not req.sms_consent or not req.phone_cipher or not sms_enabled():
        SmsMessage.objects.filter(pk=message.pk).update(
            status=SmsStatus.SKIPPED, outcome="no consent, phone or sender", done_at=timezone.now()
        )
        return False
    attempts = message.attempts + 1
    try:
        sms_sender().send(crypto.decrypt(req.phone_cipher), message.text)
    except Exception as error:  # noqa: BLE001 (the gateway's failure must not fail the worker)
        # The exception's text is the sender's; ours never carry the number, and a foreign one is cut.
        outcome = f"{type(error).__name__}: {error}"[:200]
        log.warning(
            "SMS %s to a resident failed (attempt %d): %s", message.pk, attempts, type(error).__name__
        )
        SmsMessage.objects.filter(pk=message.pk).update(
            status=SmsStatus.FAILED, attempts=attempts, outcome=outcome, done_at=timezone.now()
        )
        if attempts < MAX_ATTEMPTS:
            if deliver_sms.get_backend().supports_defer:
                deliver_sms.using(run_after=timezone.now() + RETRY_AFTER[attempts - 1]).enqueue(message.pk)
            else:  # the immediate backend (tests, development): at once
                deliver_sms.enqueue(message.pk)
        return False
    SmsMessage.objects.filter(pk=message.pk).update(
        status=SmsStatus.SENT, attempts=attempts, outcome="", done_at=timezone.now()
    )
    return True


@task()
def sms_to_resident(request_id: int, text: str) -> bool:
    """Messages queued before ``deliver_sms`` existed (an upgrade with tasks waiting): recorded, then
    delivered as any other."""
    from .models import ServiceRequest, SmsDirection, SmsMessage, SmsStatus

    if not ServiceRequest.objects.filter(pk=request_id).exists():
        return False
    message = SmsMessage.objects.create(
        request_id=request_id, direction=SmsDirection.OUT, text=text[:500], status=SmsStatus.QUEUED
    )
    return deliver_sms.call(message.pk)
