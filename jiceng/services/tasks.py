"""Background delivery of the resident's SMS (django-tasks, run by ``jiceng worker``)."""

from __future__ import annotations

import logging

from django_tasks import task

log = logging.getLogger(__name__)


@task()
def sms_to_resident(request_id: int, text: str) -> bool:
    """Send ``text`` to the phone of request ``request_id``, read and decrypted here (consent checked
    again: it may have been withdrawn, or the request anonymized, since the message was queued)."""
    from jiceng.core import crypto
    from jiceng.notifications.channels import sms_enabled, sms_sender

    from .models import ServiceRequest

    req = ServiceRequest.objects.filter(pk=request_id).only("sms_consent", "phone_cipher").first()
    if req is None or not req.sms_consent or not req.phone_cipher or not sms_enabled():
        return False
    try:
        sms_sender().send(crypto.decrypt(req.phone_cipher), text)
    except Exception:  # noqa: BLE001 (the gateway's failure must not fail the worker)
        log.exception("SMS to a resident failed")
        return False
    return True
