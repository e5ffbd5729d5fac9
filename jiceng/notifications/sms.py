"""The SMS senders jiceng ships, chosen by ``JICENG_SMS_SENDER`` (``settings.SMS_SENDER``) as Django's
EMAIL_BACKEND chooses a mail backend. Empty (the default) is "none": nothing is offered or sent.

- ``jiceng.notifications.sms.FileSender``: each message as a JSON file in ``SMS_FILE_PATH``, for
  development and tests (the phone is in the file: never in production, ``check --deploy`` says so);
- ``jiceng.notifications.sms.ConsoleSender``: each message on standard error, for development;
- ``jiceng.notifications.sms.HttpGatewaySender``: one HTTP POST per message to ``SMS_GATEWAY_URL`` with
  ``Authorization: Bearer SMS_GATEWAY_TOKEN`` and the JSON body ``{"to": "139…", "text": "…"}``; any
  answer but 2xx (or no answer in ``SMS_GATEWAY_TIMEOUT`` seconds) is a failure the caller records and
  may retry. A government gateway with another shape is adapted by a small proxy or a subclass that
  overrides ``body`` and ``headers``.

A sender raises ``SmsError`` (or any exception) when a message was not accepted; it never logs the phone.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register  # noqa: A004
from django.core.exceptions import ImproperlyConfigured


class SmsError(Exception):
    """The gateway did not accept a message (the text says why, without the phone)."""


class FileSender:
    """Writes each message to ``SMS_FILE_PATH`` (default ``var/sms/``) as ``<time>-<id>.json``."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder or getattr(settings, "SMS_FILE_PATH", "") or settings.VAR_DIR / "sms")

    def send(self, phone: str, text: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC)
        name = f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.json"
        body = {"to": phone, "text": text, "at": now.isoformat(timespec="seconds")}
        (self.folder / name).write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")


class ConsoleSender:
    """Prints each message on standard error (development)."""

    def send(self, phone: str, text: str) -> None:
        print(f"[SMS to {phone}] {text}", file=sys.stderr, flush=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer but 2xx: a failure, the message is not re-posted elsewhere


class HttpGatewaySender:
    """POSTs ``{"to", "text"}`` as JSON to ``SMS_GATEWAY_URL`` with a bearer token."""

    def __init__(self) -> None:
        self.url = getattr(settings, "SMS_GATEWAY_URL", "")
        self.token = getattr(settings, "SMS_GATEWAY_TOKEN", "")
        self.timeout = float(getattr(settings, "SMS_GATEWAY_TIMEOUT", 10))
        if not self.url.startswith(("https://", "http://")):
            raise ImproperlyConfigured("JICENG_SMS_GATEWAY_URL must be an http(s):// address")
        self._opener = urllib.request.build_opener(_NoRedirect)

    def body(self, phone: str, text: str) -> bytes:
        return json.dumps({"to": phone, "text": text}, ensure_ascii=False).encode()

    def headers(self) -> dict[str, str]:
        out = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "jiceng-sms"}
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        return out

    def send(self, phone: str, text: str) -> None:
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            self.url, data=self.body(phone, text), headers=self.headers(), method="POST"
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            raise SmsError(f"gateway answered {error.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SmsError(f"gateway unreachable: {type(error).__name__}") from None
        if not 200 <= status < 300:
            raise SmsError(f"gateway answered {status}")


DEVELOPMENT_SENDERS = (
    "jiceng.notifications.sms.FileSender",
    "jiceng.notifications.sms.ConsoleSender",
)


@register(Tags.security, deploy=True)
def check_sms_sender(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """``check --deploy`` in production: a development sender, or a gateway reached over plain HTTP
    (the phone numbers and the token would cross the network in clear)."""
    if not getattr(settings, "PRODUCTION", False):
        return []
    sender = getattr(settings, "SMS_SENDER", "")
    out = []
    if sender in DEVELOPMENT_SENDERS:
        out.append(
            Warning(
                f"JICENG_SMS_SENDER is {sender}, a development sender: messages are not delivered and "
                "phone numbers are written in clear.",
                hint="Use jiceng.notifications.sms.HttpGatewaySender or the installation's own sender.",
                id="jiceng.W010",
            )
        )
    urls = [getattr(settings, "SMS_GATEWAY_URL", "")] if sender.endswith("HttpGatewaySender") else []
    if any(url.startswith("http://") for url in urls):
        out.append(
            Warning(
                "JICENG_SMS_GATEWAY_URL is http://: phone numbers, texts and the token cross the network "
                "in clear.",
                hint="Use the gateway's https:// address.",
                id="jiceng.W011",
            )
        )
    return out
